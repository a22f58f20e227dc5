package detect_test

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// AddBatch counts exactly as Add on each record in turn: same events, statistics and rates,
// with attacks (IPv4, IPv6, carpet bombing), long, late, future, stale, untracked, unknown and
// invalid records mixed in batches larger than its chunk.
func TestAddBatchMatchesAdd(t *testing.T) {
	t.Parallel()
	carpet := netip.MustParsePrefix("192.0.2.128/25")
	gens := func() []*flowgen.Generator {
		return []*flowgen.Generator{
			generator(t, flowgen.ScenarioConfig{Scenario: flowgen.UDPFlood, Target: netip.PrefixFrom(target4, 32), PPS: 2_000_000, SamplingRate: 10}),
			generator(t, flowgen.ScenarioConfig{Scenario: flowgen.DNSAmplification, Target: netip.PrefixFrom(target6, 128), PPS: 500_000, SamplingRate: 10}),
			generator(t, flowgen.ScenarioConfig{Scenario: flowgen.SYNFlood, Target: netip.PrefixFrom(target4.Next(), 32), PPS: 300_000, SamplingRate: 10, ActiveTimeout: 5 * time.Second}),
			generator(t, flowgen.ScenarioConfig{Scenario: flowgen.CarpetBombing, Target: carpet, PPS: 3_000_000, SamplingRate: 10}),
			generator(t, flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: netip.MustParsePrefix("192.0.2.0/26"), PPS: 100_000, SamplingRate: 10}),
		}
	}
	newOne := func() (*detect.Detector, []*flowgen.Generator) {
		d := newDetector(t, detect.Config{})
		for a := netip.MustParseAddr("192.0.2.0"); a.Less(netip.MustParseAddr("192.0.2.100")); a = a.Next() {
			track(t, d, detect.ProfileDefault, a)
		}
		track(t, d, detect.ProfileDefault, target6)
		return d, gens()
	}
	one, g1 := newOne()
	batched, g2 := newOne()
	rng := rand.New(rand.NewPCG(3, 4))
	extra := func(now time.Time) []netguard.Flow {
		var out []netguard.Flow
		for range 300 {
			f := udp(target4, 123, uint64(1+rng.IntN(5000)), 468, now.Add(-time.Second))
			switch rng.IntN(9) {
			case 0:
				f.Start = now.Add(-time.Duration(rng.IntN(90)) * time.Second) // long
			case 7:
				f.Start, f.End = now.Add(-71*time.Second), now.Add(-70*time.Second) // stale
			case 1:
				f.End = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond) // exporter ahead
			case 2:
				f.Dst = netip.MustParseAddr("203.0.113.99") // unknown
			case 3:
				f.Dst = netip.Addr{} // invalid
			case 4:
				f.Dst = netip.MustParseAddr("192.0.2.200") // untracked, in the network
			case 5:
				f.Start, f.End = time.Time{}, time.Time{} // an sFlow sample
			case 6:
				f.Dst = netip.MustParseAddr("::ffff:192.0.2.7") // mapped
			}
			out = append(out, f)
		}
		return out
	}
	now := t0
	for sec := range 40 {
		now = now.Add(time.Second)
		var flows []netguard.Flow
		for _, g := range g1 {
			flows = g.Records(flows, now.Add(-time.Second))
		}
		var flows2 []netguard.Flow
		for _, g := range g2 {
			flows2 = g.Records(flows2, now.Add(-time.Second))
		}
		if !reflect.DeepEqual(flows, flows2) {
			t.Fatal("generators differ")
		}
		ex := extra(now)
		flows = append(flows, ex...)
		rng.Shuffle(len(flows), func(i, j int) { flows[i], flows[j] = flows[j], flows[i] })
		for i := range flows {
			one.Add(&flows[i], now)
		}
		for rest := flows; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(1500))
			batched.AddBatch(rest[:n], now)
			rest = rest[n:]
		}
		e1, e2 := one.Tick(now), batched.Tick(now)
		if !reflect.DeepEqual(e1, e2) {
			t.Fatalf("second %d: Add gives events %+v, AddBatch %+v", sec, e1, e2)
		}
		if s1, s2 := one.Stats(), batched.Stats(); s1 != s2 {
			t.Fatalf("second %d: Add gives stats %+v, AddBatch %+v", sec, s1, s2)
		}
		if sec == 10 {
			if st := one.Stats(); st.Attacks == 0 || st.Unknown == 0 || st.Untracked == 0 || st.Stale == 0 {
				t.Fatalf("the records do not cover every case: %+v", st)
			}
		}
	}
}

// AddBatch does not allocate once the destinations' counters exist.
func TestAddBatchDoesNotAllocate(t *testing.T) {
	d := newDetector(t, detect.Config{})
	track(t, d, detect.ProfileDefault, target4, target6)
	flows := make([]netguard.Flow, 0, 700)
	for i := range cap(flows) {
		f := udp(target4, 53, 100, 100, t0)
		if i%3 == 0 {
			f.Dst = target6
		}
		if i%5 == 0 {
			f.Dst = netip.MustParseAddr("203.0.113.99")
		}
		flows = append(flows, f)
	}
	now := t0.Add(time.Second)
	d.AddBatch(flows, now)
	allocs := testing.AllocsPerRun(100, func() { d.AddBatch(flows, now) })
	if allocs != 0 {
		t.Errorf("%.1f allocations per AddBatch, want 0", allocs)
	}
}
