package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// A reinstall is done only once the new system answers (Art. 7.3: a hacked server reinstalled
// "à neuf"): a reconcile pass before the BMC took the install's orders finds the old system
// answering on the main address, and does not count it.
func TestReinstallNotCompletedByTheOldSystem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{install: 10 * time.Minute})
		srv, _ := e.deliver("o1", "PERF-1", edKey)
		e.tick()
		e.clk.Advance(10 * time.Minute)
		_, err := e.svc.Reconcile(ctx)
		must(t, err)
		if srv = e.server(srv.ID); srv.State != fleet.ServerActive {
			t.Fatalf("not delivered: %s", srv.State)
		}
		serial := e.machine(srv.MachineID).Serial
		actor := account.Actor{Kind: "customer", ID: e.customer.ID, Label: "c"}
		rt, err := e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "debian-12"})
		must(t, err)
		_, err = e.svc.Reconcile(ctx) // before the deploy job: debian-13 still answers
		must(t, err)
		if task, s := e.task(rt.ID), e.server(srv.ID); task.Status == fleet.TaskDone || s.State != fleet.ServerReinstalling {
			t.Fatalf("reinstall counted done before any install: task %s, server %s", task.Status, s.State)
		}
		e.tick() // the BMC boots the installer
		_, err = e.svc.Reconcile(ctx)
		must(t, err)
		if task := e.task(rt.ID); task.Status == fleet.TaskDone {
			t.Fatal("reinstall done while the installer runs")
		}
		e.clk.Advance(10 * time.Minute)
		_, err = e.svc.Reconcile(ctx)
		must(t, err)
		lm, err := e.lab.Machine(serial)
		must(t, err)
		if task, s := e.task(rt.ID), e.server(srv.ID); task.Status != fleet.TaskDone || s.State != fleet.ServerActive ||
			s.OSImage != "debian-12" || lm.InstalledOS != "debian-12" {
			t.Fatalf("after the install: task %s, server %s %s, disk %q", task.Status, s.State, s.OSImage, lm.InstalledOS)
		}
	})
}

// A machine that was in maintenance when its server was terminated goes back to stock through
// the wipe once repaired: the next customer never gets the former one's disks.
func TestRepairedMachineIsWipedBeforeStock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{})
		srv := delivered(t, e, "o2")
		mid := srv.MachineID
		tech := account.Actor{Kind: "staff", ID: e.staff.ID, Label: "tech"}
		_, err := e.svc.RecordIntervention(ctx, tech, fleet.InterventionInput{MachineID: mid, Kind: fleet.InterventionDiagnosis, Notes: "psu", Failure: true})
		must(t, err)
		_, err = e.svc.Release(ctx, account.System, srv.ID, "contract ended")
		must(t, err)
		_, err = e.svc.RecordIntervention(ctx, tech, fleet.InterventionInput{MachineID: mid, Kind: fleet.InterventionPartReplacement,
			PartKind: "psu", NewSerial: "PSU2", Notes: "psu replaced", Repaired: true})
		must(t, err)
		e.tick()
		if m := e.machine(mid); m.State != fleet.MachineWiping {
			t.Fatalf("repaired machine %s, want wiping", m.State)
		}
		e.clk.Advance(time.Minute)
		_, err = e.svc.Reconcile(ctx)
		must(t, err)
		lm, err := e.lab.Machine(e.machine(mid).Serial)
		must(t, err)
		if m := e.machine(mid); m.State != fleet.MachineAvailable || lm.InstalledOS != "" {
			t.Fatalf("machine %s with %q on its disks, want available and empty", m.State, lm.InstalledOS)
		}
	})
}

// A technician records a hardware failure on a machine while it installs: the watchdog still
// fails that install and moves the server to another machine.
func TestFailureRecordedDuringAnInstall(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{install: 5 * time.Minute})
		srv, _ := e.deliver("o3", "ECO-1", edKey)
		mid := srv.MachineID
		must(t, e.lab.SetInstallDuration(e.machine(mid).Serial, 3*time.Hour))
		e.tick()
		tech := account.Actor{Kind: "staff", ID: e.staff.ID, Label: "tech"}
		_, err := e.svc.RecordIntervention(ctx, tech, fleet.InterventionInput{MachineID: mid, Kind: fleet.InterventionDiagnosis, Notes: "disk dead", Failure: true})
		must(t, err)
		e.clk.Advance(41 * time.Minute)
		st, err := e.svc.Reconcile(ctx)
		must(t, err)
		if s := e.server(srv.ID); st.TimedOut != 1 || s.MachineID == mid || s.MachineID == 0 {
			t.Fatalf("reconcile %+v: server %+v still on the machine in maintenance", st, s)
		}
		if m := e.machine(mid); m.State != fleet.MachineMaintenance || m.ServerID != 0 {
			t.Fatalf("failed machine %+v", m)
		}
	})
}
