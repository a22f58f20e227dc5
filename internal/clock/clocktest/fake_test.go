package clocktest_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
)

func TestTimersFireWhenDueAndInOrder(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clocktest.New(start)
	tm := c.NewTimer(26 * time.Hour)
	c.Advance(26*time.Hour - time.Second)
	select {
	case <-tm.C():
		t.Fatal("fired a second early")
	default:
	}
	c.Advance(time.Second)
	select {
	case at := <-tm.C():
		if !at.Equal(start.Add(26 * time.Hour)) {
			t.Fatalf("fired at %v", at)
		}
	default:
		t.Fatal("did not fire at its time")
	}
	var n atomic.Int32
	done := make(chan struct{}, 2)
	c.AfterFunc(time.Hour, func() { n.Add(1); done <- struct{}{} })
	stopped := c.AfterFunc(time.Hour, func() { n.Add(10) })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	c.Advance(2 * time.Hour)
	<-done
	if n.Load() != 1 {
		t.Fatalf("callbacks ran %d", n.Load())
	}
	if got := c.Since(start); got != 28*time.Hour {
		t.Fatalf("Since = %v", got)
	}
}
