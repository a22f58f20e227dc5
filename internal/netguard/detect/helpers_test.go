package detect_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

var (
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	network4 = netip.MustParsePrefix("192.0.2.0/24")
	network6 = netip.MustParsePrefix("2001:db8:1::/48")
	target4  = netip.MustParseAddr("192.0.2.10")
	target6  = netip.MustParseAddr("2001:db8:1::10")
	attacker = netip.MustParseAddr("203.0.113.7")
)

func newDetector(tb testing.TB, cfg detect.Config) *detect.Detector {
	tb.Helper()
	if cfg.Networks == nil {
		cfg.Networks = []netip.Prefix{network4, network6}
	}
	d, err := detect.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func track(tb testing.TB, d *detect.Detector, profile string, ips ...netip.Addr) {
	tb.Helper()
	for _, ip := range ips {
		if err := d.Track(ip, profile); err != nil {
			tb.Fatal(err)
		}
	}
}

// sim drives a detector second by second in simulated time: the records of each second are
// received at its end, then Tick runs.
type sim struct {
	tb     testing.TB
	d      *detect.Detector
	now    time.Time // end of the last simulated second
	events []detect.Event
}

func newSim(tb testing.TB, d *detect.Detector) *sim { return &sim{tb: tb, d: d, now: t0} }

// second adds flows as received at the end of the coming second, moves to it and ticks.
func (s *sim) second(flows ...netguard.Flow) []detect.Event {
	s.now = s.now.Add(time.Second)
	for i := range flows {
		s.d.Add(&flows[i], s.now)
	}
	evs := s.d.Tick(s.now)
	s.events = append(s.events, evs...)
	return evs
}

// run simulates n seconds of the generators' traffic (one-second records).
func (s *sim) run(n int, gens ...*flowgen.Generator) []detect.Event {
	var evs []detect.Event
	for range n {
		var flows []netguard.Flow
		for _, g := range gens {
			flows = g.Records(flows, s.now)
		}
		evs = append(evs, s.second(flows...)...)
	}
	return evs
}

func generator(tb testing.TB, cfg flowgen.ScenarioConfig) *flowgen.Generator {
	tb.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	g, err := flowgen.NewGenerator(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// udp returns a one-second UDP record of pkts packets of size bytes from attacker to dst,
// covering the second that starts at start.
func udp(dst netip.Addr, srcPort uint16, pkts, size uint64, start time.Time) netguard.Flow {
	return netguard.Flow{
		Src: attacker, Dst: dst, SrcPort: srcPort, DstPort: 4444, Proto: netguard.ProtoUDP,
		Packets: pkts, Bytes: pkts * size, SamplingRate: 1, Start: start, End: start.Add(time.Second),
	}
}

func firstOf(evs []detect.Event, kind detect.EventKind) (detect.Event, bool) {
	for _, e := range evs {
		if e.Kind == kind {
			return e, true
		}
	}
	return detect.Event{}, false
}

// onlyUDP is a profile that checks UDP packets per second only.
func onlyUDP(pps uint64) detect.Profile {
	return detect.Profile{UDP: detect.Limit{PPS: pps}}
}
