package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/policy"
)

func terminateAt(t *testing.T, e *apptest.Env, tok string, id int64, at string) contractReply {
	t.Helper()
	var c contractReply
	r := e.Do(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/termination", id), tok, apptest.MustJSON(map[string]string{"at": at}))
	if r.Status != 200 {
		t.Fatalf("termination %s: %d %s", at, r.Status, r.Body)
	}
	r.JSON(t, &c)
	return c
}

func withdrawTermination(t *testing.T, e *apptest.Env, tok string, id int64) (contractReply, apptest.Response) {
	t.Helper()
	var c contractReply
	r := e.Do(t, "DELETE", fmt.Sprintf("/api/v1/contracts/%d/termination", id), tok, nil)
	if r.Status == 200 {
		r.JSON(t, &c)
	}
	return c, r
}

func creditNoteCount(t *testing.T, e *apptest.Env) int {
	t.Helper()
	var n int
	if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM invoices WHERE kind = 'creditNote'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTerminationAtEndOfTermIsWithdrawn(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o := delivered(t, e, tok, "ECO-1", 1, time.Hour)
		c := getContract(t, e, tok, o.ContractID)
		wantProblem(t, e.Do(t, "DELETE", fmt.Sprintf("/api/v1/contracts/%d/termination", c.ID), tok, nil), 409, "no_termination")
		other := newCustomer(t, e, "other@example.fr", account.Customer{Type: account.Company, CompanyName: "Other Inc", Country: "US"}, "fr")
		wantProblem(t, e.Do(t, "DELETE", fmt.Sprintf("/api/v1/contracts/%d/termination", c.ID), other, nil), 404, "contract_not_found")

		// asked before the renewal notice, withdrawn: the cycle renews as if nothing happened
		if got := terminateAt(t, e, tok, c.ID, "endOfTerm"); got.TerminationReason == "" {
			t.Fatalf("termination not recorded: %+v", got)
		}
		got, r := withdrawTermination(t, e, tok, c.ID)
		if r.Status != 200 || got.Status != "active" || got.TerminationReason != "" || len(got.Renewals) != 0 {
			t.Fatalf("withdrawn: %d %s", r.Status, r.Body)
		}
		e.Clock.Set(c.EndsAt.Add(-10*policy.Day + time.Minute))
		e.Tick(t)
		c2 := getContract(t, e, tok, c.ID)
		if len(c2.Renewals) != 1 || c2.Renewals[0].Status != "pending" {
			t.Fatalf("no renewal after the withdrawn termination: %+v", c2.Renewals)
		}
		first := c2.Renewals[0].InvoiceID

		// asked inside the notice: the renewal invoice is cancelled by a credit note; withdrawn,
		// a new renewal invoice of the same term comes at once
		if got := terminateAt(t, e, tok, c.ID, "endOfTerm"); got.Renewals[0].Status != "cancelled" || creditNoteCount(t, e) != 1 {
			t.Fatalf("termination inside the notice: %+v", got.Renewals)
		}
		got, r = withdrawTermination(t, e, tok, c.ID)
		if r.Status != 200 || len(got.Renewals) != 1 || got.Renewals[0].Status != "pending" || got.Renewals[0].TermNo != 2 ||
			got.Renewals[0].InvoiceID == first {
			t.Fatalf("renewal after withdrawal: %d %s", r.Status, r.Body)
		}
		if n := noticeCount(t, e, "invoice_issued"); n != 2 {
			t.Fatalf("invoice notices: %d, want 2", n)
		}
		e.Tick(t)
		if c3 := getContract(t, e, tok, c.ID); len(c3.Renewals) != 1 || creditNoteCount(t, e) != 1 {
			t.Fatalf("the cycle issued another renewal: %+v", c3.Renewals)
		}
		// the old invoice stays cancelled, the new one pays and extends once
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/invoices/%d/pay", first), tok, apptest.MustJSON(map[string]string{"method": "sandbox"})), 409, "invoice_cancelled")
		payNowInvoice(t, e, tok, got.Renewals[0].InvoiceID)
		if c4 := getContract(t, e, tok, c.ID); c4.TermNo != 2 || c4.Status != "active" {
			t.Fatalf("after paying the new renewal: %+v", c4)
		}

		// renewed early (long before the notice), then terminated: withdrawn, the cancelled
		// renewal is issued again at once, since the cycle does not renew a term that has a row
		o2 := delivered(t, e, tok, "ECO-2", 3, time.Hour)
		d := getContract(t, e, tok, o2.ContractID)
		if r := e.Do(t, "POST", fmt.Sprintf("/api/v1/contracts/%d/renewal", d.ID), tok, nil); r.Status != 201 {
			t.Fatalf("renew early: %d %s", r.Status, r.Body)
		}
		terminateAt(t, e, tok, d.ID, "endOfTerm")
		got, r = withdrawTermination(t, e, tok, d.ID)
		if r.Status != 200 || len(got.Renewals) != 1 || got.Renewals[0].Status != "pending" {
			t.Fatalf("early renewal after the withdrawal: %d %s", r.Status, r.Body)
		}
	})
}

// The deadline of a withdrawal is the stored end of the term: a second before it a new process
// accepts the withdrawal, at it the termination is due even before the cycle ran.
func TestTerminationWithdrawalAcrossARestart(t *testing.T) {
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
		o := delivered(t, e, tok, "ECO-1", 1, time.Hour)
		c := getContract(t, e, tok, o.ContractID)
		terminateAt(t, e, tok, c.ID, "endOfTerm")
		e.Close()

		e2 := apptest.New(t, opts)
		e2.Clock.Set(c.EndsAt.Add(-time.Second))
		got, r := withdrawTermination(t, e2, tok, c.ID)
		if r.Status != 200 || got.Status != "active" || len(got.Renewals) != 1 || got.Renewals[0].Status != "pending" {
			t.Fatalf("withdrawal a second before the end of the term: %d %s", r.Status, r.Body)
		}
		terminateAt(t, e2, tok, c.ID, "endOfTerm")
		e2.Close()

		e3 := apptest.New(t, opts)
		e3.Clock.Set(c.EndsAt)
		wantProblem(t, e3.Do(t, "DELETE", fmt.Sprintf("/api/v1/contracts/%d/termination", c.ID), tok, nil), 409, "termination_due")
		e3.Tick(t)
		if got := getContract(t, e3, tok, c.ID); got.Status != "terminated" {
			t.Fatalf("at the end of the term: %+v", got)
		}
		wantProblem(t, e3.Do(t, "DELETE", fmt.Sprintf("/api/v1/contracts/%d/termination", c.ID), tok, nil), 409, "contract_terminated")
	})
}
