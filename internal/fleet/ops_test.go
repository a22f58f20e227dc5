package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// delivered is a server delivered at once (zero install time).
func delivered(t *testing.T, e *env, ref string) fleet.Server {
	t.Helper()
	srv, _ := e.deliver(ref, "PERF-1", edKey)
	e.tick()
	srv = e.server(srv.ID)
	if srv.State != fleet.ServerActive {
		t.Fatalf("not delivered: %s", srv.State)
	}
	return srv
}

// A delivered server that stops answering opens one incident after ProbeFailures probes, the
// customer and the staff are told; it answering again resolves it.
func TestProbeOpensIncident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{})
	srv := delivered(t, e, "o-1")
	serial := e.machine(srv.MachineID).Serial
	must(t, e.lab.SetPowerStuck(serial, false))
	drv, err := e.lab.Driver(serial)
	must(t, err)
	must(t, drv.SetPower(ctx, fleet.PowerForceOff)) // the server dies
	for i := 1; i <= 3; i++ {
		n, err := e.svc.ProbeAll(ctx)
		must(t, err)
		if (i < 3 && n != 0) || (i == 3 && n != 1) {
			t.Fatalf("probe %d opened %d incidents", i, n)
		}
	}
	if n, _ := e.svc.ProbeAll(ctx); n != 0 {
		t.Fatal("a fourth failure opened another incident")
	}
	incs, _ := e.db.Fleet().ListIncidents(ctx, fleet.IncidentFilter{ServerID: srv.ID, Open: true})
	if len(incs) != 1 || incs[0].Kind != fleet.IncidentUnreachable || incs[0].Origin != fleet.OriginProbe {
		t.Fatalf("incidents %+v", incs)
	}
	if has(e.notices(e.customer.ID), "incident_opened") != 1 || has(e.notices(e.staff.ID), "staff_alert") != 1 {
		t.Fatalf("notices %v / %v", e.notices(e.customer.ID), e.notices(e.staff.ID))
	}
	st, err := e.svc.PublicStatus(ctx)
	must(t, err)
	if len(st.Incidents) != 1 || st.Incidents[0].Datacenter != "RBX1" {
		t.Fatalf("status %+v", st)
	}
	must(t, drv.SetPower(ctx, fleet.PowerOn))
	_, err = e.svc.ProbeAll(ctx)
	must(t, err)
	if incs, _ := e.db.Fleet().ListIncidents(ctx, fleet.IncidentFilter{ServerID: srv.ID, Open: true}); len(incs) != 0 {
		t.Fatalf("still open: %+v", incs)
	}
}

// Art. 5.1: a repair expected past policy.usual_repair_time (4 h) tells the customer at once;
// an incident still open at exactly 4 h tells them then, not a second before.
func TestLongRepairNotice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{})
	srv := delivered(t, e, "o-1")
	cust := account.Actor{Kind: "customer", ID: e.customer.ID, Label: "c"}
	tech := account.Actor{Kind: "staff", ID: e.staff.ID, Label: "tech"}

	inc, err := e.svc.RequestIntervention(ctx, cust, e.customer.ID, srv.ID, fleet.IncidentHardware, "the RAID is degraded")
	must(t, err)
	_, err = e.svc.RecordIntervention(ctx, tech, fleet.InterventionInput{IncidentID: inc.ID, Kind: fleet.InterventionDiagnosis,
		Notes: "disk to order", ExpectedEnd: e.clk.Now().Add(6 * time.Hour), Failure: true})
	must(t, err)
	if has(e.notices(e.customer.ID), "repair_delayed") != 1 {
		t.Fatalf("not told at once: %v", e.notices(e.customer.ID))
	}
	if m := e.machine(srv.MachineID); m.State != fleet.MachineMaintenance {
		t.Fatalf("failed machine in %s", m.State)
	}
	_, err = e.svc.RecordIntervention(ctx, tech, fleet.InterventionInput{IncidentID: inc.ID, Kind: fleet.InterventionPartReplacement,
		PartKind: "disk", NewSerial: "NEW-1", Repaired: true})
	must(t, err)
	if m := e.machine(srv.MachineID); m.State != fleet.MachineDeployed {
		t.Fatalf("repaired rented machine in %s, want deployed", m.State)
	}

	// The periodic check at the edge.
	inc2, err := e.svc.RequestIntervention(ctx, cust, e.customer.ID, srv.ID, fleet.IncidentNetwork, "packet loss")
	must(t, err)
	e.clk.Advance(4*time.Hour - time.Second)
	st, err := e.svc.Reconcile(ctx)
	must(t, err)
	if st.Notified != 0 {
		t.Fatalf("told a second early: %+v", st)
	}
	e.clk.Advance(time.Second)
	st, err = e.svc.Reconcile(ctx)
	must(t, err)
	if st.Notified != 1 || has(e.notices(e.customer.ID), "repair_delayed") != 2 {
		t.Fatalf("at 4 h: %+v %v", st, e.notices(e.customer.ID))
	}
	// Staff see the request's age against the response target (2 h): overdue now.
	got, _ := e.db.Fleet().GetIncident(ctx, inc2.ID)
	if !got.Overdue(2*time.Hour, e.clk.Now()) || got.Age(e.clk.Now()) != 4*time.Hour {
		t.Fatalf("age %s", got.Age(e.clk.Now()))
	}
	if _, err := e.svc.RequestIntervention(ctx, cust, e.customer.ID, srv.ID, "explosion", "x"); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("bad kind: %v", err)
	}
}

// Art. 5.2: a window starting 48 h minus a second ahead is refused; 48 h ahead is accepted and
// each customer is told at once; it shows on the status page and silences the probes.
func TestMaintenanceNotice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{})
	srv := delivered(t, e, "o-1")
	noc := account.Actor{Kind: "staff", ID: e.staff.ID, Label: "noc"}
	now := e.clk.Now()
	_, err := e.svc.ScheduleMaintenance(ctx, noc, fleet.Maintenance{Title: "PDU swap", StartsAt: now.Add(48*time.Hour - time.Second),
		EndsAt: now.Add(50 * time.Hour), ServerIDs: []fleet.ServerID{srv.ID}})
	if ee := errs.As(err); ee == nil || ee.Code != "notice_too_short" {
		t.Fatalf("47:59:59 ahead: %v", err)
	}
	m, err := e.svc.ScheduleMaintenance(ctx, noc, fleet.Maintenance{Title: "PDU swap", Description: "rack A01", StartsAt: now.Add(48 * time.Hour),
		EndsAt: now.Add(50 * time.Hour), ServerIDs: []fleet.ServerID{srv.ID, srv.ID}})
	must(t, err)
	if has(e.notices(e.customer.ID), "maintenance_planned") != 1 {
		t.Fatalf("notices %v", e.notices(e.customer.ID))
	}
	st, _ := e.svc.PublicStatus(ctx)
	if len(st.Works) != 1 || st.Works[0].ID != m.ID {
		t.Fatalf("status %+v", st)
	}
	// During the window a dead server opens no incident.
	e.clk.Advance(49 * time.Hour)
	drv, _ := e.lab.Driver(e.machine(srv.MachineID).Serial)
	must(t, drv.SetPower(ctx, fleet.PowerForceOff))
	for range 4 {
		if n, err := e.svc.ProbeAll(ctx); err != nil || n != 0 {
			t.Fatalf("probe during the window: %d %v", n, err)
		}
	}
	must(t, e.svc.CancelMaintenance(ctx, noc, m.ID))
}

// BMCs that time out are retried; one answering garbage ends the task in providerError with
// the reason and leaves the server usable; a disk failing during the install ends in
// maintenance at the deploy deadline.
func TestBMCFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{perProfile: 3})
	// timeouts: the deploy job fails twice, then succeeds on its third attempt
	srv, task := e.deliver("o-timeout", "PERF-1", edKey)
	must(t, e.lab.InjectBMCTimeouts(e.machine(srv.MachineID).Serial, 2))
	e.tick()
	if e.server(srv.ID).State != fleet.ServerDelivering {
		t.Fatal("delivered through a BMC timeout")
	}
	for range 2 {
		e.clk.Advance(20 * time.Second) // past the job backoff
		e.tick()
	}
	if s := e.server(srv.ID); s.State != fleet.ServerActive || e.task(task.ID).Status != fleet.TaskDone {
		t.Fatalf("after retries: %s", s.State)
	}
	// a BMC that keeps timing out on a reboot: the task ends in providerError after the attempts
	must(t, e.lab.InjectBMCTimeouts(e.machine(srv.MachineID).Serial, 100))
	rb, err := e.svc.Reboot(ctx, account.System, 0, srv.ID, fleet.RebootSoft)
	must(t, err)
	for range 6 {
		e.clk.Advance(2 * time.Hour)
		e.tick()
	}
	if tk := e.task(rb.ID); tk.Status != fleet.TaskProviderError || tk.Comment == "" {
		t.Fatalf("reboot with a dead BMC: %+v", tk)
	}
	must(t, e.lab.Repair(e.machine(srv.MachineID).Serial))
	if _, err := e.svc.Reboot(ctx, account.System, 0, srv.ID, fleet.RebootSoft); err != nil {
		t.Fatalf("the server is stuck after a BMC failure: %v", err)
	}

	// disk failure during the install
	srv2, _ := e.deliver("o-disk", "ECO-1", edKey)
	first := srv2.MachineID
	must(t, e.lab.InjectDiskFailure(e.machine(first).Serial))
	must(t, e.lab.SetInstallDuration(e.machine(first).Serial, 10*time.Minute))
	e.tick()
	e.clk.Advance(40 * time.Minute)
	_, err = e.svc.Reconcile(ctx)
	must(t, err)
	if m := e.machine(first); m.State != fleet.MachineMaintenance {
		t.Fatalf("failed-disk machine in %s", m.State)
	}
	e.tick()
	if s := e.server(srv2.ID); s.MachineID == first || s.State != fleet.ServerActive {
		t.Fatalf("not delivered on another machine: %+v", s)
	}
}

// The reconcile loop closes the gap between desired and observed power, by jobs.
func TestReconcilePower(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{})
	srv := delivered(t, e, "o-1")
	st, err := e.svc.Reconcile(ctx)
	must(t, err)
	if st.Observe != 4 {
		t.Fatalf("first pass observes every machine: %+v", st)
	}
	e.tick()
	m := e.machine(srv.MachineID)
	if m.ObservedPower != fleet.PowerStateOn || m.DesiredPower != fleet.PowerStateOn {
		t.Fatalf("observed %+v", m)
	}
	drv, _ := e.lab.Driver(m.Serial)
	must(t, drv.SetPower(ctx, fleet.PowerForceOff)) // someone pulled the plug
	e.clk.Advance(5 * time.Minute)
	_, err = e.svc.Reconcile(ctx) // observe again
	must(t, err)
	e.tick()
	st, err = e.svc.Reconcile(ctx)
	must(t, err)
	if st.Power != 1 {
		t.Fatalf("no power order: %+v", st)
	}
	e.tick()
	if p, _ := drv.PowerState(ctx); p != fleet.PowerStateOn {
		t.Fatalf("power %s after the reconcile", p)
	}
}

// Additional IPv4s ordered with the server, and a delivery waiting for stock that keeps its
// addresses and is installed when a machine frees up.
func TestAdditionalIPsAndStock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{perProfile: 1})
	srv, _, err := e.svc.Deliver(ctx, account.System, fleet.DeliveryRequest{OrderRef: "o-ips", CustomerID: e.customer.ID, Plan: "PERF-1",
		Profile: "PERF-1", OSImage: "debian-13", AdditionalIPs: 2})
	must(t, err)
	ips, _ := e.db.Fleet().IPsOf(ctx, srv.ID)
	if len(ips) != 4 {
		t.Fatalf("addresses %v", ips)
	}
	// no PERF-1 left: the next one waits with its addresses
	srv2, task2, err := e.svc.Deliver(ctx, account.System, fleet.DeliveryRequest{OrderRef: "o-wait", CustomerID: e.customer.ID, Plan: "PERF-1",
		Profile: "PERF-1", OSImage: "debian-13"})
	must(t, err)
	if srv2.MachineID != 0 || task2.Status != fleet.TaskTodo || !e.mainIP(srv2.ID).IsValid() {
		t.Fatalf("waiting delivery %+v %+v", srv2, task2)
	}
	e.tick()
	_, err = e.svc.Terminate(ctx, account.System, 0, srv.ID, "test", fleet.TerminateNow)
	must(t, err)
	e.tick()
	e.clk.Advance(time.Minute)
	st, err := e.svc.Reconcile(ctx) // the wipe ends: back to stock, and the waiting server gets it
	must(t, err)
	if st.WipeDone != 1 {
		t.Fatalf("%+v", st)
	}
	e.tick()
	if s := e.server(srv2.ID); s.State != fleet.ServerActive || st.Reserved != 1 {
		t.Fatalf("waiting server %+v %+v", s, st)
	}
}
