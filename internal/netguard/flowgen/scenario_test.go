package flowgen_test

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newGenerator(tb testing.TB, cfg flowgen.ScenarioConfig) *flowgen.Generator {
	tb.Helper()
	g, err := flowgen.NewGenerator(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, f netguard.Flow)
	udpFrom := func(port uint16) check {
		return func(t *testing.T, f netguard.Flow) {
			if f.Proto != netguard.ProtoUDP || f.SrcPort != port {
				t.Fatalf("flow %+v: want UDP from port %d", f, port)
			}
		}
	}
	tests := []struct {
		scenario flowgen.Scenario
		check    check
	}{
		{flowgen.Benign, func(t *testing.T, f netguard.Flow) {
			if f.Fragment || f.TCPFlags == netguard.TCPSyn {
				t.Fatalf("benign flow %+v looks like an attack", f)
			}
		}},
		{flowgen.UDPFlood, func(t *testing.T, f netguard.Flow) {
			if f.Proto != netguard.ProtoUDP || f.DstPort == 0 {
				t.Fatalf("flow %+v: want UDP", f)
			}
		}},
		{flowgen.SYNFlood, func(t *testing.T, f netguard.Flow) {
			if f.Proto != netguard.ProtoTCP || f.TCPFlags != netguard.TCPSyn || f.Bytes/f.Packets > 60 {
				t.Fatalf("flow %+v: want small TCP SYN", f)
			}
		}},
		{flowgen.DNSAmplification, udpFrom(53)},
		{flowgen.NTPAmplification, udpFrom(123)},
		{flowgen.Fragments, func(t *testing.T, f netguard.Flow) {
			if !f.Fragment || f.SrcPort != 0 || f.DstPort != 0 {
				t.Fatalf("flow %+v: want a later fragment", f)
			}
		}},
		{flowgen.CarpetBombing, func(t *testing.T, f netguard.Flow) {
			if f.Proto != netguard.ProtoUDP {
				t.Fatalf("flow %+v: want UDP reflection", f)
			}
		}},
	}
	for _, tt := range tests {
		for _, target := range []string{"192.0.2.10/32", "2001:db8:1::10/128"} {
			t.Run(string(tt.scenario)+" "+target, func(t *testing.T) {
				t.Parallel()
				cfg := flowgen.ScenarioConfig{
					Scenario: tt.scenario, Target: netip.MustParsePrefix(target),
					PPS: 250_000, SamplingRate: 100, Seed: 42,
				}
				g := newGenerator(t, cfg)
				flows := g.Flows(t0, 10*time.Second)
				again := newGenerator(t, cfg).Flows(t0, 10*time.Second)
				if !reflect.DeepEqual(flows, again) {
					t.Fatal("same seed, different flows")
				}
				cfg.Seed = 43
				if reflect.DeepEqual(flows, newGenerator(t, cfg).Flows(t0, 10*time.Second)) {
					t.Fatal("different seeds, same flows")
				}
				prefix := g.Config().Target
				var pkts uint64
				dsts := map[netip.Addr]bool{}
				for _, f := range flows {
					tt.check(t, f)
					if !prefix.Contains(f.Dst) || prefix.Contains(f.Src) || f.Src.Is4() != f.Dst.Is4() {
						t.Fatalf("flow %+v: addresses outside the scenario", f)
					}
					if f.SamplingRate != 100 || f.Packets%100 != 0 || f.Duration() != time.Second || f.Bytes < f.Packets*40 {
						t.Fatalf("flow %+v: bad counts or interval", f)
					}
					pkts += f.Packets
					dsts[f.Dst] = true
				}
				if pkts != 2_500_000 {
					t.Errorf("%d packets in 10 s, want 2,500,000", pkts)
				}
				if tt.scenario == flowgen.CarpetBombing {
					if prefix.Bits() != 24 && prefix.Bits() != 120 {
						t.Errorf("carpet prefix %s, want the /24 or /120 of the target", prefix)
					}
					if len(dsts) < 200 {
						t.Errorf("carpet bombing hit %d addresses, want most of the prefix", len(dsts))
					}
				} else if len(dsts) != 1 {
					t.Errorf("%d destinations, want the target only", len(dsts))
				}
			})
		}
	}
}

// One 30-second record of 2,000 pps: 60,000 packets over 30 s, for the detector's tests.
func TestLongRecord(t *testing.T) {
	t.Parallel()
	g := newGenerator(t, flowgen.ScenarioConfig{
		Scenario: flowgen.UDPFlood, Target: netip.MustParsePrefix("192.0.2.10/32"),
		PPS: 2000, Sources: 1, ActiveTimeout: 30 * time.Second,
	})
	flows := g.Records(nil, t0)
	if len(flows) != 1 {
		t.Fatalf("%d records, want 1", len(flows))
	}
	f := flows[0]
	if f.Packets != 60_000 || !f.Start.Equal(t0) || !f.End.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("record %+v: want 60,000 packets over [t0, t0+30s]", f)
	}
}

// Rates that do not divide evenly are carried from interval to interval.
func TestSampledAccounting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pps     uint64
		rate    uint32
		timeout time.Duration
		span    time.Duration
		want    uint64
	}{
		{1500, 1000, time.Second, 10 * time.Second, 15_000},
		{7, 1, 100 * time.Millisecond, 10 * time.Second, 70},
		{333, 10, 300 * time.Millisecond, 30 * time.Second, 9990},
		{10, 1000, time.Second, 99 * time.Second, 0}, // 990 real packets: not one sampled yet
	}
	for _, tt := range tests {
		g := newGenerator(t, flowgen.ScenarioConfig{
			Scenario: flowgen.Benign, Target: netip.MustParsePrefix("192.0.2.1/32"),
			PPS: tt.pps, SamplingRate: tt.rate, ActiveTimeout: tt.timeout,
		})
		var pkts uint64
		for _, f := range g.Flows(t0, tt.span) {
			pkts += f.Packets
		}
		if pkts != tt.want {
			t.Errorf("%d pps 1:%d over %s: %d packets, want %d", tt.pps, tt.rate, tt.span, pkts, tt.want)
		}
	}
}

func TestScenarioConfigValidate(t *testing.T) {
	t.Parallel()
	target := netip.MustParsePrefix("192.0.2.1/32")
	tests := []struct {
		name string
		cfg  flowgen.ScenarioConfig
	}{
		{"unknown scenario", flowgen.ScenarioConfig{Scenario: "smurf", Target: target}},
		{"no target", flowgen.ScenarioConfig{Scenario: flowgen.Benign}},
		{"timeout too short", flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: target, ActiveTimeout: time.Microsecond}},
		{"timeout too long", flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: target, ActiveTimeout: 2 * time.Hour}},
		{"absurd pps", flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: target, PPS: 1 << 62}},
		{"negative sources", flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: target, Sources: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := flowgen.NewGenerator(tt.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
	for _, s := range flowgen.Scenarios() {
		if _, err := flowgen.ParseScenario(string(s)); err != nil {
			t.Errorf("ParseScenario(%q): %v", s, err)
		}
	}
}
