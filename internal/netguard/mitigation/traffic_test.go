package mitigation_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

func TestSeriesSpreadsRollsUpAndEstimatesDrops(t *testing.T) {
	t.Parallel()
	s := mitigation.NewSeries(30 * time.Second)
	s.Track([]netip.Addr{target})
	s.SetFilters(map[netip.Addr]mitigation.Filter{target: mitigation.FilterOf(netguard.Mitigation{IP: target,
		State: netguard.MitigationAuto, Level: 1, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}}, 0)})
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	// One 30-second NetFlow record of benign traffic: 10 s of it in each of three intervals.
	benign := netguard.Flow{Src: attacker, Dst: target, Proto: netguard.ProtoTCP, SrcPort: 51000, DstPort: 443,
		Packets: 30_000, Bytes: 30_000_000, Start: base, End: base.Add(30 * time.Second)}
	s.Add(&benign, base.Add(31*time.Second))
	// DNS amplification in the first interval: dropped by the filter.
	amp := netguard.Flow{Src: netip.MustParseAddr("192.0.2.53"), Dst: target, Proto: netguard.ProtoUDP, SrcPort: 53, DstPort: 4444,
		Packets: 10_000, Bytes: 10_000_000, Start: base, End: base.Add(10 * time.Second)}
	s.Add(&amp, base.Add(31*time.Second))
	// The server's answers: outgoing. An unknown IP counts nowhere.
	out := netguard.Flow{Src: target, Dst: attacker, Proto: netguard.ProtoTCP, Packets: 1000, Bytes: 80_000, Start: base, End: base.Add(time.Second)}
	s.Add(&out, base.Add(31*time.Second))
	stranger := netguard.Flow{Src: attacker, Dst: netip.MustParseAddr("198.51.100.1"), Packets: 5, Bytes: 500, Start: base, End: base}
	s.Add(&stranger, base.Add(31*time.Second))

	// Each interval is handed out once it ended, before it is complete.
	pts := s.Flush(base.Add(30 * time.Second))
	if len(pts) != 2 {
		t.Fatalf("live points at 30 s: %+v", pts)
	}
	want := netguard.TrafficPoint{IP: target, Scale: netguard.Scale10s, At: base,
		In:      netguard.Rate{BPS: (10_000_000 + 10_000_000) * 8 / 10, PPS: (10_000 + 10_000) / 10},
		Dropped: netguard.Rate{BPS: 10_000_000 * 8 / 10, PPS: 1000},
		Out:     netguard.Rate{BPS: 80_000 * 8 / 10, PPS: 100}}
	if pts[0] != want {
		t.Errorf("first point\n got %+v\nwant %+v", pts[0], want)
	}
	pts = s.Flush(base.Add(35 * time.Second))
	var tens []netguard.TrafficPoint
	for _, p := range pts {
		if p.Scale == netguard.Scale10s {
			tens = append(tens, p)
		}
	}
	if len(tens) != 1 || len(pts) != 1 || !tens[0].At.Equal(base.Add(20*time.Second)) {
		t.Fatalf("points at 35 s %+v", pts)
	}
	if tens[0].In.PPS != 1000 || tens[0].Dropped.PPS != 0 {
		t.Errorf("third point %+v", tens[0])
	}
	// Complete, and unchanged since: nothing written again; the minute ended at 1:01.
	if pts := s.Flush(base.Add(60 * time.Second)); len(pts) != 0 {
		t.Fatalf("points at 60 s: %+v", pts)
	}
	pts = s.Flush(base.Add(61 * time.Second))
	if len(pts) != 1 || pts[0].Scale != netguard.Scale1m || pts[0].In.PPS != (30_000+10_000)/60 || pts[0].Dropped.PPS != 10_000/60 {
		t.Fatalf("provisional minute %+v", pts)
	}
	// The minute is complete once its last interval is flushed; the 5 minutes later.
	pts = s.Flush(base.Add(2 * time.Minute))
	if len(pts) != 1 || pts[0].Scale != netguard.Scale1m || pts[0].In.PPS != (30_000+10_000)/60 || pts[0].Dropped.PPS != 10_000/60 {
		t.Fatalf("minute %+v", pts)
	}
	pts = s.Flush(base.Add(6 * time.Minute))
	if len(pts) != 1 || pts[0].Scale != netguard.Scale5m || pts[0].In.BPS != 40_000_000*8/300 {
		t.Fatalf("5 minutes %+v", pts)
	}
}

// The chart is live: an attack's 10-second points are handed out a second after each interval
// ends, late records (a NetFlow record covering 30 s arrives at its end) amend the points
// already handed out at the next interval end, and the complete point is written again only
// when it changed.
func TestSeriesLivePointsAmendedByLateRecords(t *testing.T) {
	t.Parallel()
	s := mitigation.NewSeries(70 * time.Second)
	s.Track([]netip.Addr{target})
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	flood := func(sec int) netguard.Flow { // one sFlow-like second of 50,000 packets
		at := base.Add(time.Duration(sec) * time.Second)
		return netguard.Flow{Src: attacker, Dst: target, Proto: netguard.ProtoUDP, Packets: 50_000, Bytes: 50_000_000, Start: at, End: at}
	}
	for sec := range 10 {
		f := flood(sec)
		s.Add(&f, base.Add(time.Duration(sec)*time.Second+500*time.Millisecond))
		if pts := s.Flush(base.Add(time.Duration(sec)*time.Second + 750*time.Millisecond)); len(pts) != 0 {
			t.Fatalf("second %d: the interval is not over yet: %+v", sec, pts)
		}
	}
	if pts := s.Flush(base.Add(10*time.Second + 750*time.Millisecond)); len(pts) != 0 {
		t.Fatalf("before LiveDelay: %+v", pts)
	}
	pts := s.Flush(base.Add(11 * time.Second))
	if len(pts) != 1 || !pts[0].At.Equal(base) || pts[0].In.PPS != 50_000 {
		t.Fatalf("live point 11 s after the attack began: %+v", pts)
	}
	if pts := s.Flush(base.Add(11*time.Second + 250*time.Millisecond)); len(pts) != 0 {
		t.Fatalf("handed out twice: %+v", pts)
	}
	// A 30-second record of benign traffic, exported at its end, amends the three intervals.
	long := netguard.Flow{Src: attacker, Dst: target, Proto: netguard.ProtoTCP, Packets: 30_000, Bytes: 3_000_000,
		Start: base, End: base.Add(30 * time.Second)}
	for _, at := range []time.Duration{21 * time.Second, 31 * time.Second} {
		if pts := s.Flush(base.Add(at)); len(pts) != 0 {
			t.Fatalf("at %v, no new traffic: %+v", at, pts)
		}
	}
	s.Add(&long, base.Add(31*time.Second+100*time.Millisecond))
	if pts := s.Flush(base.Add(31*time.Second + 250*time.Millisecond)); len(pts) != 0 {
		t.Fatalf("amended before the next interval end: %+v", pts)
	}
	pts = s.Flush(base.Add(41 * time.Second))
	if len(pts) != 3 || pts[0].In.PPS != 51_000 || pts[1].In.PPS != 1000 || pts[2].In.PPS != 1000 {
		t.Fatalf("amended points: %+v", pts)
	}
	// Complete 70 s after each interval ends: unchanged, so not written again; the minute
	// (ended at 1:01, provisional then) is complete at 2:10.
	var minutes []netguard.TrafficPoint
	for at := 32 * time.Second; at <= 130*time.Second; at += 250 * time.Millisecond {
		for _, p := range s.Flush(base.Add(at)) {
			if p.Scale != netguard.Scale1m {
				t.Fatalf("at %v: %+v", at, p)
			}
			minutes = append(minutes, p)
		}
	}
	if len(minutes) != 2 || minutes[0] != minutes[1] || minutes[0].In.PPS != (500_000+30_000)/60 {
		t.Fatalf("minute points: %+v", minutes)
	}
}

func TestSeriesRateLimitAndBlackholeDrops(t *testing.T) {
	t.Parallel()
	s := mitigation.NewSeries(10 * time.Second)
	s.Track([]netip.Addr{target, other})
	s.SetFilters(map[netip.Addr]mitigation.Filter{
		target: mitigation.FilterOf(netguard.Mitigation{IP: target, State: netguard.MitigationForced, Level: 2}, 1_000_000),
		other:  mitigation.FilterOf(netguard.Mitigation{IP: other, State: netguard.MitigationForced, Level: 3}, 1_000_000),
	})
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, dst := range []netip.Addr{target, other} {
		f := netguard.Flow{Src: attacker, Dst: dst, Proto: netguard.ProtoTCP, Packets: 40_000, Bytes: 40_000_000, Start: base, End: base.Add(10 * time.Second)}
		s.Add(&f, base.Add(10*time.Second))
	}
	pts := s.Flush(base.Add(20 * time.Second))
	if len(pts) != 2 {
		t.Fatalf("points %+v", pts)
	}
	// 4 MB/s against 1 MB/s allowed: three quarters dropped.
	if p := pts[0]; p.IP != target || p.Dropped.BPS != 3_000_000*8 || p.Dropped.PPS != 3000 {
		t.Errorf("rate limited %+v", p)
	}
	if p := pts[1]; p.IP != other || p.Dropped != p.In {
		t.Errorf("blackholed %+v", p)
	}
}

// Add takes no global lock: concurrent collectors and a flush race cleanly.
func TestSeriesConcurrentAdd(t *testing.T) {
	t.Parallel()
	s := mitigation.NewSeries(10 * time.Second)
	ips := []netip.Addr{target, other}
	s.Track(ips)
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				f := netguard.Flow{Src: attacker, Dst: ips[(g+i)%2], Packets: 1, Bytes: 100, Start: base, End: base}
				s.Add(&f, base)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Flush(base)
	}()
	wg.Wait()
	var total uint64
	for _, p := range s.Flush(base.Add(time.Minute)) {
		if p.Scale == netguard.Scale10s {
			total += p.In.PPS * 10
		}
	}
	if total != 4000 {
		t.Errorf("counted %d packets, want 4000", total)
	}
}

// failingDriver fails its first Apply.
type failingDriver struct {
	*edge.LogDriver
	mu      sync.Mutex
	failed  bool
	resyncs int
}

func (d *failingDriver) Apply(ctx context.Context, add, remove []edge.Rule) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.failed {
		d.failed = true
		return errors.New("peer down")
	}
	return d.LogDriver.Apply(ctx, add, remove)
}

func (d *failingDriver) Resync(ctx context.Context, full edge.RuleSet) error {
	d.mu.Lock()
	d.resyncs++
	d.mu.Unlock()
	return d.LogDriver.Resync(ctx, full)
}

// The first tick announces the whole set; later ones send differences; a failed apply is
// followed by a whole resync.
func TestEdgeSyncResyncsAfterAFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	d := &failingDriver{LogDriver: e.driver}
	sync := mitigation.NewEdgeSync(e.svc, d, time.Second)
	if err := sync.Tick(e.ctx); err != nil || d.resyncs != 1 {
		t.Fatalf("first tick: %v, %d resyncs", err, d.resyncs)
	}
	if _, err := e.svc.Force(e.ctx, staffActor, target, 2, "test"); err != nil {
		t.Fatal(err)
	}
	if err := sync.Tick(e.ctx); err == nil {
		t.Fatal("the failing apply was not reported")
	}
	if st := sync.State(); st.Synced || st.Error == "" {
		t.Errorf("state after a failure %+v", st)
	}
	if err := sync.Tick(e.ctx); err != nil || d.resyncs != 2 {
		t.Fatalf("after a failure: %v, %d resyncs", err, d.resyncs)
	}
	if !strings.Contains(d.Rules().String(), "rate-limit") {
		t.Errorf("rules:\n%s", d.Rules())
	}
	want, refusals, err := e.svc.Desired(e.ctx)
	if err != nil || want.String() != d.Rules().String() || len(refusals) != 0 {
		t.Errorf("desired %v %v %v", want, refusals, err)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d      time.Duration
		fr, en string
	}{
		{42 * time.Second, "42 s", "42s"},
		{26*time.Hour - time.Second, "25 h 59 min", "25h 59m"},
		{26 * time.Hour, "26 h 0 min", "26h 0m"},
		{3*24*time.Hour + 4*time.Hour + 5*time.Minute, "3 j 4 h 5 min", "3d 4h 5m"},
		{-time.Second, "0 s", "0s"},
	} {
		if got := mitigation.FormatDuration(tc.d, "fr"); got != tc.fr {
			t.Errorf("fr %v: %q, want %q", tc.d, got, tc.fr)
		}
		if got := mitigation.FormatDuration(tc.d, "en"); got != tc.en {
			t.Errorf("en %v: %q, want %q", tc.d, got, tc.en)
		}
	}
	if got := mitigation.FormatBPS(12_400_000_000) + " " + mitigation.FormatPPS(950); got != "12.4 Gbit/s 950 pps" {
		t.Errorf("rates %q", got)
	}
}

// benchSeries returns a series tracking 100,000 IPs, the IPs, and a time to count at.
func benchSeries() (*mitigation.Series, []netip.Addr, time.Time) {
	s := mitigation.NewSeries(70 * time.Second)
	ips := make([]netip.Addr, 100_000)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	}
	s.Track(ips)
	return s, ips, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
}

// BenchmarkSeriesAdd measures the traffic series' share of the ingest hot path: one record to
// one of 100,000 tracked IPs (incoming) from an untracked source.
func BenchmarkSeriesAdd(b *testing.B) {
	s, ips, now := benchSeries()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		f := netguard.Flow{Src: attacker, Proto: netguard.ProtoUDP, Packets: 100, Bytes: 50_000, Start: now, End: now}
		i := 0
		for pb.Next() {
			f.Dst = ips[i%len(ips)]
			s.Add(&f, now)
			i += 7919
		}
	})
}

// BenchmarkSeriesAddSide measures the series' share of the collector's path when a detector
// feeds it: one record to a tracked IP from an untracked source (most records), no filter.
func BenchmarkSeriesAddSide(b *testing.B) {
	s, ips, now := benchSeries()
	srcs := make([]netip.Addr, 1<<16)
	for i := range srcs {
		srcs[i] = netip.AddrFrom4([4]byte{100, byte(i * 7919 >> 8), byte(i * 7919), byte(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	f := netguard.Flow{Proto: netguard.ProtoUDP, Packets: 100, Bytes: 50_000, Start: now, End: now}
	i := 0
	for b.Loop() {
		f.Src, f.Dst = srcs[i&(len(srcs)-1)], ips[i%len(ips)]
		s.AddSide(&f, now)
		i += 7919
	}
}
