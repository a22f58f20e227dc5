package app_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/policy"
)

// restarts gives a function that stops the running process and starts a new one over the same
// data with the clock at a given time: every billing rule must hold from stored times alone.
func restarts(t *testing.T, pg bool) func(prev *apptest.Env, at time.Time) *apptest.Env {
	opts := apptest.Options{Data: t.TempDir(), Postgres: pg}
	if pg {
		url := apptest.Config(t, apptest.Options{Postgres: true}).Database.URL
		opts.Postgres = false
		opts.Config = func(c *app.Config) { c.Database.URL = url }
	}
	return func(prev *apptest.Env, at time.Time) *apptest.Env {
		if prev != nil {
			prev.Close()
		}
		e := apptest.New(t, opts)
		if !at.IsZero() {
			e.Clock.Set(at)
		}
		return e
	}
}

// cycle runs the deadline watch and the billing cycle now (the staff action), whatever the
// periodic job's next slot is.
func cycle(t *testing.T, e *apptest.Env) {
	t.Helper()
	if r := e.Do(t, "POST", "/api/v1/staff/billing/cycle", e.Creds.Staff.Token, nil); r.Status != 200 {
		t.Fatalf("cycle: %d %s", r.Status, r.Body)
	}
}

// Every time rule of billing at its edge, each side of it in a new process: the consumer's
// withdrawal period (14 days from payment), the renewal invoice (renewal_notice_days before the
// term ends), the first dunning reminder (1 day after the due date, sent once), the suspension
// for non-payment (15 days) and the termination (45 days).
func TestBillingTimeRulesAtTheirEdgesAcrossRestarts(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		restart := restarts(t, pg)
		e := restart(nil, time.Time{})
		tok := e.Creds.Customer.Token
		person := newCustomer(t, e, "zoe@example.fr", account.Customer{Type: account.Person, Country: "FR", Address: "2 rue Haute",
			PostalCode: "69001", City: "Lyon"}, "fr")
		var consumer [2]int64
		for i := range consumer {
			o, r := placeOrder(t, e, person, map[string]any{"items": []any{item("ECO-1", 1)}, "immediateDelivery": true}, "")
			if r.Status != 201 {
				t.Fatalf("consumer order: %d %s", r.Status, r.Body)
			}
			payNow(t, e, person, o.ID, "4242424242424242")
			consumer[i] = o.ID
		}
		paidAt := getOrder(t, e, person, consumer[0]).PaidAt
		c := getContract(t, e, tok, delivered(t, e, tok, "ECO-1", 1, time.Hour).ContractID)
		due := c.EndsAt

		// withdrawal: [paidAt, paidAt + 14 days)
		e = restart(e, paidAt.Add(14*policy.Day-time.Second))
		if r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/withdraw", consumer[0]), person, nil); r.Status != 200 {
			t.Fatalf("withdrawal a second before 14 days: %d %s", r.Status, r.Body)
		}
		e = restart(e, paidAt.Add(14*policy.Day))
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/withdraw", consumer[1]), person, nil), http.StatusConflict, "withdrawal_period_over")

		// the renewal invoice: renewal_notice_days (10) before the term ends
		issueAt := due.Add(-10 * policy.Day)
		e = restart(e, issueAt.Add(-time.Second))
		cycle(t, e)
		if got := getContract(t, e, tok, c.ID); len(got.Renewals) != 0 {
			t.Fatalf("renewal a second early: %+v", got.Renewals)
		}
		e = restart(e, issueAt)
		cycle(t, e)
		if got := getContract(t, e, tok, c.ID); len(got.Renewals) != 1 || got.Renewals[0].Status != "pending" {
			t.Fatalf("no renewal at the notice: %+v", got.Renewals)
		}

		// dunning: the first reminder a day after the due date, once
		e = restart(e, due.Add(policy.Day-time.Second))
		cycle(t, e)
		if n := noticeCount(t, e, "dunning_reminder"); n != 0 {
			t.Fatalf("reminder a second early: %d", n)
		}
		e = restart(e, due.Add(policy.Day))
		cycle(t, e)
		cycle(t, e)
		e = restart(e, due.Add(policy.Day+time.Hour))
		cycle(t, e)
		if n := noticeCount(t, e, "dunning_reminder"); n != 1 {
			t.Fatalf("first reminder: %d notices, want 1", n)
		}

		// suspension with reason nonPayment at 15 days
		e = restart(e, due.Add(15*policy.Day-time.Second))
		cycle(t, e)
		if got := getContract(t, e, tok, c.ID); got.Status != "active" || len(got.Suspensions) != 0 {
			t.Fatalf("suspended a second early: %+v", got)
		}
		e = restart(e, due.Add(15*policy.Day))
		cycle(t, e)
		if got := getContract(t, e, tok, c.ID); got.Status != "suspended" || len(got.Suspensions) != 1 || got.Suspensions[0].Reason != "nonPayment" {
			t.Fatalf("not suspended at 15 days: %+v", got)
		}

		// termination at 45 days
		e = restart(e, due.Add(45*policy.Day-time.Second))
		cycle(t, e)
		if got := getContract(t, e, tok, c.ID); got.Status != "suspended" {
			t.Fatalf("terminated a second early: %+v", got)
		}
		e = restart(e, due.Add(45*policy.Day))
		cycle(t, e)
		if got := getContract(t, e, tok, c.ID); got.Status != "terminated" || got.TerminationReason != "nonPayment" {
			t.Fatalf("not terminated at 45 days: %+v", got)
		}
		// days 5 and 10 fell due together at the cycle of day 15 minus a second: only the latest
		// was sent, and each step is recorded once
		if n := noticeCount(t, e, "dunning_reminder"); n != 2 {
			t.Fatalf("reminders over the whole dunning: %d, want 2", n)
		}
		var steps int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM dunning_steps`).Scan(&steps); err != nil || steps != 5 {
			t.Fatalf("dunning steps: %d %v, want 5 (3 reminders, suspend, terminate)", steps, err)
		}
	})
}

// An invoice's PDF is rendered from the stored invoice: the same bytes every time, in a new
// process, and after the customer's details and the seller's configuration changed (both were
// copied onto the invoice when it was issued).
func TestInvoicePDFIsTheStoredInvoice(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		opts := apptest.Options{Data: t.TempDir(), Postgres: pg}
		if pg {
			url := apptest.Config(t, apptest.Options{Postgres: true}).Database.URL
			opts.Postgres = false
			opts.Config = func(c *app.Config) { c.Database.URL = url }
		}
		e := apptest.New(t, opts)
		tok := e.Creds.Customer.Token
		id := deadlineScenario(t, e)
		inv := getOrder(t, e, tok, id).InvoiceID
		path := fmt.Sprintf("/api/v1/invoices/%d/pdf", inv)
		a, b := e.Do(t, "GET", path, tok, nil), e.Do(t, "GET", path, tok, nil)
		if a.Status != 200 || string(a.Body[:5]) != "%PDF-" || string(a.Body) != string(b.Body) {
			t.Fatalf("pdf: %d, identical %v", a.Status, string(a.Body) == string(b.Body))
		}
		if _, err := e.App.DB.SQL().Exec(`UPDATE customers SET company_name = 'Renamed SAS'`); err != nil {
			t.Fatal(err)
		}
		e.Close()
		prev := opts.Config
		opts.Config = func(c *app.Config) {
			if prev != nil {
				prev(c)
			}
			c.Commerce.Billing.Seller.Name = "NEWCO"
			c.Commerce.Billing.Seller.Address = "1 avenue Neuve"
		}
		e2 := apptest.New(t, opts)
		e2.Clock.Set(apptest.Start.Add(400 * policy.Day))
		if c := e2.Do(t, "GET", path, tok, nil); c.Status != 200 || string(c.Body) != string(a.Body) {
			t.Fatalf("the PDF changed after a restart with other details: %d", c.Status)
		}
	})
}
