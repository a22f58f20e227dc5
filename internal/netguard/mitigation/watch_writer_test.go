package mitigation_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

// gateStore is a store whose traffic writes can be held (as a slow database holds them) or
// refused a number of times.
type gateStore struct {
	mitigation.Store
	mu   sync.Mutex
	held chan struct{} // non-nil: InsertTraffic waits until it is closed
	// recordsHeld, non-nil: the refresh's listing of the mitigation records waits until it is
	// closed.
	recordsHeld chan struct{}
	entered     chan struct{} // receives once per InsertTraffic that starts waiting
	refuse      int           // InsertTraffic calls still to refuse
	calls       int
	// stuck is set when a held call was still held after holdLimit: whoever called it waited
	// for the store.
	stuck bool
}

// holdLimit ends a hold the test never released (the caller waited on the store).
const holdLimit = 15 * time.Second

// hold waits until held is closed, or holdLimit, and reports whether it got there by the limit.
func hold(held chan struct{}) (stuck bool) {
	select {
	case <-held:
		return false
	case <-time.After(holdLimit):
		return true
	}
}

// MitigationRecords holds the full listing (the refresh's) while recordsHeld is set, returning
// the records as they were when the call came.
func (g *gateStore) MitigationRecords(ctx context.Context, activeOnly bool) ([]mitigation.Record, error) {
	recs, err := g.Store.MitigationRecords(ctx, activeOnly)
	g.mu.Lock()
	held := g.recordsHeld
	g.mu.Unlock()
	if held != nil && !activeOnly {
		g.entered <- struct{}{}
		if hold(held) {
			g.mu.Lock()
			g.stuck = true
			g.mu.Unlock()
		}
	}
	return recs, err
}

func (g *gateStore) InsertTraffic(ctx context.Context, pts []netguard.TrafficPoint) error {
	g.mu.Lock()
	g.calls++
	held, refuse := g.held, g.refuse
	if refuse > 0 {
		g.refuse--
	}
	g.mu.Unlock()
	if held != nil {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		if hold(held) {
			g.mu.Lock()
			g.stuck = true
			g.mu.Unlock()
		}
	}
	if refuse > 0 {
		return errors.New("database unreachable")
	}
	return g.Store.InsertTraffic(ctx, pts)
}

// waitQueue waits (real time, bounded) until the watch has no traffic point waiting.
func waitQueue(t *testing.T, w *mitigation.Watch) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := w.TrafficBacklog().Queued; n == 0 {
			return
		}
		if time.Now().After(deadline) {
			n := w.TrafficBacklog().Queued
			t.Fatalf("%d traffic points still waiting", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// wantEveryInterval checks that the target's 10-second points since from (at least n) are all
// stored, in order, one per interval, none empty: the target had traffic in each.
func (e *env) wantEveryInterval(t *testing.T, from time.Time, n int) {
	t.Helper()
	pts, err := e.db.Netguard().TrafficPoints(e.ctx, target, netguard.Scale10s, from, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) < n {
		t.Fatalf("only %d points stored", len(pts))
	}
	for i, p := range pts {
		if i > 0 && p.At.Sub(pts[i-1].At) != 10*time.Second {
			t.Fatalf("points %d and %d are %s apart: %v then %v", i-1, i, p.At.Sub(pts[i-1].At), pts[i-1].At, p.At)
		}
		if p.In.PPS == 0 {
			t.Fatalf("an interval with traffic stored as empty: %+v", p)
		}
	}
}

// While the store holds a traffic write (100,000 active IPs hand it 100,000 points every 10 s),
// the watch goes on judging seconds: an attack that starts then is mitigated at once. When the
// store answers, every point is there, none lost; a refused write is tried again a second
// later, and loses none either.
func TestSlowTrafficWritesDoNotDelayDetection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	gate := &gateStore{entered: make(chan struct{}, 1)}
	e.wrap = func(s mitigation.Store) mitigation.Store { gate.Store = s; return gate }
	e.start()
	ctx, cancel := context.WithCancel(e.ctx)
	wait := e.watch.StartBackground(ctx)
	stopped := false
	defer func() {
		if !stopped {
			cancel()
			wait()
		}
	}()

	e.tick()
	from := e.clock.Now()
	gate.mu.Lock()
	gate.held = make(chan struct{})
	gate.mu.Unlock()
	// Benign traffic until the series hands out its first points, which the store holds.
	entered := false
	for i := 0; i < 200 && !entered; i++ {
		e.second(target, 1000)
		select {
		case <-gate.entered:
			entered = true
		case <-time.After(time.Millisecond):
		}
	}
	if !entered {
		t.Fatal("the series handed the store no point in 200 s")
	}
	// The store still holds that write: an attack is judged and mitigated all the same.
	e.second(target, 300_000)
	e.second(target, 300_000)
	if r := e.record(target); r.State != netguard.MitigationAuto {
		t.Fatalf("mitigation while the store holds a traffic write: %+v", r)
	}
	for range 30 { // more intervals end meanwhile: their points queue
		e.second(target, 1000)
	}
	if n := e.watch.TrafficBacklog().Queued; n == 0 {
		t.Fatal("no point queued while the store holds the write")
	}
	gate.mu.Lock()
	close(gate.held)
	gate.held = nil
	gate.mu.Unlock()
	waitQueue(t, e.watch)

	// Two refused writes: the points stay queued and go a second later (the watch's clock).
	gate.mu.Lock()
	gate.refuse = 2
	gate.mu.Unlock()
	for range 40 {
		e.second(target, 1000)
		time.Sleep(time.Millisecond) // let the writer meet the clock's second
	}
	deadline := time.Now().Add(10 * time.Second)
	for gate.refusing() > 0 || !e.queueEmpty() {
		if time.Now().After(deadline) {
			t.Fatalf("refused points never written: %d refusals left", gate.refusing())
		}
		e.clock.Advance(time.Second)
		time.Sleep(2 * time.Millisecond)
	}

	// Stopping the writer writes what is left.
	for range 20 {
		e.second(target, 1000)
	}
	cancel()
	wait()
	stopped = true
	if n := e.watch.TrafficBacklog().Queued; n != 0 {
		t.Fatalf("%d points left after the writer stopped", n)
	}

	e.wantEveryInterval(t, from, 10)
	if dropped := e.watch.TrafficBacklog().Dropped; dropped != 0 {
		t.Fatalf("%d points dropped", dropped)
	}
	if gate.stuck {
		t.Fatal("Tick waited for the held traffic write")
	}
}

func (g *gateStore) refusing() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refuse
}

func (e *env) queueEmpty() bool {
	n := e.watch.TrafficBacklog().Queued
	return n == 0
}

// Without a writer (a watch that is not run), Tick writes the points itself, and a refused
// write keeps them for the next Tick.
func TestTickWritesTrafficWithoutAWriter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	gate := &gateStore{}
	e.wrap = func(s mitigation.Store) mitigation.Store { gate.Store = s; return gate }
	e.start()
	e.tick()
	from := e.clock.Now()
	gate.refuse = 1
	failed := false
	for range 120 {
		start := e.clock.Now()
		e.clock.Advance(time.Second)
		f := e.flow
		f.Dst, f.Packets, f.Bytes, f.Start, f.End = target, 1000, 500_000, start, start.Add(time.Second)
		e.watch.Add(&f, e.clock.Now())
		if err := e.watch.Tick(e.ctx); err != nil {
			if failed {
				t.Fatalf("a second failure: %v", err)
			}
			failed = true
			if n := e.watch.TrafficBacklog().Queued; n == 0 {
				t.Fatalf("the refused points were not kept: %v", err)
			}
		}
	}
	if !failed {
		t.Fatal("the refused write was not reported")
	}
	if n := e.watch.TrafficBacklog().Queued; n != 0 {
		t.Fatalf("%d points left", n)
	}
	e.wantEveryInterval(t, from, 5)
}

// gateDir is a directory whose listing can be held, as a store reading a large fleet holds
// it. A held listing is the directory as it was when the call came.
type gateDir struct {
	mitigation.Directory
	mu      sync.Mutex
	held    chan struct{}
	entered chan struct{}
	stuck   bool // as gateStore's
}

func (g *gateDir) IPs(ctx context.Context, customer account.ID) ([]mitigation.Owner, error) {
	out, err := g.Directory.IPs(ctx, customer)
	g.mu.Lock()
	held := g.held
	g.mu.Unlock()
	if held != nil {
		g.entered <- struct{}{}
		if hold(held) {
			g.mu.Lock()
			g.stuck = true
			g.mu.Unlock()
		}
	}
	return out, err
}

// While the directory takes its time listing the fleet's IPs (the periodic refresh), the watch
// goes on judging: an attack on a tracked IP is mitigated at once. A refresh asked for while a
// listing was under way (an IP added) is done at the next Tick, not a refresh period later.
func TestSlowDirectoryDoesNotDelayDetection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	gate := &gateDir{entered: make(chan struct{}, 1)}
	e.wrapDir = func(d mitigation.Directory) mitigation.Directory { gate.Directory = d; return gate }
	e.start()
	ctx, cancel := context.WithCancel(e.ctx)
	wait := e.watch.StartBackground(ctx)
	defer wait()
	defer cancel() // before wait
	tracked := func(ip netip.Addr) bool { _, ok := e.det.Profile(ip); return ok }
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s", what)
			}
			e.tick()
			time.Sleep(2 * time.Millisecond)
		}
	}
	until("the directory's IPs tracked", func() bool { return tracked(target) && tracked(other) })

	gate.mu.Lock()
	gate.held = make(chan struct{})
	gate.mu.Unlock()
	e.clock.Advance(time.Minute) // the refresh period: a listing in the background
	e.tick()
	select {
	case <-gate.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh under way")
	}
	third := netip.MustParseAddr("198.18.0.12")
	e.dir[third] = mitigation.Owner{IP: third, Customer: e.cust.ID, ServerID: 2, Kind: "main"}
	e.watch.Refresh() // the listing under way predates it: asked again, at the next Tick
	e.second(target, 300_000)
	e.second(target, 300_000)
	if r := e.record(target); r.State != netguard.MitigationAuto {
		t.Fatalf("mitigation while the directory is listing: %+v", r)
	}
	gate.mu.Lock()
	close(gate.held)
	gate.held = nil
	gate.mu.Unlock()
	until("the IP added during the listing tracked, without waiting a refresh period", func() bool { return tracked(third) })
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if gate.stuck {
		t.Fatal("Tick waited for the held listing")
	}
}

// A store refusing a batch of points for good (a value it cannot take) does not hold back the
// points behind it: after maxWriteAttempts refusals in a row, a minute of retries, the batch is
// dropped and counted, and the next ones are written.
func TestRefusedTrafficBatchIsDroppedInTheEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	gate := &gateStore{}
	e.wrap = func(s mitigation.Store) mitigation.Store { gate.Store = s; return gate }
	e.start()
	ctx, cancel := context.WithCancel(e.ctx)
	wait := e.watch.StartBackground(ctx)
	defer wait()
	defer cancel()
	e.tick()
	gate.mu.Lock()
	gate.refuse = 1 << 30
	gate.mu.Unlock()
	for range 15 { // one interval ends: its points are refused
		e.second(target, 1000)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if dropped := e.watch.TrafficBacklog().Dropped; dropped > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refused batch was never dropped")
		}
		e.clock.Advance(time.Second) // the writer's retry
		time.Sleep(time.Millisecond)
	}
	gate.mu.Lock()
	calls := gate.calls
	gate.refuse = 0
	gate.mu.Unlock()
	if calls < 60 {
		t.Errorf("dropped after %d attempts, want 60", calls)
	}
	from := e.clock.Now()
	for range 30 {
		e.second(target, 1000)
		time.Sleep(time.Millisecond)
	}
	cancel()
	wait()
	e.wantEveryInterval(t, from, 2)
}

// A profile chosen while a background refresh reads the records (which then hold the former
// one) stays: the refresh is not applied, and the next Tick refreshes again.
func TestProfileChangeDuringABackgroundRefreshStays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	gate := &gateStore{entered: make(chan struct{}, 1)}
	e.wrap = func(s mitigation.Store) mitigation.Store { gate.Store = s; return gate }
	e.start()
	if _, err := e.svc.SetProUse(e.ctx, staffActor, target, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	wait := e.watch.StartBackground(ctx)
	defer wait()
	defer cancel()
	e.tick() // the first refresh, at the Tick
	if p, _ := e.det.Profile(target); p != mitigation.DefaultProfile {
		t.Fatalf("profile before: %q", p)
	}
	gate.mu.Lock()
	gate.recordsHeld = make(chan struct{})
	gate.mu.Unlock()
	e.clock.Advance(time.Minute)
	e.tick()
	select {
	case <-gate.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no background refresh under way")
	}
	if _, err := e.svc.SetProfile(e.ctx, customer, e.cust.ID, target, "gaming"); err != nil {
		t.Fatal(err)
	}
	gate.mu.Lock()
	close(gate.recordsHeld)
	gate.recordsHeld = nil
	gate.mu.Unlock()
	for range 100 {
		e.tick()
		if p, _ := e.det.Profile(target); p != "gaming" {
			t.Fatalf("the refresh read before the change undid it: profile %q", p)
		}
		time.Sleep(2 * time.Millisecond)
	}
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if gate.stuck {
		t.Fatal("Tick waited for the held listing")
	}
}
