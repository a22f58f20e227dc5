package fleet_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

func code(err error) string {
	if e := errs.As(err); e != nil {
		return e.Code
	}
	return ""
}

// A console is a short-lived BMC credential: shown once, live until fleet.console_ttl has
// passed (15 min minus a second still works), revoked on the BMC at 15 min exactly by a job
// that survives a restart; closing it early, a suspension or a termination revoke it too.
func TestConsoleExpiry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{})
		srv, _ := e.deliver("order-console", "ECO-1", edKey)
		e.tick()
		if srv = e.server(srv.ID); srv.State != fleet.ServerActive {
			t.Fatalf("server %s", srv.State)
		}
		serial := e.machine(srv.MachineID).Serial
		bmcUsers := func() []string {
			m, err := e.lab.Machine(serial)
			must(t, err)
			return m.Consoles
		}
		actor := account.Actor{Kind: "customer", ID: e.customer.ID, Label: "c"}
		opened := e.clk.Now()
		acc, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
		must(t, err)
		if acc.Kind != fleet.ConsoleGraphical || acc.URL == "" || acc.Username == "" || string(acc.Password) == "" ||
			!acc.ExpiresAt.Equal(opened.Add(15*time.Minute)) {
			t.Fatalf("console %+v", acc)
		}
		if got := bmcUsers(); !slices.Equal(got, []string{acc.Username}) {
			t.Fatalf("BMC console credentials %v, want %s", got, acc.Username)
		}
		if _, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID); code(err) != "console_open" {
			t.Fatalf("second console: %v", err)
		}
		if _, err := e.svc.CurrentConsole(ctx, e.customer.ID+1000, srv.ID); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("another customer sees the console: %v", err)
		}

		e.restart() // the revocation is a stored job: a restart keeps it
		e.clk.Advance(15*time.Minute - time.Second)
		e.tick()
		_, err = e.svc.Reconcile(ctx)
		must(t, err)
		e.tick()
		cur, err := e.svc.CurrentConsole(ctx, e.customer.ID, srv.ID)
		if err != nil || cur.ID != acc.ID || len(bmcUsers()) != 1 {
			t.Fatalf("at 15 min minus 1 s the console has ended: %+v %v (BMC %v)", cur, err, bmcUsers())
		}
		e.clk.Advance(time.Second)
		if _, err := e.svc.CurrentConsole(ctx, e.customer.ID, srv.ID); code(err) != "no_console" {
			t.Fatalf("at 15 min the console is still live: %v", err)
		}
		if st, err := e.svc.Reconcile(ctx); err != nil || st.Consoles != 1 { // the safety net sees it too
			t.Fatalf("reconcile at 15 min: %+v %v", st, err)
		}
		e.tick()
		if got := bmcUsers(); len(got) != 0 {
			t.Fatalf("at 15 min the BMC credential is still there: %v", got)
		}
		c, err := db.Fleet().GetConsole(ctx, acc.ID)
		must(t, err)
		if !c.RevokedAt.Equal(opened.Add(15*time.Minute)) || c.CloseReason != "expired" || !c.ClosedAt.Equal(c.ExpiresAt) || c.RevokeError != "" {
			t.Fatalf("stored session %+v", c)
		}

		// Closed early by the customer: revoked at once; closing again is no_console.
		acc2, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
		must(t, err)
		if acc2.Username == acc.Username || acc2.Password == acc.Password {
			t.Fatal("a new console reuses the old credential")
		}
		must(t, e.svc.CloseConsole(ctx, actor, e.customer.ID, srv.ID))
		e.tick()
		if got := bmcUsers(); len(got) != 0 {
			t.Fatalf("closed console still on the BMC: %v", got)
		}
		if err := e.svc.CloseConsole(ctx, actor, e.customer.ID, srv.ID); code(err) != "no_console" {
			t.Fatalf("second close: %v", err)
		}

		// A suspension ends the console; a suspended server opens none.
		_, err = e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
		must(t, err)
		must(t, e.svc.Suspend(ctx, account.System, srv.ID, "unpaid"))
		e.tick()
		if got := bmcUsers(); len(got) != 0 {
			t.Fatalf("suspended server keeps its console credential: %v", got)
		}
		if _, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID); code(err) != "server_suspended" {
			t.Fatalf("console on a suspended server: %v", err)
		}
	})
}

// A BMC that keeps timing out when the credential must go: the job retries, then records the
// error and alerts the NOC (a credential is left on the BMC).
func TestConsoleRevokeFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{})
	srv, _ := e.deliver("order-console-2", "ECO-1", edKey)
	e.tick()
	srv = e.server(srv.ID)
	acc, err := e.svc.Console(ctx, account.System, 0, srv.ID)
	must(t, err)
	serial := e.machine(srv.MachineID).Serial
	must(t, e.lab.InjectBMCTimeouts(serial, 100))
	e.clk.Advance(15 * time.Minute)
	for range 8 { // every attempt, with the runner's backoff
		e.tick()
		e.clk.Advance(time.Hour)
	}
	c, err := e.db.Fleet().GetConsole(ctx, acc.ID)
	must(t, err)
	if c.RevokedAt.IsZero() || c.RevokeError == "" {
		t.Fatalf("after the BMC timed out every time: %+v", c)
	}
	if has(e.notices(e.staff.ID), "staff_alert") == 0 {
		t.Fatalf("no staff alert: %v", e.notices(e.staff.ID))
	}
	if _, err := e.svc.CurrentConsole(ctx, 0, srv.ID); code(err) != "no_console" {
		t.Fatalf("the session is still live: %v", err)
	}
}

// A suspension that commits while the BMC opens a console (the state was checked before the
// BMC call) wins: the session claimed before the BMC call ends with no credential recorded,
// and the BMC credential is taken back at once.
func TestConsoleRacesSuspension(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{})
		srv, _ := e.deliver("order-console-race", "ECO-1", edKey)
		e.tick()
		srv = e.server(srv.ID)
		serial := e.machine(srv.MachineID).Serial
		e.drivers.afterOpenConsole = func() { must(t, e.svc.Suspend(ctx, account.System, srv.ID, "unpaid")) }
		actor := account.Actor{Kind: "customer", ID: e.customer.ID, Label: "c"}
		if _, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID); code(err) != "server_suspended" {
			t.Fatalf("console opened while the server was suspended: %v", err)
		}
		if cs, err := db.Fleet().ConsolesOf(ctx, srv.ID, 5); err != nil || !claimsEnded(cs) {
			t.Fatalf("sessions on the suspended server: %+v %v", cs, err)
		}
		m, err := e.lab.Machine(serial)
		must(t, err)
		if len(m.Consoles) != 0 {
			t.Fatalf("BMC console credentials left on the suspended server: %v", m.Consoles)
		}
	})
}

// While a BMC keeps timing out, the reconcile passes that find the session due add no revoke
// job of their own: one stays pending per session, retried with its attempts, whether the
// session expired or was closed early.
func TestConsoleRevokeOnePendingJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{})
		srv, _ := e.deliver("order-console-pending", "ECO-1", edKey)
		e.tick()
		srv = e.server(srv.ID)
		serial := e.machine(srv.MachineID).Serial
		pending := func(id fleet.ConsoleID) int {
			t.Helper()
			n := 0
			for _, st := range []jobs.State{jobs.Available, jobs.Running} {
				js, err := db.Jobs().ListJobs(ctx, st, 1000)
				must(t, err)
				for _, j := range js {
					a, err := jobs.Decode[struct {
						Console fleet.ConsoleID `json:"console"`
					}](j)
					must(t, err)
					if j.Kind == fleet.JobConsoleRevoke && a.Console == id {
						n++
					}
				}
			}
			return n
		}
		for _, early := range []bool{false, true} {
			must(t, e.lab.InjectBMCTimeouts(serial, 0))
			acc, err := e.svc.Console(ctx, account.System, 0, srv.ID)
			must(t, err)
			must(t, e.lab.InjectBMCTimeouts(serial, 1000))
			if early {
				must(t, e.svc.CloseConsole(ctx, account.System, 0, srv.ID))
			} else {
				e.clk.Advance(15 * time.Minute)
			}
			for i := range 4 { // passes in different reconcile slots, the job retried in between
				st, err := e.svc.Reconcile(ctx)
				if err != nil || st.Consoles != 1 {
					t.Fatalf("reconcile %d (closed early %v): %+v %v", i, early, st, err)
				}
				e.tick()
				want := 1
				if early && e.clk.Now().Before(acc.ExpiresAt) {
					want = 2 // the close job, and the expiry job to come (which leaves it to the close job)
				}
				if n := pending(acc.ID); n != want {
					t.Fatalf("after reconcile pass %d (closed early %v): %d pending revoke jobs, want %d", i, early, n, want)
				}
				e.clk.Advance(6 * time.Minute)
			}
			for range 8 { // the job's remaining attempts, with the runner's backoff
				e.clk.Advance(time.Hour)
				e.tick()
			}
			if c, err := db.Fleet().GetConsole(ctx, acc.ID); err != nil || c.RevokedAt.IsZero() || pending(acc.ID) != 0 {
				t.Fatalf("closed early %v: %+v %v, %d pending", early, c, err, pending(acc.ID))
			}
		}
	})
}

// claimsEnded reports whether every session is a claim that ended without a credential: closed,
// revoked, no username or ref recorded.
func claimsEnded(cs []fleet.ConsoleSession) bool {
	for _, c := range cs {
		if c.ClosedAt.IsZero() || c.RevokedAt.IsZero() || c.Username != "" || c.Ref != "" {
			return false
		}
	}
	return true
}

// One request at a time reaches a server's BMC for a console: a request made while another is
// inside the BMC call gets 409 console_open without calling the BMC (two requests filling the
// same fixed account slot of an iDRAC-style BMC would clear each other's account), and once the
// first is recorded, concurrent requests still open one console, on one BMC call.
func TestConsoleOneRequestAtATimeOnTheBMC(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{})
		srv, _ := e.deliver("order-console-serial", "ECO-1", edKey)
		e.tick()
		srv = e.server(srv.ID)
		serial := e.machine(srv.MachineID).Serial
		actor := account.Actor{Kind: "customer", ID: e.customer.ID, Label: "c"}
		var opens atomic.Int32
		var during error
		e.drivers.afterOpenConsole = func() {
			if opens.Add(1) == 1 {
				_, during = e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
			}
		}
		acc, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
		must(t, err)
		if code(during) != "console_open" || opens.Load() != 1 {
			t.Fatalf("a request during the BMC call: %v, %d BMC opens", during, opens.Load())
		}
		m, err := e.lab.Machine(serial)
		must(t, err)
		if !slices.Equal(m.Consoles, []string{acc.Username}) {
			t.Fatalf("BMC console credentials %v, want %s", m.Consoles, acc.Username)
		}
		if cur, err := e.svc.CurrentConsole(ctx, e.customer.ID, srv.ID); err != nil || cur.Ref != acc.Ref || cur.URL != acc.URL {
			t.Fatalf("current console %+v %v, want %+v", cur, err, acc)
		}
		must(t, e.svc.CloseConsole(ctx, actor, e.customer.ID, srv.ID))
		e.tick()

		opens.Store(0)
		const n = 4
		errc := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
				errc <- err
			})
		}
		wg.Wait()
		close(errc)
		ok := 0
		for err := range errc {
			switch {
			case err == nil:
				ok++
			case code(err) != "console_open":
				t.Errorf("concurrent console: %v", err)
			}
		}
		if m, err = e.lab.Machine(serial); err != nil || ok != 1 || opens.Load() != 1 || len(m.Consoles) != 1 {
			t.Fatalf("%d consoles opened, %d BMC opens, BMC credentials %v (%v)", ok, opens.Load(), m.Consoles, err)
		}
	})
}
