package detect_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// Every flowgen attack scenario, at 10 and 2 times the threshold of the class it floods, is
// detected with the right vector within TriggerDelay + 1 s of its first second.
func TestScenarios(t *testing.T) {
	t.Parallel()
	def := detect.DefaultProfiles()[detect.ProfileDefault]
	carpet := detect.DefaultProfiles()[detect.ProfileCarpet]
	tests := []struct {
		scenario flowgen.Scenario
		pps      uint64 // the threshold of the flooded class; the scenario runs at a multiple of it
		want     []netguard.Vector
	}{
		{flowgen.UDPFlood, def.UDP.PPS, []netguard.Vector{netguard.VectorUDPFlood}},
		{flowgen.SYNFlood, def.SYN.PPS, []netguard.Vector{netguard.VectorSYNFlood}},
		{flowgen.DNSAmplification, def.Vectors[netguard.VectorDNSAmplification].PPS, []netguard.Vector{netguard.VectorDNSAmplification}},
		{flowgen.NTPAmplification, def.Amplification.PPS, []netguard.Vector{netguard.VectorNTPAmplification}},
		{flowgen.Fragments, def.Fragments.PPS, []netguard.Vector{netguard.VectorFragments}},
		// Four reflection vectors share the traffic: each runs at the multiple of its threshold.
		{flowgen.CarpetBombing, 4 * carpet.Amplification.PPS, nil},
	}
	for _, tt := range tests {
		for _, mult := range []uint64{10, 2} {
			for _, target := range []netip.Addr{target4, target6} {
				t.Run(fmt.Sprintf("%s x%d %s", tt.scenario, mult, target), func(t *testing.T) {
					t.Parallel()
					d := newDetector(t, detect.Config{})
					track(t, d, detect.ProfileDefault, target)
					g := generator(t, flowgen.ScenarioConfig{
						Scenario: tt.scenario, Target: netip.PrefixFrom(target, target.BitLen()),
						PPS: mult * tt.pps, SamplingRate: 10,
					})
					if tt.scenario == flowgen.CarpetBombing {
						// Every address of the prefix is a customer's, each under its own threshold.
						for a := g.Config().Target.Addr(); g.Config().Target.Contains(a); a = a.Next() {
							track(t, d, detect.ProfileDefault, a)
						}
					}
					s := newSim(t, d)
					var start detect.Event
					for i := 1; i <= 3; i++ { // TriggerDelay (2 s) + 1 s
						if e, ok := firstOf(s.run(1, g), detect.EventStart); ok {
							start = e
							break
						}
					}
					if start.Kind == "" {
						t.Fatalf("no attack within 3 s; events %+v; stats %+v", s.events, d.Stats())
					}
					if tt.scenario == flowgen.CarpetBombing {
						wantPrefix := netip.MustParsePrefix("192.0.2.0/24")
						if target.Is6() {
							wantPrefix = netip.MustParsePrefix("2001:db8:1::/64")
						}
						if start.Prefix != wantPrefix || start.IP.IsValid() {
							t.Fatalf("carpet bombing reported on %v/%v, want the prefix %v", start.IP, start.Prefix, wantPrefix)
						}
						for _, v := range start.Vectors {
							if !slices.Contains([]netguard.Vector{netguard.VectorDNSAmplification, netguard.VectorNTPAmplification,
								netguard.VectorCLDAPAmplification, netguard.VectorSSDPAmplification}, v) {
								t.Errorf("carpet vectors %v: %s is not one of the scenario's reflections", start.Vectors, v)
							}
						}
						if len(start.Vectors) < 3 {
							t.Errorf("carpet vectors %v, want the reflection vectors above threshold", start.Vectors)
						}
						for _, e := range s.events {
							if e.IP.IsValid() {
								t.Errorf("IP event during carpet bombing: %+v", e)
							}
						}
					} else {
						if start.IP != target {
							t.Fatalf("attack on %v/%v, want %v", start.IP, start.Prefix, target)
						}
						if diff := cmp.Diff(tt.want, start.Vectors); diff != "" {
							t.Errorf("vectors (-want +got):\n%s", diff)
						}
					}
					if !start.Started.Equal(t0) {
						t.Errorf("started %v, want the first second %v", start.Started, t0)
					}
					if min := float64(mult) * 0.9; start.Severity < min {
						t.Errorf("severity %.2f, want about %d", start.Severity, mult)
					}
					if start.Peak.PPS < mult*tt.pps*9/10 || start.Peak.BPS == 0 {
						t.Errorf("peak %+v, want about %d pps", start.Peak, mult*tt.pps)
					}
				})
			}
		}
	}
}

// Benign traffic at half the default threshold never triggers, whatever the mix drawn.
func TestBenignNeverTriggers(t *testing.T) {
	t.Parallel()
	def := detect.DefaultProfiles()[detect.ProfileDefault]
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, detect.Config{})
			track(t, d, detect.ProfileDefault, target4)
			g := generator(t, flowgen.ScenarioConfig{
				Scenario: flowgen.Benign, Target: netip.PrefixFrom(target4, 32),
				PPS: def.Total.PPS / 2, SamplingRate: 100, Seed: seed,
			})
			s := newSim(t, d)
			if evs := s.run(600, g); len(evs) != 0 {
				t.Fatalf("benign traffic raised %+v", evs[0])
			}
			if _, ok := d.LastAboveThreshold(target4); ok {
				t.Error("benign traffic went above a threshold")
			}
		})
	}
}

// A NetFlow record spanning 30 s is a rate, not a burst: 60,000 packets over 30 s is 2,000 pps,
// under a 10,000 pps threshold; the same packets in a 1-second record are 60,000 pps, above it.
func TestLongRecordIsSpread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		records int // consecutive records of 60,000 packets
		delay   time.Duration
		want    bool
	}{
		{"one 30-second record", 30 * time.Second, 1, time.Second, false},
		{"30-second records for 2 minutes", 30 * time.Second, 4, 2 * time.Second, false},
		{"one 1-second record", time.Second, 1, time.Second, true},
		{"1-second records for 2 seconds", time.Second, 2, 2 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, detect.Config{TriggerDelay: tt.delay, Profiles: map[string]detect.Profile{"p": onlyUDP(10_000)}})
			track(t, d, "p", target4)
			g := generator(t, flowgen.ScenarioConfig{
				Scenario: flowgen.UDPFlood, Target: netip.PrefixFrom(target4, 32), PPS: 2000, Sources: 1,
				ActiveTimeout: 30 * time.Second,
			})
			tmpl := g.Records(nil, t0)
			if len(tmpl) != 1 || tmpl[0].Packets != 60_000 || tmpl[0].Duration() != 30*time.Second {
				t.Fatalf("generator gave %+v", tmpl)
			}
			s := newSim(t, d)
			for i := range tt.records {
				f := tmpl[0]
				f.Start = t0.Add(time.Duration(i) * tt.timeout)
				f.End = f.Start.Add(tt.timeout)
				for range int(tt.timeout/time.Second) - 1 {
					s.second()
				}
				s.second(f) // the record arrives when it ends
			}
			for range 5 {
				s.second()
			}
			if _, got := firstOf(s.events, detect.EventStart); got != tt.want {
				t.Fatalf("attack = %v, want %v; events %+v", got, tt.want, s.events)
			}
			if tt.timeout == 30*time.Second {
				for i := range 30 {
					at := s.now.Add(-35*time.Second + time.Duration(i)*time.Second)
					if tr, _ := d.Traffic(target4, at); tr.Total.PPS != 2000 {
						t.Fatalf("%v: %d pps, want 2,000", at, tr.Total.PPS)
					}
				}
			}
		})
	}
}

// A threshold is a maximum that traffic may reach: a second exactly at the limit is not above
// it, one packet (or bit) more is. Just below the threshold for a long time never triggers.
func TestThresholdEdges(t *testing.T) {
	t.Parallel()
	const pps, bps = 10_000, 80_000_000 // 10,000 packets of 1,000 bytes = 80 Mbit/s
	tests := []struct {
		name  string
		pkts  uint64
		bytes uint64
		secs  int
		want  bool
	}{
		{"just below for 20 minutes", pps - 1, 999, 1200, false},
		{"exactly at the pps limit", pps, 100, 600, false},
		{"exactly at the bps limit", 100, pps * 1000 / 100, 600, false},
		{"one packet above", pps + 1, 100, 10, true},
		{"one byte above the bps limit", 100, pps*1000/100 + 1, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, detect.Config{Profiles: map[string]detect.Profile{
				"p": {UDP: detect.Limit{PPS: pps, BPS: bps}},
			}})
			track(t, d, "p", target4)
			s := newSim(t, d)
			for range tt.secs {
				f := udp(target4, 5555, tt.pkts, 0, s.now)
				f.Bytes = tt.pkts * tt.bytes
				s.second(f)
			}
			if _, got := firstOf(s.events, detect.EventStart); got != tt.want {
				t.Fatalf("attack = %v, want %v", got, tt.want)
			}
		})
	}
}

// An attack needs TriggerDelay consecutive seconds above threshold: one second less never
// triggers, exactly TriggerDelay triggers at the tick that judges its last second.
func TestTriggerDelay(t *testing.T) {
	t.Parallel()
	for _, delay := range []int{1, 2, 3, 5} {
		for _, secs := range []int{delay - 1, delay} {
			t.Run(fmt.Sprintf("delay %ds above %ds", delay, secs), func(t *testing.T) {
				t.Parallel()
				d := newDetector(t, detect.Config{
					TriggerDelay: time.Duration(delay) * time.Second,
					Profiles:     map[string]detect.Profile{"p": onlyUDP(1000)},
				})
				track(t, d, "p", target4)
				s := newSim(t, d)
				s.second(udp(target4, 5555, 500, 100, s.now)) // quiet before
				for i := range secs {
					evs := s.second(udp(target4, 5555, 5000, 100, s.now))
					_, got := firstOf(evs, detect.EventStart)
					if want := i == delay-1; got != want {
						t.Fatalf("second %d above: attack = %v, want %v", i+1, got, want)
					}
				}
				for range 10 { // quiet after, or a gap in the attack
					s.second(udp(target4, 5555, 500, 100, s.now))
				}
				for range delay - 1 { // a run one second short
					s.second(udp(target4, 5555, 5000, 100, s.now))
				}
				_, got := firstOf(s.events, detect.EventStart)
				if want := secs == delay; got != want {
					t.Fatalf("attack = %v, want %v; events %+v", got, want, s.events)
				}
			})
		}
	}
}

// Records may arrive after Tick judged their seconds (long active timeouts, slow exporters):
// the seconds they change are judged again.
func TestLateRecords(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{Profiles: map[string]detect.Profile{"p": onlyUDP(1000)}})
	track(t, d, "p", target4)
	s := newSim(t, d)
	for range 10 {
		s.second()
	}
	// One 10-second record at 5,000 pps, received 3 s after it ended.
	f := udp(target4, 5555, 50_000, 100, t0.Add(2*time.Second))
	f.End = t0.Add(7 * time.Second)
	f.Packets = 25_000
	s.now = t0.Add(10 * time.Second)
	d.Add(&f, s.now)
	e, ok := firstOf(d.Tick(s.now.Add(time.Second)), detect.EventStart)
	if !ok {
		t.Fatal("late record not judged")
	}
	if !e.Started.Equal(t0.Add(2*time.Second)) || !e.LastAbove.Equal(t0.Add(7*time.Second)) {
		t.Errorf("attack %v..%v, want the record's seconds %v..%v", e.Started, e.LastAbove, t0.Add(2*time.Second), t0.Add(7*time.Second))
	}
	// A record that ended before the window is counted as stale, not added.
	old := udp(target4, 5555, 50_000, 100, s.now.Add(-2*time.Minute))
	d.Add(&old, s.now)
	if st := d.Stats(); st.Stale != 1 {
		t.Errorf("stale = %d, want 1", st.Stale)
	}
}

// Flows to addresses that are neither tracked nor in the host's networks are counted and
// dropped; untracked addresses of the networks count only in their prefix aggregate.
func TestUnknownDestinations(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{})
	track(t, d, detect.ProfileDefault, target4)
	now := t0.Add(time.Second)
	for _, dst := range []string{"203.0.113.1", "2001:db8:ffff::1", "192.0.3.1"} {
		f := udp(netip.MustParseAddr(dst), 53, 1_000_000, 1000, t0)
		d.Add(&f, now)
	}
	var zero netguard.Flow
	d.Add(&zero, now)
	f := udp(netip.MustParseAddr("192.0.2.77"), 53, 10, 100, t0) // in the network, untracked
	d.Add(&f, now)
	f = udp(target4, 53, 10, 100, t0)
	d.Add(&f, now)
	want := detect.Stats{Flows: 2, Unknown: 4, Untracked: 1, Tracked: 1, ActiveIPs: 1, ActivePrefixes: 1}
	if diff := cmp.Diff(want, d.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if _, ok := d.Traffic(netip.MustParseAddr("203.0.113.1"), t0); ok {
		t.Error("unknown destination is tracked")
	}
	if evs := d.Tick(now.Add(5 * time.Second)); len(evs) != 0 {
		t.Errorf("unknown destinations raised %+v", evs)
	}
}

// Carpet bombing: a /24 receives a reflection flood spread so thin that no IP crosses its own
// threshold; the prefix aggregate does, and the event names the prefix. An IP above its own
// threshold is reported as an IP attack instead.
func TestCarpetBombing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		perIP      uint64 // pps to each of the 254 hosts
		wantPrefix bool
		wantIP     bool
	}{
		{"thin over the whole prefix", 1000, true, false},     // 254,000 pps > 100,000; 1,000 < 2,000 per IP
		{"too thin", 300, false, false},                       // 76,200 pps
		{"one IP above its own threshold", 1000, false, true}, // plus 5,000 pps to one IP
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, detect.Config{Profiles: map[string]detect.Profile{
				"ip": onlyUDP(2000), detect.ProfileCarpet: onlyUDP(100_000),
			}})
			var hosts []netip.Addr
			for i := 1; i < 255; i++ {
				hosts = append(hosts, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
			}
			track(t, d, "ip", hosts...)
			s := newSim(t, d)
			for range 5 {
				var flows []netguard.Flow
				for _, h := range hosts {
					flows = append(flows, udp(h, 123, tt.perIP, 468, s.now))
				}
				if tt.wantIP {
					flows = append(flows, udp(hosts[9], 123, 5000, 468, s.now))
				}
				s.second(flows...)
			}
			var prefix, ip bool
			for _, e := range s.events {
				if e.Kind != detect.EventStart {
					continue
				}
				if e.Prefix.IsValid() {
					prefix = true
					if e.Prefix != network4 || !slices.Equal(e.Vectors, []netguard.Vector{netguard.VectorUDPFlood}) {
						t.Errorf("prefix event %+v, want %v with udp-flood", e, network4)
					}
				}
				if e.IP.IsValid() {
					ip = true
					if e.IP != hosts[9] {
						t.Errorf("IP event on %v, want %v", e.IP, hosts[9])
					}
				}
			}
			if prefix != tt.wantPrefix || ip != tt.wantIP {
				t.Fatalf("prefix event %v, IP event %v; want %v, %v", prefix, ip, tt.wantPrefix, tt.wantIP)
			}
		})
	}
}

// The baseline of a busy IP raises its effective threshold, never beyond BaselineCap times the
// profile's limit; an IP with the same profile and no history keeps the profile's limit.
func TestBaseline(t *testing.T) {
	t.Parallel()
	const limit = 10_000
	prof := detect.Profile{UDP: detect.Limit{PPS: limit}, BaselineFactor: 2, BaselineCap: 3}
	d := newDetector(t, detect.Config{
		Profiles:         map[string]detect.Profile{"p": prof},
		BaselineHalfLife: time.Minute,
		BaselineDelay:    5 * time.Second,
	})
	busy, fresh := target4, netip.MustParseAddr("192.0.2.11")
	track(t, d, "p", busy, fresh)
	s := newSim(t, d)
	threshold := func(ip netip.Addr) uint64 {
		t.Helper()
		l, ok := d.Threshold(ip, netguard.VectorUDPFlood)
		if !ok {
			t.Fatal("no threshold")
		}
		return l.PPS
	}
	// 10 minutes at 90 % of the limit: the effective threshold rises to about 2 x 9,000.
	for range 600 {
		s.second(udp(busy, 5555, 9000, 100, s.now))
	}
	if got := threshold(busy); got < 17_000 || got > 18_000 {
		t.Fatalf("busy IP threshold %d, want about 18,000", got)
	}
	if got := threshold(fresh); got != limit {
		t.Fatalf("fresh IP threshold %d, want the profile's %d", got, limit)
	}
	// 15,000 pps is normal for the busy IP, an attack on the fresh one.
	for range 5 {
		s.second(udp(busy, 5555, 15_000, 100, s.now), udp(fresh, 5555, 15_000, 100, s.now))
	}
	var attacked []netip.Addr
	for _, e := range s.events {
		if e.Kind == detect.EventStart {
			attacked = append(attacked, e.IP)
		}
	}
	if !slices.Equal(attacked, []netip.Addr{fresh}) {
		t.Fatalf("attacks on %v, want only %v", attacked, fresh)
	}
	// Traffic that keeps growing just under the threshold drags the baseline up to the cap.
	for range 3600 {
		pps := threshold(busy) * 95 / 100
		s.second(udp(busy, 5555, pps, 100, s.now))
	}
	if got := threshold(busy); got != 3*limit {
		t.Fatalf("threshold after a long ramp %d, want the cap %d", got, 3*limit)
	}
	s.events = nil
	for range 3 {
		s.second(udp(busy, 5555, 3*limit+1, 100, s.now))
	}
	if _, ok := firstOf(s.events, detect.EventStart); !ok {
		t.Fatal("traffic above the capped threshold did not trigger")
	}
}

// TopSources ranks the sources of a known mix, heaviest first.
func TestTopSources(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{TopSources: 3, Profiles: map[string]detect.Profile{"p": onlyUDP(10_000)}})
	track(t, d, "p", target4)
	heavy := []netip.Addr{
		netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3"),
	}
	mix := func(start time.Time) []netguard.Flow {
		var flows []netguard.Flow
		for i, pkts := range []uint64{20_000, 12_000, 6_000} { // 50 %, 30 %, 15 %
			f := udp(target4, 5555, pkts, 100, start)
			f.Src = heavy[i]
			flows = append(flows, f)
		}
		for i := range 1000 { // 5 % from a thousand spoofed sources
			f := udp(target4, 5555, 2, 100, start)
			f.Src = netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)})
			flows = append(flows, f)
		}
		return flows
	}
	s := newSim(t, d)
	for range 10 {
		s.second(mix(s.now)...)
	}
	last := s.events[len(s.events)-1]
	var got []netip.Addr
	for _, src := range last.TopSources {
		got = append(got, src.Addr)
	}
	if !slices.Equal(got, heavy) {
		t.Fatalf("top sources %v, want %v", last.TopSources, heavy)
	}
	// Sources are counted from the first tick above threshold: 9 seconds of the mix.
	if p := last.TopSources[0].Packets; p < 9*20_000 || p > 9*20_000+9*2*1000 {
		t.Errorf("heaviest source %d packets, want about %d", p, 9*20_000)
	}
}

// While an attack goes on each tick reports it; the first quiet second is reported once; the
// attack ends after EndAfter of quiet; LastAboveThreshold outlives the IP's counters.
func TestAttackLifecycle(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{
		EndAfter: 30 * time.Second,
		Profiles: map[string]detect.Profile{"p": {UDP: detect.Limit{PPS: 1000}, SYN: detect.Limit{PPS: 1000}}},
	})
	track(t, d, "p", target4)
	s := newSim(t, d)
	syn := func(pkts uint64, start time.Time) netguard.Flow {
		return netguard.Flow{Src: attacker, Dst: target4, Proto: netguard.ProtoTCP, TCPFlags: netguard.TCPSyn,
			DstPort: 443, Packets: pkts, Bytes: pkts * 60, Start: start, End: start.Add(time.Second)}
	}
	kinds := func(evs []detect.Event) []detect.EventKind {
		var ks []detect.EventKind
		for _, e := range evs {
			ks = append(ks, e.Kind)
		}
		return ks
	}
	s.second(udp(target4, 5555, 2000, 100, s.now))
	evs := s.second(udp(target4, 5555, 3000, 100, s.now))
	if len(evs) != 1 || evs[0].Kind != detect.EventStart || evs[0].Peak.PPS != 3000 || evs[0].Quiet {
		t.Fatalf("start: %+v", evs)
	}
	// The attack grows and adds a SYN flood.
	evs = s.second(udp(target4, 5555, 5000, 100, s.now), syn(4000, s.now))
	if len(evs) != 1 || evs[0].Kind != detect.EventUpdate || evs[0].Peak.PPS != 9000 ||
		!slices.Equal(evs[0].Vectors, []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorUDPFlood}) ||
		evs[0].Severity != 5 || evs[0].PeakSeverity != 5 {
		t.Fatalf("update: %+v", evs)
	}
	lastAbove := s.now
	// Quiet: one update, then nothing until the end.
	var quiet []detect.Event
	for range 40 {
		quiet = append(quiet, s.second(udp(target4, 5555, 100, 100, s.now))...)
	}
	if diff := cmp.Diff([]detect.EventKind{detect.EventUpdate, detect.EventEnd}, kinds(quiet)); diff != "" {
		t.Fatalf("quiet events (-want +got):\n%s", diff)
	}
	if !quiet[0].Quiet || !quiet[0].LastAbove.Equal(lastAbove) || !quiet[1].LastAbove.Equal(lastAbove) {
		t.Errorf("quiet update %+v, want quiet since %v", quiet[0], lastAbove)
	}
	if got, ok := d.LastAboveThreshold(target4); !ok || !got.Equal(lastAbove) {
		t.Errorf("LastAboveThreshold = %v, %v; want %v", got, ok, lastAbove)
	}
	// Idle for the whole window: the counters go, the last time above stays.
	for range 70 {
		s.second()
	}
	if st := d.Stats(); st.ActiveIPs != 0 || st.ActivePrefixes != 0 || st.Attacks != 0 {
		t.Errorf("after a silent window: %+v", st)
	}
	if got, ok := d.LastAboveThreshold(target4); !ok || !got.Equal(lastAbove) {
		t.Errorf("LastAboveThreshold after release = %v, %v; want %v", got, ok, lastAbove)
	}
	// A new attack is a new event.
	s.events = nil
	s.second(udp(target4, 5555, 2000, 100, s.now))
	s.second(udp(target4, 5555, 2000, 100, s.now))
	if e, ok := firstOf(s.events, detect.EventStart); !ok || !e.Started.Equal(s.now.Add(-2*time.Second)) {
		t.Fatalf("second attack: %+v", s.events)
	}
}

// Tracked IPs keep their profile; unknown profiles and addresses are refused; Untrack forgets.
func TestTrack(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{})
	if err := d.Track(target4, "nope"); err == nil {
		t.Error("unknown profile accepted")
	}
	if err := d.Track(netip.Addr{}, detect.ProfileDefault); err == nil {
		t.Error("invalid address accepted")
	}
	track(t, d, detect.ProfileWeb, target4, target6)
	track(t, d, detect.ProfileGaming, netip.MustParseAddr("::ffff:192.0.2.10")) // the same IPv4
	if p, ok := d.Profile(target4); !ok || p != detect.ProfileGaming {
		t.Errorf("profile %q, %v; want gaming", p, ok)
	}
	f := udp(target6, 53, 100, 100, t0)
	d.Add(&f, t0.Add(time.Second))
	if !d.Untrack(target6) || d.Untrack(target6) {
		t.Error("Untrack")
	}
	if st := d.Stats(); st.Tracked != 1 || st.ActiveIPs != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  detect.Config
	}{
		{"fractional trigger delay", detect.Config{TriggerDelay: 1500 * time.Millisecond}},
		{"trigger delay too long", detect.Config{TriggerDelay: time.Minute}},
		{"negative export delay", detect.Config{ExportDelay: -time.Second}},
		{"delays beyond the window", detect.Config{TriggerDelay: 20 * time.Second, ExportDelay: 10 * time.Second, BaselineDelay: 40 * time.Second}},
		{"carpet bits", detect.Config{CarpetBitsV4: 33}},
		{"unknown carpet profile", detect.Config{CarpetProfile: "nope"}},
		{"too many top sources", detect.Config{TopSources: 65}},
		{"bad vector override", detect.Config{Profiles: map[string]detect.Profile{
			"p": {Vectors: map[netguard.Vector]detect.Limit{netguard.VectorUDPFlood: {PPS: 1}}},
		}}},
		{"baseline cap below 1", detect.Config{Profiles: map[string]detect.Profile{"p": {BaselineFactor: 2, BaselineCap: 0.5}}}},
		{"invalid network", detect.Config{Networks: []netip.Prefix{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := detect.New(tt.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
	if err := detect.DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	for name, p := range detect.DefaultProfiles() {
		if err := p.Validate(); err != nil {
			t.Errorf("default profile %s: %v", name, err)
		}
	}
}

// ExportDelay holds the judgement of a second until its records have had time to arrive.
func TestExportDelay(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{ExportDelay: 500 * time.Millisecond, Profiles: map[string]detect.Profile{"p": onlyUDP(1000)}})
	track(t, d, "p", target4)
	ticks := []struct {
		at   time.Duration // from t0
		want bool
	}{
		{1 * time.Second, false},
		{1500 * time.Millisecond, false}, // judges second 0
		{2 * time.Second, false},         // second 1 ended, but only 0 s ago
		{2499 * time.Millisecond, false},
		{2500 * time.Millisecond, true}, // judges second 1: two seconds above
	}
	for i := range 2 {
		f := udp(target4, 5555, 5000, 100, t0.Add(time.Duration(i)*time.Second))
		d.Add(&f, f.End)
	}
	for _, tk := range ticks {
		_, got := firstOf(d.Tick(t0.Add(tk.at)), detect.EventStart)
		if got != tk.want {
			t.Fatalf("Tick(t0+%s): attack = %v, want %v", tk.at, got, tk.want)
		}
	}
}

// A Tick before the next second completes judges again the seconds late records changed: with
// ExportDelay 0 a loop ticking several times a second sees an export's records as they arrive,
// not one second later. Subjects without new records get no event from such a Tick.
func TestRejudgeWithinTheSecond(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{TriggerDelay: time.Second, Profiles: map[string]detect.Profile{"p": onlyUDP(1000)}})
	track(t, d, "p", target4, netip.MustParseAddr("192.0.2.11"))
	quiet := udp(netip.MustParseAddr("192.0.2.11"), 5555, 10, 100, t0)
	d.Add(&quiet, t0.Add(time.Second))
	if evs := d.Tick(t0.Add(time.Second)); len(evs) != 0 { // judges second 0
		t.Fatalf("events at t0+1s: %v", evs)
	}
	// Second 1's records: half arrive before it is first judged, the rest late.
	early := udp(target4, 5555, 800, 100, t0.Add(time.Second))
	d.Add(&early, t0.Add(2*time.Second))
	if evs := d.Tick(t0.Add(2 * time.Second)); len(evs) != 0 { // 800 pps: below
		t.Fatalf("events at t0+2s: %v", evs)
	}
	if evs := d.Tick(t0.Add(2250 * time.Millisecond)); len(evs) != 0 { // nothing new
		t.Fatalf("events at t0+2.25s without new records: %v", evs)
	}
	late := udp(target4, 5555, 800, 100, t0.Add(time.Second))
	d.Add(&late, t0.Add(2300*time.Millisecond))
	evs := d.Tick(t0.Add(2500 * time.Millisecond)) // same wall second: judged again
	e, ok := firstOf(evs, detect.EventStart)
	if !ok || len(evs) != 1 || e.IP != target4 {
		t.Fatalf("late record of the judged second not re-judged before the next second: %v", evs)
	}
	if !e.Started.Equal(t0.Add(time.Second)) || !e.LastAbove.Equal(t0.Add(2*time.Second)) || e.Quiet || e.Current.PPS != 1600 {
		t.Errorf("event %+v, want second 1 above at 1,600 pps", e)
	}
	// Records of the current second are not judged before it ends.
	cur := udp(target4, 5555, 2500, 100, t0.Add(2*time.Second))
	cur.End = t0.Add(2500 * time.Millisecond)
	d.Add(&cur, t0.Add(2600*time.Millisecond))
	if evs := d.Tick(t0.Add(2750 * time.Millisecond)); len(evs) != 0 {
		t.Fatalf("the current second judged before its end: %v", evs)
	}
	if evs := d.Tick(t0.Add(3 * time.Second)); len(evs) != 1 || evs[0].Kind != detect.EventUpdate || evs[0].Current.PPS != 2500 {
		t.Fatalf("second 2 at its end: %v", evs)
	}
	// A clock going back judges nothing.
	if evs := d.Tick(t0.Add(time.Second)); evs != nil {
		t.Errorf("tick in the past: %v", evs)
	}
}
