package mitigation

import (
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
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// Watch is the collector side of mitigation: it receives the flow records (Add, the
// collector's sink), feeds the detector and the traffic series, and every second turns the
// detector's events into attacks and mitigations (Service.Observe) and writes the completed
// traffic intervals in one batch. It keeps the detector's tracked IPs in line with the
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
	lastFilters time.Time
	lastEvents  int
	history     recorder       // the attacks whose per-class seconds are recorded
	unwritten   []AttackSecond // seconds a failed write left, written again at the next Tick
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
	w.mu.Unlock()
}

// Tick runs one second of the loop at the clock's now.
func (w *Watch) Tick(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	var list []error
	if w.lastRefresh.IsZero() || now.Sub(w.lastRefresh) >= w.refresh {
		if err := w.refreshIPs(ctx); err != nil {
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
	if pts := w.series.Flush(now); len(pts) > 0 {
		for len(pts) > 0 {
			n := min(len(pts), 500)
			if err := w.svc.deps.Store.InsertTraffic(ctx, pts[:n]); err != nil {
				list = append(list, fmt.Errorf("write traffic: %w", err))
				break
			}
			pts = pts[n:]
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

func (w *Watch) refreshIPs(ctx context.Context) error {
	owners, err := w.svc.deps.Directory.IPs(ctx, 0)
	if err != nil {
		return err
	}
	recs, err := w.svc.deps.Store.MitigationRecords(ctx, false)
	if err != nil {
		return err
	}
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
	return nil
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

// Run ticks every period (on multiples of it) until ctx ends. A failed tick is logged.
func (w *Watch) Run(ctx context.Context) error {
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
