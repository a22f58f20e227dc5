package flowgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/netguard"
)

// SenderConfig describes what a Sender sends and for how long.
type SenderConfig struct {
	Encoder   EncoderConfig    `yaml:"encoder"`
	Scenarios []ScenarioConfig `yaml:"scenarios"`
	// Duration stops the export of new intervals after this long (0: no limit).
	Duration time.Duration `yaml:"duration"`
	// Count stops after this many datagrams (0: no limit).
	Count int `yaml:"count"`
}

// Validate reports settings the Sender cannot use.
func (c SenderConfig) Validate() error {
	errs := []error{c.Encoder.Validate()}
	if len(c.Scenarios) == 0 {
		errs = append(errs, fmt.Errorf("flowgen sender needs at least one scenario: %w", ErrInvalid))
	}
	for i, s := range c.Scenarios {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("scenario %d: %w", i, err))
		}
	}
	if c.Duration < 0 || c.Count < 0 {
		errs = append(errs, fmt.Errorf("flowgen duration and count must not be negative: %w", ErrInvalid))
	}
	return errors.Join(errs...)
}

// SenderDeps are the Sender's collaborators.
type SenderDeps struct {
	Clock clock.Clock
	// Writer receives one Write per datagram, such as a connected UDP socket.
	Writer io.Writer
}

// SenderStats counts what a Sender did.
type SenderStats struct {
	Datagrams   uint64 // datagrams released by Step
	Bytes       uint64
	Flows       uint64 // records encoded
	WriteErrors uint64 // failed writes in Run (a collector not listening yet, a full buffer)
}

type schedule struct {
	gen  *Generator
	next time.Time // end of the next interval to export
}

type queued struct {
	due  time.Time
	data []byte
}

// Sender exports the records of its scenarios as they fall due: at the end of each active
// timeout interval it encodes the interval's records and spreads their datagrams evenly over
// the next interval, as a router's export pacing would. Step does one round and is what tests
// drive; Run loops on the clock.
type Sender struct {
	cfg    SenderConfig
	deps   SenderDeps
	enc    *Encoder
	sched  []schedule
	queue  []queued
	flows  []netguard.Flow
	start  time.Time
	begun  bool
	issued int
	stats  SenderStats
}

// NewSender validates cfg and returns an idle Sender; nothing happens before Step or Run.
func NewSender(cfg SenderConfig, deps SenderDeps) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Clock == nil || deps.Writer == nil {
		return nil, fmt.Errorf("flowgen sender needs a clock and a writer: %w", ErrInvalid)
	}
	enc, err := NewEncoder(cfg.Encoder)
	if err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg, deps: deps, enc: enc}
	for _, sc := range cfg.Scenarios {
		g, err := NewGenerator(sc)
		if err != nil {
			return nil, err
		}
		s.sched = append(s.sched, schedule{gen: g})
	}
	return s, nil
}

// Stats returns the counters.
func (s *Sender) Stats() SenderStats { return s.stats }

// Step exports every interval that ended by now and returns the datagrams due by now, in order.
// The first call sets the start: its first interval is the one that ends at now. Intervals
// ending Duration or more after the start are not exported.
func (s *Sender) Step(now time.Time) ([][]byte, error) {
	if !s.begun {
		s.start, s.begun = now, true
		for i := range s.sched {
			s.sched[i].next = now
		}
	}
	added := false
	for i := range s.sched {
		sc := &s.sched[i]
		step := sc.gen.cfg.ActiveTimeout
		for !sc.next.After(now) && s.exporting(sc.next) {
			s.flows = sc.gen.Records(s.flows[:0], sc.next.Add(-step))
			dgs, err := s.enc.Encode(sc.next, s.flows)
			if err != nil {
				return nil, fmt.Errorf("flowgen sender: %w", err)
			}
			s.stats.Flows += uint64(len(s.flows))
			for j, d := range dgs {
				due := sc.next.Add(time.Duration(int64(step) * int64(j) / int64(len(dgs))))
				s.queue = append(s.queue, queued{due: due, data: d})
			}
			added = added || len(dgs) > 0
			sc.next = sc.next.Add(step)
		}
	}
	if added {
		slices.SortStableFunc(s.queue, func(a, b queued) int { return a.due.Compare(b.due) })
	}
	n := 0
	for n < len(s.queue) && !s.queue[n].due.After(now) && !s.countReached(n) {
		n++
	}
	out := make([][]byte, n)
	for i := range n {
		out[i] = s.queue[i].data
		s.stats.Bytes += uint64(len(out[i]))
	}
	s.queue = slices.Delete(s.queue, 0, n)
	s.issued += n
	s.stats.Datagrams += uint64(n)
	return out, nil
}

func (s *Sender) exporting(end time.Time) bool {
	return s.cfg.Duration == 0 || end.Sub(s.start) < s.cfg.Duration
}

func (s *Sender) countReached(extra int) bool {
	return s.cfg.Count > 0 && s.issued+extra >= s.cfg.Count
}

// Done reports whether the Sender has nothing more to send.
func (s *Sender) Done() bool {
	if s.countReached(0) {
		return true
	}
	if !s.begun || len(s.queue) > 0 {
		return false
	}
	for _, sc := range s.sched {
		if s.exporting(sc.next) {
			return false
		}
	}
	return true
}

// Next returns when Step next has something to do; false when Done.
func (s *Sender) Next() (time.Time, bool) {
	if s.Done() {
		return time.Time{}, false
	}
	var next time.Time
	if len(s.queue) > 0 {
		next = s.queue[0].due
	}
	for _, sc := range s.sched {
		if s.exporting(sc.next) && (next.IsZero() || sc.next.Before(next)) {
			next = sc.next
		}
	}
	return next, true
}

// Run sends until Done or until ctx is cancelled, which is not an error. Write errors are
// counted in Stats and do not stop it.
func (s *Sender) Run(ctx context.Context) error {
	for {
		now := s.deps.Clock.Now()
		dgs, err := s.Step(now)
		if err != nil {
			return err
		}
		for _, d := range dgs {
			if _, err := s.deps.Writer.Write(d); err != nil {
				s.stats.WriteErrors++
			}
		}
		next, ok := s.Next()
		if !ok {
			return nil
		}
		t := s.deps.Clock.NewTimer(max(next.Sub(now), 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}
