package collector_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// Every format arrives over real UDP, on IPv4 and IPv6 sockets, with IPv4 and IPv6 flows, and
// is decoded into the flows that were encoded.
func TestFormats(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	h := start(t, testConfig(), rec)
	type sent struct {
		format flowgen.Format
		from   netip.Addr
		flows  []netguard.Flow
	}
	var all []sent
	want := 0
	for _, format := range flowgen.Formats() {
		for _, from := range []netip.Addr{lo4, lo6} {
			for _, v6 := range []bool{false, true} {
				if format == flowgen.NetflowV5 && v6 {
					continue // NetFlow v5 carries IPv4 only
				}
				// Each case has its own target, to find its flows.
				target := netip.AddrFrom4([4]byte{198, 18, 0, byte(10 + len(all))})
				if v6 {
					target = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x18, 15: byte(10 + len(all))})
				}
				g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{
					Scenario: flowgen.SYNFlood, Target: netip.PrefixFrom(target, target.BitLen()), PPS: 5000,
					SamplingRate: 10, Sources: 40, Exporter: from, Seed: uint64(len(all) + 1),
				})
				if err != nil {
					t.Fatal(err)
				}
				flows := g.Records(nil, t0.Add(-time.Second))
				send(t, from, h.addr(t, listenerOf(format), from), encode(t, flowgen.EncoderConfig{Format: format}, flows))
				all = append(all, sent{format, from, flows})
				if format == flowgen.SFlow {
					want += int(total(flows) / 10) // one sample per sampled packet
				} else {
					want += len(flows)
				}
			}
		}
	}
	waitFor(t, 5*time.Second, "every record", func() bool { return len(rec.taken()) >= want })
	got := rec.taken()
	if len(got) != want {
		t.Errorf("%d records, want %d", len(got), want)
	}
	for _, s := range all {
		dst := s.flows[0].Dst
		mine := only(got, func(f netguard.Flow) bool { return f.Dst == dst })
		name := string(s.format) + " from " + s.from.String() + " to " + dst.String()
		if s.format != flowgen.SFlow {
			if d := flowgen.Diff(s.flows, mine); d != "" {
				t.Errorf("%s:\n%s", name, d)
			}
			continue
		}
		if total(mine) != total(s.flows) {
			t.Errorf("%s: %d packets, want %d", name, total(mine), total(s.flows))
		}
		for _, f := range mine {
			if !f.Start.Equal(t0) || !f.End.Equal(t0) || f.Exporter != s.from {
				t.Errorf("%s: sample from %s at %s-%s, want the receive time %s", name, f.Exporter, f.Start, f.End, t0)
				break
			}
		}
	}
	st := h.c.Stats()
	if st.Flows != uint64(len(got)) || st.UnknownExporters != 0 || st.Malformed != 0 {
		t.Errorf("stats %+v, want %d flows and nothing dropped", st, len(got))
	}
	for _, f := range flowgen.Formats() {
		if st.FlowsByFormat[string(f)] == 0 {
			t.Errorf("no %s flow counted: %v", f, st.FlowsByFormat)
		}
		if v := metric(t, h.reg, "itsgow_netguard_collector_flows_total", "format="+string(f)); v != float64(st.FlowsByFormat[string(f)]) {
			t.Errorf("flows_total{format=%s} = %g, want %d", f, v, st.FlowsByFormat[string(f)])
		}
	}
	if got := len(h.c.Addrs(collector.ListenerNetFlow)); got != 2 {
		t.Errorf("%d netflow addresses, want 2 (IPv4 and IPv6; the second socket of each shares its port)", got)
	}
}

func only(fs []netguard.Flow, keep func(netguard.Flow) bool) []netguard.Flow {
	var out []netguard.Flow
	for _, f := range fs {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

func total(fs []netguard.Flow) uint64 {
	var n uint64
	for _, f := range fs {
		n += f.Packets
	}
	return n
}

// laneRecorder is a LaneSink noting the lane of each batch.
type laneRecorder struct {
	recorder
	mu      sync.Mutex
	lanes   map[int]int // lane -> records
	batches int         // AddBatch calls, which a LaneSink must not get
}

func (r *laneRecorder) AddBatch(flows []netguard.Flow, now time.Time) {
	r.mu.Lock()
	r.batches++
	r.mu.Unlock()
}

func (r *laneRecorder) AddBatchLane(lane int, flows []netguard.Flow, now time.Time) {
	r.mu.Lock()
	r.lanes[lane] += len(flows)
	r.mu.Unlock()
}

// A LaneSink gets every batch with the lane of the socket that read it: a distinct lane per
// socket (one per listen address and socket of the group), never AddBatch.
func TestLaneSink(t *testing.T) {
	t.Parallel()
	rec := &laneRecorder{lanes: map[int]int{}}
	cfg := testConfig()
	h := start(t, cfg, rec)
	workers := 0
	for _, kind := range collector.Listeners() {
		workers += len(h.c.Addrs(kind)) * cfg.SocketsPerPort
	}
	g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{Scenario: flowgen.UDPFlood, Target: netip.MustParsePrefix("198.18.0.9/32"),
		PPS: 5000, SamplingRate: 10, Sources: 40, Exporter: lo4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	flows := g.Records(nil, t0.Add(-time.Second))
	// From several source ports, so that SO_REUSEPORT spreads them over the group's sockets.
	for range 8 {
		send(t, lo4, h.addr(t, collector.ListenerNetFlow, lo4), encode(t, flowgen.EncoderConfig{Format: flowgen.NetflowV5}, flows))
	}
	want := 8 * len(flows)
	total := func() int {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		n := 0
		for _, c := range rec.lanes {
			n += c
		}
		return n
	}
	waitFor(t, 5*time.Second, "every record", func() bool { return total() >= want })
	time.Sleep(50 * time.Millisecond) // nothing more comes
	if n := total(); n != want {
		t.Errorf("%d records, want %d", n, want)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.batches != 0 {
		t.Errorf("AddBatch called %d times on a LaneSink", rec.batches)
	}
	for lane := range rec.lanes {
		if lane < 0 || lane >= workers {
			t.Errorf("lane %d outside [0, %d)", lane, workers)
		}
	}
}
