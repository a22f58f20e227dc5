package main

import (
	"context"
	"net"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
)

// The keys of the example, that operators and scripts rely on, load as written and
// survive a dump.
func TestNetguardConfigKeys(t *testing.T) {
	t.Parallel()
	const doc = `
netguard:
  collector:
    netflow: 127.0.0.1:2055     # NetFlow v5 and v9
    ipfix: 127.0.0.1:4739
    sflow: 127.0.0.1:6343
    exporters: [127.0.0.1]      # allow-list
  bgp:
    asn: 65010
    router_id: 127.0.0.10
    listen: 127.0.0.10:10179    # empty: do not listen, only dial out
    peers:
      - {address: 127.0.0.20, port: 11179, asn: 65020, families: [ipv4-flowspec, ipv6-flowspec, ipv4-unicast]}
`
	cfg := app.DefaultConfig()
	if err := applyYAML(&cfg, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n := cfg.Netguard
	if n.Collector.NetFlow != "127.0.0.1:2055" || n.Collector.IPFIX != "127.0.0.1:4739" || n.Collector.SFlow != "127.0.0.1:6343" ||
		!reflect.DeepEqual(n.Collector.Exporters, []string{"127.0.0.1"}) {
		t.Errorf("collector %+v", n.Collector)
	}
	want := bgp.PeerConfig{Address: netip.MustParseAddr("127.0.0.20"), Port: 11179, ASN: 65020,
		Families: []bgp.PeerFamily{bgp.IPv4FlowSpec, bgp.IPv6FlowSpec, bgp.IPv4Unicast}}
	if n.BGP.ASN != 65010 || n.BGP.RouterID != netip.MustParseAddr("127.0.0.10") || n.BGP.Listen != "127.0.0.10:10179" ||
		len(n.BGP.Peers) != 1 || !reflect.DeepEqual(n.BGP.Peers[0], want) {
		t.Errorf("bgp %+v", n.BGP)
	}
	dump, err := dumpConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again := app.DefaultConfig()
	if err := applyYAML(&again, dump); err != nil {
		t.Fatalf("dump does not load back: %v\n%s", err, dump)
	}
	if !reflect.DeepEqual(again.Netguard, cfg.Netguard) {
		t.Errorf("dump round trip changed the netguard section:\n%s", dump)
	}
	if err := applyEnv(&again, []string{"ITSGOW_NETGUARD_BGP_ROUTER_ID=127.0.0.11"}); err != nil || again.Netguard.BGP.RouterID != netip.MustParseAddr("127.0.0.11") {
		t.Errorf("router_id from the environment: %v %v", again.Netguard.BGP.RouterID, err)
	}
	bad := app.DefaultConfig()
	if err := applyYAML(&bad, []byte("netguard:\n  bgp:\n    router_id: not-an-ip\n")); err == nil || !strings.Contains(err.Error(), "router_id") {
		t.Errorf("a bad router_id: %v", err)
	}
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// The README's demo: `itsgow flowgen` attacks the demo IP, serve --demo detects and mitigates
// it, and the CLI shows the mitigation (locked for 26 hours), the attack and the traffic.
func TestDemoFlowgenAttackIsMitigated(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(freeUDPPort(t))
	base, creds, stop := startDemo(t, t.TempDir(), "ITSGOW_NETGUARD_COLLECTOR_NETFLOW=127.0.0.1:"+port,
		"ITSGOW_NETGUARD_COLLECTOR_IPFIX=", "ITSGOW_NETGUARD_COLLECTOR_SFLOW=")
	defer stop()
	token := creds["customer"]["token"]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sent := make(chan int, 1)
	go func() {
		var out, errOut strings.Builder
		sent <- run(ctx, []string{"flowgen", "--to", "127.0.0.1:" + port, "--target", "198.18.0.10", "--pps", "300000",
			"--duration", "20s"}, &out, &errOut, nil)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, code := cli(t, base, token, "ip", "mitigation", "198.18.0.10")
		if code != 0 {
			t.Fatalf("ip mitigation: %d %s", code, out)
		}
		if strings.Contains(out, "auto") {
			if !strings.Contains(out, "udp-flood") || !strings.Contains(out, "locked") {
				t.Errorf("ip mitigation:\n%s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mitigation within 15 s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-sent
	if out, code := cli(t, base, token, "ip", "mitigation", "set", "198.18.0.10", "--permanent=false"); code != 1 || !strings.Contains(out, "mitigation_locked") {
		t.Errorf("switch off inside the hold: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ip", "attacks", "198.18.0.10"); code != 0 || !strings.Contains(out, "udp-flood") {
		t.Errorf("ip attacks: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ips"); code != 0 || !strings.Contains(out, "198.18.0.10") || !strings.Contains(out, "auto") {
		t.Errorf("ips: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ip", "stats", "198.18.0.10", "--scale", "1m"); code != 0 || !strings.Contains(out, "IN BPS") {
		t.Errorf("ip stats: %d %s", code, out)
	}
	// Profile tests (the demo IP has the pro-use option): the last minute, live, and the attack
	// by its id (it began less than a minute ago: live too).
	out, code := cli(t, base, token, "ip", "profile-test", "198.18.0.10", "--profile", "strict")
	if code != 0 || !strings.Contains(out, "attack dropped") || !strings.Contains(out, "udp-flood") || !strings.Contains(out, "then discard") {
		t.Errorf("ip profile-test: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ip", "attacks", "198.18.0.10", "1"); code != 0 || !strings.Contains(out, "attack") {
		t.Errorf("ip attacks IP 1: %d %s", code, out)
	}
	out, code = cli(t, base, token, "ip", "profile-test", "198.18.0.10", "--profile", "strict", "--attack", "1")
	if code != 0 || !strings.Contains(out, "seconds with history") || !strings.Contains(out, "VECTOR") {
		t.Errorf("ip profile-test --attack: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ip", "profile-test", "198.18.0.10", "--profile", "strict",
		"--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:00:00Z"); code != 1 || !strings.Contains(out, "only around attacks") {
		t.Errorf("ip profile-test without history: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ip", "profile-test", "198.18.0.10", "--from", "yesterday"); code != 2 {
		t.Errorf("ip profile-test with bad flags: %d %s", code, out)
	}
	if out, code := cli(t, base, token, "ip", "mitigation", "nope"); code != 2 {
		t.Errorf("bad IP: %d %s", code, out)
	}

	// The staff's view: the collector hears the exporter, the edge holds the rule, the
	// mitigation is listed; a forced level and its release go through the API.
	staff := creds["staff"]["token"]
	out, code = cli(t, base, staff, "network", "status")
	if code != 0 || !strings.Contains(out, "127.0.0.1") || !strings.Contains(out, "netflow9") ||
		!strings.Contains(out, "traffic points waiting for the store: ") || !strings.Contains(out, "rules compiled: 1;") {
		t.Errorf("network status: %d %s", code, out)
	}
	if out, code := cli(t, base, staff, "network", "rules"); code != 0 || !strings.Contains(out, "dst 198.18.0.10/32") {
		t.Errorf("network rules: %d %s", code, out)
	}
	if out, code := cli(t, base, staff, "network", "mitigations"); code != 0 || !strings.Contains(out, "198.18.0.10") || !strings.Contains(out, "auto") {
		t.Errorf("network mitigations: %d %s", code, out)
	}
	if out, code := cli(t, base, staff, "network", "force", "198.18.0.10", "--level", "2", "--reason", "NOC test"); code != 0 ||
		!strings.Contains(out, "forced") || !regexp.MustCompile(`level\s+2\n`).MatchString(out) {
		t.Errorf("network force: %d %s", code, out)
	}
	if out, code := cli(t, base, staff, "network", "release", "198.18.0.10", "--reason", "NOC test over"); code != 0 || !strings.Contains(out, "auto") {
		t.Errorf("network release (back to the hold): %d %s", code, out)
	}
	if out, code := cli(t, base, token, "network", "status"); code != 1 || !strings.Contains(out, "403") && !strings.Contains(strings.ToLower(out), "forbidden") {
		t.Errorf("network status with a customer token: %d %s", code, out)
	}
	for _, bad := range [][]string{{"network"}, {"network", "force", "198.18.0.10"}, {"network", "force", "198.18.0.10", "--level", "4"},
		{"network", "release", "nope"}, {"network", "status", "extra"}} {
		if out, code := cli(t, base, staff, bad...); code != 2 {
			t.Errorf("%v: %d %s", bad, code, out)
		}
	}
}

// The configuration example of the README loads: its netguard keys are the real ones.
func TestReadmeConfigExampleLoads(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	doc, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 || !strings.Contains(doc, "netguard:") {
		t.Fatalf("no yaml block with netguard keys in README.md")
	}
	cfg := app.DefaultConfig()
	if err := applyYAML(&cfg, []byte(doc)); err != nil {
		t.Fatalf("README.md configuration example: %v", err)
	}
	if cfg.Netguard.BGP.ASN != 65010 || len(cfg.Netguard.BGP.Peers) != 1 || cfg.Netguard.Collector.NetFlow != "127.0.0.1:2055" {
		t.Errorf("netguard keys of README.md: %+v", cfg.Netguard)
	}
}
