package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

const edKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBpVCbVAkxRmY9WqT3B1CkZQy7o5G7G4k3Tq5wK0ZbV camille@laptop"

// The whole life of a server on both engines: delivery with a password shown once, reinstall
// and its refusals, reboot, rescue, console, termination, wipe and return to stock, and the
// main address kept in quarantine until policy.ip_quarantine.
func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{})
		ms, err := db.Fleet().ListMachines(ctx, fleet.MachineFilter{State: fleet.MachineAvailable})
		must(t, err)
		if len(ms) != 4 {
			t.Fatalf("%d available machines after inspection, want 4", len(ms))
		}
		// The BMC password is sealed at rest and opens with the key.
		if string(ms[0].BMC.Password) == "pw-"+ms[0].Serial || len(ms[0].BMC.Password) < 20 {
			t.Fatalf("BMC password stored in clear: %q", string(ms[0].BMC.Password))
		}

		srv, task := e.deliver("order-1", "PERF-1", "")
		if srv.State != fleet.ServerDelivering || srv.MachineID == 0 || task.Status != fleet.TaskDoing {
			t.Fatalf("after Deliver: %+v %+v", srv, task)
		}
		if again, _ := e.deliver("order-1", "PERF-1", ""); again.ID != srv.ID {
			t.Fatalf("a second delivery of the same order made server %d", again.ID)
		}
		e.tick()
		srv = e.server(srv.ID)
		if srv.State != fleet.ServerActive || srv.DeliveredAt.IsZero() {
			t.Fatalf("not delivered: %+v", srv)
		}
		if ip := e.mainIP(srv.ID); ip != netip.MustParseAddr("198.18.0.10") {
			t.Fatalf("main IP %s, want 198.18.0.10", ip)
		}
		ips, _ := db.Fleet().IPsOf(ctx, srv.ID)
		if len(ips) != 2 || ips[1].Prefix.String() != "2001:db8:1000:1::/64" {
			t.Fatalf("addresses %v", ips)
		}
		e.tick() // the delivered job
		if got := e.listener.all(); len(got) != 1 || got[0].OrderRef != "order-1" || got[0].MainIP.String() != "198.18.0.10" {
			t.Fatalf("listener heard %+v", got)
		}
		if has(e.notices(e.customer.ID), "server_delivered") != 1 {
			t.Fatalf("notices %v", e.notices(e.customer.ID))
		}
		task = e.task(task.ID)
		if task.Status != fleet.TaskDone || !task.Credentials || task.Percent() != 100 {
			t.Fatalf("delivery task %+v", task)
		}
		actor := account.Actor{Kind: "customer", ID: e.customer.ID, Label: "c"}
		c, err := e.svc.RevealCredentials(ctx, actor, e.customer.ID, task.ID)
		if err != nil || c.Username != "root" || len(string(c.Password)) != 20 {
			t.Fatalf("credentials %v %v", c.Username, err)
		}
		if _, err := e.svc.RevealCredentials(ctx, actor, e.customer.ID, task.ID); !errors.Is(err, fleet.ErrShown) {
			t.Fatalf("second reveal: %v", err)
		}
		// Every transition is recorded with actor, reason and time.
		ts, err := db.Fleet().Transitions(ctx, srv.MachineID, 0)
		must(t, err)
		var path []string
		for _, tr := range slices.Backward(ts) {
			if tr.Reason == "" || tr.Actor.Label == "" || tr.At.IsZero() {
				t.Errorf("incomplete transition %+v", tr)
			}
			path = append(path, string(tr.To))
		}
		if want := []string{"enrolling", "inspecting", "available", "reserved", "deploying", "deployed"}; !slices.Equal(path, want) {
			t.Fatalf("transitions %v, want %v", path, want)
		}

		// Another customer sees nothing.
		if _, err := e.svc.Detail(ctx, e.customer.ID+1000, srv.ID); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("another customer: %v", err)
		}

		// Reinstall refusals.
		_, err = e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "templeos-5"})
		if e := errs.As(err); e == nil || e.Code != "unknown_os_image" {
			t.Fatalf("unknown image: %v", err)
		}
		_, err = e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "debian-12", SSHKey: "ssh-rsa AAAAB3Nza"})
		if e := errs.As(err); e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "sshKey" {
			t.Fatalf("malformed key: %v", err)
		}
		_, err = e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "debian-12", SSHKey: "-----BEGIN OPENSSH PRIVATE KEY-----"})
		if errs.KindOf(err) != errs.Invalid {
			t.Fatalf("private key: %v", err)
		}
		must(t, e.svc.Suspend(ctx, account.System, srv.ID, "nonPayment"))
		if m := e.machine(srv.MachineID); m.State != fleet.MachineSuspended || m.DesiredPower != fleet.PowerStateOff {
			t.Fatalf("suspended machine %+v", m)
		}
		_, err = e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "debian-12"})
		if !errors.Is(err, fleet.ErrSuspended) {
			t.Fatalf("suspended: %v", err)
		}
		must(t, e.svc.Unsuspend(ctx, account.System, srv.ID, "paid"))

		// Reinstall with an SSH key; a second one while it runs is refused.
		e.lab.SetInstallDurationAll(10 * time.Minute)
		rt, err := e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "debian-12", Hostname: "web1.example.fr", SSHKey: edKey,
			PreserveData: true})
		must(t, err)
		if _, err := e.svc.Reinstall(ctx, actor, e.customer.ID, srv.ID, fleet.ReinstallRequest{OSImage: "debian-12"}); !errors.Is(err, fleet.ErrTaskRunning) {
			t.Fatalf("second reinstall: %v", err)
		}
		if _, err := e.svc.Reboot(ctx, actor, e.customer.ID, srv.ID, fleet.RebootHard); !errors.Is(err, fleet.ErrTaskRunning) {
			t.Fatalf("reboot during reinstall: %v", err)
		}
		e.tick()
		if tk := e.task(rt.ID); tk.Status != fleet.TaskDoing || tk.Percent() <= 0 || tk.Percent() >= 100 {
			t.Fatalf("reinstall in progress: %+v (%d%%)", tk, tk.Percent())
		}
		if in, ok := e.prepared.Load(srv.ID); !ok || !in.(fleet.Install).Preserve || in.(fleet.Install).SSHKey != edKey ||
			in.(fleet.Install).Hostname != "web1.example.fr" || in.(fleet.Install).Password != "" {
			t.Fatalf("the installer was not asked to keep the data with the key and host name: %+v", in)
		}
		e.clk.Advance(10 * time.Minute)
		if _, err := e.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		srv = e.server(srv.ID)
		if tk := e.task(rt.ID); tk.Status != fleet.TaskDone || tk.Credentials || srv.OSImage != "debian-12" || srv.Hostname != "web1.example.fr" {
			t.Fatalf("reinstall done: %+v %+v", tk, srv)
		}
		if e.mainIP(srv.ID) != netip.MustParseAddr("198.18.0.10") {
			t.Fatal("the main address changed with the reinstall")
		}
		if has(e.notices(e.customer.ID), "server_reinstalled") != 1 {
			t.Fatalf("notices %v", e.notices(e.customer.ID))
		}

		// Reboot, rescue (password once), console, leave rescue.
		for _, typ := range []fleet.RebootType{fleet.RebootSoft, fleet.RebootHard, fleet.RebootPower} {
			rb, err := e.svc.Reboot(ctx, actor, e.customer.ID, srv.ID, typ)
			must(t, err)
			e.tick()
			if tk := e.task(rb.ID); tk.Status != fleet.TaskDone {
				t.Fatalf("reboot %s: %+v", typ, tk)
			}
		}
		if _, err := e.svc.Reboot(ctx, actor, e.customer.ID, srv.ID, "gentle"); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("bad reboot type: %v", err)
		}
		rs, err := e.svc.Rescue(ctx, actor, e.customer.ID, srv.ID)
		must(t, err)
		e.tick()
		srv = e.server(srv.ID)
		if srv.State != fleet.ServerRescue || !e.lab.Reachable(netip.MustParseAddr("198.18.0.10")) {
			t.Fatalf("rescue state %s", srv.State)
		}
		if c, err := e.svc.RevealCredentials(ctx, actor, e.customer.ID, rs.ID); err != nil || c.Password == "" {
			t.Fatalf("rescue credentials: %v", err)
		}
		con, err := e.svc.Console(ctx, actor, e.customer.ID, srv.ID)
		if err != nil || !con.ExpiresAt.Equal(e.clk.Now().Add(15*time.Minute)) {
			t.Fatalf("console %+v %v", con, err)
		}
		lm, _ := e.lab.Machine(e.machine(srv.MachineID).Serial)
		if lm.InstalledOS != "debian-12" {
			t.Fatalf("rescue touched the disk: %q", lm.InstalledOS)
		}
		_, err = e.svc.ExitRescue(ctx, actor, e.customer.ID, srv.ID)
		must(t, err)
		e.tick()
		if srv = e.server(srv.ID); srv.State != fleet.ServerActive {
			t.Fatalf("after rescue: %s", srv.State)
		}

		// Termination: addresses quarantined, machine wiped and back to stock.
		mid := srv.MachineID
		released := e.clk.Now()
		_, err = e.svc.Terminate(ctx, actor, e.customer.ID, srv.ID, "no longer needed", fleet.TerminateNow)
		must(t, err)
		if m := e.machine(mid); m.State != fleet.MachineReleasing || m.ServerID != 0 {
			t.Fatalf("released machine %+v", m)
		}
		e.tick()
		if m := e.machine(mid); m.State != fleet.MachineWiping {
			t.Fatalf("machine %s after the wipe job", m.State)
		}
		e.clk.Advance(time.Minute)
		if _, err := e.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if m := e.machine(mid); m.State != fleet.MachineAvailable {
			t.Fatalf("machine %s after the wipe", m.State)
		}
		if _, _, ok, _ := e.svc.IPOwner(ctx, netip.MustParseAddr("198.18.0.10")); ok {
			t.Fatal("a terminated server still owns its address")
		}

		// Quarantine at its edge: a fresh address is preferred while the pool has one, so fill
		// the view by checking the reusable query directly, then a delivery once it ended.
		e.clk.Set(released.Add(30*24*time.Hour - time.Second))
		err = db.Fleet().InTx(ctx, func(tx fleet.Tx) error {
			pools, _ := tx.Pools(ctx)
			if _, err := tx.ReusableIP(ctx, pools[0].ID, e.clk.Now()); errs.KindOf(err) != errs.NotFound {
				t.Errorf("reusable one second before the end of the quarantine: %v", err)
			}
			ip, err := tx.ReusableIP(ctx, pools[0].ID, released.Add(30*24*time.Hour))
			if err != nil || ip.Addr() != netip.MustParseAddr("198.18.0.10") {
				t.Errorf("not reusable at the end of the quarantine: %v %v", ip, err)
			}
			return nil
		})
		must(t, err)
	})
}

// A deploy past policy.deploy_timeout: at 40 min minus a second nothing happens; at 40 min
// the machine goes to maintenance with an incident, the staff is alerted, and another machine
// installs the same server, which keeps its address.
func TestDeployTimeout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{install: 5 * time.Minute})
		srv, task := e.deliver("order-slow", "ECO-1", edKey)
		first := srv.MachineID
		must(t, e.lab.SetInstallDuration(e.machine(first).Serial, 3*time.Hour)) // a slow install
		e.tick()
		ip := e.mainIP(srv.ID)
		e.clk.Advance(40*time.Minute - time.Second)
		st, err := e.svc.Reconcile(ctx)
		must(t, err)
		if st.TimedOut != 0 || e.machine(first).State != fleet.MachineDeploying {
			t.Fatalf("timed out a second early: %+v", st)
		}
		e.restart() // the deadline is the stored start + 40 min, not a timer of the old process
		e.clk.Advance(time.Second)
		st, err = e.svc.Reconcile(ctx)
		must(t, err)
		if st.TimedOut != 1 {
			t.Fatalf("not timed out at 40 min: %+v", st)
		}
		m := e.machine(first)
		if m.State != fleet.MachineMaintenance || m.ServerID != 0 || m.Failure == "" {
			t.Fatalf("first machine %+v", m)
		}
		srv = e.server(srv.ID)
		if srv.MachineID == 0 || srv.MachineID == first || e.mainIP(srv.ID) != ip {
			t.Fatalf("server not moved to another machine with its address: %+v", srv)
		}
		incs, err := db.Fleet().ListIncidents(ctx, fleet.IncidentFilter{Open: true})
		must(t, err)
		if len(incs) != 1 || incs[0].Kind != fleet.IncidentDeployTimeout || incs[0].MachineID != first {
			t.Fatalf("incidents %+v", incs)
		}
		if has(e.notices(e.staff.ID), "staff_alert") != 1 {
			t.Fatalf("staff notices %v", e.notices(e.staff.ID))
		}
		e.tick()
		e.clk.Advance(5 * time.Minute)
		_, err = e.svc.Reconcile(ctx)
		must(t, err)
		if s := e.server(srv.ID); s.State != fleet.ServerActive || e.task(task.ID).Status != fleet.TaskDone {
			t.Fatalf("second machine did not deliver: %+v", s)
		}
		// Maintenance is never handed to a customer: with no other ECO-1 machine free, a new
		// order waits instead of getting the machine in maintenance.
		waiting, _ := e.deliver("order-waits", "ECO-1", edKey)
		_, err = e.svc.Reconcile(ctx)
		must(t, err)
		if w := e.server(waiting.ID); w.MachineID != 0 || w.State != fleet.ServerDelivering || e.machine(first).State != fleet.MachineMaintenance {
			t.Fatalf("an order got a machine in maintenance: %+v, machine %s", w, e.machine(first).State)
		}
		// A technician repairs it: its disks held the customer's install, so it goes back to
		// stock through the wipe.
		tech := account.Actor{Kind: "staff", ID: e.staff.ID, Label: "tech"}
		_, err = e.svc.RecordIntervention(ctx, tech, fleet.InterventionInput{IncidentID: incs[0].ID, Kind: fleet.InterventionPartReplacement,
			PartKind: "disk", OldSerial: m.Serial + "-D01", NewSerial: "NEW-DISK-1", Notes: "disk replaced", Repaired: true})
		must(t, err)
		e.tick()
		if m := e.machine(first); m.State != fleet.MachineWiping {
			t.Fatalf("repaired machine %s, want wiping", m.State)
		}
		e.clk.Advance(time.Minute)    // the wipe's duration in these tests
		_, err = e.svc.Reconcile(ctx) // wiped, back to stock, and to the waiting order
		must(t, err)
		if w := e.server(waiting.ID); w.MachineID != first {
			t.Fatalf("the waiting order did not get the repaired machine: %+v", w)
		}
		cs, _ := db.Fleet().Components(ctx, first, true)
		if !slices.ContainsFunc(cs, func(c fleet.Component) bool { return c.Serial == "NEW-DISK-1" }) {
			t.Fatal("the new part is not in the components")
		}
	})
}

// Twenty deliveries at once on both engines never share an address, and two inserts of the
// same address race to exactly one winner (the UNIQUE constraint).
func TestIPsNeverShared(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{perProfile: 10, install: 0})
		var wg sync.WaitGroup
		errc := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				profile := []string{"ECO-1", "PERF-1"}[i%2]
				_, _, err := e.svc.Deliver(ctx, account.System, fleet.DeliveryRequest{OrderRef: fmt.Sprintf("c-%d", i), CustomerID: e.customer.ID,
					Plan: profile, Profile: profile, OSImage: "debian-13"})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			must(t, err)
		}
		ips, err := db.Fleet().ListIPs(ctx, fleet.IPFilter{})
		must(t, err)
		seen := map[string]bool{}
		for _, ip := range ips {
			if seen[ip.String()] {
				t.Fatalf("%s given twice", ip)
			}
			seen[ip.String()] = true
		}
		if len(ips) != 40 {
			t.Fatalf("%d addresses for 20 servers, want 40", len(ips))
		}
		srv, err := db.Fleet().ServerByOrder(ctx, "c-0")
		must(t, err)
		var wins, conflicts int
		var mu sync.Mutex
		var wg2 sync.WaitGroup
		for range 8 {
			wg2.Add(1)
			go func() {
				defer wg2.Done()
				err := db.Fleet().InTx(ctx, func(tx fleet.Tx) error {
					return tx.InsertIP(ctx, &fleet.IP{Prefix: netip.MustParsePrefix("198.18.0.250/32"), PoolID: ips[0].PoolID, N: 250,
						ServerID: srv.ID, CustomerID: srv.CustomerID, Kind: fleet.IPAdditional, State: fleet.IPAssigned, AssignedAt: t0})
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errs.KindOf(err) == errs.Conflict:
					conflicts++
				default:
					t.Errorf("insert: %v", err)
				}
			}()
		}
		wg2.Wait()
		if wins != 1 || conflicts != 7 {
			t.Fatalf("%d inserts won, %d conflicts; want 1 and 7", wins, conflicts)
		}
	})
}

// A released address waits policy.ip_quarantine: in a pool with five addresses all taken, a
// delivery 30 days minus a second after a release finds none; at 30 days it gets the released
// one.
func TestQuarantineEdge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{perProfile: 4, pools: []string{"198.18.0.0/28", "2001:db8:1000::/48"}})
		var servers []fleet.Server
		for i := range 5 {
			srv, _ := e.deliver(fmt.Sprintf("q-%d", i), []string{"ECO-1", "PERF-1"}[i%2], edKey)
			servers = append(servers, srv)
		}
		e.tick()
		req := fleet.DeliveryRequest{CustomerID: e.customer.ID, Plan: "ECO-1", Profile: "ECO-1", OSImage: "debian-13", SSHKey: edKey}
		req.OrderRef = "q-full"
		if _, _, err := e.svc.Deliver(ctx, account.System, req); code(err) != "no_address" {
			t.Fatalf("a full pool: %v", err)
		}
		gone := e.mainIP(servers[2].ID)
		released := e.clk.Now()
		_, err := e.svc.Terminate(ctx, account.System, 0, servers[2].ID, "test", fleet.TerminateNow)
		must(t, err)
		e.clk.Set(released.Add(30*24*time.Hour - time.Second))
		req.OrderRef = "q-early"
		if _, _, err := e.svc.Deliver(ctx, account.System, req); code(err) != "no_address" {
			t.Fatalf("quarantined address reused a second early: %v", err)
		}
		e.clk.Set(released.Add(30 * 24 * time.Hour))
		req.OrderRef = "q-on-time"
		srv, _, err := e.svc.Deliver(ctx, account.System, req)
		must(t, err)
		if got := e.mainIP(srv.ID); got != gone {
			t.Fatalf("after the quarantine the new server got %s, want %s", got, gone)
		}
		if _, s, ok, err := e.svc.IPOwner(ctx, gone); err != nil || !ok || s != srv.ID {
			t.Fatalf("owner of %s: %v %v %v", gone, s, ok, err)
		}
	})
}

// Deliveries racing for quarantined addresses whose quarantine ended each get a different one:
// none fails on another's reuse (PostgreSQL skips the rows other transactions are reusing).
func TestConcurrentReuse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, options{perProfile: 5, pools: []string{"198.18.0.0/28", "2001:db8:1000::/48"}})
		for i := range 5 {
			srv, _ := e.deliver(fmt.Sprintf("old-%d", i), "ECO-1", edKey)
			_, err := e.svc.Terminate(ctx, account.System, 0, srv.ID, "test", fleet.TerminateNow)
			must(t, err)
		}
		e.clk.Advance(30 * 24 * time.Hour)
		var wg sync.WaitGroup
		errc := make(chan error, 5)
		ids := make([]fleet.ServerID, 5)
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				srv, _, err := e.svc.Deliver(ctx, account.System, fleet.DeliveryRequest{OrderRef: fmt.Sprintf("new-%d", i), CustomerID: e.customer.ID,
					Plan: "PERF-1", Profile: "PERF-1", OSImage: "debian-13", SSHKey: edKey})
				ids[i] = srv.ID
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			must(t, err)
		}
		seen := map[netip.Addr]bool{}
		for _, id := range ids {
			ip := e.mainIP(id)
			if !ip.IsValid() || seen[ip] {
				t.Fatalf("server %d got %s (seen: %v)", id, ip, seen)
			}
			seen[ip] = true
		}
	})
}
