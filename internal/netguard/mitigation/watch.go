package mitigation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// Watch is the collector side of mitigation: it receives the flow records (Add, the
// collector's sink), feeds the detector and the traffic series, and every second turns the
// detector's events into attacks and mitigations (Service.Observe) and hands the completed
// traffic intervals to the store (through its writer while one runs, so that a
// slow store never delays a judgement). It keeps the detector's tracked IPs in line with the
// directory and the chosen profiles.
type Watch struct {
	svc      *Service
	Ingest   // the collector's sink: Add, AddBatch, AddBatchLane
	clock    clock.Clock
	log      *slog.Logger
	refresh  time.Duration
	every    time.Duration
	infra    []netip.Addr
	infraP   string
	profiles map[string]detect.Profile

	mu          sync.Mutex // serialises Tick; guards the fields below
	tracked     map[netip.Addr]string
	lastRefresh time.Time
	background  bool          // StartBackground's goroutines run: Tick hands them the store's slow work
	refreshing  bool          // a refresh was handed to the background and has not finished
	refreshGen  uint64        // counts Refresh and Track calls, so that a background read older than one is not applied
	refreshKick chan struct{} // capacity 1
	lastFilters time.Time
	lastEvents  int
	history     recorder       // the attacks whose per-class seconds are recorded
	unwritten   []AttackSecond // seconds a failed write left, written again at the next Tick

	traffic trafficQueue
}

// trafficQueue holds the traffic points Tick handed over until they are stored. With 100,000
// active IPs the series hands out 100,000 points every 10 s (more at the minute's roll-ups):
// written from Tick, they would hold up the detector's next judgement for as long as the store
// takes. While a writer runs (StartBackground), Tick only queues them; otherwise (tests, a watch
// not run) Tick writes them itself. They are written oldest first, a batch at a time, the batch
// staying at the head of the queue until written: a refused batch is tried again (and dropped,
// counted, after maxWriteAttempts refusals in a row, so that a batch the store can never take
// does not hold back every point behind it). Beyond maxQueuedPoints the oldest are dropped, and
// counted.
type trafficQueue struct {
	mu       sync.Mutex
	pts      []netguard.TrafficPoint // oldest first
	base     uint64                  // points ever removed from the head (written or dropped)
	failures int                     // refusals in a row
	// inflight: the points before this index (counted as base is) are in the batch being
	// written; cut: how many of them an overflow took off the head meanwhile (dropped only if
	// the write fails).
	inflight, cut uint64
	writer        bool          // a writer runs (StartBackground)
	wake          chan struct{} // capacity 1: points are waiting
	dropped       uint64
	max           int // the bound: maxQueuedPoints unless set (tests)

	wmu sync.Mutex // one writer at a time
}

// maxQueuedPoints bounds the traffic points waiting for the store, the batch being written
// included: ten 10-second periods of 100,000 active IPs (about 110 MB); older ones are dropped
// first.
const maxQueuedPoints = 1_000_000

// trafficBatch is how many points one InsertTraffic call takes.
const trafficBatch = 500

// maxWriteAttempts is how many refusals in a row a batch of points gets before it is dropped:
// a minute of retries with the writer, so that a store away for less loses nothing.
const maxWriteAttempts = 60

// queue adds pts behind the waiting points, drops the oldest beyond the bound, and reports
// whether a writer will store them.
func (q *trafficQueue) queue(pts []netguard.TrafficPoint) (writer bool, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pts = append(q.pts, pts...)
	if n := len(q.pts) - cmp.Or(q.max, maxQueuedPoints); n > 0 {
		// The batch being written is at the head: its points are lost only if its write fails.
		writing := min(uint64(n), q.inflight-min(q.inflight, q.base))
		q.cut += writing
		q.remove(uint64(n))
		q.dropped += uint64(n) - writing
		dropped = n - int(writing)
	}
	if q.writer && len(pts) > 0 {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return q.writer, dropped
}

// remove takes n points off the head; q.mu is held. The points stay where they are in memory
// (a batch being written may still read them) until an append moves the rest.
func (q *trafficQueue) remove(n uint64) {
	q.pts = q.pts[n:]
	q.base += n
}

// TrafficBacklog is the state of a Watch's traffic writer: the points (the live charts) waiting
// for the store, the batch being written included, and those dropped since the Watch started
// because the store fell more than maxQueuedPoints behind or refused a batch maxWriteAttempts
// times in a row (the charts have gaps there).
type TrafficBacklog struct {
	Queued  int
	Dropped uint64
}

// TrafficBacklog reports the traffic writer's backlog.
func (w *Watch) TrafficBacklog() TrafficBacklog {
	w.traffic.mu.Lock()
	defer w.traffic.mu.Unlock()
	return TrafficBacklog{Queued: len(w.traffic.pts), Dropped: w.traffic.dropped}
}

// writeTraffic writes the waiting points a batch at a time, oldest first, until none waits or
// the store refuses one.
func (w *Watch) writeTraffic(ctx context.Context) error {
	q := &w.traffic
	q.wmu.Lock()
	defer q.wmu.Unlock()
	for {
		q.mu.Lock()
		n := min(len(q.pts), trafficBatch)
		// The batch is read without the lock: queue only appends past it and drops only move
		// the head, so nothing writes these points.
		batch := q.pts[:n:n]
		q.inflight = q.base + uint64(n)
		q.mu.Unlock()
		if n == 0 {
			return nil
		}
		err := w.svc.deps.Store.InsertTraffic(ctx, batch)
		q.mu.Lock()
		done := int64(q.inflight) - int64(q.base) // what is left of the batch at the head
		cut := q.cut
		q.inflight, q.cut = 0, 0
		if err == nil {
			q.failures = 0
			if done > 0 {
				q.remove(uint64(done))
			}
			q.mu.Unlock()
			continue
		}
		q.dropped += cut // taken off the head by an overflow, and not written
		if done <= 0 {   // the whole batch went so: the next one has not been tried yet
			q.failures = 0
			q.mu.Unlock()
			return fmt.Errorf("write traffic: %w", err)
		}
		q.failures++
		gaveUp := q.failures >= maxWriteAttempts
		if gaveUp {
			q.remove(uint64(done))
			q.dropped += uint64(done)
			q.failures = 0
		}
		q.mu.Unlock()
		if gaveUp {
			w.log.LogAttrs(ctx, slog.LevelError, "netguard traffic points dropped: the store refused them",
				slog.Int("points", int(done)), slog.Int("attempts", maxWriteAttempts), slog.String(logkey.Error, err.Error()))
		}
		return fmt.Errorf("write traffic: %w", err)
	}
}

// StartBackground starts the goroutines that take the store's slow work off Tick from now on,
// until ctx ends: the traffic writer, which stores the points Tick queues (and at the end what
// is left, for at most 10 s; a failed write is logged and tried again a second later on the
// watch's clock), and the refresh of the tracked IPs, which reads the directory while the
// detector goes on judging. wait returns once both have finished; Tick then does that work
// itself again. Run starts them.
func (w *Watch) StartBackground(ctx context.Context) (wait func()) {
	q := &w.traffic
	q.mu.Lock()
	if q.writer {
		q.mu.Unlock()
		panic("mitigation: Watch.StartBackground called while its background goroutines run")
	}
	if q.wake == nil {
		q.wake = make(chan struct{}, 1)
	}
	q.writer = true
	q.mu.Unlock()
	w.mu.Lock()
	kick := make(chan struct{}, 1)
	w.background, w.refreshing, w.refreshKick = true, false, kick
	w.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { w.runTrafficWriter(ctx) })
	wg.Go(func() {
		w.refreshLoop(ctx, kick)
		w.mu.Lock()
		if w.refreshKick == kick { // not started again meanwhile
			w.background, w.refreshing = false, false
		}
		w.mu.Unlock()
	})
	return wg.Wait
}

func (w *Watch) runTrafficWriter(ctx context.Context) {
	q := &w.traffic
	wake := q.wake
	defer func() {
		q.mu.Lock()
		q.writer = false
		q.mu.Unlock()
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := w.writeTraffic(fctx); err != nil {
			w.log.LogAttrs(fctx, slog.LevelWarn, "netguard traffic not written at shutdown", slog.String(logkey.Error, err.Error()))
		}
	}()
	if w.TrafficBacklog().Queued > 0 {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		err := w.writeTraffic(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		w.log.LogAttrs(ctx, slog.LevelWarn, "netguard traffic write failed; trying again", slog.String(logkey.Error, err.Error()))
		t := w.clock.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// WatchConfig tunes a Watch.
type WatchConfig struct {
	// Refresh is how often the tracked IPs are read again from the directory (1 min).
	Refresh time.Duration
	// Every is the period of Run (1 s; itsgow sets netguard.tick, 250 ms), on multiples of it
	// just after them: the detector judges a second once it ends and again as late records
	// change it.
	Every time.Duration
	// Infrastructure lists the host's own IPs the detector watches besides the directory's,
	// with InfrastructureProfile ("default" when empty). Their attacks are reported; the edge's
	// guard rails keep rules off them.
	Infrastructure        []netip.Addr
	InfrastructureProfile string
	// Profiles are the detector's profiles by name, for TestProfile.
	Profiles map[string]detect.Profile
}

// NewWatch returns the loop feeding det and series for s.
func NewWatch(s *Service, det *detect.Detector, series *Series, cfg WatchConfig) *Watch {
	if cfg.Refresh <= 0 {
		cfg.Refresh = time.Minute
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.InfrastructureProfile == "" {
		cfg.InfrastructureProfile = DefaultProfile
	}
	return &Watch{svc: s, Ingest: NewIngest(det, series), clock: s.deps.Clock, refresh: cfg.Refresh, every: cfg.Every,
		infra: slices.Clone(cfg.Infrastructure), infraP: cfg.InfrastructureProfile, profiles: cfg.Profiles,
		log: s.deps.Logger.With(logkey.Component, "netguard/watch"), tracked: map[netip.Addr]string{},
		history: recorder{open: map[netip.Addr]*recording{}}}
}

// Track starts tracking ip with profile now (a profile change from the interface).
func (w *Watch) Track(ip netip.Addr, profile string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.refreshGen++ // a background read under way may hold the former profile
	if _, ok := w.tracked[ip]; ok {
		w.track(ip, profile)
	}
}

func (w *Watch) track(ip netip.Addr, profile string) {
	if err := w.det.Track(ip, profile); err != nil {
		profile = DefaultProfile
		_ = w.det.Track(ip, profile)
	}
	w.tracked[ip] = profile
}

// Refresh reads the tracked IPs and their profiles again at the next Tick.
func (w *Watch) Refresh() {
	w.mu.Lock()
	w.lastRefresh = time.Time{}
	w.refreshGen++
	w.mu.Unlock()
}

// Tick runs one second of the loop at the clock's now.
func (w *Watch) Tick(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	var list []error
	if (w.lastRefresh.IsZero() || now.Sub(w.lastRefresh) >= w.refresh) && !w.refreshing {
		if w.background && !w.lastRefresh.IsZero() {
			// Reading every IP of a large fleet takes the store a while: the background reads
			// them while the detector goes on judging. The first refresh, and one asked for
			// (Refresh), are done here: their IPs are tracked from this Tick on.
			w.refreshing = true
			select {
			case w.refreshKick <- struct{}{}:
			default: // one is pending
			}
		} else if err := w.refreshIPs(ctx); err != nil {
			list = append(list, fmt.Errorf("refresh tracked IPs: %w", err))
		} else {
			w.lastRefresh = now
		}
	}
	events := w.det.Tick(now)
	if err := w.svc.Observe(ctx, events, now); err != nil {
		list = append(list, err)
	}
	if len(events) > 0 || w.lastEvents > 0 || now.Sub(w.lastFilters) >= 5*time.Second {
		if err := w.refreshFilters(ctx); err != nil {
			list = append(list, fmt.Errorf("refresh filters: %w", err))
		} else {
			w.lastFilters = now
		}
	}
	w.lastEvents = len(events)
	w.history.observe(events, now)
	if err := w.writeHistory(ctx, now); err != nil {
		list = append(list, fmt.Errorf("write attack seconds: %w", err))
	}
	writer, dropped := w.traffic.queue(w.series.Flush(now))
	if dropped > 0 {
		list = append(list, fmt.Errorf("traffic points dropped, the store being too far behind: %d", dropped))
	}
	if !writer { // no writer runs: this Tick writes what waits, a refused batch included
		if err := w.writeTraffic(ctx); err != nil {
			list = append(list, err)
		}
	}
	return errors.Join(list...)
}

// maxUnwritten bounds the seconds kept for the next Tick when the store refuses them (an hour
// of 100 IPs under attack; older ones are dropped first).
const maxUnwritten = 360_000

// writeHistory writes the settled seconds of the attacks' recordings in one transaction.
func (w *Watch) writeHistory(ctx context.Context, now time.Time) error {
	w.unwritten = append(w.unwritten, w.history.seconds(w.det, now)...)
	if len(w.unwritten) == 0 {
		return nil
	}
	if err := w.svc.deps.Store.InsertAttackSeconds(ctx, w.unwritten); err != nil {
		if n := len(w.unwritten) - maxUnwritten; n > 0 {
			w.unwritten = slices.Delete(w.unwritten, 0, n)
		}
		return err
	}
	w.unwritten = w.unwritten[:0]
	return nil
}

// refreshIPs brings the tracked IPs in line with the directory and the chosen profiles; w.mu
// is held.
func (w *Watch) refreshIPs(ctx context.Context) error {
	owners, recs, err := w.readIPs(ctx)
	if err != nil {
		return err
	}
	w.applyIPs(owners, recs)
	return nil
}

// readIPs reads the directory's IPs and the mitigation records (their profiles); it needs no
// lock.
func (w *Watch) readIPs(ctx context.Context) ([]Owner, []Record, error) {
	owners, err := w.svc.deps.Directory.IPs(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	recs, err := w.svc.deps.Store.MitigationRecords(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	return owners, recs, nil
}

// applyIPs tracks the owners' IPs and the infrastructure's, with their profiles, and forgets
// the others; w.mu is held.
func (w *Watch) applyIPs(owners []Owner, recs []Record) {
	profiles := make(map[netip.Addr]string, len(recs))
	for _, r := range recs {
		profiles[r.IP] = r.Profile
	}
	keep := make(map[netip.Addr]bool, len(owners))
	ips := make([]netip.Addr, 0, len(owners))
	for _, o := range owners {
		p := profiles[o.IP]
		if p == "" {
			p = DefaultProfile
		}
		keep[o.IP] = true
		ips = append(ips, o.IP)
		if cur, ok := w.tracked[o.IP]; !ok || cur != p {
			w.track(o.IP, p)
		}
	}
	for _, ip := range w.infra {
		if keep[ip] {
			continue // a customer's after all
		}
		keep[ip] = true
		if cur, ok := w.tracked[ip]; !ok || cur != w.infraP {
			w.track(ip, w.infraP)
		}
	}
	for ip := range w.tracked {
		if !keep[ip] {
			w.det.Untrack(ip)
			delete(w.tracked, ip)
		}
	}
	w.series.Track(ips)
}

// refreshLoop runs the refreshes Tick hands it (background mode) until ctx ends.
func (w *Watch) refreshLoop(ctx context.Context, kick <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		w.mu.Lock()
		gen := w.refreshGen
		w.mu.Unlock()
		started := w.clock.Now()
		owners, recs, err := w.readIPs(ctx)
		w.mu.Lock()
		switch {
		case err != nil:
		case w.refreshGen != gen:
			// Refresh or Track came during the read, which may predate them (a profile just
			// changed): applying it could undo them. Again at the next Tick, at the Tick.
			w.lastRefresh = time.Time{}
		default:
			w.applyIPs(owners, recs)
			w.lastRefresh = started
		}
		w.refreshing = false
		w.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			w.log.LogAttrs(ctx, slog.LevelWarn, "netguard refresh of the tracked IPs failed", slog.String(logkey.Error, err.Error()))
		}
	}
}

func (w *Watch) refreshFilters(ctx context.Context) error {
	recs, err := w.svc.deps.Store.MitigationRecords(ctx, true)
	if err != nil {
		return err
	}
	fs := make(map[netip.Addr]Filter, len(recs))
	for _, r := range recs {
		if f := FilterOf(r.Mitigation, w.svc.cfg.RateLimit); f.Level != 0 {
			fs[r.IP] = f
		}
	}
	w.series.SetFilters(fs)
	return nil
}

// Run ticks every period (on multiples of it) until ctx ends, with the background goroutines
// (StartBackground) beside it. A failed tick is logged.
func (w *Watch) Run(ctx context.Context) error {
	defer w.StartBackground(ctx)()
	t := w.clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		if err := w.Tick(ctx); err != nil && ctx.Err() == nil {
			w.log.LogAttrs(ctx, slog.LevelWarn, "netguard tick failed", slog.String(logkey.Error, err.Error()))
		}
		now := w.clock.Now()
		t.Reset(now.Truncate(w.every).Add(w.every).Sub(now) + 5*time.Millisecond)
	}
}

// Stats are the detector's counters.
func (w *Watch) Stats() detect.Stats { return w.det.Stats() }
