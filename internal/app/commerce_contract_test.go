package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/policy"
)

type contractReply struct {
	ID        int64     `json:"id"`
	Status    string    `json:"status"`
	TermNo    int       `json:"termNo"`
	StartedAt time.Time `json:"startedAt"`
	EndsAt    time.Time `json:"endsAt"`
	Renew     struct {
		Automatic bool `json:"automatic"`
	} `json:"renew"`
	Suspensions []struct {
		Reason   string     `json:"reason"`
		LiftedAt *time.Time `json:"liftedAt"`
	} `json:"suspensions"`
	Renewals []struct {
		TermNo    int    `json:"termNo"`
		InvoiceID int64  `json:"invoiceId"`
		Status    string `json:"status"`
	} `json:"renewals"`
	TerminationReason string `json:"terminationReason"`
}

func getContract(t *testing.T, e *apptest.Env, tok string, id int64) contractReply {
	t.Helper()
	var c contractReply
	r := e.Do(t, "GET", fmt.Sprintf("/api/v1/contracts/%d", id), tok, nil)
	if r.Status != 200 {
		t.Fatalf("contract: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &c)
	return c
}

// delivered orders a plan, pays it, has it delivered `after` the payment, and returns the order.
func delivered(t *testing.T, e *apptest.Env, tok, plan string, months int, after time.Duration) orderReply {
	t.Helper()
	o, r := placeOrder(t, e, tok, map[string]any{"items": []any{item(plan, months)}, "immediateDelivery": true}, "")
	if r.Status != 201 {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	payNow(t, e, tok, o.ID, "4242424242424242")
	e.Clock.Advance(after)
	r = e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/orders/%d/delivered", o.ID), e.Creds.Staff.Token,
		apptest.MustJSON(map[string]string{"serverRef": fmt.Sprintf("srv-%d", o.ID), "mainIp": "198.18.0.10"}))
	if r.Status != 200 {
		t.Fatalf("delivered: %d %s", r.Status, r.Body)
	}
	return getOrder(t, e, tok, o.ID)
}

// The staff's delivery record refuses a main address that is not one and a time to come.
func TestDeliveredRecordIsChecked(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	tok := e.Creds.Customer.Token
	o, r := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-1", 1)}, "immediateDelivery": true}, "")
	if r.Status != 201 {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	payNow(t, e, tok, o.ID, "4242424242424242")
	path := fmt.Sprintf("/api/v1/staff/orders/%d/delivered", o.ID)
	for field, body := range map[string]any{
		"mainIp": map[string]string{"serverRef": "srv-1", "mainIp": "not-an-ip"},
		"at":     map[string]any{"serverRef": "srv-1", "mainIp": "198.18.0.10", "at": e.Clock.Now().Add(time.Minute + time.Second)},
	} {
		r := e.Do(t, "POST", path, e.Creds.Staff.Token, apptest.MustJSON(body))
		if p := r.Problem(t); r.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("%s: %d %s, want 422 on %s", field, r.Status, r.Body, field)
		}
	}
	if got := getOrder(t, e, tok, o.ID); got.Status != "paid" {
		t.Fatalf("refused records changed the order: %+v", got)
	}
	// A minute ahead (another process's clock) is taken.
	r = e.Do(t, "POST", path, e.Creds.Staff.Token, apptest.MustJSON(map[string]any{"serverRef": "srv-1", "mainIp": "2001:db8::10",
		"at": e.Clock.Now().Add(time.Minute)}))
	if r.Status != 200 {
		t.Fatalf("delivered: %d %s", r.Status, r.Body)
	}
}

func TestContractStartsAtDeliveryFrozenAndRenewsOnce(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o := delivered(t, e, tok, "ECO-1", 1, 3*24*time.Hour)
		c := getContract(t, e, tok, o.ContractID)
		deliveredAt := apptest.Start.Add(3 * 24 * time.Hour)
		if !c.StartedAt.Equal(deliveredAt) || !c.EndsAt.Equal(billing.AddMonths(deliveredAt, 1)) || !o.PaidAt.Equal(apptest.Start) {
			t.Fatalf("contract must start at delivery (%v), not payment: %+v", deliveredAt, c)
		}
		if n := noticeCount(t, e, "order_delivered"); n != 1 {
			t.Fatalf("delivery notices: %d", n)
		}
		// Art. 10: plan, duration and price are frozen
		for _, patch := range []map[string]any{{"planCode": "PERF-1"}, {"durationMonths": 12}, {"termExclTaxCents": 1}} {
			p := wantProblem(t, e.Do(t, "PATCH", fmt.Sprintf("/api/v1/contracts/%d", c.ID), tok, apptest.MustJSON(patch)), 409, "offer_frozen")
			if p.Detail == "" {
				t.Fatal("offer_frozen without its reason")
			}
		}
		var changed contractReply
		e.Do(t, "PATCH", fmt.Sprintf("/api/v1/contracts/%d", c.ID), tok, apptest.MustJSON(map[string]any{"renew": map[string]bool{"automatic": true}})).JSON(t, &changed)
		if !changed.Renew.Automatic {
			t.Fatal("renewal mode did not stay automatic")
		}
		// the renewal invoice comes renewal_notice_days (10) before the term ends, not a second before
		issueAt := c.EndsAt.Add(-10 * policy.Day)
		e.Clock.Set(issueAt.Add(-time.Second))
		e.Tick(t)
		if c2 := getContract(t, e, tok, c.ID); len(c2.Renewals) != 0 {
			t.Fatalf("renewal issued early: %+v", c2.Renewals)
		}
		e.Clock.Set(issueAt.Add(time.Minute)) // the cycle's next slot
		e.Tick(t)
		c2 := getContract(t, e, tok, c.ID)
		if len(c2.Renewals) != 1 || c2.Renewals[0].TermNo != 2 || c2.Renewals[0].Status != "pending" || noticeCount(t, e, "invoice_issued") != 1 {
			t.Fatalf("renewal: %+v", c2.Renewals)
		}
		e.Clock.Advance(time.Hour)
		e.Tick(t)
		if c3 := getContract(t, e, tok, c.ID); len(c3.Renewals) != 1 {
			t.Fatal("renewal issued twice")
		}
		inv := c2.Renewals[0].InvoiceID
		// pay the renewal with a card whose success event comes twice: the term grows once
		r := e.Do(t, "POST", fmt.Sprintf("/api/v1/invoices/%d/pay", inv), tok, apptest.MustJSON(map[string]string{"method": "sandbox", "card": "4000000000000259"}))
		if r.Status != 202 {
			t.Fatalf("pay renewal: %d %s", r.Status, r.Body)
		}
		e.Tick(t)
		e.Tick(t)
		c4 := getContract(t, e, tok, c.ID)
		if c4.TermNo != 2 || !c4.EndsAt.Equal(billing.AddMonths(c.EndsAt, 1)) || c4.Renewals[0].Status != "paid" {
			t.Fatalf("after the paid renewal: %+v", c4)
		}
		var n int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM contract_extensions`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("extensions: %d %v", n, err)
		}
		// the unique constraint, not the code, forbids a second extension of the same term
		_, err := e.App.DB.SQL().Exec(fmt.Sprintf(`INSERT INTO contract_extensions (contract_id, term_no, renewal_id, extended_at)
			SELECT contract_id, term_no, renewal_id, extended_at FROM contract_extensions WHERE contract_id = %d`, c.ID))
		if err == nil {
			t.Fatal("a second extension of the same term was accepted by the schema")
		}
		// termination at the end of the term: no more renewal
		r = e.Do(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/termination", c.ID), tok, apptest.MustJSON(map[string]string{"at": "endOfTerm"}))
		if r.Status != 200 {
			t.Fatalf("termination: %d %s", r.Status, r.Body)
		}
		e.Clock.Set(c4.EndsAt.Add(-5 * policy.Day))
		e.Tick(t)
		if c5 := getContract(t, e, tok, c.ID); len(c5.Renewals) != 1 || c5.Status != "active" {
			t.Fatalf("a terminating contract renewed: %+v", c5)
		}
		e.Clock.Set(c4.EndsAt.Add(time.Minute))
		e.Tick(t)
		if c6 := getContract(t, e, tok, c.ID); c6.Status != "terminated" {
			t.Fatalf("not terminated at the end of its term: %+v", c6)
		}
	})
}

func TestDunningRemindsOnceSuspendsLiftsTerminates(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		a := delivered(t, e, tok, "ECO-1", 1, time.Hour)
		b := delivered(t, e, tok, "PERF-1", 1, time.Hour)
		ca, cb := getContract(t, e, tok, a.ContractID), getContract(t, e, tok, b.ContractID)
		e.Clock.Set(cb.EndsAt.Add(-10 * policy.Day)) // b ends an hour after a
		e.Tick(t)
		due := cb.EndsAt
		// day 1 after the due date: first reminder (both contracts), once
		e.Clock.Set(due.Add(policy.Day + time.Minute))
		e.Tick(t)
		e.Clock.Advance(time.Hour)
		e.Tick(t)
		if n := noticeCount(t, e, "dunning_reminder"); n != 2 {
			t.Fatalf("reminders after day 1: %d, want 2 (one per invoice)", n)
		}
		e.Clock.Set(due.Add(5*policy.Day + time.Minute))
		e.Tick(t)
		e.Tick(t)
		if n := noticeCount(t, e, "dunning_reminder"); n != 4 {
			t.Fatalf("reminders after day 5: %d, want 4", n)
		}
		// day 15: suspended for nonPayment (recorded; the fleet's job waits in the queue)
		e.Clock.Set(due.Add(15*policy.Day + time.Minute))
		e.Tick(t)
		sa := getContract(t, e, tok, ca.ID)
		if sa.Status != "suspended" || len(sa.Suspensions) != 1 || sa.Suspensions[0].Reason != "nonPayment" || sa.Suspensions[0].LiftedAt != nil {
			t.Fatalf("at day 15: %+v", sa)
		}
		var n int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = 'contract.suspend'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("suspend jobs: %d %v", n, err)
		}
		// paying lifts the suspension at once and extends the term
		payNowInvoice(t, e, tok, sa.Renewals[0].InvoiceID)
		la := getContract(t, e, tok, ca.ID)
		if la.Status != "active" || la.Suspensions[0].LiftedAt == nil || la.TermNo != 2 {
			t.Fatalf("after payment: %+v", la)
		}
		// day 45 without payment: terminated
		e.Clock.Set(due.Add(45*policy.Day + time.Minute))
		e.Tick(t)
		tb := getContract(t, e, tok, cb.ID)
		if tb.Status != "terminated" || tb.TerminationReason != "nonPayment" {
			t.Fatalf("at day 45: %+v", tb)
		}
		if st := getContract(t, e, tok, ca.ID).Status; st != "active" {
			t.Fatalf("the paid contract changed: %s", st)
		}
	})
}

func payNowInvoice(t *testing.T, e *apptest.Env, tok string, id int64) {
	t.Helper()
	r := e.Do(t, "POST", fmt.Sprintf("/api/v1/invoices/%d/pay", id), tok, apptest.MustJSON(map[string]string{"method": "sandbox"}))
	if r.Status != 202 {
		t.Fatalf("pay invoice: %d %s", r.Status, r.Body)
	}
	e.Tick(t)
}

func TestManualRenewalEndsWithoutPayment(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	tok := e.Creds.Customer.Token
	o := delivered(t, e, tok, "ECO-2", 3, time.Hour)
	c := getContract(t, e, tok, o.ContractID)
	e.Do(t, "PATCH", fmt.Sprintf("/api/v1/contracts/%d", c.ID), tok, apptest.MustJSON(map[string]any{"renew": map[string]bool{"automatic": false}}))
	e.Clock.Set(c.EndsAt.Add(-5 * policy.Day))
	e.Tick(t)
	if got := getContract(t, e, tok, c.ID); len(got.Renewals) != 0 || got.Renew.Automatic {
		t.Fatalf("manual contract renewed by itself: %+v", got)
	}
	e.Clock.Set(c.EndsAt.Add(time.Minute))
	e.Tick(t)
	if got := getContract(t, e, tok, c.ID); got.Status != "terminated" || got.TerminationReason != "endOfTerm" {
		t.Fatalf("manual contract past its term: %+v", got)
	}
	// a manual renewal asked in time is paid and extends the term
	o2 := delivered(t, e, tok, "ECO-1", 1, time.Hour)
	c2 := getContract(t, e, tok, o2.ContractID)
	e.Do(t, "PATCH", fmt.Sprintf("/api/v1/contracts/%d", c2.ID), tok, apptest.MustJSON(map[string]any{"renew": map[string]bool{"automatic": false}}))
	var inv struct{ ID int64 }
	r := e.Do(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/renewal", c2.ID), tok, nil)
	r.JSON(t, &inv)
	if r.Status != 201 {
		t.Fatalf("renew now: %d %s", r.Status, r.Body)
	}
	wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/renewal", c2.ID), tok, nil), 409, "renewal_exists")
	payNowInvoice(t, e, tok, inv.ID)
	if got := getContract(t, e, tok, c2.ID); got.TermNo != 2 || !got.EndsAt.Equal(billing.AddMonths(c2.EndsAt, 1)) {
		t.Fatalf("manual renewal: %+v", got)
	}
}

func TestConsumerWithdrawal(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := newCustomer(t, e, "eloise@example.fr", account.Customer{Type: account.Person, Country: "FR", Address: "1 rue de la Paix",
			PostalCode: "75002", City: "Paris"}, "fr")
		// without the explicit request, no delivery within the withdrawal period
		o, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-1", 12)}}, "")
		payNow(t, e, tok, o.ID, "4242424242424242")
		o = getOrder(t, e, tok, o.ID)
		if !o.DeliverableFrom.Equal(o.PaidAt.Add(14*policy.Day)) || !o.DeliveryDeadline.Equal(o.PaidAt.Add(21*policy.Day)) {
			t.Fatalf("consumer without request: %+v", o)
		}
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/orders/%d/delivered", o.ID), e.Creds.Staff.Token, apptest.MustJSON(map[string]string{})), 409, "withdrawal_period")
		// withdrawal before delivery: everything back
		r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/withdraw", o.ID), tok, nil)
		if r.Status != 200 {
			t.Fatalf("withdraw: %d %s", r.Status, r.Body)
		}
		assertRefunded(t, e, tok, getOrder(t, e, tok, o.ID))

		// with the request (wording and time recorded), delivered at once; withdrawn 3 days later: pro rata
		o2, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-1", 1)}, "immediateDelivery": true}, "")
		if o2.ImmediateDelivery == nil || o2.ImmediateDelivery.Text == "" {
			t.Fatalf("immediate-delivery request not recorded: %+v", o2)
		}
		payNow(t, e, tok, o2.ID, "4242424242424242")
		if r := e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/orders/%d/delivered", o2.ID), e.Creds.Staff.Token, apptest.MustJSON(map[string]string{})); r.Status != 200 {
			t.Fatalf("deliver: %d %s", r.Status, r.Body)
		}
		o2 = getOrder(t, e, tok, o2.ID)
		c := getContract(t, e, tok, o2.ContractID)
		e.Clock.Advance(3 * policy.Day)
		if r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/withdraw", o2.ID), tok, nil); r.Status != 200 {
			t.Fatalf("withdraw after delivery: %d %s", r.Status, r.Body)
		}
		var cns struct {
			Items []struct {
				TotalExclTaxCents int64 `json:"totalExclTaxCents"`
				TotalInclTaxCents int64 `json:"totalInclTaxCents"`
			} `json:"items"`
		}
		e.Do(t, "GET", "/api/v1/credit-notes", tok, nil).JSON(t, &cns)
		whole := int64(c.EndsAt.Sub(c.StartedAt) / time.Second)
		used := int64(3 * policy.Day / time.Second)
		wantExcl := (o2.TotalExclTaxCents*(whole-used) + whole/2) / whole
		if len(cns.Items) != 2 || cns.Items[0].TotalExclTaxCents != wantExcl || cns.Items[0].TotalInclTaxCents >= o2.TotalInclTaxCents {
			t.Fatalf("pro-rata credit note: %+v, want %d excl. VAT", cns.Items, wantExcl)
		}
		if got := getContract(t, e, tok, c.ID); got.Status != "terminated" || got.TerminationReason != "withdrawal" {
			t.Fatalf("contract after withdrawal: %+v", got)
		}
		// after 14 days it is too late; a company has no withdrawal right
		o3 := delivered(t, e, tok, "ECO-1", 1, time.Hour)
		e.Clock.Advance(14 * policy.Day)
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/withdraw", o3.ID), tok, nil), 409, "withdrawal_period_over")
		o4 := delivered(t, e, e.Creds.Customer.Token, "ECO-1", 1, time.Hour)
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/withdraw", o4.ID), e.Creds.Customer.Token, nil), 409, "not_a_consumer")
	})
}

func TestVATOnOrderForms(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	be := newCustomer(t, e, "be@example.be", account.Customer{Type: account.Company, CompanyName: "Serveurs SPRL", Country: "BE", VATNumber: "BE0123456749"}, "en")
	de := newCustomer(t, e, "de@example.de", account.Customer{Type: account.Person, Country: "DE"}, "en")
	us := newCustomer(t, e, "us@example.com", account.Customer{Type: account.Company, CompanyName: "Hosting Inc", Country: "US"}, "en")
	fi := newCustomer(t, e, "fi@example.fi", account.Customer{Type: account.Person, Country: "FI"}, "en")
	for _, tc := range []struct {
		tok    string
		scheme string
		rate   int
	}{{e.Creds.Customer.Token, "france", 2000}, {be, "reverseCharge", 0}, {de, "euConsumer", 1900}, {us, "outsideEU", 0}, {fi, "euConsumer", 2550}} {
		o, r := placeOrder(t, e, tc.tok, map[string]any{"items": []any{item("ECO-1", 1)}, "dryRun": true}, "")
		if r.Status != 200 || o.VATScheme != tc.scheme || o.VAT[0].Rate != tc.rate || o.TaxCents != (o.TotalExclTaxCents*int64(tc.rate)+5000)/10000 {
			t.Errorf("%s: %d %s", tc.scheme, r.Status, r.Body)
		}
	}
}
