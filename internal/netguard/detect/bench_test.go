package detect_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

const benchTracked = 100_000

// benchDetector tracks 100,000 IPs of benchNet.
func benchDetector(b *testing.B) (*detect.Detector, []netip.Addr) {
	b.Helper()
	d := newDetector(b, detect.Config{Networks: []netip.Prefix{benchNet}})
	ips := hosts(benchNet, benchTracked)
	track(b, d, detect.ProfileDefault, ips...)
	return d, ips
}

// benchFlows returns n records toward tracked IPs drawn uniformly (the worst case for caches)
// or, when zipf, with a Zipf law (s = 1.1, a few IPs get most records, as real traffic does): a
// mix of TCP, SYN, UDP, DNS and fragments, each of pkts packets covering dur up to now.
func benchFlows(ips []netip.Addr, n int, now time.Time, dur time.Duration, pkts uint64, zipf bool) []netguard.Flow {
	rng := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(rng, 1.1, 1, uint64(len(ips)-1))
	flows := make([]netguard.Flow, n)
	for i := range flows {
		dst := ips[rng.IntN(len(ips))]
		if zipf {
			dst = ips[z.Uint64()]
		}
		f := netguard.Flow{
			Src: netip.AddrFrom4([4]byte{100, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}),
			Dst: dst, SrcPort: uint16(1024 + rng.IntN(60000)), DstPort: 443,
			Proto: netguard.ProtoTCP, TCPFlags: netguard.TCPAck, Packets: pkts, Bytes: pkts * 800, SamplingRate: 1000,
			Start: now.Add(-dur), End: now,
		}
		switch rng.IntN(5) {
		case 0:
			f.TCPFlags = netguard.TCPSyn
		case 1:
			f.Proto = netguard.ProtoUDP
		case 2:
			f.Proto, f.SrcPort = netguard.ProtoUDP, 53
		case 3:
			f.Proto, f.Fragment = netguard.ProtoUDP, true
		}
		flows[i] = f
	}
	return flows
}

// BenchmarkAdd counts flow records toward 100,000 tracked IPs from one goroutine: sFlow
// samples (instants), 1-second and 30-second NetFlow records.
func BenchmarkAdd(b *testing.B) {
	for _, tt := range []struct {
		dur  time.Duration
		zipf bool
	}{{0, false}, {time.Second, false}, {30 * time.Second, false}, {time.Second, true}, {30 * time.Second, true}} {
		dist := "uniform"
		if tt.zipf {
			dist = "zipf"
		}
		b.Run(fmt.Sprintf("record=%s/dst=%s", tt.dur, dist), func(b *testing.B) {
			d, ips := benchDetector(b)
			now := t0.Add(time.Minute)
			flows := benchFlows(ips, 1<<16, now, tt.dur, 1000, tt.zipf)
			for i := range flows { // create the counters: steady state
				d.Add(&flows[i], now)
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				d.Add(&flows[i&(len(flows)-1)], now)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
		})
	}
}

// BenchmarkAddParallel counts flow records from GOMAXPROCS goroutines.
func BenchmarkAddParallel(b *testing.B) {
	d, ips := benchDetector(b)
	now := t0.Add(time.Minute)
	flows := benchFlows(ips, 1<<16, now, time.Second, 1000, false)
	for i := range flows {
		d.Add(&flows[i], now)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var seed uint64
	b.RunParallel(func(pb *testing.PB) {
		seed++
		i := int(seed * 7919)
		for pb.Next() {
			d.Add(&flows[i&(len(flows)-1)], now)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// BenchmarkTick judges one second with 100,000 tracked IPs, of which some had traffic in the
// window (the cost grows with the active IPs, not the tracked ones).
func BenchmarkTick(b *testing.B) {
	for _, active := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprintf("active=%d", active), func(b *testing.B) {
			d, ips := benchDetector(b)
			now := t0
			flows := benchFlows(ips[:max(active, 1)], 4*active, now, time.Second, 50, false)
			feed := func() {
				for i := range flows {
					f := &flows[i]
					f.Start, f.End = now.Add(-time.Second), now
					d.Add(f, now)
				}
			}
			for range 3 {
				now = now.Add(time.Second)
				feed()
				d.Tick(now)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				now = now.Add(time.Second)
				feed()
				b.StartTimer()
				d.Tick(now)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
			if st := d.Stats(); st.ActiveIPs < active*9/10 || st.Tracked != benchTracked {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}

// BenchmarkTickAgain is Tick called again before a new second completes (itsgow ticks every
// 250 ms), with no late record: the pass that finds every active IP calm and leaves it alone.
func BenchmarkTickAgain(b *testing.B) {
	for _, active := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("active=%d", active), func(b *testing.B) {
			d, ips := benchDetector(b)
			now := t0
			flows := benchFlows(ips[:active], 4*active, now, time.Second, 50, false)
			for range 3 {
				now = now.Add(time.Second)
				for i := range flows {
					f := &flows[i]
					f.Start, f.End = now.Add(-time.Second), now
					d.Add(f, now)
				}
				d.Tick(now)
			}
			later := now.Add(250 * time.Millisecond)
			b.ReportAllocs()
			for b.Loop() {
				d.Tick(later)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/tick")
			if st := d.Stats(); st.ActiveIPs < active*9/10 {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}

// BenchmarkAddBatch counts the same records as BenchmarkAdd in batches of 1,024 (the collector
// hands the detector the records of each receive batch at once).
func BenchmarkAddBatch(b *testing.B) {
	const batch = 1024
	for _, tt := range []struct {
		dur  time.Duration
		zipf bool
	}{{0, false}, {time.Second, false}, {30 * time.Second, false}, {time.Second, true}} {
		dist := "uniform"
		if tt.zipf {
			dist = "zipf"
		}
		b.Run(fmt.Sprintf("record=%s/dst=%s", tt.dur, dist), func(b *testing.B) {
			d, ips := benchDetector(b)
			now := t0.Add(time.Minute)
			flows := benchFlows(ips, 1<<16, now, tt.dur, 1000, tt.zipf)
			d.AddBatch(flows, now) // create the counters: steady state
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				d.AddBatch(flows[i:i+batch], now)
				i = (i + batch) & (len(flows) - 1)
			}
			n := float64(b.N) * batch
			b.ReportMetric(n/b.Elapsed().Seconds(), "flows/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/flow")
		})
	}
}

// BenchmarkAddBatchParallel counts 1-second records in batches of 1,024 from GOMAXPROCS
// goroutines at once, as the collector's goroutines do: what the shards' locks and the cache
// lines both goroutines write cost on top of BenchmarkAddBatch.
func BenchmarkAddBatchParallel(b *testing.B) {
	const batch = 1024
	d, ips := benchDetector(b)
	now := t0.Add(time.Minute)
	flows := benchFlows(ips, 1<<16, now, time.Second, 1000, false)
	d.AddBatch(flows, now)
	b.ReportAllocs()
	b.ResetTimer()
	var seed atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		lane := int(seed.Add(1))
		i := lane * 7919 & (len(flows) - 1) &^ (batch - 1)
		for pb.Next() {
			d.AddBatchLane(lane, flows[i:i+batch], now)
			i = (i + batch) & (len(flows) - 1)
		}
	})
	n := float64(b.N) * batch
	b.ReportMetric(n/b.Elapsed().Seconds(), "flows/s")
}
