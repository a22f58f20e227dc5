package mitigation

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// EdgeInput is the edge's desired state as a pure function of the given rows: one
// edge.Mitigation per active mitigation with a level, and the infrastructure threatened while
// any of them is at level 3 (the service sets level 3 only then).
func EdgeInput(recs []Record, rateLimit uint64) edge.Input {
	in := edge.Input{RateLimit: rateLimit}
	for _, r := range recs {
		if !r.Active() || r.Level == netguard.LevelNone {
			continue
		}
		in.Mitigations = append(in.Mitigations, edge.Mitigation{ID: r.IP.String(), IP: r.IP, Level: r.Level,
			Vectors: slices.Clone(r.Vectors)})
		if r.Level >= netguard.LevelBlackhole {
			in.InfrastructureThreatened = true
		}
	}
	return in
}

// Guard returns the guard rails of the edge compiler.
func (s *Service) Guard() edge.Guard {
	return edge.Guard{Infrastructure: slices.Clone(s.infra), MaxRules: s.cfg.MaxRules}
}

// Desired compiles the edge rule set from the store: the active mitigations (EdgeInput) and
// the staff rules, through edge.Compile. It is deterministic: the same rows give the same set.
// A wide staff rule not approved yet is among the refusals (too-wide).
func (s *Service) Desired(ctx context.Context) (edge.RuleSet, []edge.Refusal, error) {
	recs, err := s.deps.Store.MitigationRecords(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	staff, err := s.deps.Store.StaffRules(ctx)
	if err != nil {
		return nil, nil, err
	}
	in := EdgeInput(recs, s.cfg.RateLimit)
	for _, r := range staff {
		in.Staff = append(in.Staff, r.Edge(s.cfg.RateLimit)...)
	}
	rules, refusals := edge.Compile(in, s.Guard())
	return rules, refusals, nil
}

// EdgeSync applies the desired rule set to an edge.Driver, sending only the difference: the
// first Tick (and the one after a failure) resyncs the whole set, so a restarted itsgow
// announces every active mitigation again. Each Tick first ends the mitigations whose time has
// come (Service.Expire).
type EdgeSync struct {
	svc    *Service
	driver edge.Driver
	clock  clock.Clock
	log    *slog.Logger
	every  time.Duration
	wake   chan struct{}

	mu       sync.Mutex // serialises Tick; guards the fields below
	synced   bool
	applied  edge.RuleSet
	refusals []edge.Refusal
	lastErr  error
	at       time.Time
}

// NewEdgeSync returns the loop that applies s's rule set through driver every period (and at
// once after Wake).
func NewEdgeSync(s *Service, driver edge.Driver, every time.Duration) *EdgeSync {
	if every <= 0 {
		every = time.Second
	}
	return &EdgeSync{svc: s, driver: driver, clock: s.deps.Clock, every: every, wake: make(chan struct{}, 1),
		log: s.deps.Logger.With(logkey.Component, "netguard/edge-sync")}
}

// Wake makes Run tick at once.
func (e *EdgeSync) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Tick ends due mitigations, compiles the desired set and applies the difference.
func (e *EdgeSync) Tick(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	if _, err := e.svc.Expire(ctx, now); err != nil {
		e.lastErr = err
		return err
	}
	want, refusals, err := e.svc.Desired(ctx)
	if err != nil {
		e.lastErr = err
		return err
	}
	e.refusals, e.at = refusals, now
	if !e.synced {
		if err := e.driver.Resync(ctx, want); err != nil {
			e.lastErr = err
			return err
		}
		e.synced, e.applied, e.lastErr = true, want, nil
		e.log.LogAttrs(ctx, slog.LevelInfo, "edge rules announced", slog.Int("count", len(want)), slog.Int("refused", len(refusals)))
		return nil
	}
	add, remove := edge.Diff(e.applied, want)
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	if err := e.driver.Apply(ctx, add, remove); err != nil {
		e.synced, e.lastErr = false, err // resync the whole set next time
		return err
	}
	e.applied, e.lastErr = want, nil
	e.log.LogAttrs(ctx, slog.LevelInfo, "edge rules changed", slog.Int("added", len(add)), slog.Int("removed", len(remove)),
		slog.Int("count", len(want)))
	return nil
}

// Run ticks every period, and at once after Wake, until ctx ends. A failed tick is logged and
// retried.
func (e *EdgeSync) Run(ctx context.Context) error {
	t := e.clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		case <-e.wake:
			t.Stop()
		}
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log.LogAttrs(ctx, slog.LevelWarn, "edge sync failed", slog.String(logkey.Error, err.Error()))
		}
		t.Reset(e.every)
	}
}

// EdgeState is what the staff dashboard shows of the edge.
type EdgeState struct {
	// Applied is the set the driver holds as far as this process knows; Refusals what the
	// guard rails refused at the last compile.
	Applied  edge.RuleSet
	Refusals []edge.Refusal
	Peers    []edge.PeerStatus
	Synced   bool
	At       time.Time
	Error    string
}

// State reports the applied set, the refusals and the driver's sessions.
func (e *EdgeSync) State() EdgeState {
	e.mu.Lock()
	st := EdgeState{Applied: slices.Clone(e.applied), Refusals: slices.Clone(e.refusals), Synced: e.synced, At: e.at}
	if e.lastErr != nil {
		st.Error = e.lastErr.Error()
	}
	e.mu.Unlock()
	st.Peers = e.driver.Status()
	return st
}
