package bgp_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// The configuration keys are the ones operators and scripts rely on (issue 5).
func TestConfigYAML(t *testing.T) {
	t.Parallel()
	const doc = `
netguard:
  bgp:
    asn: 65010
    router_id: 127.0.0.10
    listen: 127.0.0.10:10179
    peers:
      - {address: 127.0.0.20, port: 11179, asn: 65020, families: [ipv4-flowspec, ipv6-flowspec, ipv4-unicast]}
      - {address: "2001:db8::1", asn: 65030, multihop: 2, password_file: /etc/itsgow/peer.secret}
    next_hop: {ipv4: 192.0.2.66, ipv6: "100::66"}
    hold_time: 30s
    connect_retry: 2s
`
	var root struct {
		Netguard struct {
			BGP bgp.Config `yaml:"bgp"`
		} `yaml:"netguard"`
	}
	root.Netguard.BGP = bgp.DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&root); err != nil {
		t.Fatal(err)
	}
	want := bgp.Config{
		ASN: 65010, RouterID: netip.MustParseAddr("127.0.0.10"), Listen: "127.0.0.10:10179",
		Peers: []bgp.PeerConfig{
			{Address: netip.MustParseAddr("127.0.0.20"), Port: 11179, ASN: 65020,
				Families: []bgp.PeerFamily{bgp.IPv4FlowSpec, bgp.IPv6FlowSpec, bgp.IPv4Unicast}},
			{Address: netip.MustParseAddr("2001:db8::1"), ASN: 65030, Multihop: 2, PasswordFile: "/etc/itsgow/peer.secret"},
		},
		NextHop:  bgp.NextHop{IPv4: netip.MustParseAddr("192.0.2.66"), IPv6: netip.MustParseAddr("100::66")},
		HoldTime: 30 * time.Second, ConnectRetry: 2 * time.Second,
	}
	got := root.Netguard.BGP
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := bgp.DefaultConfig().Validate(); err != nil {
		t.Errorf("default (disabled) config: %v", err)
	}
	if bgp.DefaultConfig().Enabled() {
		t.Error("the default config is enabled")
	}
	bad := bgp.DefaultConfig()
	bad.ASN = 65010
	bad.RouterID = netip.MustParseAddr("::1")
	bad.Listen = "127.0.0.1:0"
	bad.HoldTime = time.Second
	bad.Peers = []bgp.PeerConfig{
		{Address: netip.MustParseAddr("127.0.0.20"), Families: []bgp.PeerFamily{"ipv4-multicast"}},
		{Address: netip.MustParseAddr("127.0.0.20"), ASN: 1, Families: []bgp.PeerFamily{}},
		{ASN: 2},
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"router_id", "listen", "hold_time", "peers[0].asn", `unknown "ipv4-multicast"`,
		"peers[1].address 127.0.0.20: listed twice", "peers[1].families: empty", "peers[2].address: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestNewAndRunErrors(t *testing.T) {
	t.Parallel()
	deps := bgp.Deps{Logger: slog.New(slog.DiscardHandler), Clock: clock.Real()}
	if _, err := bgp.New(bgp.DefaultConfig(), deps); err == nil {
		t.Error("New accepted a disabled config")
	}
	cfg := bgp.DefaultConfig()
	cfg.ASN, cfg.RouterID = 65010, ourAddr
	cfg.Peers = []bgp.PeerConfig{{Address: birdAddr, ASN: 65020, PasswordFile: "/x"}}
	if _, err := bgp.New(cfg, deps); err == nil {
		t.Error("New accepted a password_file without password")
	}
	cfg.Peers[0].PasswordFile = ""
	sp, err := bgp.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if st := sp.Status(); len(st) != 1 || st[0].Up || st[0].State != "idle" {
		t.Errorf("status before Run: %+v", st)
	}
	if _, err := sp.Announced(); err == nil {
		t.Error("Announced before Run succeeded")
	}
	// Apply before Run keeps the rules for Run.
	rules := compile(t, level3())
	if err := sp.Apply(context.Background(), rules, nil); err != nil {
		t.Fatal(err)
	}
	if got := sp.Rules().String(); got != rules.String() {
		t.Errorf("rules held:\n%s\nwant:\n%s", got, rules)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sp.Run(context.Background()); !errors.Is(err, bgp.ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
}

// The speaker runs without listening (dial out only), holds what it announces in GoBGP's RIB,
// and Resync converges on the given set.
//
// Not parallel: see gobgpStarted.
func TestSpeakerRIB(t *testing.T) {
	sp := speaker(t, bgp.Config{ASN: 65010, RouterID: ourAddr,
		Peers: []bgp.PeerConfig{{Address: netip.MustParseAddr("127.0.0.50"), Port: freePort(t, ourAddr), ASN: 65050}}})
	l1, l3 := compile(t, level1()), compile(t, level3())
	check := func(want string) {
		t.Helper()
		waitFor(t, 5*time.Second, "RIB", func() (bool, string) {
			got, err := sp.Announced()
			if err != nil {
				return false, err.Error()
			}
			return got.String() == want, got.String()
		})
	}
	if err := sp.Resync(t.Context(), l3); err != nil {
		t.Fatal(err)
	}
	check(wireSet(l3).String())
	if err := sp.Resync(t.Context(), l1); err != nil {
		t.Fatal(err)
	}
	check(wireSet(l1).String())
	// A replaced rule (same key, new rate) is announced in place.
	in := level3()
	in.Mitigations[0].RateLimit = 1_000_000
	l3slow := compile(t, in)
	if err := sp.Resync(t.Context(), l3slow); err != nil {
		t.Fatal(err)
	}
	check(wireSet(l3slow).String())
	if err := sp.Resync(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	check("")
}

// wireSet is what routes carry of a rule set.
func wireSet(rs edge.RuleSet) edge.RuleSet {
	var out edge.RuleSet
	for _, r := range rs {
		out = append(out, onWire(r))
	}
	out.Sort()
	return out
}

// Not parallel: see gobgpStarted.
func TestRunFailsOnBusyListenAddress(t *testing.T) {
	port := freePort(t, netip.MustParseAddr("127.0.0.11"))
	l, err := net.Listen("tcp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.11"), port).String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sp, err := bgp.New(bgp.Config{ASN: 65010, RouterID: ourAddr, Listen: l.Addr().String()},
		bgp.Deps{Logger: slog.New(slog.DiscardHandler), Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Run(t.Context()); err == nil {
		t.Error("Run succeeded on a busy listen address")
	}
	// Run may be tried again (here it fails again) and Close still works.
	if err := sp.Run(t.Context()); err == nil || errors.Is(err, bgp.ErrRunning) {
		t.Errorf("second Run: %v", err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
}
