// Package clocktest provides a fake clock.Clock whose time moves only when a test calls Advance
// or Set. It is imported only from _test.go files and from the demo wiring.
//
// It imports clock and the standard library. A Fake is safe for concurrent use.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
)

// Fake is a manually driven clock. Advance fires every timer that falls due, in order.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

var _ clock.Clock = (*Fake)(nil)

// New returns a fake clock set at start (UTC).
func New(start time.Time) *Fake { return &Fake{now: start.UTC()} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns Now()-t.
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// Advance moves the clock forward by d and fires due timers.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	target := f.now.Add(d)
	f.mu.Unlock()
	f.Set(target)
}

// Set moves the clock to t (never backwards) and fires due timers in order.
func (f *Fake) Set(t time.Time) {
	for {
		f.mu.Lock()
		sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
		var due *fakeTimer
		if len(f.timers) > 0 && !f.timers[0].when.After(t) {
			due = f.timers[0]
			f.timers = f.timers[1:]
			if due.when.After(f.now) {
				f.now = due.when
			}
		} else {
			if t.After(f.now) {
				f.now = t.UTC()
			}
		}
		now := f.now
		f.mu.Unlock()
		if due == nil {
			return
		}
		due.fire(now)
	}
}

// NewTimer makes a timer that fires when the fake time reaches Now()+d.
func (f *Fake) NewTimer(d time.Duration) clock.Timer {
	t := &fakeTimer{clk: f, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// AfterFunc calls fn in its own goroutine when the fake time reaches Now()+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) clock.Timer {
	t := &fakeTimer{clk: f, fn: fn}
	t.Reset(d)
	return t
}

type fakeTimer struct {
	clk  *Fake
	when time.Time
	ch   chan time.Time
	fn   func()
}

func (t *fakeTimer) fire(now time.Time) {
	if t.fn != nil {
		go t.fn()
		return
	}
	select {
	case t.ch <- now:
	default:
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	f := t.clk
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			return true
		}
	}
	return false
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	active := t.Stop()
	f := t.clk
	f.mu.Lock()
	t.when = f.now.Add(d)
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	if d <= 0 {
		f.Set(f.Now())
	}
	return active
}
