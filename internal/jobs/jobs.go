// Package jobs is itsgow's durable job queue: effects (emails, BMC calls, BGP announcements) are
// enqueued in the same transaction as the state change that needs them, then carried out by a
// Runner with retries, backoff and unique keys, so that an effect is never enqueued twice.
//
// The queue lives in the store (table jobs) on SQLite and PostgreSQL alike; the store implements
// Store and Tx. Time comes from clock.Clock, so tests drive the runner with Tick and a fake clock.
// It may import clock, errs, logkey and the standard library. A Runner is safe for concurrent use.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// State of a job.
type State string

// Job states.
const (
	Available State = "available"
	Running   State = "running"
	Completed State = "completed"
	Discarded State = "discarded"
	Cancelled State = "cancelled"
)

// Job is one unit of work.
type Job struct {
	ID          int64
	Kind        string
	Args        json.RawMessage
	UniqueKey   string
	State       State
	Attempt     int
	MaxAttempts int
	RunAt       time.Time
	CreatedAt   time.Time
	LockedAt    time.Time
	LockedBy    string
	FinishedAt  time.Time
	LastError   string
}

// Tx is what a transaction offers to enqueue a job.
type Tx interface {
	// InsertJob inserts j; when j.UniqueKey is already taken it inserts nothing and returns false.
	InsertJob(ctx context.Context, j Job) (id int64, inserted bool, err error)
}

// Store is the queue's persistence.
type Store interface {
	Tx
	ClaimJobs(ctx context.Context, now time.Time, worker string, kinds []string, limit int) ([]Job, error)
	CompleteJob(ctx context.Context, id int64, now time.Time) error
	RetryJob(ctx context.Context, id int64, runAt time.Time, errMsg string) error
	DiscardJob(ctx context.Context, id int64, now time.Time, errMsg string) error
	RescueJobs(ctx context.Context, lockedBefore, now time.Time) (int, error)
	PruneJobs(ctx context.Context, finishedBefore time.Time) (int, error)
	ListJobs(ctx context.Context, state State, limit int) ([]Job, error)
}

// Opts tunes one enqueue.
type Opts struct {
	UniqueKey   string
	RunAt       time.Time // zero: now
	MaxAttempts int       // zero: 10
}

// Enqueue marshals args and inserts a job in tx. It reports false when the unique key was taken.
func Enqueue(ctx context.Context, tx Tx, now time.Time, kind string, args any, o Opts) (int64, bool, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return 0, false, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if o.RunAt.IsZero() {
		o.RunAt = now
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	return tx.InsertJob(ctx, Job{
		Kind: kind, Args: b, UniqueKey: o.UniqueKey, State: Available,
		MaxAttempts: o.MaxAttempts, RunAt: o.RunAt, CreatedAt: now,
	})
}

// Decode unmarshals a job's args.
func Decode[T any](j Job) (T, error) {
	var v T
	if err := json.Unmarshal(j.Args, &v); err != nil {
		return v, fmt.Errorf("job %d %s: decode args: %w", j.ID, j.Kind, err)
	}
	return v, nil
}

// PermanentError makes the runner discard the job instead of retrying it.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that the job is not retried.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err asks not to retry.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Backoff is the delay before attempt n+1 after n failures: n^4 seconds plus 1, at most 6 hours.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 20 {
		return 6 * time.Hour
	}
	d := time.Duration(attempt*attempt*attempt*attempt+1) * time.Second
	if d > 6*time.Hour {
		d = 6 * time.Hour
	}
	return d
}
