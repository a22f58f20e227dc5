package app_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// /metrics tells an operator what network protection does (and GET /staff/exporters the staff): the active mitigations by state
// and level, the changes and how fast detected attacks were decided, the edge rules announced,
// the BGP sessions, the exporters with their warnings and the collector's error counters.
func TestNetguardMetrics(t *testing.T) {
	t.Parallel()
	oneGoBGP(t) // its edge role runs a GoBGP speaker
	e := apptest.New(t, apptest.Options{Config: func(c *app.Config) {
		c.Roles = []string{"api", "web", "edge", "collector"}
		c.Netguard.Collector.NetFlow, c.Netguard.Collector.IPFIX, c.Netguard.Collector.SFlow = "127.0.0.1:0", "", ""
		c.Netguard.BGP.ASN, c.Netguard.BGP.RouterID = 65010, netip.MustParseAddr("127.0.0.10")
		c.Netguard.BGP.Peers = []bgp.PeerConfig{{Address: netip.MustParseAddr("127.0.0.20"), Port: 11179, ASN: 65020}}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	c := e.App.Netguard.Collector
	if err := c.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; c.Close() })
	ngTick(t, e)
	staff := e.Creds.Staff.Token

	// A router whose records cover 30 s, and a malformed datagram.
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(c.Addrs(collector.ListenerNetFlow)[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: netip.MustParsePrefix(app.DemoMainIP + "/32"),
		PPS: 50_000, SamplingRate: 100, ActiveTimeout: 30 * time.Second, Sources: 20})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: flowgen.NetflowV9})
	if err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	dgs, err := enc.Encode(now, g.Records(nil, now.Add(-30*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(dgs, []byte{0, 9, 0, 1, 2}) {
		if _, err := conn.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	ngWaitFor(t, "the records and the malformed datagram", 10*time.Second, func() bool { return c.Stats().Flows >= 20 })

	// Staff force a mitigation and raise it to a blackhole; a detected attack hits another IP.
	for _, step := range []struct{ path, body string }{{"force", `{"level":1,"reason":"t"}`}, {"raise", `{"level":3,"reason":"t"}`}} {
		if r := e.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/"+step.path, staff, []byte(step.body)); r.Status != 200 {
			t.Fatalf("%s: %d %s", step.path, r.Status, r.Body)
		}
	}
	ip2 := netip.MustParseAddr("2001:db8:1000:1::42")
	now = e.Clock.Now()
	err = e.App.Netguard.Service.Observe(ctx, []detect.Event{{Kind: detect.EventStart, IP: ip2, Profile: "default",
		Vectors: []netguard.Vector{netguard.VectorNTPAmplification}, Peak: detect.Rate{PPS: 900_000, BPS: 7_200_000_000},
		Severity: 45, PeakSeverity: 45, Started: now.Add(-1500 * time.Millisecond), LastAbove: now}}, now)
	if err != nil {
		t.Fatal(err)
	}
	ngTick(t, e)

	// Staff read the same warning from the API.
	ex := e.Do(t, "GET", "/api/v1/staff/exporters", staff, nil)
	if ex.Status != 200 || !strings.Contains(string(ex.Body), `"address":"127.0.0.1","format":"netflow9"`) ||
		!strings.Contains(string(ex.Body), `"activeTimeoutSeconds":30`) || !strings.Contains(string(ex.Body), `"warning":"active timeout about 30s exceeds the reaction target`) {
		t.Errorf("staff exporters: %d %s", ex.Status, ex.Body)
	}
	if r := e.Do(t, "GET", "/api/v1/staff/exporters", e.Creds.Customer.Token, nil); r.Status != 403 {
		t.Errorf("a customer reads the exporters: %d", r.Status)
	}

	r := e.Do(t, "GET", "/metrics", "", nil)
	if r.Status != 200 {
		t.Fatalf("/metrics: %d", r.Status)
	}
	body := string(r.Body)
	for _, want := range []string{
		`itsgow_netguard_mitigations{level="3",state="forced"} 1`,
		`itsgow_netguard_mitigations{level="2",state="auto"} 1`,
		`itsgow_netguard_mitigations{level="2",state="permanent"} 0`,
		`itsgow_netguard_mitigation_changes_total{kind="activated",level="1",state="forced"} 1`,
		`itsgow_netguard_mitigation_changes_total{kind="raised",level="3",state="forced"} 1`,
		`itsgow_netguard_mitigation_changes_total{kind="activated",level="2",state="auto"} 1`,
		`itsgow_netguard_mitigation_decision_seconds_count 1`,
		`itsgow_netguard_mitigation_decision_seconds_sum 1.5`,
		`itsgow_netguard_mitigation_decision_seconds_bucket{le="1.5"} 1`,
		`itsgow_netguard_edge_rules{kind="rtbh"} 1`,
		`itsgow_netguard_edge_synced 1`,
		`itsgow_netguard_bgp_session_up{asn="65020",peer="127.0.0.20:11179"} 0`,
		`itsgow_netguard_bgp_session_state{peer="127.0.0.20:11179",state="established"} 0`,
		`itsgow_netguard_exporter_warning{exporter="127.0.0.1",format="netflow9"} 1`,
		`itsgow_netguard_exporter_active_timeout_seconds{exporter="127.0.0.1",format="netflow9"} 30`,
		`itsgow_netguard_detect_tracked_ips `,
		`itsgow_netguard_traffic_points_queued `,
		`itsgow_netguard_traffic_points_dropped_total 0`,
		`itsgow_netguard_collector_decode_errors_total{`,
		`itsgow_netguard_collector_socket_drops_total`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		var ng []string
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "itsgow_netguard") {
				ng = append(ng, l)
			}
		}
		t.Logf("netguard series:\n%s", strings.Join(ng, "\n"))
	}
}
