package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// t0 is 20 minutes into an hour, so hourly periodic slots start before it.
var t0 = time.Date(2026, 3, 2, 9, 20, 0, 0, time.UTC)

func newRunner(tb testing.TB, db *store.DB, clk clock.Clock, name string) *jobs.Runner {
	tb.Helper()
	r, err := jobs.New(jobs.DefaultConfig(), jobs.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk, Store: db.Jobs(), Name: name})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func enqueue(tb testing.TB, db *store.DB, now time.Time, kind string, args any, o jobs.Opts) (int64, bool) {
	tb.Helper()
	var id int64
	var ok bool
	err := db.WithTx(tb.Context(), func(q *store.Q) error {
		var err error
		id, ok, err = jobs.Enqueue(tb.Context(), q, now, kind, args, o)
		return err
	})
	if err != nil {
		tb.Fatalf("enqueue %s: %v", kind, err)
	}
	return id, ok
}

// job returns the stored job id, whatever its state.
func job(tb testing.TB, db *store.DB, id int64) jobs.Job {
	tb.Helper()
	for _, s := range []jobs.State{jobs.Available, jobs.Running, jobs.Completed, jobs.Discarded, jobs.Cancelled} {
		js, err := db.Jobs().ListJobs(tb.Context(), s, 1000)
		if err != nil {
			tb.Fatal(err)
		}
		for _, j := range js {
			if j.ID == id {
				return j
			}
		}
	}
	tb.Fatalf("job %d not found", id)
	return jobs.Job{}
}

func tick(tb testing.TB, r *jobs.Runner) int {
	tb.Helper()
	n, err := r.Tick(tb.Context())
	if err != nil {
		tb.Fatalf("tick: %v", err)
	}
	return n
}

type payload struct {
	N int `json:"n"`
}

// TestRunnerOutcomes drives one job per case through Tick and the fake clock. Each step
// advances the clock, ticks, and checks how many jobs ran and the job's stored state.
func TestRunnerOutcomes(t *testing.T) {
	t.Parallel()
	type step struct {
		advance   time.Duration
		ran       int
		state     jobs.State
		attempt   int
		lastError string // substring
		runAt     time.Duration
	}
	boom := errors.New("boom")
	tests := []struct {
		name        string
		maxAttempts int
		handler     func(call int) error // call counts from 1
		steps       []step
	}{
		{"success runs once", 0, func(int) error { return nil }, []step{
			{0, 1, jobs.Completed, 1, "", 0},
			{0, 0, jobs.Completed, 1, "", 0},
			{10 * time.Minute, 0, jobs.Completed, 1, "", 0},
		}},
		{"error retries after exactly Backoff(1)", 0, func(call int) error {
			if call == 1 {
				return boom
			}
			return nil
		}, []step{
			{0, 1, jobs.Available, 1, "boom", jobs.Backoff(1)},
			{jobs.Backoff(1) - time.Second, 0, jobs.Available, 1, "boom", jobs.Backoff(1)},
			{time.Second, 1, jobs.Completed, 2, "", jobs.Backoff(1)},
		}},
		{"second retry after Backoff(2)", 0, func(call int) error {
			if call <= 2 {
				return boom
			}
			return nil
		}, []step{
			{0, 1, jobs.Available, 1, "boom", jobs.Backoff(1)},
			{jobs.Backoff(1), 1, jobs.Available, 2, "boom", jobs.Backoff(1) + jobs.Backoff(2)},
			{jobs.Backoff(2) - time.Second, 0, jobs.Available, 2, "boom", jobs.Backoff(1) + jobs.Backoff(2)},
			{time.Second, 1, jobs.Completed, 3, "", jobs.Backoff(1) + jobs.Backoff(2)},
		}},
		{"permanent error discards", 0, func(int) error { return jobs.Permanent(boom) }, []step{
			{0, 1, jobs.Discarded, 1, "permanent: boom", 0},
			{jobs.Backoff(1), 0, jobs.Discarded, 1, "permanent: boom", 0},
		}},
		{"wrapped permanent error discards", 0, func(int) error { return fmt.Errorf("send: %w", jobs.Permanent(boom)) }, []step{
			{0, 1, jobs.Discarded, 1, "permanent: boom", 0},
		}},
		{"max attempts reached discards", 2, func(int) error { return boom }, []step{
			{0, 1, jobs.Available, 1, "boom", jobs.Backoff(1)},
			{jobs.Backoff(1), 1, jobs.Discarded, 2, "boom", jobs.Backoff(1)},
			{10 * time.Minute, 0, jobs.Discarded, 2, "boom", jobs.Backoff(1)},
		}},
		{"panic is retried", 0, func(call int) error {
			if call == 1 {
				panic("handler bug")
			}
			return nil
		}, []step{
			{0, 1, jobs.Available, 1, "panic: handler bug", jobs.Backoff(1)},
			{jobs.Backoff(1), 1, jobs.Completed, 2, "", jobs.Backoff(1)},
		}},
		{"panic on the last attempt discards", 1, func(int) error { panic(fmt.Sprintf("nil map %d", 1)) }, []step{
			{0, 1, jobs.Discarded, 1, "panic: nil map 1", 0},
		}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				kind := fmt.Sprintf("test.outcome%d", i) // each case claims only its own job
				clk := clocktest.New(t0)
				r := newRunner(t, db, clk, "worker-"+kind)
				var calls atomic.Int32
				var args []payload
				var mu sync.Mutex
				r.Handle(kind, func(_ context.Context, j jobs.Job) error {
					a, err := jobs.Decode[payload](j)
					if err != nil {
						return jobs.Permanent(err)
					}
					mu.Lock()
					args = append(args, a)
					mu.Unlock()
					return tt.handler(int(calls.Add(1)))
				})
				id, ok := enqueue(t, db, t0, kind, payload{N: i}, jobs.Opts{MaxAttempts: tt.maxAttempts})
				if !ok {
					t.Fatal("not enqueued")
				}
				for k, s := range tt.steps {
					clk.Advance(s.advance)
					if n := tick(t, r); n != s.ran {
						t.Errorf("step %d (%v): %d jobs ran, want %d", k, clk.Since(t0), n, s.ran)
					}
					j := job(t, db, id)
					if j.State != s.state || j.Attempt != s.attempt {
						t.Errorf("step %d: state %s attempt %d, want %s attempt %d", k, j.State, j.Attempt, s.state, s.attempt)
					}
					if (s.lastError == "") != (j.LastError == "") || !strings.Contains(j.LastError, s.lastError) {
						t.Errorf("step %d: last error %q, want %q", k, j.LastError, s.lastError)
					}
					if want := t0.Add(s.runAt); !j.RunAt.Equal(want) {
						t.Errorf("step %d: run at %v, want %v", k, j.RunAt, want)
					}
					if finished := j.State == jobs.Completed || j.State == jobs.Discarded; finished == j.FinishedAt.IsZero() {
						t.Errorf("step %d: state %s with finished at %v", k, j.State, j.FinishedAt)
					}
				}
				for _, a := range args {
					if a.N != i {
						t.Errorf("handler got args %+v, want n=%d", a, i)
					}
				}
			})
		}
	})
}

func TestRunnerLeaseRescue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		r := newRunner(t, db, clk, "alive")
		var ran atomic.Int32
		r.Handle("test.rescue", func(context.Context, jobs.Job) error { ran.Add(1); return nil })
		id, _ := enqueue(t, db, t0, "test.rescue", payload{}, jobs.Opts{})
		// A process claims the job, then dies without recording anything.
		claimed, err := db.Jobs().ClaimJobs(t.Context(), t0, "dead", []string{"test.rescue"}, 10)
		if err != nil || len(claimed) != 1 || claimed[0].ID != id {
			t.Fatalf("claim = %+v, %v", claimed, err)
		}
		lease := jobs.DefaultConfig().LeaseTimeout
		steps := []struct {
			advance time.Duration
			ran     int
			state   jobs.State
		}{
			{0, 0, jobs.Running},
			{lease - time.Second, 0, jobs.Running},
			{time.Second, 0, jobs.Running}, // locked exactly LeaseTimeout ago: still leased
			{time.Second, 1, jobs.Completed},
		}
		for k, s := range steps {
			clk.Advance(s.advance)
			if n := tick(t, r); n != s.ran {
				t.Errorf("step %d (%v after the claim): %d jobs ran, want %d", k, clk.Since(t0), n, s.ran)
			}
			if j := job(t, db, id); j.State != s.state {
				t.Errorf("step %d: state %s, want %s", k, j.State, s.state)
			}
		}
		if j := job(t, db, id); j.Attempt != 2 || j.LockedBy != "alive" || ran.Load() != 1 {
			t.Errorf("after rescue: attempt %d, locked by %q, %d runs; want 2, alive, 1", j.Attempt, j.LockedBy, ran.Load())
		}
	})
}

// TestRescueRespectsMaxAttempts: a job whose every attempt was lost (say the handler crashes the
// process) must stop once MaxAttempts is used up, like a job whose handler returns errors.
func TestRescueRespectsMaxAttempts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		r := newRunner(t, db, clk, "alive")
		var ran atomic.Int32
		r.Handle("test.poison", func(context.Context, jobs.Job) error { ran.Add(1); return nil })
		id, _ := enqueue(t, db, t0, "test.poison", payload{}, jobs.Opts{MaxAttempts: 1})
		if _, err := db.Jobs().ClaimJobs(t.Context(), t0, "dead", []string{"test.poison"}, 10); err != nil {
			t.Fatal(err)
		}
		clk.Advance(jobs.DefaultConfig().LeaseTimeout + time.Second)
		tick(t, r)
		j := job(t, db, id)
		if ran.Load() != 0 || j.Attempt > j.MaxAttempts {
			t.Errorf("a job with MaxAttempts %d ran again after its only attempt was lost: %d runs, attempt %d, state %s",
				j.MaxAttempts, ran.Load(), j.Attempt, j.State)
		}
	})
}

func TestRunnerPeriodic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		var mu sync.Mutex
		var slots []time.Time
		handler := func(_ context.Context, j jobs.Job) error {
			a, err := jobs.Decode[struct {
				Slot time.Time `json:"slot"`
			}](j)
			if err != nil {
				return jobs.Permanent(err)
			}
			mu.Lock()
			slots = append(slots, a.Slot)
			mu.Unlock()
			return nil
		}
		// Two runners on one db: two processes of the same deployment.
		var runners []*jobs.Runner
		for _, name := range []string{"host-a", "host-b"} {
			r := newRunner(t, db, clk, name)
			r.Handle("test.hourly", handler)
			r.Periodic("test.hourly", time.Hour)
			runners = append(runners, r)
		}
		tickAll := func(t *testing.T) int {
			t.Helper()
			var wg sync.WaitGroup
			var total atomic.Int32
			for range 3 { // several rounds in the same slot
				errc := make(chan error, len(runners))
				for _, r := range runners { // the processes tick at the same time
					wg.Go(func() {
						n, err := r.Tick(t.Context())
						total.Add(int32(n))
						if err != nil {
							errc <- err
						}
					})
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					t.Errorf("tick: %v", err)
				}
			}
			return int(total.Load())
		}
		hour := func(h int) time.Time { return time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC) }
		steps := []struct {
			name    string
			advance time.Duration
			ran     int
		}{
			{"slot 09:00 at 09:20", 0, 1},
			{"09:59:59", 39*time.Minute + 59*time.Second, 0},
			{"slot 10:00", time.Second, 1},
			{"10:30", 30 * time.Minute, 0},
			{"slot 11:00", 30 * time.Minute, 1},
			{"slot 14:00, missed slots are not caught up", 3*time.Hour + 5*time.Minute, 1},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				clk.Advance(s.advance)
				if n := tickAll(t); n != s.ran {
					t.Errorf("%d jobs ran, want %d", n, s.ran)
				}
			})
		}
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff([]time.Time{hour(9), hour(10), hour(11), hour(14)}, slots); diff != "" {
			t.Errorf("slots run (-want +got):\n%s", diff)
		}
	})
}

// interleaved is a jobs.Store that makes two concurrent Ticks of one Runner overlap in a fixed
// way: the first Tick prunes while the second is inside RescueJobs, and the second leaves
// RescueJobs only once the first has pruned. Waits give up after a deadline, so a Runner that
// serialises whole Ticks is slow here, never stuck.
type interleaved struct {
	jobs.Store
	deadline       context.Context
	rescues        atomic.Int32
	prunes         atomic.Int32
	second, pruned chan struct{}
}

func (s *interleaved) RescueJobs(ctx context.Context, lockedBefore, now time.Time) (int, error) {
	n, err := s.Store.RescueJobs(ctx, lockedBefore, now)
	if s.rescues.Add(1) == 2 {
		close(s.second)
		select {
		case <-s.pruned:
		case <-s.deadline.Done():
		}
	}
	return n, err
}

func (s *interleaved) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	n, err := s.Store.PruneJobs(ctx, before)
	if s.prunes.Add(1) == 1 {
		select {
		case <-s.second:
		case <-s.deadline.Done():
		}
		close(s.pruned)
	}
	return n, err
}

// TestRunnerConcurrentTicks calls Tick of one Runner from two goroutines, which the package doc
// allows ("A Runner is safe for concurrent use"), as Run and a manual Tick would. Each job must
// run once, and under -race no access may race. It is not parallel so that a race report fails
// this test only.
func TestRunnerConcurrentTicks(t *testing.T) { // not parallel: see above
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		deadline, stop := context.WithTimeout(t.Context(), 5*time.Second)
		defer stop()
		st := &interleaved{Store: db.Jobs(), deadline: deadline, second: make(chan struct{}), pruned: make(chan struct{})}
		r, err := jobs.New(jobs.DefaultConfig(), jobs.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Clock: clk, Store: st, Name: "one"})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		runs := map[int]int{}
		r.Handle("test.concurrent", func(_ context.Context, j jobs.Job) error {
			a, err := jobs.Decode[payload](j)
			mu.Lock()
			runs[a.N]++
			mu.Unlock()
			return err
		})
		const n = 20
		for i := range n {
			enqueue(t, db, t0, "test.concurrent", payload{N: i}, jobs.Opts{})
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if _, err := r.Tick(t.Context()); err != nil {
					t.Errorf("tick: %v", err)
				}
			})
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			if runs[i] != 1 {
				t.Errorf("job %d ran %d times, want once", i, runs[i])
			}
		}
	})
}

func TestUniqueKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		keys     []string
		inserted []bool
	}{
		{"same key twice", []string{"k", "k"}, []bool{true, false}},
		{"different keys", []string{"a", "b"}, []bool{true, true}},
		{"no key never conflicts", []string{"", ""}, []bool{true, true}},
		{"three times", []string{"k", "k", "k"}, []bool{true, false, false}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				kind := fmt.Sprintf("test.unique%d", i)
				var got []bool
				for _, k := range tt.keys {
					if k != "" {
						k = kind + ":" + k
					}
					id, ok := enqueue(t, db, t0, kind, payload{}, jobs.Opts{UniqueKey: k})
					if ok == (id == 0) {
						t.Errorf("id %d with inserted %v", id, ok)
					}
					got = append(got, ok)
				}
				if diff := cmp.Diff(tt.inserted, got); diff != "" {
					t.Errorf("inserted (-want +got):\n%s", diff)
				}
				clk := clocktest.New(t0)
				r := newRunner(t, db, clk, kind)
				var ran atomic.Int32
				r.Handle(kind, func(context.Context, jobs.Job) error { ran.Add(1); return nil })
				tick(t, r)
				want := 0
				for _, ok := range tt.inserted {
					if ok {
						want++
					}
				}
				if int(ran.Load()) != want {
					t.Errorf("%d jobs ran, want %d", ran.Load(), want)
				}
			})
		}
		t.Run("key stays taken after completion", func(t *testing.T) {
			t.Parallel()
			clk := clocktest.New(t0)
			r := newRunner(t, db, clk, "done")
			r.Handle("test.done", func(context.Context, jobs.Job) error { return nil })
			enqueue(t, db, t0, "test.done", payload{}, jobs.Opts{UniqueKey: "test.done:once"})
			if n := tick(t, r); n != 1 {
				t.Fatalf("%d jobs ran, want 1", n)
			}
			if _, ok := enqueue(t, db, t0, "test.done", payload{}, jobs.Opts{UniqueKey: "test.done:once"}); ok {
				t.Error("a completed job's unique key was reused")
			}
		})
	})
}

// observedClock reports every Reset of the timers it makes, so a test knows when Run is
// waiting for its next poll.
type observedClock struct {
	*clocktest.Fake
	resets chan time.Duration
}

func (c observedClock) NewTimer(d time.Duration) clock.Timer {
	return observedTimer{c.Fake.NewTimer(d), c.resets}
}

type observedTimer struct {
	clock.Timer
	resets chan time.Duration
}

func (t observedTimer) Reset(d time.Duration) bool {
	active := t.Timer.Reset(d)
	t.resets <- d
	return active
}

func TestRunPollsAndStops(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := observedClock{clocktest.New(t0), make(chan time.Duration, 100)}
		r := newRunner(t, db, clk, "runner")
		ran := make(chan int, 10)
		r.Handle("test.run", func(_ context.Context, j jobs.Job) error {
			a, err := jobs.Decode[payload](j)
			ran <- a.N
			return err
		})
		// A deadline for the test only: nothing below waits on real time to make progress.
		deadline, stop := context.WithTimeout(t.Context(), 30*time.Second)
		defer stop()
		wait := func(t *testing.T, what string, ch <-chan int) int {
			t.Helper()
			select {
			case n := <-ch:
				return n
			case <-deadline.Done():
				t.Fatalf("timed out waiting for %s", what)
				return 0
			}
		}
		waitReset := func(t *testing.T) {
			t.Helper()
			select {
			case d := <-clk.resets:
				if d != jobs.DefaultConfig().PollInterval {
					t.Errorf("timer reset to %v, want the poll interval", d)
				}
			case <-deadline.Done():
				t.Fatal("timed out waiting for Run to wait")
			}
		}
		enqueue(t, db, t0, "test.run", payload{N: 1}, jobs.Opts{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()

		if n := wait(t, "the first poll", ran); n != 1 {
			t.Errorf("ran job %d, want 1", n)
		}
		waitReset(t)

		enqueue(t, db, clk.Now(), "test.run", payload{N: 2}, jobs.Opts{})
		clk.Advance(jobs.DefaultConfig().PollInterval)
		if n := wait(t, "the timer poll", ran); n != 2 {
			t.Errorf("ran job %d, want 2", n)
		}
		waitReset(t)

		enqueue(t, db, clk.Now(), "test.run", payload{N: 3}, jobs.Opts{})
		r.Wake()
		if n := wait(t, "the woken poll", ran); n != 3 {
			t.Errorf("ran job %d, want 3", n)
		}
		waitReset(t)

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-deadline.Done():
			t.Fatal("Run did not stop after cancel")
		}
		select {
		case n := <-ran:
			t.Errorf("job %d ran after the cancel", n)
		default:
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.OpenSQLite(t)
	tests := []struct {
		name string
		cfg  jobs.Config
		deps jobs.Deps
	}{
		{"bad config", jobs.Config{}, jobs.Deps{Logger: log, Clock: clocktest.New(t0), Store: db.Jobs()}},
		{"no store", jobs.DefaultConfig(), jobs.Deps{Logger: log, Clock: clocktest.New(t0)}},
		{"no clock", jobs.DefaultConfig(), jobs.Deps{Logger: log, Store: db.Jobs()}},
		{"no logger", jobs.DefaultConfig(), jobs.Deps{Clock: clocktest.New(t0), Store: db.Jobs()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := jobs.New(tt.cfg, tt.deps); err == nil {
				t.Error("New: want an error")
			}
		})
	}
}
