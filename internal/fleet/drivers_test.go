package fleet_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/probe"
	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
	"github.com/itsgow/itsgow/internal/store/storetest"
	"github.com/itsgow/itsgow/internal/testenv"
)

// A server delivered on a Redfish BMC (each recorded vendor): virtual media with the image,
// one-time boot from it, restart; a console account revoked at its expiry; then a BMC answering garbage makes a reboot fail with a clear
// reason and leaves the server usable; a BMC that never answers times out the same way.
func TestRedfishDelivery(t *testing.T) {
	t.Parallel()
	for _, vendor := range redfishtest.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, storetest.OpenSQLite(t), options{perProfile: 1})
			bmc := redfishtest.New(t, vendor, redfishtest.Options{})
			inv, err := newRedfish(t, bmc).Inventory(ctx)
			must(t, err)
			m, err := e.svc.Enroll(ctx, account.System, fleet.Enrollment{Serial: inv.Serial, Datacenter: "RBX1", Rack: "A01", U: 30,
				Profile: "RF-1", BMC: bmc.BMC()})
			must(t, err)
			e.tick()
			if m = e.machine(m.ID); m.State != fleet.MachineAvailable {
				t.Fatalf("inspection over Redfish: %s %s", m.State, m.Failure)
			}
			cs, _ := e.db.Fleet().Components(ctx, m.ID, false)
			if len(cs) == 0 {
				t.Fatal("no component from the Redfish inventory")
			}
			srv, task := e.deliver("o-rf", "RF-1", edKey)
			bmc.ResetCalls()
			e.tick()
			var sawMedia, sawBoot, sawReset bool
			for _, c := range bmc.Calls() {
				sawMedia = sawMedia || strings.Contains(c.Body, "debian-13.iso")
				sawBoot = sawBoot || strings.Contains(c.Body, `"Cd"`)
				sawReset = sawReset || strings.Contains(c.Path, "Reset")
			}
			if !sawMedia || !sawBoot || !sawReset {
				t.Fatalf("BMC calls: media %v boot %v reset %v", sawMedia, sawBoot, sawReset)
			}
			if tk := e.task(task.ID); tk.Status != fleet.TaskDoing {
				t.Fatalf("task %+v", tk)
			}
			e.up.Store(e.mainIP(srv.ID), true) // the installed system answers
			_, err = e.svc.Reconcile(ctx)
			must(t, err)
			if s := e.server(srv.ID); s.State != fleet.ServerActive {
				t.Fatalf("server %s", s.State)
			}

			// a console: a BMC account of its own, revoked at the expiry
			acc, err := e.svc.Console(ctx, account.System, 0, srv.ID)
			must(t, err)
			if got := bmc.Accounts(); acc.Kind != fleet.ConsoleGraphical || len(got) != 1 || got[0] != acc.Username {
				t.Fatalf("console %+v, BMC accounts %v", acc.ConsoleSession, got)
			}
			e.clk.Advance(e.svc.Config().ConsoleTTL - time.Second)
			e.tick()
			if got := bmc.Accounts(); len(got) != 1 {
				t.Fatalf("console revoked before its expiry: %v", got)
			}
			e.clk.Advance(time.Second)
			e.tick()
			if got := bmc.Accounts(); len(got) != 0 {
				t.Fatalf("console account left on the BMC at the expiry: %v", got)
			}

			bmc.Intercept(redfishtest.Respond("", "", http.StatusOK, "application/json", "{garbage"))
			rb, err := e.svc.Reboot(ctx, account.System, 0, srv.ID, fleet.RebootHard)
			must(t, err)
			e.tick()
			tk := e.task(rb.ID)
			if tk.Status != fleet.TaskProviderError || !strings.Contains(tk.Comment, "management controller") {
				t.Fatalf("garbage answer: %+v", tk)
			}
			if s := e.server(srv.ID); s.State != fleet.ServerActive {
				t.Fatalf("server stuck in %s", s.State)
			}
		})
	}
}

// A Redfish BMC without an enabled console: the customer gets a clear 422 bmc_unsupported and
// the session claimed before the BMC call ends at once, with no credential; a BMC that answers garbage is a 503 that names the controller.
func TestRedfishConsoleRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{perProfile: 1})
	bmc := redfishtest.New(t, redfishtest.Supermicro, redfishtest.Options{})
	inv, err := newRedfish(t, bmc).Inventory(ctx)
	must(t, err)
	m, err := e.svc.Enroll(ctx, account.System, fleet.Enrollment{Serial: inv.Serial, Datacenter: "RBX1", Rack: "A01", U: 30, Profile: "RF-1", BMC: bmc.BMC()})
	must(t, err)
	e.tick()
	srv, _ := e.deliver("o-rf-console", "RF-1", edKey)
	e.tick()
	e.up.Store(e.mainIP(srv.ID), true)
	_, err = e.svc.Reconcile(ctx)
	must(t, err)
	if s := e.server(srv.ID); s.State != fleet.ServerActive || s.MachineID != m.ID {
		t.Fatalf("server %+v", s)
	}
	for _, c := range []string{"GraphicalConsole", "SerialConsole"} {
		bmc.Set("/redfish/v1/Managers/1", c, map[string]any{"ServiceEnabled": false})
	}
	_, err = e.svc.Console(ctx, account.System, 0, srv.ID)
	if ee := errs.As(err); ee == nil || ee.Code != "bmc_unsupported" || !strings.Contains(errs.Public(err), "console") {
		t.Fatalf("console on a BMC without one: %v", err)
	}
	if cs, _ := e.db.Fleet().ConsolesOf(ctx, srv.ID, 5); !claimsEnded(cs) || len(bmc.Accounts()) != 0 {
		t.Fatalf("sessions %+v, accounts %v", cs, bmc.Accounts())
	}
	bmc.Intercept(redfishtest.Respond("GET", "/redfish/v1/Managers/1", http.StatusOK, "application/json", "{garbage"))
	_, err = e.svc.Console(ctx, account.System, 0, srv.ID)
	if errs.KindOf(err) != errs.Unavailable || !strings.Contains(errs.Public(err), "management controller") {
		t.Fatalf("console on a BMC answering garbage: %v", err)
	}
}

func TestRedfishTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.OpenSQLite(t), options{perProfile: 1})
	bmc := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	m, err := e.svc.Enroll(ctx, account.System, fleet.Enrollment{Serial: "RF-hang", Datacenter: "RBX1", Rack: "A01", U: 30, Profile: "RF-1", BMC: bmc.BMC()})
	must(t, err)
	bmc.Intercept(bmc.Hang("", ""))
	for range 5 {
		e.tick()
		e.clk.Advance(3 * time.Hour)
	}
	if m = e.machine(m.ID); m.State != fleet.MachineMaintenance || !strings.Contains(m.Failure, "inspection") {
		t.Fatalf("a BMC that never answers: %s %q", m.State, m.Failure)
	}
}

func newRedfish(t *testing.T, bmc *redfishtest.Server) *redfish.Driver {
	t.Helper()
	d, err := redfish.New(bmc.BMC(), redfish.DefaultConfig())
	must(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// The TCP probe says up when the port accepts, down when it refuses.
func TestTCPProbe(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	p, err := probe.New(probe.Config{Mode: probe.TCP, Port: port, Timeout: time.Second})
	must(t, err)
	target := fleet.Target{Addr: ln.Addr().(*net.TCPAddr).AddrPort().Addr()}
	if !p.Probe(context.Background(), target) {
		t.Fatal("a listening port is down")
	}
	ln.Close()
	if p.Probe(context.Background(), target) {
		t.Fatal("a closed port is up")
	}
}

// A server delivered on 127.0.0.10 (a loopback pool) and probed over TCP by the real prober:
// its install ends when the port answers; when it stops answering, three failed probes open an
// unreachable incident and tell the customer; answering again resolves it.
func TestTCPProbeIncident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.10:0")
	testenv.Need(t, err == nil, fmt.Sprintf("no 127.0.0.10 on this host: %v", err))
	addr := ln.Addr().String()
	serve := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}
	go serve(ln)
	p, err := probe.New(probe.Config{Mode: probe.TCP, Port: ln.Addr().(*net.TCPAddr).Port, Timeout: time.Second})
	must(t, err)
	e := newEnv(t, storetest.OpenSQLite(t), options{perProfile: 1, pools: []string{"127.0.0.0/24", "2001:db8:1000::/48"}, prober: p})
	srv, _ := e.deliver("o-tcp", "ECO-1", edKey)
	e.tick()
	_, err = e.svc.Reconcile(ctx)
	must(t, err)
	if srv = e.server(srv.ID); srv.State != fleet.ServerActive || e.mainIP(srv.ID) != netip.MustParseAddr("127.0.0.10") {
		t.Fatalf("not delivered on 127.0.0.10: %+v", srv)
	}
	ln.Close() // the server stops answering
	for i := 1; i <= 3; i++ {
		n, err := e.svc.ProbeAll(ctx)
		must(t, err)
		if (i < 3 && n != 0) || (i == 3 && n != 1) {
			t.Fatalf("probe %d opened %d incidents", i, n)
		}
	}
	if has(e.notices(e.customer.ID), "incident_opened") != 1 {
		t.Fatalf("notices %v", e.notices(e.customer.ID))
	}
	ln, err = net.Listen("tcp", addr)
	must(t, err)
	defer ln.Close()
	go serve(ln)
	_, err = e.svc.ProbeAll(ctx)
	must(t, err)
	if incs, _ := e.db.Fleet().ListIncidents(ctx, fleet.IncidentFilter{ServerID: srv.ID, Open: true}); len(incs) != 0 {
		t.Fatalf("still open once it answers: %+v", incs)
	}
}

// The ICMP probe gets an echo reply from loopback (raw socket: root or CAP_NET_RAW).
func TestICMPProbe(t *testing.T) {
	t.Parallel()
	testenv.Need(t, os.Geteuid() == 0, "ICMP probes need root (raw socket)")
	p, err := probe.New(probe.Config{Mode: probe.ICMP, Timeout: 2 * time.Second})
	must(t, err)
	if !p.Probe(context.Background(), fleet.Target{Addr: netip.MustParseAddr("127.0.0.1")}) {
		t.Fatal("loopback does not answer ICMP echo")
	}
	if p.Probe(context.Background(), fleet.Target{}) {
		t.Fatal("no address is up")
	}
}
