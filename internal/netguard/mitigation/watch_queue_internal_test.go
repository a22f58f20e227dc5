package mitigation

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// heldStore holds its first InsertTraffic until told how it ends (later ones succeed), and
// keeps what it stored.
type heldStore struct {
	Store
	entered chan int   // the size of the first batch
	answer  chan error // how it ends
	mu      sync.Mutex
	calls   int
	stored  []netguard.TrafficPoint
}

func (h *heldStore) InsertTraffic(_ context.Context, pts []netguard.TrafficPoint) error {
	h.mu.Lock()
	h.calls++
	first := h.calls == 1
	h.mu.Unlock()
	var err error
	if first {
		h.entered <- len(pts)
		err = <-h.answer
	}
	if err == nil {
		h.mu.Lock()
		h.stored = append(h.stored, pts...)
		h.mu.Unlock()
	}
	return err
}

func points(from, n int) []netguard.TrafficPoint {
	out := make([]netguard.TrafficPoint, n)
	for i := range out {
		out[i] = netguard.TrafficPoint{IP: netip.MustParseAddr("198.18.0.10"), Scale: netguard.Scale10s,
			At: time.Unix(int64(from+i)*10, 0), In: netguard.Rate{PPS: uint64(from + i)}}
	}
	return out
}

// The queue overflows while a batch is being written: the points the overflow takes off that
// batch count as dropped only if its write fails, and a batch the overflow took away entirely
// leaves no refusals behind it for the next one.
func TestTrafficQueueOverflowDuringAWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		first       error // how the write of the batch in flight ends
		more        int   // points queued during that write (the bound is 10, 8 are in flight)
		wantDropped uint64
		wantStored  int
		wantFail    int // refusals counted against the head afterwards
	}{
		{name: "written", more: 8, wantDropped: 0, wantStored: 16},
		{name: "refused", first: errors.New("down"), more: 8, wantDropped: 6, wantStored: 10, wantFail: 1},
		{name: "refused and all of it taken", first: errors.New("down"), more: 12, wantDropped: 10, wantStored: 10, wantFail: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &heldStore{entered: make(chan int, 1), answer: make(chan error, 1)}
			w := &Watch{svc: &Service{deps: Deps{Store: st}}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			w.traffic.max = 10
			w.traffic.queue(points(0, 8))
			done := make(chan error, 1)
			go func() { done <- w.writeTraffic(context.Background()) }()
			if n := <-st.entered; n != 8 {
				t.Fatalf("first batch of %d points, want 8", n)
			}
			_, dropped := w.traffic.queue(points(8, tc.more))
			if want := max(0, 8+tc.more-10-8); dropped != want {
				t.Errorf("queue reports %d dropped, want %d (the rest are in the batch being written)", dropped, want)
			}
			st.answer <- tc.first
			if tc.first != nil {
				if err := <-done; err == nil {
					t.Fatal("a refused write reports no error")
				}
				w.traffic.mu.Lock()
				fails := w.traffic.failures
				w.traffic.mu.Unlock()
				if fails != tc.wantFail {
					t.Errorf("%d refusals counted against the head, want %d", fails, tc.wantFail)
				}
				go func() { done <- w.writeTraffic(context.Background()) }()
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if b := w.TrafficBacklog(); b.Queued != 0 || b.Dropped != tc.wantDropped {
				t.Errorf("backlog %+v, want none queued and %d dropped", b, tc.wantDropped)
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			if len(st.stored) != tc.wantStored {
				t.Errorf("%d points stored, want %d", len(st.stored), tc.wantStored)
			}
			if got := uint64(len(st.stored)) + w.TrafficBacklog().Dropped; got != uint64(8+tc.more) {
				t.Errorf("stored and dropped add up to %d, want the %d queued", got, 8+tc.more)
			}
		})
	}
}
