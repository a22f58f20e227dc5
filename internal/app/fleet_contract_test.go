package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/policy"
)

// serverTerm is the contract part of GET /servers/{id}.
type serverTerm struct {
	State    string `json:"state"`
	Contract struct {
		StartedAt   *time.Time `json:"startedAt"`
		EndsAt      *time.Time `json:"endsAt"`
		TerminateAt *time.Time `json:"terminateAt"`
		Renew       struct {
			Automatic bool `json:"automatic"`
		} `json:"renew"`
	} `json:"contract"`
}

func getServerTerm(t *testing.T, e *apptest.Env, tok string, id fleet.ServerID) serverTerm {
	t.Helper()
	var s serverTerm
	fleetDo(t, e, "GET", fmt.Sprintf("/api/v1/servers/%d", id), tok, nil, 200, &s)
	return s
}

// contractTermination is what a contract says of its termination.
type contractTermination struct {
	Status      string     `json:"status"`
	EndsAt      time.Time  `json:"endsAt"`
	TerminateAt *time.Time `json:"terminateAt"`
}

func getContractTermination(t *testing.T, e *apptest.Env, tok string, id int64) contractTermination {
	t.Helper()
	var c contractTermination
	r := e.Do(t, "GET", fmt.Sprintf("/api/v1/contracts/%d", id), tok, nil)
	if r.Status != 200 {
		t.Fatalf("contract: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &c)
	return c
}

// fleetDelivered has the fleet deliver a paid order (order.deliver, install, delivered job) and
// returns the order with its contract and the server.
func fleetDelivered(t *testing.T, e *apptest.Env, tok, plan string, months int) (orderReply, fleet.Server) {
	t.Helper()
	o, r := placeOrder(t, e, tok, map[string]any{"items": []any{item(plan, months)}}, "")
	if r.Status >= 300 {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	payNow(t, e, tok, o.ID, "4242424242424242")
	e.Tick(t) // order.deliver: a machine is reserved and installed
	e.Clock.Advance(3 * time.Minute)
	e.Tick(t) // the reconcile pass sees the install answer; the delivered job starts the contract
	e.Tick(t)
	got := getOrder(t, e, tok, o.ID)
	srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), fmt.Sprintf("order-%d", o.ID))
	if err != nil || got.Status != "delivered" || got.ContractID == 0 || srv.State != fleet.ServerActive {
		t.Fatalf("delivery: order %+v, server %+v %v", got, srv, err)
	}
	return got, srv
}

func serverState(t *testing.T, e *apptest.Env, id fleet.ServerID) fleet.ServerState {
	t.Helper()
	srv, err := e.App.DB.Fleet().GetServer(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return srv.State
}

// reconcile runs one pass of the fleet's reconcile loop at the clock's time.
func reconcile(t *testing.T, e *apptest.Env) {
	t.Helper()
	if _, err := e.App.Fleet.Service.Reconcile(context.Background()); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
}

// terminateJobsClean checks that every contract.terminate job completed without an error (the
// one following a termination now through the server finds the server released).
func terminateJobsClean(t *testing.T, e *apptest.Env, want int) {
	t.Helper()
	rows, err := e.App.DB.SQL().Query(`SELECT state, last_error FROM jobs WHERE kind = '` + billing.JobTerminate + `'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var state, lastErr string
		if err := rows.Scan(&state, &lastErr); err != nil {
			t.Fatal(err)
		}
		if state != "completed" || lastErr != "" {
			t.Fatalf("contract.terminate job %s: %q", state, lastErr)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("%d contract.terminate jobs, want %d", n, want)
	}
}

// A termination at the end of the term asked through the server is the contract's: the
// pending renewal invoice is cancelled by a credit note and no other is issued, the server shows
// the date; withdrawn through the server, both forget it and the renewal is issued again; a
// termination asked through the contract shows on the server too. A second before the end of
// the term everything runs; at it the contract ends and the server is released.
func TestServerTerminationAtEndOfTermGoesThroughTheContract(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o, srv := fleetDelivered(t, e, tok, "ECO-1", 1)
		c := getContract(t, e, tok, o.ContractID)
		path := fmt.Sprintf("/api/v1/servers/%d/termination", srv.ID)
		if s := getServerTerm(t, e, tok, srv.ID); s.Contract.EndsAt == nil || !s.Contract.EndsAt.Equal(c.EndsAt) ||
			!s.Contract.StartedAt.Equal(c.StartedAt) || s.Contract.TerminateAt != nil || !s.Contract.Renew.Automatic {
			t.Fatalf("server term %+v, contract ends %v", s.Contract, c.EndsAt)
		}
		wantProblem(t, e.Do(t, "DELETE", path, tok, nil), 409, "no_termination")

		// inside the renewal notice: the renewal invoice is out
		e.Clock.Set(c.EndsAt.Add(-10*policy.Day + time.Minute))
		e.Tick(t)
		if got := getContract(t, e, tok, c.ID); len(got.Renewals) != 1 || got.Renewals[0].Status != "pending" {
			t.Fatalf("renewal: %+v", got.Renewals)
		}
		var s serverTerm
		fleetDo(t, e, "POST", path, tok, map[string]string{"at": "endOfTerm", "reason": "moving out"}, 200, &s)
		if s.State != "active" || s.Contract.TerminateAt == nil || !s.Contract.TerminateAt.Equal(c.EndsAt) || s.Contract.Renew.Automatic {
			t.Fatalf("server after the termination: %+v", s)
		}
		ct := getContractTermination(t, e, tok, c.ID)
		got := getContract(t, e, tok, c.ID)
		if ct.TerminateAt == nil || !ct.TerminateAt.Equal(c.EndsAt) || got.TerminationReason != "customer" ||
			got.Renewals[0].Status != "cancelled" || creditNoteCount(t, e) != 1 {
			t.Fatalf("contract after the termination through the server: %+v %+v", ct, got)
		}
		e.Clock.Advance(time.Hour)
		e.Tick(t)
		if got := getContract(t, e, tok, c.ID); len(got.Renewals) != 1 {
			t.Fatalf("a renewal was issued after the termination: %+v", got.Renewals)
		}

		// withdrawn through the server: both forget it, a new renewal invoice comes at once
		s = serverTerm{}
		fleetDo(t, e, "DELETE", path, tok, nil, 200, &s)
		if s.Contract.TerminateAt != nil || !s.Contract.Renew.Automatic {
			t.Fatalf("server after the withdrawal: %+v", s.Contract)
		}
		got = getContract(t, e, tok, c.ID)
		if ct := getContractTermination(t, e, tok, c.ID); ct.TerminateAt != nil || got.TerminationReason != "" || len(got.Renewals) != 1 ||
			got.Renewals[0].Status != "pending" || got.Renewals[0].TermNo != 2 {
			t.Fatalf("contract after the withdrawal through the server: %+v %+v", ct, got)
		}

		// asked through the contract: the server shows it; withdrawn there, the server forgets it
		terminateAt(t, e, tok, c.ID, "endOfTerm")
		if s := getServerTerm(t, e, tok, srv.ID); s.Contract.TerminateAt == nil || !s.Contract.TerminateAt.Equal(c.EndsAt) {
			t.Fatalf("the contract's termination is not on the server: %+v", s.Contract)
		}
		if _, r := withdrawTermination(t, e, tok, c.ID); r.Status != 200 {
			t.Fatalf("withdraw on the contract: %d %s", r.Status, r.Body)
		}
		if s := getServerTerm(t, e, tok, srv.ID); s.Contract.TerminateAt != nil || !s.Contract.Renew.Automatic {
			t.Fatalf("the withdrawn termination stays on the server: %+v", s.Contract)
		}
		if n := creditNoteCount(t, e); n != 2 {
			t.Fatalf("credit notes: %d, want 2", n)
		}

		// through the server again, then the end of the term
		fleetDo(t, e, "POST", path, tok, map[string]string{"at": "endOfTerm"}, 200, nil)
		e.Clock.Set(c.EndsAt.Add(-time.Second))
		cycle(t, e)
		e.Tick(t)
		reconcile(t, e)
		if st := serverState(t, e, srv.ID); st != fleet.ServerActive || getContract(t, e, tok, c.ID).Status != "active" {
			t.Fatalf("a second before the end of the term: server %s, contract %s", st, getContract(t, e, tok, c.ID).Status)
		}
		e.Clock.Set(c.EndsAt)
		wantProblem(t, e.Do(t, "DELETE", path, tok, nil), 409, "termination_due")
		cycle(t, e)
		e.Tick(t)
		reconcile(t, e)
		if st := serverState(t, e, srv.ID); st != fleet.ServerTerminated || getContract(t, e, tok, c.ID).Status != "terminated" {
			t.Fatalf("at the end of the term: server %s, contract %s", st, getContract(t, e, tok, c.ID).Status)
		}
		terminateJobsClean(t, e, 1)
		wantProblem(t, e.Do(t, "POST", path, tok, apptest.MustJSON(map[string]string{"at": "now"})), 409, "already_terminated")
	})
}

// A termination now through the server terminates the contract (its renewal invoice cancelled)
// and releases the server at once; the contract's own job then finds it released.
func TestServerTerminationNowTerminatesTheContract(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o, srv := fleetDelivered(t, e, tok, "ECO-1", 1)
		c := getContract(t, e, tok, o.ContractID)
		e.Clock.Set(c.EndsAt.Add(-10*policy.Day + time.Minute))
		e.Tick(t)
		var s serverTerm
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/servers/%d/termination", srv.ID), tok, map[string]string{"at": "now"}, 200, &s)
		if s.State != "terminated" {
			t.Fatalf("server after a termination now: %+v", s)
		}
		got := getContract(t, e, tok, c.ID)
		if got.Status != "terminated" || len(got.Renewals) != 1 || got.Renewals[0].Status != "cancelled" || creditNoteCount(t, e) != 1 {
			t.Fatalf("contract after a termination now through the server: %+v", got)
		}
		m, err := e.App.DB.Fleet().GetMachine(t.Context(), srv.MachineID)
		if err != nil || (m.State != fleet.MachineReleasing && m.State != fleet.MachineWiping) || m.ServerID != 0 {
			t.Fatalf("machine %s (server %d) %v", m.State, m.ServerID, err)
		}
		e.Tick(t)
		e.Tick(t)
		terminateJobsClean(t, e, 1)
		if st := serverState(t, e, srv.ID); st != fleet.ServerTerminated {
			t.Fatalf("server %s", st)
		}
	})
}

// After a paid renewal the server's term ends with the contract's new term, and the fleet never
// releases it at the first term's end, not even with a date of its own asked for before the
// contract owned terminations: that date is handed to the contract, for its current term.
func TestRenewedContractMovesTheServersTerm(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o, srv := fleetDelivered(t, e, tok, "ECO-1", 1)
		c := getContract(t, e, tok, o.ContractID)
		first := c.EndsAt
		if !first.Equal(srv.TermEnd()) {
			t.Fatalf("first term: contract %v, server %v", first, srv.TermEnd())
		}
		e.Clock.Set(first.Add(-10*policy.Day + time.Minute))
		e.Tick(t)
		got := getContract(t, e, tok, c.ID)
		if len(got.Renewals) != 1 {
			t.Fatalf("renewal %+v", got.Renewals)
		}
		payNowInvoice(t, e, tok, got.Renewals[0].InvoiceID)
		got = getContract(t, e, tok, c.ID)
		second := billing.AddMonths(first, 1)
		if got.TermNo != 2 || !got.EndsAt.Equal(second) {
			t.Fatalf("after the paid renewal: %+v", got)
		}
		if s := getServerTerm(t, e, tok, srv.ID); s.Contract.EndsAt == nil || !s.Contract.EndsAt.Equal(second) || !s.Contract.Renew.Automatic {
			t.Fatalf("server term after the renewal: %+v, want the end %v", s.Contract, second)
		}

		// a date of the server's own at the first term's end, as the fleet recorded before
		err := e.App.DB.Fleet().InTx(t.Context(), func(tx fleet.Tx) error {
			s, err := tx.LockServer(t.Context(), srv.ID)
			if err != nil {
				return err
			}
			s.TerminateAt = first
			return tx.UpdateServer(t.Context(), s)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Set(first)
		reconcile(t, e)
		cycle(t, e)
		e.Tick(t)
		if st := serverState(t, e, srv.ID); st != fleet.ServerActive {
			t.Fatalf("the fleet terminated the server at the first term's end: %s", st)
		}
		s := getServerTerm(t, e, tok, srv.ID)
		ct := getContractTermination(t, e, tok, c.ID)
		if ct.Status != "active" || ct.TerminateAt == nil || !ct.TerminateAt.Equal(second) ||
			s.Contract.TerminateAt == nil || !s.Contract.TerminateAt.Equal(second) {
			t.Fatalf("the server's own date is not the contract's at its current term: contract %+v, server %+v", ct, s.Contract)
		}
		if row, err := e.App.DB.Fleet().GetServer(t.Context(), srv.ID); err != nil || !row.TerminateAt.IsZero() {
			t.Fatalf("the server keeps its own date: %v %v", row.TerminateAt, err)
		}
		e.Clock.Advance(time.Hour)
		reconcile(t, e)
		if st := serverState(t, e, srv.ID); st != fleet.ServerActive {
			t.Fatalf("server %s after the first term", st)
		}
	})
}

// A server without a contract (the demo delivery) keeps its own term: the end of its first
// term, withdrawn and asked again, carried out by the reconcile loop.
func TestServerWithoutContractTerminatesOnItsOwn(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	tok := e.Creds.Customer.Token
	srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), app.DemoServerOrder)
	if err != nil {
		t.Fatal(err)
	}
	end := srv.TermEnd()
	path := fmt.Sprintf("/api/v1/servers/%d/termination", srv.ID)
	var s serverTerm
	fleetDo(t, e, "POST", path, tok, map[string]string{"at": "endOfTerm"}, 200, &s)
	if end.IsZero() || s.Contract.EndsAt == nil || !s.Contract.EndsAt.Equal(end) || s.Contract.TerminateAt == nil ||
		!s.Contract.TerminateAt.Equal(end) || s.Contract.Renew.Automatic {
		t.Fatalf("demo server after the termination: %+v, want %v", s.Contract, end)
	}
	s = serverTerm{}
	fleetDo(t, e, "DELETE", path, tok, nil, 200, &s)
	if s.Contract.TerminateAt != nil {
		t.Fatalf("withdrawn: %+v", s.Contract)
	}
	wantProblem(t, e.Do(t, "DELETE", path, tok, nil), 409, "no_termination")
	fleetDo(t, e, "POST", path, tok, map[string]string{"at": "endOfTerm"}, 200, nil)
	e.Clock.Set(end.Add(-time.Second))
	reconcile(t, e)
	if st := serverState(t, e, srv.ID); st != fleet.ServerActive {
		t.Fatalf("a second before the end of the term: %s", st)
	}
	e.Clock.Set(end)
	reconcile(t, e)
	if st := serverState(t, e, srv.ID); st != fleet.ServerTerminated {
		t.Fatalf("at the end of the term: %s", st)
	}
}

// A server suspended (abuse, unpaid) when its own term ends is terminated all the same.
func TestSuspendedServerWithoutContractTerminatesAtItsTerm(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), app.DemoServerOrder)
	if err != nil {
		t.Fatal(err)
	}
	end := srv.TermEnd()
	fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/servers/%d/termination", srv.ID), e.Creds.Customer.Token, map[string]string{"at": "endOfTerm"}, 200, nil)
	if err := e.App.Fleet.Service.Suspend(t.Context(), account.Actor{Kind: "staff", Label: "abuse desk"}, srv.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(end)
	reconcile(t, e)
	if st := serverState(t, e, srv.ID); st != fleet.ServerTerminated {
		t.Fatalf("a suspended server at the end of its term: %s", st)
	}
}

// A termination at the end of the term asked before the server's contract existed is a date of
// the server's own: withdrawn through the server once the contract exists (which has none
// pending), the server forgets it; a second withdrawal is 409 no_termination.
func TestServerOwnTerminationWithdrawnUnderAContract(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o, srv := fleetDelivered(t, e, tok, "ECO-1", 1)
		c := getContract(t, e, tok, o.ContractID)
		err := e.App.DB.Fleet().InTx(t.Context(), func(tx fleet.Tx) error {
			s, err := tx.LockServer(t.Context(), srv.ID)
			if err != nil {
				return err
			}
			s.TerminateAt = c.EndsAt // as recorded before the contract existed
			return tx.UpdateServer(t.Context(), s)
		})
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/api/v1/servers/%d/termination", srv.ID)
		fleetDo(t, e, "DELETE", path, tok, nil, 200, nil)
		if row, err := e.App.DB.Fleet().GetServer(t.Context(), srv.ID); err != nil || !row.TerminateAt.IsZero() {
			t.Fatalf("the server keeps its own date after the withdrawal: %v %v", row.TerminateAt, err)
		}
		if ct := getContractTermination(t, e, tok, c.ID); ct.Status != "active" || ct.TerminateAt != nil {
			t.Fatalf("contract after the withdrawal: %+v", ct)
		}
		wantProblem(t, e.Do(t, "DELETE", path, tok, nil), 409, "no_termination")
		e.Clock.Set(c.EndsAt)
		reconcile(t, e)
		if st := serverState(t, e, srv.ID); st != fleet.ServerActive {
			t.Fatalf("the withdrawn date ended the server: %s", st)
		}
	})
}
