package collector_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// End to end, collector to detector: a server really receiving 2,000 packets/s, exported as one
// 30-second NetFlow record (60,000 packets), is not flagged; the same 60,000 packets in a
// 1-second record are an attack on a 10,000 packets/s threshold.
func TestLongRecordIsSpread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format  flowgen.Format
		timeout time.Duration
		pps     uint64
		attack  bool
	}{
		{flowgen.NetflowV5, 30 * time.Second, 2_000, false},
		{flowgen.NetflowV5, time.Second, 60_000, true},
		{flowgen.IPFIX, 30 * time.Second, 2_000, false},
		{flowgen.IPFIX, time.Second, 60_000, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.format, tt.timeout), func(t *testing.T) {
			t.Parallel()
			det, err := detect.New(detect.Config{
				Networks:     []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")},
				TriggerDelay: time.Second,
				Profiles:     map[string]detect.Profile{"test": {Total: detect.Limit{PPS: 10_000}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := det.Track(target, "test"); err != nil {
				t.Fatal(err)
			}
			h := start(t, testConfig(), det)
			g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{
				Scenario: flowgen.UDPFlood, Target: netip.PrefixFrom(target, 32), PPS: tt.pps,
				ActiveTimeout: tt.timeout, Sources: 1, Exporter: lo4,
			})
			if err != nil {
				t.Fatal(err)
			}
			flows := g.Records(nil, t0.Add(-tt.timeout))
			if len(flows) != 1 || flows[0].Packets != 60_000 {
				t.Fatalf("generated %+v, want one record of 60,000 packets", flows)
			}
			send(t, lo4, h.addr(t, listenerOf(tt.format), lo4), encode(t, flowgen.EncoderConfig{Format: tt.format}, flows))
			waitFor(t, 5*time.Second, "the record", func() bool { return det.Stats().Flows == 1 })

			events := det.Tick(t0.Add(500 * time.Millisecond)) // judges the second before t0
			tr, _ := det.Traffic(target, t0.Add(-time.Second))
			if want := tt.pps; tr.Total.PPS != want {
				t.Errorf("the second before the export counts %d packets/s, want %d", tr.Total.PPS, want)
			}
			if got := len(events) == 1 && events[0].Kind == detect.EventStart; got != tt.attack {
				t.Errorf("events %+v, want an attack: %v", events, tt.attack)
			}
			for s := 2; s <= 30 && !tt.attack; s++ {
				if tr, _ := det.Traffic(target, t0.Add(-time.Duration(s)*time.Second)); tr.Total.PPS != tt.pps {
					t.Fatalf("%d s before the export: %d packets/s, want %d", s, tr.Total.PPS, tt.pps)
				}
			}
		})
	}
}

// Exporters reports each exporter's format, rate, flows per second and estimated active
// timeout, and warns about the one whose active timeout makes the reaction target impossible.
func TestExporters(t *testing.T) {
	t.Parallel()
	h := start(t, testConfig(), &recorder{})
	for _, tt := range []struct {
		from    netip.Addr
		timeout time.Duration
	}{{lo4, time.Second}, {lo6, 30 * time.Second}} {
		g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{
			Scenario: flowgen.Benign, Target: netip.PrefixFrom(target, 32), PPS: 50_000, SamplingRate: 100,
			ActiveTimeout: tt.timeout, Sources: 20, Exporter: tt.from,
		})
		if err != nil {
			t.Fatal(err)
		}
		flows := g.Records(nil, t0.Add(-tt.timeout))
		send(t, tt.from, h.addr(t, collector.ListenerNetFlow, tt.from), encode(t, flowgen.EncoderConfig{Format: flowgen.NetflowV9}, flows))
	}
	waitFor(t, 5*time.Second, "both exporters' records", func() bool { return h.c.Stats().Flows == 40 })
	h.clock.Advance(time.Second)
	ex := h.c.Exporters()
	if len(ex) != 2 {
		t.Fatalf("exporters %+v, want 2", ex)
	}
	for i, want := range []time.Duration{time.Second, 30 * time.Second} {
		e := ex[i]
		if e.Format != "netflow9" || e.SamplingRate != 100 || e.Flows != 20 || e.FlowsPerSecond != 2 ||
			e.ActiveTimeout != want || !e.LastSeen.Equal(t0) {
			t.Errorf("exporter %d: %+v, want netflow9 at 1-in-100, 20 flows (2/s over 10 s), active timeout %s", i, e, want)
		}
		if warned := strings.Contains(e.Warning, "reaction target"); warned != (want > time.Second) {
			t.Errorf("exporter %s warning %q", e.Addr, e.Warning)
		}
	}
	if v := metric(t, h.reg, "itsgow_netguard_collector_exporters_too_slow"); v != 1 {
		t.Errorf("exporters_too_slow = %g, want 1", v)
	}
	// Ten minutes later, the estimate has expired and the rate is zero.
	h.clock.Advance(10 * time.Minute)
	for _, e := range h.c.Exporters() {
		if e.ActiveTimeout != 0 || e.FlowsPerSecond != 0 || e.Warning != "" {
			t.Errorf("stale exporter %+v", e)
		}
	}
}
