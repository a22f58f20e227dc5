package mitigation_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

var (
	t0       = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	target   = netip.MustParseAddr("198.18.0.10")
	other    = netip.MustParseAddr("198.18.0.11")
	attacker = netip.MustParseAddr("203.0.113.7")
	network  = netip.MustParsePrefix("198.18.0.0/24")
)

// fakeDir is a Directory over a fixed map.
type fakeDir map[netip.Addr]mitigation.Owner

func (d fakeDir) Owner(_ context.Context, ip netip.Addr) (mitigation.Owner, bool, error) {
	o, ok := d[ip]
	return o, ok, nil
}

func (d fakeDir) IPs(_ context.Context, customer account.ID) ([]mitigation.Owner, error) {
	var out []mitigation.Owner
	for _, o := range d {
		if customer == 0 || o.Customer == customer {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b mitigation.Owner) int { return a.IP.Compare(b.IP) })
	return out, nil
}

type env struct {
	tb     testing.TB
	ctx    context.Context
	db     *store.DB
	clock  *clocktest.Fake
	cust   account.Account
	dir    fakeDir
	cfg    mitigation.Config
	pol    policy.Config
	svc    *mitigation.Service
	det    *detect.Detector
	series *mitigation.Series
	watch  *mitigation.Watch
	driver *edge.LogDriver
	sync   *mitigation.EdgeSync
	// flow is the template of the flood records.
	flow netguard.Flow
	// wrap and wrapDir, when set, wrap the store and the directory the service uses (set
	// them, then start).
	wrap    func(mitigation.Store) mitigation.Store
	wrapDir func(mitigation.Directory) mitigation.Directory
}

func newEnv(tb testing.TB, db *store.DB, mut func(*mitigation.Config)) *env {
	tb.Helper()
	return newEnvPolicy(tb, db, mut, nil)
}

// newEnvPolicy is newEnv with the policy changed by pmut.
func newEnvPolicy(tb testing.TB, db *store.DB, mut func(*mitigation.Config), pmut func(*policy.Config)) *env {
	tb.Helper()
	e := &env{tb: tb, ctx: context.Background(), db: db, clock: clocktest.New(t0)}
	if db == nil {
		e.db = storetest.OpenSQLite(tb)
	}
	e.cust = account.Account{Kind: account.KindCustomer, Email: "camille@example.com", Name: "Camille Martin", Language: "fr",
		PasswordHash: "unused", CreatedAt: t0, UpdatedAt: t0, Customer: &account.Customer{Type: account.Person, Country: "FR"}}
	if err := e.db.WithTx(e.ctx, func(q *store.Q) error { return q.InsertAccount(e.ctx, &e.cust) }); err != nil {
		tb.Fatal(err)
	}
	e.dir = fakeDir{target: {IP: target, Customer: e.cust.ID, ServerID: 1, Kind: "main"}, other: {IP: other, Customer: e.cust.ID, ServerID: 1, Kind: "additional"}}
	e.cfg = mitigation.DefaultConfig()
	e.pol = policy.Default()
	if mut != nil {
		mut(&e.cfg)
	}
	if pmut != nil {
		pmut(&e.pol)
	}
	e.start()
	e.flow = netguard.Flow{Src: attacker, Dst: target, SrcPort: 40000, DstPort: 27015, Proto: netguard.ProtoUDP, SamplingRate: 1}
	return e
}

// start builds the in-memory parts, as a start or a restart of itsgow does.
func (e *env) start() {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ns, err := notify.New(notify.DefaultConfig(), notify.Deps{Logger: log, Clock: e.clock, Store: e.db.Notices()})
	if err != nil {
		e.tb.Fatal(err)
	}
	pol := e.pol
	det, err := detect.New(detect.Config{Networks: []netip.Prefix{network}, TriggerDelay: time.Second, EndAfter: pol.MitigationQuietPeriod})
	if err != nil {
		e.tb.Fatal(err)
	}
	e.det = det
	e.series = mitigation.NewSeries(e.cfg.TrafficDelay)
	var w *mitigation.Watch
	var sync *mitigation.EdgeSync
	var st mitigation.Store = e.db.Netguard()
	if e.wrap != nil {
		st = e.wrap(st)
	}
	var dir mitigation.Directory = e.dir
	if e.wrapDir != nil {
		dir = e.wrapDir(dir)
	}
	svc, err := mitigation.New(e.cfg, mitigation.Deps{Logger: log, Clock: e.clock, Store: st, Notify: ns, Policy: pol,
		Directory: dir, Profiles: []string{"default", "gaming", "strict", "web"},
		Track: func(ip netip.Addr, p string) { w.Track(ip, p) }, Wake: func() { sync.Wake() }})
	if err != nil {
		e.tb.Fatal(err)
	}
	e.svc = svc
	w = mitigation.NewWatch(svc, det, e.series, mitigation.WatchConfig{Profiles: detect.DefaultProfiles()})
	e.watch = w
	e.driver = edge.NewLogDriver(log)
	sync = mitigation.NewEdgeSync(svc, e.driver, time.Second)
	e.sync = sync
}

// second adds the records of the second ending at the clock's now+1s at pps toward dst
// (none when pps is 0), moves the clock there and ticks the watch and the edge.
func (e *env) second(dst netip.Addr, pps uint64) {
	e.tb.Helper()
	start := e.clock.Now()
	e.clock.Advance(time.Second)
	if pps > 0 {
		f := e.flow
		f.Dst, f.Packets, f.Bytes, f.Start, f.End = dst, pps, pps*500, start, start.Add(time.Second)
		e.watch.Add(&f, e.clock.Now())
	}
	e.tick()
}

func (e *env) tick() {
	e.tb.Helper()
	if err := e.watch.Tick(e.ctx); err != nil {
		e.tb.Fatalf("watch tick: %v", err)
	}
	if err := e.sync.Tick(e.ctx); err != nil {
		e.tb.Fatalf("edge tick: %v", err)
	}
}

func (e *env) record(ip netip.Addr) mitigation.Record {
	e.tb.Helper()
	v, err := e.svc.IP(e.ctx, 0, ip)
	if err != nil {
		e.tb.Fatal(err)
	}
	return v.Record
}

func (e *env) notices() []notify.Notice {
	e.tb.Helper()
	ns, err := e.db.Notices().ListNotices(e.ctx, notify.Filter{AccountID: int64(e.cust.ID), Limit: 100})
	if err != nil {
		e.tb.Fatal(err)
	}
	slices.Reverse(ns)
	return ns
}

func kinds(ns []notify.Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

func (e *env) rules() string { return e.driver.Rules().String() }

var customer = account.Actor{Kind: "customer", Label: "customer"}
var staffActor = account.Actor{Kind: "staff", ID: 99, Label: "staff:99"}
