package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/jobs"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, 2 * time.Second}, // treated as the first attempt
		{0, 2 * time.Second},
		{1, 2 * time.Second},
		{2, 17 * time.Second},
		{3, 82 * time.Second},
		{4, 257 * time.Second},
		{5, 626 * time.Second},
		{10, 10001 * time.Second},
		{12, 20737 * time.Second},
		{13, 6 * time.Hour}, // 28562 s, capped
		{20, 6 * time.Hour},
		{21, 6 * time.Hour},
		{1 << 20, 6 * time.Hour}, // no overflow
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			t.Parallel()
			if got := jobs.Backoff(tt.attempt); got != tt.want {
				t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
	for n := 1; n < 30; n++ {
		if jobs.Backoff(n+1) < jobs.Backoff(n) {
			t.Errorf("Backoff(%d) = %v < Backoff(%d) = %v", n+1, jobs.Backoff(n+1), n, jobs.Backoff(n))
		}
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("bad input")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"plain", base, false},
		{"nil", nil, false},
		{"permanent", jobs.Permanent(base), true},
		{"wrapped permanent", fmt.Errorf("send: %w", jobs.Permanent(base)), true},
		{"joined", errors.Join(errors.New("x"), jobs.Permanent(base)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := jobs.IsPermanent(tt.err); got != tt.want {
				t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	p := jobs.Permanent(base)
	if !errors.Is(p, base) || p.Error() != "permanent: bad input" {
		t.Errorf("Permanent(%v) = %q; want it to wrap the cause", base, p)
	}
}

// recordTx is a jobs.Tx that keeps what it was given.
type recordTx struct{ got []jobs.Job }

func (r *recordTx) InsertJob(_ context.Context, j jobs.Job) (int64, bool, error) {
	r.got = append(r.got, j)
	return int64(len(r.got)), true, nil
}

func TestEnqueueDefaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	tests := []struct {
		name string
		opts jobs.Opts
		want jobs.Job
	}{
		{"defaults", jobs.Opts{}, jobs.Job{Kind: "k", Args: json.RawMessage(`{"n":1}`), State: jobs.Available,
			MaxAttempts: 10, RunAt: now, CreatedAt: now}},
		{"given", jobs.Opts{UniqueKey: "u", RunAt: later, MaxAttempts: 3}, jobs.Job{Kind: "k", Args: json.RawMessage(`{"n":1}`),
			UniqueKey: "u", State: jobs.Available, MaxAttempts: 3, RunAt: later, CreatedAt: now}},
		{"negative max attempts", jobs.Opts{MaxAttempts: -1}, jobs.Job{Kind: "k", Args: json.RawMessage(`{"n":1}`),
			State: jobs.Available, MaxAttempts: 10, RunAt: now, CreatedAt: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var tx recordTx
			if _, _, err := jobs.Enqueue(t.Context(), &tx, now, "k", struct {
				N int `json:"n"`
			}{1}, tt.opts); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]jobs.Job{tt.want}, tx.got); diff != "" {
				t.Errorf("inserted (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("unmarshalable args", func(t *testing.T) {
		t.Parallel()
		var tx recordTx
		if _, _, err := jobs.Enqueue(t.Context(), &tx, now, "k", make(chan int), jobs.Opts{}); err == nil || len(tx.got) != 0 {
			t.Errorf("err %v, inserted %d; want an error and nothing inserted", err, len(tx.got))
		}
	})
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type args struct {
		ID int `json:"id"`
	}
	got, err := jobs.Decode[args](jobs.Job{Args: json.RawMessage(`{"id":42}`)})
	if err != nil || got.ID != 42 {
		t.Errorf("Decode = %+v, %v; want id 42", got, err)
	}
	if _, err := jobs.Decode[args](jobs.Job{ID: 7, Kind: "k", Args: json.RawMessage(`{"id":"x"}`)}); err == nil {
		t.Error("Decode of a mistyped field: want an error")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(c *jobs.Config)
		ok     bool
	}{
		{"defaults", func(*jobs.Config) {}, true},
		{"poll too fast", func(c *jobs.Config) { c.PollInterval = time.Millisecond }, false},
		{"no worker", func(c *jobs.Config) { c.Workers = 0 }, false},
		{"too many workers", func(c *jobs.Config) { c.Workers = 257 }, false},
		{"short lease", func(c *jobs.Config) { c.LeaseTimeout = time.Millisecond }, false},
		{"short retention", func(c *jobs.Config) { c.Retention = time.Minute }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := jobs.DefaultConfig()
			tt.modify(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
