package flowgen_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
)

type sink struct {
	mu   sync.Mutex
	pkts [][]byte
	fail bool
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return 0, errors.New("connection refused")
	}
	s.pkts = append(s.pkts, append([]byte(nil), p...))
	return len(p), nil
}

func (s *sink) taken() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pkts
}

func senderConfig(format flowgen.Format, duration time.Duration, count int) flowgen.SenderConfig {
	return flowgen.SenderConfig{
		Encoder: flowgen.EncoderConfig{Format: format, MaxDatagramSize: 600},
		Scenarios: []flowgen.ScenarioConfig{
			{Scenario: flowgen.SYNFlood, Target: netip.MustParsePrefix("192.0.2.10/32"), PPS: 40_000, SamplingRate: 100, Sources: 200, Seed: 1},
			{Scenario: flowgen.Benign, Target: netip.MustParsePrefix("192.0.2.10/32"), PPS: 1000, Sources: 10, ActiveTimeout: 2 * time.Second, Seed: 2},
		},
		Duration: duration,
		Count:    count,
	}
}

func TestSenderStep(t *testing.T) {
	t.Parallel()
	s, err := flowgen.NewSender(senderConfig(flowgen.NetflowV9, 4*time.Second, 0),
		flowgen.SenderDeps{Clock: clocktest.New(t0), Writer: &sink{}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Step(t0)
	if err != nil {
		t.Fatal(err)
	}
	// At the start: the first datagram of each scenario's first interval, the rest spread.
	if len(first) != 2 {
		t.Fatalf("%d datagrams at the start, want 2", len(first))
	}
	next, ok := s.Next()
	if !ok || !next.After(t0) || !next.Before(t0.Add(time.Second)) {
		t.Fatalf("Next = %s, %v: want within the first second", next, ok)
	}
	total := len(first)
	var last time.Time
	for now := t0.Add(10 * time.Millisecond); !s.Done(); now = now.Add(10 * time.Millisecond) {
		pkts, err := s.Step(now)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) > 0 {
			last = now
		}
		total += len(pkts)
		if now.After(t0.Add(time.Minute)) {
			t.Fatal("sender never done")
		}
	}
	st := s.Stats()
	if uint64(total) != st.Datagrams || st.Flows == 0 {
		t.Fatalf("stats %+v, %d datagrams seen", st, total)
	}
	// Intervals ending at 0, 1, 2, 3 s for the flood and 0, 2 s for benign traffic; the
	// datagrams of the last one drain during the following second.
	if last.Before(t0.Add(3*time.Second)) || last.After(t0.Add(4*time.Second)) {
		t.Errorf("last datagram at +%s, want in [3s, 4s]", last.Sub(t0))
	}
	if _, ok := s.Next(); ok {
		t.Error("Next after Done")
	}
}

func TestSenderCount(t *testing.T) {
	t.Parallel()
	s, err := flowgen.NewSender(senderConfig(flowgen.IPFIX, 0, 7), flowgen.SenderDeps{Clock: clocktest.New(t0), Writer: &sink{}})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for now := t0; !s.Done(); now = now.Add(100 * time.Millisecond) {
		pkts, err := s.Step(now)
		if err != nil {
			t.Fatal(err)
		}
		total += len(pkts)
	}
	if total != 7 {
		t.Errorf("%d datagrams, want 7", total)
	}
}

// Run on a fake clock: the datagrams arrive at their pace and decode to the configured rate.
func TestSenderRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clk := clocktest.New(t0)
		w := &sink{}
		s, err := flowgen.NewSender(senderConfig(flowgen.NetflowV5, 4*time.Second, 0), flowgen.SenderDeps{Clock: clk, Writer: w})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		if n := len(w.taken()); n != 2 {
			t.Fatalf("%d datagrams at the start, want 2", n)
		}
		for range 600 {
			clk.Advance(10 * time.Millisecond)
			synctest.Wait()
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatal("Run still running after the duration")
		}
		d := netflow.NewDecoder(netflow.Config{})
		var flood, benign uint64
		for _, p := range w.taken() {
			err := d.Decode(netip.MustParseAddr("127.0.0.1"), p, t0, func(f *netguard.Flow) {
				if f.TCPFlags == netguard.TCPSyn {
					flood += f.Packets
				} else {
					benign += f.Packets
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Four 1-second flood intervals at 40,000 pps; two 2-second benign ones at 1,000 pps.
		if flood != 160_000 || benign != 4000 {
			t.Errorf("decoded %d flood and %d benign packets, want 160000 and 4000", flood, benign)
		}
	})
}

func TestSenderRunStopsOnCancelAndCountsWriteErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clk := clocktest.New(t0)
		s, err := flowgen.NewSender(senderConfig(flowgen.SFlow, 0, 0), flowgen.SenderDeps{Clock: clk, Writer: &sink{fail: true}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		clk.Advance(time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil on cancel", err)
		}
		if st := s.Stats(); st.WriteErrors == 0 || st.WriteErrors != st.Datagrams {
			t.Errorf("stats %+v: want every write counted as failed", st)
		}
	})
}

func TestSenderConfigValidate(t *testing.T) {
	t.Parallel()
	deps := flowgen.SenderDeps{Clock: clocktest.New(t0), Writer: &sink{}}
	bad := []flowgen.SenderConfig{
		{Encoder: flowgen.EncoderConfig{Format: flowgen.SFlow}},
		{Encoder: flowgen.EncoderConfig{Format: "x"}, Scenarios: senderConfig(flowgen.SFlow, 0, 0).Scenarios},
		{Encoder: flowgen.EncoderConfig{Format: flowgen.SFlow}, Scenarios: senderConfig(flowgen.SFlow, 0, 0).Scenarios, Count: -1},
	}
	for i, cfg := range bad {
		if _, err := flowgen.NewSender(cfg, deps); !errors.Is(err, flowgen.ErrInvalid) {
			t.Errorf("config %d: %v, want ErrInvalid", i, err)
		}
	}
	if _, err := flowgen.NewSender(senderConfig(flowgen.SFlow, 0, 0), flowgen.SenderDeps{}); !errors.Is(err, flowgen.ErrInvalid) {
		t.Errorf("no deps: %v", err)
	}
}
