package fleet_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
	"github.com/itsgow/itsgow/internal/store"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is a fleet service on a real store with a simulated datacenter and a job runner the test
// drives with tick.
type env struct {
	t        testing.TB
	db       *store.DB
	clk      *clocktest.Fake
	lab      *simlab.Lab
	svc      *fleet.Service
	runner   *jobs.Runner
	notify   *notify.Service
	drivers  *testDrivers
	listener *recorder
	customer account.Account
	up       sync.Map
	prepared sync.Map // server -> the last fleet.Install the provisioner prepared
	staff    account.Account
	restart  func() // a new service and job runner on the same store, lab and clock
}

// testDrivers opens simlab machines through the lab and redfish ones over HTTP.
type testDrivers struct {
	lab *simlab.Lab
	mu  sync.Mutex
	rf  map[string]*redfish.Driver
	// afterOpenConsole, when set, runs once a simulated BMC has opened a console (what another
	// request does meanwhile).
	afterOpenConsole func()
}

// hookedDriver is a simulated BMC whose OpenConsole runs a hook once it has opened.
type hookedDriver struct {
	*simlab.Driver
	after func()
}

func (d hookedDriver) OpenConsole(ctx context.Context, ttl time.Duration) (fleet.Console, error) {
	c, err := d.Driver.OpenConsole(ctx, ttl)
	if err == nil {
		d.after()
	}
	return c, err
}

func (d *testDrivers) Driver(ctx context.Context, m fleet.Machine) (any, error) {
	if m.BMC.Driver == "redfish" {
		d.mu.Lock()
		defer d.mu.Unlock()
		if drv, ok := d.rf[m.BMC.Address]; ok {
			return drv, nil
		}
		cfg := redfish.DefaultConfig()
		cfg.Timeout = 300 * time.Millisecond
		drv, err := redfish.New(m.BMC, cfg)
		if err != nil {
			return nil, err
		}
		d.rf[m.BMC.Address] = drv
		return drv, nil
	}
	drv, err := d.lab.Driver(m.Serial)
	if err != nil || d.afterOpenConsole == nil {
		return drv, err
	}
	return hookedDriver{Driver: drv, after: d.afterOpenConsole}, nil
}

// labProber probes simulated machines, and says up for the addresses in up (real BMCs in tests).
type labProber struct {
	lab *simlab.Lab
	up  *sync.Map
}

func (p labProber) Probe(_ context.Context, t fleet.Target) bool {
	if _, ok := p.up.Load(t.Addr); ok {
		return true
	}
	return p.lab.Reachable(t.Addr)
}

type labProvisioner struct {
	lab      *simlab.Lab
	prepared *sync.Map // server -> the last fleet.Install prepared for it
}

func (p labProvisioner) Prepare(_ context.Context, in fleet.Install) error {
	p.prepared.Store(in.Server.ID, in)
	if in.Machine.BMC.Driver != "simlab" {
		return nil
	}
	p.lab.ReleaseIP(in.MainIP)
	return p.lab.AssignIP(in.Machine.Serial, in.MainIP)
}

// recorder is a DeliveryListener that remembers.
type recorder struct {
	mu  sync.Mutex
	got []fleet.Delivery
}

func (r *recorder) Delivered(_ context.Context, d fleet.Delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, d)
	return nil
}

func (r *recorder) all() []fleet.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]fleet.Delivery(nil), r.got...)
}

type options struct {
	perProfile int           // machines per profile (ECO-1 and PERF-1)
	install    time.Duration // lab install duration
	mod        func(*fleet.Config)
	workers    int // job runner workers (default 4)
	wrap       func(kind string, h jobs.Handler) jobs.Handler
	pools      []string     // default 198.18.0.0/16 and 2001:db8:1000::/48
	prober     fleet.Prober // default: the lab's, and e.up for real BMCs
}

// newEnv builds the service on db with a lab of opts.perProfile machines of profiles ECO-1
// and PERF-1 in RBX1, enrolled and inspected, pools 198.18.0.0/24 and 2001:db8:1000::/48, a
// customer and a NOC staff member.
func newEnv(t testing.TB, db *store.DB, o options) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, db: db, clk: clocktest.New(t0), listener: &recorder{}}
	cfg := simlab.DefaultConfig()
	cfg.InstallDuration = o.install
	var err error
	e.lab, err = simlab.New(cfg, simlab.Deps{Clock: e.clk})
	must(t, err)
	must(t, e.lab.AddDatacenter(simlab.Datacenter{Code: "RBX1", Name: "Roubaix 1"}))
	must(t, e.lab.AddRack(simlab.Rack{Datacenter: "RBX1", Name: "A01", Units: 42}))
	if o.perProfile == 0 {
		o.perProfile = 2
	}
	profiles := simlab.DemoProfiles()[:2]
	profiles[0].Name, profiles[1].Name = "ECO-1", "PERF-1"
	u := 1
	var serials []string
	for _, p := range profiles {
		for i := range o.perProfile {
			serial := fmt.Sprintf("SIM-%s-%02d", p.Name, i+1)
			rack := fmt.Sprintf("A%02d", (u-1)/40+1)
			if (u-1)%40 == 0 && u > 1 {
				must(t, e.lab.AddRack(simlab.Rack{Datacenter: "RBX1", Name: rack, Units: 42}))
			}
			must(t, e.lab.AddMachine(simlab.MachineSpec{Serial: serial, Datacenter: "RBX1", Rack: rack, U: (u-1)%40 + 1, Profile: p,
				BMC: fleet.BMC{Address: "198.19.0." + fmt.Sprint(u), Username: "ADMIN", Password: fleet.Secret("pw-" + serial)}}))
			serials = append(serials, serial)
			u++
		}
	}
	n, err := notify.New(notify.DefaultConfig(), notify.Deps{Logger: discard, Clock: e.clk, Store: db.Notices()})
	must(t, err)
	e.notify = n
	sealer, err := fleet.NewSealer([]byte("0123456789abcdef-test-key"))
	must(t, err)
	fcfg := fleet.DefaultConfig()
	fcfg.WipeDuration = time.Minute
	if o.mod != nil {
		o.mod(&fcfg)
	}
	e.drivers = &testDrivers{lab: e.lab, rf: map[string]*redfish.Driver{}}
	var prober fleet.Prober = labProber{lab: e.lab, up: &e.up}
	if o.prober != nil {
		prober = o.prober
	}
	e.restart = func() {
		var err error
		e.svc, err = fleet.New(fcfg, fleet.Deps{Logger: discard, Clock: e.clk, Store: db.Fleet(), Notify: n, Policy: policy.Default(),
			Drivers: e.drivers, Provisioner: labProvisioner{e.lab, &e.prepared}, Prober: prober, Listener: e.listener, Sealer: sealer})
		must(t, err)
		jcfg := jobs.DefaultConfig()
		if o.workers > 0 {
			jcfg.Workers = o.workers
		}
		e.runner, err = jobs.New(jcfg, jobs.Deps{Logger: discard, Clock: e.clk, Store: db.Jobs(), Name: "test"})
		must(t, err)
		for kind, h := range map[string]jobs.Handler{fleet.JobDeploy: e.svc.HandleDeploy, fleet.JobInspect: e.svc.HandleInspect,
			fleet.JobPower: e.svc.HandlePower, fleet.JobWipe: e.svc.HandleWipe, fleet.JobObserve: e.svc.HandleObserve,
			fleet.JobDelivered: e.svc.HandleDelivered, fleet.JobDeliver: e.svc.HandleDeliver, fleet.JobConsoleRevoke: e.svc.HandleConsoleRevoke} {
			if o.wrap != nil {
				h = o.wrap(kind, h)
			}
			e.runner.Handle(kind, h)
		}
	}
	e.restart()
	if o.pools == nil {
		o.pools = []string{"198.18.0.0/16", "2001:db8:1000::/48"}
	}
	var pools []fleet.Pool
	for _, s := range o.pools {
		p, err := fleet.ParsePool(s)
		must(t, err)
		pools = append(pools, p)
	}
	must(t, e.svc.EnsurePools(ctx, pools))
	must(t, e.svc.AddRack(ctx, fleet.Rack{Datacenter: "RBX1", Name: "A01", Units: 42}))
	for _, m := range e.lab.Machines() {
		_, err := e.svc.Enroll(ctx, account.Actor{Kind: "staff", Label: "tech"}, fleet.Enrollment{Serial: m.Serial, Datacenter: m.Datacenter,
			Rack: m.Rack, U: m.U, Profile: m.Profile, Range: m.Range, BMC: m.BMC})
		must(t, err)
	}
	e.tick() // inspections
	e.customer = account.Account{Kind: account.KindCustomer, Email: "c@example.fr", Name: "Client", Language: "fr", PasswordHash: "x",
		CreatedAt: t0, UpdatedAt: t0, Customer: &account.Customer{Type: account.Person, Country: "FR"}}
	e.staff = account.Account{Kind: account.KindStaff, Email: "noc@itsgow.example", Name: "Noc", Language: "en", PasswordHash: "x",
		CreatedAt: t0, UpdatedAt: t0, Roles: []account.Role{account.RoleNOC}}
	must(t, db.WithTx(ctx, func(q *store.Q) error {
		if err := q.InsertAccount(ctx, &e.customer); err != nil {
			return err
		}
		return q.InsertAccount(ctx, &e.staff)
	}))
	_ = serials
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tick runs every due job.
func (e *env) tick() {
	e.t.Helper()
	if _, err := e.runner.Tick(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) deliver(ref, profile string, key string) (fleet.Server, fleet.Task) {
	e.t.Helper()
	s, task, err := e.svc.Deliver(context.Background(), account.System, fleet.DeliveryRequest{OrderRef: ref, CustomerID: e.customer.ID,
		Plan: profile, Profile: profile, OSImage: "debian-13", SSHKey: key, DurationMonths: 12})
	must(e.t, err)
	return s, task
}

func (e *env) server(id fleet.ServerID) fleet.Server {
	e.t.Helper()
	s, err := e.db.Fleet().GetServer(context.Background(), id)
	must(e.t, err)
	return s
}

func (e *env) machine(id fleet.MachineID) fleet.Machine {
	e.t.Helper()
	m, err := e.db.Fleet().GetMachine(context.Background(), id)
	must(e.t, err)
	return m
}

func (e *env) task(id fleet.TaskID) fleet.Task {
	e.t.Helper()
	tk, err := e.db.Fleet().GetTask(context.Background(), id)
	must(e.t, err)
	return tk
}

func (e *env) mainIP(id fleet.ServerID) netip.Addr {
	e.t.Helper()
	ips, err := e.db.Fleet().IPsOf(context.Background(), id)
	must(e.t, err)
	for _, ip := range ips {
		if ip.Kind == fleet.IPMain {
			return ip.Addr()
		}
	}
	return netip.Addr{}
}

// notices returns the kinds of notices sent to an account.
func (e *env) notices(acc account.ID) []string {
	e.t.Helper()
	ns, err := e.db.Notices().ListNotices(context.Background(), notify.Filter{AccountID: int64(acc), Limit: 100})
	must(e.t, err)
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

func has(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
