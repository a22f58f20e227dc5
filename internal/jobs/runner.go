package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/logkey"
)

// Config tunes the runner.
type Config struct {
	PollInterval time.Duration `yaml:"poll_interval"`
	Workers      int           `yaml:"workers"`
	// LeaseTimeout: a running job locked longer than this is assumed lost and made available.
	LeaseTimeout time.Duration `yaml:"lease_timeout"`
	// Retention of finished jobs (their unique keys stay reserved until then).
	Retention time.Duration `yaml:"retention"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{PollInterval: time.Second, Workers: 4, LeaseTimeout: 15 * time.Minute, Retention: 30 * 24 * time.Hour}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.PollInterval < 10*time.Millisecond:
		return errors.New("jobs.poll_interval: must be at least 10ms")
	case c.Workers < 1 || c.Workers > 256:
		return errors.New("jobs.workers: must be between 1 and 256")
	case c.LeaseTimeout < time.Second:
		return errors.New("jobs.lease_timeout: must be at least 1s")
	case c.Retention < time.Hour:
		return errors.New("jobs.retention: must be at least 1h")
	}
	return nil
}

// Handler carries out a job. Returning an error retries it with backoff; Permanent(err) discards it.
type Handler func(ctx context.Context, j Job) error

// Deps are the runner's dependencies.
type Deps struct {
	Logger *slog.Logger
	Clock  clock.Clock
	Store  Store
	Name   string // worker name, recorded in locked_by
}

type periodic struct {
	kind  string
	every time.Duration
}

// Runner claims due jobs and runs their handlers.
type Runner struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	mu        sync.Mutex
	handlers  map[string]Handler
	periodics []periodic
	wake      chan struct{}
	lastPrune time.Time
}

// New makes a runner; register handlers before Run.
func New(cfg Config, deps Deps) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Clock == nil || deps.Logger == nil {
		return nil, errors.New("jobs: store, clock and logger are required")
	}
	if deps.Name == "" {
		deps.Name = "worker"
	}
	return &Runner{
		cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "jobs"),
		handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
	}, nil
}

// Handle registers the handler of a kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Periodic enqueues a job of kind once per period (unique per period slot, so several
// processes never run the same slot twice). The handler must be registered too.
func (r *Runner) Periodic(kind string, every time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.periodics = append(r.periodics, periodic{kind, every})
}

// Wake makes Run poll at once (call it after committing an enqueue).
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Tick runs one iteration: schedule periodic jobs, rescue lost jobs, then claim and run due
// jobs until none is due. It returns how many jobs ran.
func (r *Runner) Tick(ctx context.Context) (int, error) {
	now := r.deps.Clock.Now()
	r.mu.Lock()
	pers := append([]periodic(nil), r.periodics...)
	r.mu.Unlock()
	for _, p := range pers {
		slot := now.Truncate(p.every)
		key := fmt.Sprintf("periodic:%s:%d", p.kind, slot.Unix())
		if _, _, err := Enqueue(ctx, r.deps.Store, now, p.kind, struct {
			Slot time.Time `json:"slot"`
		}{slot}, Opts{UniqueKey: key, RunAt: slot, MaxAttempts: 3}); err != nil {
			return 0, fmt.Errorf("schedule %s: %w", p.kind, err)
		}
	}
	if _, err := r.deps.Store.RescueJobs(ctx, now.Add(-r.cfg.LeaseTimeout), now); err != nil {
		return 0, fmt.Errorf("rescue jobs: %w", err)
	}
	r.mu.Lock()
	prune := now.Sub(r.lastPrune) > time.Hour
	if prune {
		r.lastPrune = now
	}
	r.mu.Unlock()
	if prune {
		if _, err := r.deps.Store.PruneJobs(ctx, now.Add(-r.cfg.Retention)); err != nil {
			return 0, fmt.Errorf("prune jobs: %w", err)
		}
	}
	kinds := r.kinds()
	total := 0
	for {
		batch, err := r.deps.Store.ClaimJobs(ctx, r.deps.Clock.Now(), r.deps.Name, kinds, r.cfg.Workers)
		if err != nil {
			return total, fmt.Errorf("claim jobs: %w", err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		var wg sync.WaitGroup
		for _, j := range batch {
			wg.Add(1)
			go func(j Job) {
				defer wg.Done()
				r.runOne(ctx, j)
			}(j)
		}
		wg.Wait()
		total += len(batch)
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

func (r *Runner) runOne(ctx context.Context, j Job) {
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	log := r.log.With(logkey.JobID, j.ID, logkey.JobKind, j.Kind)
	err := safeCall(ctx, h, j)
	now := r.deps.Clock.Now()
	// Recording the outcome must survive the caller's cancellation.
	sctx := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		if e := r.deps.Store.CompleteJob(sctx, j.ID, now); e != nil {
			log.Error("job completion not recorded", logkey.Error, e)
		}
	case IsPermanent(err) || j.Attempt >= j.MaxAttempts:
		log.Error("job discarded", logkey.Error, err, "attempt", j.Attempt)
		if e := r.deps.Store.DiscardJob(sctx, j.ID, now, err.Error()); e != nil {
			log.Error("job discard not recorded", logkey.Error, e)
		}
	default:
		log.Warn("job failed, will retry", logkey.Error, err, "attempt", j.Attempt)
		if e := r.deps.Store.RetryJob(sctx, j.ID, now.Add(Backoff(j.Attempt)), err.Error()); e != nil {
			log.Error("job retry not recorded", logkey.Error, e)
		}
	}
}

func safeCall(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if h == nil {
		return Permanent(fmt.Errorf("no handler for %s", j.Kind))
	}
	return h(ctx, j)
}

// Run polls until ctx is done.
func (r *Runner) Run(ctx context.Context) error {
	t := r.deps.Clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		case <-r.wake:
		}
		if _, err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("job runner tick", logkey.Error, err)
		}
		t.Reset(r.cfg.PollInterval)
	}
}
