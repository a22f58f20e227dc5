package mitigation_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

// The collector's path (Ingest: the detector counts the records and feeds the incoming
// traffic of the series from its cells and rings, the series counts only the outgoing and
// dropped traffic) ends with the same traffic points as a series counting every record itself
// (Series.Add), whatever the records: one-second records straddling seconds, long records,
// other protocols, SYN and fragments, late and stale records, records from tracked sources,
// an IP with a filter, several lanes. Both are flushed as the Watch does, after a Tick of the
// detector; a point written again replaces the earlier one, as in the store.
func TestIngestMatchesSeriesAdd(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			testIngestMatchesSeriesAdd(t, seed)
		})
	}
}

func testIngestMatchesSeriesAdd(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	det, err := detect.New(detect.Config{Networks: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")},
		Profiles: detect.DefaultProfiles()})
	if err != nil {
		t.Fatal(err)
	}
	fed, alone := mitigation.NewSeries(70*time.Second), mitigation.NewSeries(70*time.Second)
	in := mitigation.NewIngest(det, fed)
	var ips []netip.Addr
	for i := range 12 {
		ip := netip.AddrFrom4([4]byte{198, 18, 0, byte(10 + i)})
		ips = append(ips, ip)
		if err := det.Track(ip, detect.ProfileDefault); err != nil {
			t.Fatal(err)
		}
	}
	fed.Track(ips)
	alone.Track(ips)
	filters := map[netip.Addr]mitigation.Filter{ips[1]: mitigation.FilterOf(netguard.Mitigation{IP: ips[1],
		State: netguard.MitigationAuto, Level: 1, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}}, 0)}
	fed.SetFilters(filters)
	alone.SetFilters(filters)

	final := map[string]map[string]netguard.TrafficPoint{"fed": {}, "alone": {}}
	keep := func(name string, pts []netguard.TrafficPoint) {
		for _, p := range pts {
			final[name][fmt.Sprint(p.IP, p.Scale, p.At.Unix())] = p
		}
	}
	record := func(now time.Time) netguard.Flow {
		f := netguard.Flow{Src: netip.AddrFrom4([4]byte{203, 0, 113, byte(rng.IntN(250))}), Dst: ips[rng.IntN(len(ips))],
			Proto: netguard.ProtoTCP, TCPFlags: netguard.TCPAck, SrcPort: uint16(1024 + rng.IntN(60000)), DstPort: 443}
		f.Packets = uint64(1 + rng.IntN(2000))
		f.Bytes = f.Packets * uint64(60+rng.IntN(1400))
		switch rng.IntN(8) {
		case 0:
			f.Proto, f.SrcPort = netguard.ProtoUDP, 53 // the filtered vector on ips[1]
		case 1:
			f.Proto = netguard.ProtoUDP
		case 2:
			f.TCPFlags = netguard.TCPSyn
		case 3:
			f.Proto = 47 // GRE: the detector's rings
		case 4:
			f.Src = ips[rng.IntN(len(ips))] // outgoing traffic of a tracked IP
		}
		if rng.IntN(7) == 0 {
			f.Fragment = true
		}
		end := now.Add(-time.Duration(rng.IntN(3000)) * time.Millisecond)
		switch rng.IntN(10) {
		case 0:
			f.Start, f.End = end.Add(-time.Duration(2+rng.IntN(40))*time.Second), end // long
		case 1:
			f.Start, f.End = now.Add(-80*time.Second), now.Add(-75*time.Second) // older than the detector's window
		case 2: // an sFlow sample: no times
		default:
			f.Start, f.End = end.Add(-time.Second), end
		}
		return f
	}
	now := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	var batch []netguard.Flow
	for step := range 300 {
		now = now.Add(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		batch = batch[:0]
		for range rng.IntN(80) {
			batch = append(batch, record(now))
		}
		in.AddBatchLane(step%3, batch, now)
		for i := range batch {
			alone.Add(&batch[i], now)
		}
		det.Tick(now)
		keep("fed", fed.Flush(now))
		keep("alone", alone.Flush(now))
	}
	for range 100 { // until every interval is complete
		now = now.Add(time.Second)
		det.Tick(now)
		keep("fed", fed.Flush(now))
		keep("alone", alone.Flush(now))
	}
	if len(final["alone"]) == 0 {
		t.Fatal("no traffic point")
	}
	dropped := false
	for k, want := range final["alone"] {
		got, ok := final["fed"][k]
		if !ok {
			t.Errorf("%s: missing, want %+v", k, want)
			continue
		}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", k, got, want)
		}
		dropped = dropped || want.Dropped.PPS > 0
	}
	for k, got := range final["fed"] {
		if _, ok := final["alone"][k]; !ok {
			t.Errorf("%s: extra point %+v", k, got)
		}
	}
	if !dropped {
		t.Error("no dropped traffic: the filter was not exercised")
	}
}

// Drops counted before the incoming traffic they belong to (the detector hands it over at its
// next Tick) never make a point with more dropped than incoming traffic, nor wrap the rate
// limit's arithmetic; the point is right once the incoming traffic is there.
func TestSeriesDropsBeforeTheirIncomingTraffic(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("198.18.0.10")
	s := mitigation.NewSeries(70 * time.Second)
	s.Track([]netip.Addr{ip})
	s.SetFilters(map[netip.Addr]mitigation.Filter{ip: mitigation.FilterOf(netguard.Mitigation{IP: ip,
		State: netguard.MitigationAuto, Level: 2, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}}, 1000)})
	base := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	amp := netguard.Flow{Src: netip.MustParseAddr("192.0.2.53"), Dst: ip, Proto: netguard.ProtoUDP, SrcPort: 53,
		Packets: 1000, Bytes: 1_000_000, Start: base.Add(2 * time.Second), End: base.Add(3 * time.Second)}
	s.AddSide(&amp, base.Add(4*time.Second)) // the drop, before the detector's second
	pts := s.Flush(base.Add(11 * time.Second))
	if len(pts) != 0 {
		for _, p := range pts {
			if p.Dropped.PPS > p.In.PPS || p.Dropped.BPS > p.In.BPS {
				t.Fatalf("point %+v: more dropped than incoming", p)
			}
		}
	}
	s.AddSecond(nil, ip, base.Unix()+2, 1000, 1_000_000) // the detector's flush
	pts = s.Flush(base.Add(21 * time.Second))
	var got *netguard.TrafficPoint
	for i := range pts {
		if pts[i].Scale == netguard.Scale10s && pts[i].At.Equal(base) {
			got = &pts[i]
		}
	}
	if got == nil {
		t.Fatalf("no point for the interval in %+v", pts)
	}
	if got.In.PPS != 100 || got.Dropped.PPS != 100 {
		t.Errorf("point %+v: want 100 packets/s in, all dropped", *got)
	}
}

// The network prefilter lets through every tracked address, IPv4 or IPv6, as destination and
// as source, whatever else shares its network or not.
func TestSeriesNetworkPrefilter(t *testing.T) {
	t.Parallel()
	v4, v6 := netip.MustParseAddr("198.18.7.9"), netip.MustParseAddr("2001:db8:7:1::9")
	s := mitigation.NewSeries(70 * time.Second)
	s.Track([]netip.Addr{v4, v6})
	base := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	for _, f := range []netguard.Flow{
		{Src: netip.MustParseAddr("203.0.113.1"), Dst: v4, Proto: netguard.ProtoTCP, Packets: 10, Bytes: 1000},
		{Src: netip.MustParseAddr("2001:db8:99::1"), Dst: v6, Proto: netguard.ProtoTCP, Packets: 20, Bytes: 2000},
		{Src: v4, Dst: netip.MustParseAddr("203.0.113.1"), Proto: netguard.ProtoTCP, Packets: 30, Bytes: 3000},
		{Src: v6, Dst: netip.MustParseAddr("2001:db8:99::1"), Proto: netguard.ProtoTCP, Packets: 40, Bytes: 4000},
		{Src: netip.MustParseAddr("198.18.7.10"), Dst: netip.MustParseAddr("198.18.7.11"), Packets: 50, Bytes: 5000}, // its network, untracked
	} {
		f.Start, f.End = base.Add(time.Second), base.Add(time.Second)
		s.Add(&f, base.Add(2*time.Second))
	}
	got := map[netip.Addr]netguard.TrafficPoint{}
	for _, p := range s.Flush(base.Add(11 * time.Second)) {
		if p.Scale == netguard.Scale10s {
			got[p.IP] = p
		}
	}
	if len(got) != 2 || got[v4].In.PPS != 1 || got[v4].Out.PPS != 3 || got[v6].In.PPS != 2 || got[v6].Out.PPS != 4 {
		t.Errorf("points %+v: want 1 in and 3 out packets/s for %s, 2 and 4 for %s", got, v4, v6)
	}
}

// The detector keeps, with each IP's counters, a memo of the IP's series (detect.TrafficSink).
// When the series drops the IP while the detector goes on counting it (here: untracked and
// tracked again by the series alone), the traffic that follows still reaches the chart: the
// memo is found stale and the IP's new series looked up.
func TestIngestFindsTheSeriesAgain(t *testing.T) {
	t.Parallel()
	det, err := detect.New(detect.Config{Profiles: detect.DefaultProfiles()})
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("198.18.0.10")
	if err := det.Track(ip, detect.ProfileDefault); err != nil {
		t.Fatal(err)
	}
	s := mitigation.NewSeries(20 * time.Second)
	in := mitigation.NewIngest(det, s)
	s.Track([]netip.Addr{ip})
	base := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	in10s := map[int64]uint64{} // packets per second of each 10-second interval, as last handed out
	run := func(from, to int, pkts uint64) {
		for sec := from; sec < to; sec++ {
			at := base.Add(time.Duration(sec) * time.Second)
			f := []netguard.Flow{{Src: netip.MustParseAddr("203.0.113.9"), Dst: ip, Proto: netguard.ProtoTCP,
				TCPFlags: netguard.TCPAck, SrcPort: 443, DstPort: 50000, Packets: pkts, Bytes: pkts * 100, Start: at, End: at}}
			in.AddBatch(f, at.Add(time.Second))
			det.Tick(at.Add(time.Second))
			for _, p := range s.Flush(at.Add(time.Second)) {
				if p.Scale == netguard.Scale10s {
					in10s[p.At.Unix()-base.Unix()] = p.In.PPS
				}
			}
		}
	}
	run(0, 20, 100) // the memo points at the first series
	run(20, 25, 0)  // its intervals handed out
	s.Track(nil)    // the series forgets the IP, the detector still counts it
	s.Track([]netip.Addr{ip})
	run(25, 30, 0)
	run(30, 40, 300)
	run(40, 60, 0) // the intervals complete
	for at, want := range map[int64]uint64{0: 100, 10: 100, 20: 0, 30: 300} {
		if in10s[at] != want {
			t.Errorf("interval +%d s: %d packets/s in, want %d (all: %v)", at, in10s[at], want, in10s)
		}
	}
}

// The memo under concurrency: two collector lanes count while the loop ticks and flushes and the
// series keeps forgetting and tracking again a second IP. The race detector watches the memo
// and its gone flag; every packet toward the IP that stays tracked reaches its points.
func TestIngestMemoUnderConcurrency(t *testing.T) {
	t.Parallel()
	det, err := detect.New(detect.Config{Profiles: detect.DefaultProfiles()})
	if err != nil {
		t.Fatal(err)
	}
	stay, churn := netip.MustParseAddr("198.18.0.10"), netip.MustParseAddr("198.18.0.11")
	for _, ip := range []netip.Addr{stay, churn} {
		if err := det.Track(ip, detect.ProfileDefault); err != nil {
			t.Fatal(err)
		}
	}
	s := mitigation.NewSeries(20 * time.Second)
	in := mitigation.NewIngest(det, s)
	s.Track([]netip.Addr{stay, churn})
	base := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	now := base.Add(5 * time.Second)
	const perLane, lanes = 2000, 2
	var wg sync.WaitGroup
	var done atomic.Int32
	for lane := range lanes {
		wg.Go(func() {
			defer done.Add(1)
			for i := range perLane {
				sec := base.Add(time.Duration(i%4) * time.Second)
				dst := stay
				if i%2 == 1 {
					dst = churn
				}
				f := []netguard.Flow{{Src: netip.MustParseAddr("203.0.113.9"), Dst: dst, Proto: netguard.ProtoUDP,
					SrcPort: uint16(1000 + i%7), DstPort: 27015, Packets: 3, Bytes: 300, Start: sec, End: sec}}
				in.AddBatchLane(lane, f, now)
			}
		})
	}
	var flushed []netguard.TrafficPoint
	var mu sync.Mutex
	wg.Go(func() {
		for done.Load() < lanes {
			det.Tick(now)
			pts := s.Flush(now)
			mu.Lock()
			flushed = append(flushed, pts...)
			mu.Unlock()
		}
	})
	wg.Go(func() {
		for done.Load() < lanes {
			s.Track([]netip.Addr{stay})
			s.Track([]netip.Addr{stay, churn})
		}
	})
	wg.Wait()
	det.Tick(base.Add(20 * time.Second))
	flushed = append(flushed, s.Flush(base.Add(time.Minute))...)
	var last netguard.TrafficPoint
	for _, p := range flushed { // the final version of the point comes last
		if p.IP == stay && p.Scale == netguard.Scale10s && p.At.Equal(base) {
			last = p
		}
	}
	if want := uint64(lanes * perLane / 2 * 3 / 10); last.In.PPS != want {
		t.Errorf("%s: %d packets/s in over the interval, want %d (%+v)", stay, last.In.PPS, want, last)
	}
}
