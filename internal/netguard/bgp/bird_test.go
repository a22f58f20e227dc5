package bgp_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/testenv"
)

// What BIRD shows of our routes. The traffic-rate extended community is (generic,
// 0x8006<AS>, <float32 rate>); AS 65010 is 0xfdf2.
const (
	flowDNS      = "flow4 { dst 198.18.0.10/32; proto 17; sport 53; }"
	flowSYN      = "flow4 { dst 198.18.0.10/32; proto 6; tcp flags 0x2/0x2 && 0x0/0x10; }"
	flowRate     = "flow4 { dst 198.18.0.10/32; }"
	flowNTP6     = "flow6 { dst 2001:db8::10/128; next header 17; sport 123; }"
	rtbh4        = "198.18.0.10/32 "
	discard      = "BGP.ext_community: (generic, 0x8006fdf2, 0x0)"
	rate125M     = "BGP.ext_community: (generic, 0x8006fdf2, 0x4cee6b28)" // 125,000,000 B/s
	blackholeCom = "BGP.community: (65535,666) (65535,65281)"
	rtbhNextHop  = "BGP.next_hop: 192.0.2.1"
)

// birdRoute returns the block of `show route all` output of the route whose line starts with
// head, or "".
func birdRoute(out, head string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, head) {
			j := i + 1
			for j < len(lines) && strings.HasPrefix(lines[j], "\t") {
				j++
			}
			return strings.Join(lines[i:j], "\n")
		}
	}
	return ""
}

// hasRoute is a waitFor condition: BIRD's table holds the route head with every attribute line.
func (b *bird) hasRoute(table, head string, attrs ...string) func() (bool, string) {
	return func() (bool, string) {
		out := b.routes(table)
		r := birdRoute(out, head)
		if r == "" {
			return false, out
		}
		for _, a := range attrs {
			if !strings.Contains(r, a) {
				return false, out
			}
		}
		return true, out
	}
}

// lacks is a waitFor condition: BIRD's table does not hold the route head.
func (b *bird) lacks(table, head string) func() (bool, string) {
	return func() (bool, string) {
		out := b.routes(table)
		return birdRoute(out, head) == "", out
	}
}

func compile(tb testing.TB, in edge.Input) edge.RuleSet {
	tb.Helper()
	rs, refusals := edge.Compile(in, edge.Guard{})
	if len(refusals) > 0 {
		tb.Fatalf("refusals: %v", refusals)
	}
	return rs
}

var (
	customer  = netip.MustParseAddr("198.18.0.10")
	customer6 = netip.MustParseAddr("2001:db8::10")
)

func level1() edge.Input {
	return edge.Input{Mitigations: []edge.Mitigation{
		{ID: "m1", IP: customer, Level: 1, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}},
	}}
}

func level3() edge.Input {
	return edge.Input{InfrastructureThreatened: true, Mitigations: []edge.Mitigation{
		{ID: "m1", IP: customer, Level: 3, Vectors: []netguard.Vector{netguard.VectorDNSAmplification, netguard.VectorSYNFlood}},
		{ID: "m6", IP: customer6, Level: 1, Vectors: []netguard.Vector{netguard.VectorNTPAmplification}},
	}}
}

// TestBIRD announces rule sets to a real router, Debian's BIRD 2, on loopback: FlowSpec and
// RTBH appear with the right match and actions, go away when withdrawn, come back on their
// own when BIRD restarts, and are announced again by a new speaker after an itsgow restart.
//
// Not parallel: see gobgpStarted.
func TestBIRD(t *testing.T) {
	testenv.Need(t, birdPresent(), "bird2 missing (apt-get install bird2)")
	if testing.Short() {
		t.Skip("slow (about 15 s): not with -short")
	}
	birdPort, ourPort := freePort(t, birdAddr), freePort(t, ourAddr)
	b := startBird(t, birdPort, ourPort)
	cfg := bgp.Config{ASN: 65010, RouterID: ourAddr, Listen: netip.AddrPortFrom(ourAddr, ourPort).String(),
		Peers: []bgp.PeerConfig{{Address: birdAddr, Port: birdPort, ASN: 65020,
			Families: []bgp.PeerFamily{bgp.IPv4FlowSpec, bgp.IPv6FlowSpec, bgp.IPv4Unicast, bgp.IPv6Unicast}}}}
	sp := speaker(t, cfg)
	waitFor(t, 15*time.Second, "session with BIRD", b.established)

	// Level 1: discard UDP from port 53 to the customer.
	l1 := compile(t, level1())
	add, remove := edge.Diff(nil, l1)
	apply(t, sp, add, remove)
	waitFor(t, 5*time.Second, "level-1 flow route", b.hasRoute("flowtab4", flowDNS, discard))

	// Level 3: the same, plus SYN without ACK, a rate limit, RTBH, and an IPv6 rule.
	l3 := compile(t, level3())
	add, remove = edge.Diff(l1, l3)
	apply(t, sp, add, remove)
	waitFor(t, 5*time.Second, "syn-flood route", b.hasRoute("flowtab4", flowSYN, discard))
	waitFor(t, 5*time.Second, "rate limit", b.hasRoute("flowtab4", flowRate, rate125M))
	waitFor(t, 5*time.Second, "RTBH route", b.hasRoute("", rtbh4, blackholeCom, rtbhNextHop))
	waitFor(t, 5*time.Second, "IPv6 flow route", b.hasRoute("flowtab6", flowNTP6, discard))
	if n := countAll(t, b); n != 5 {
		t.Errorf("BIRD holds %d routes, want 5:\n%s%s%s", n, b.routes("flowtab4"), b.routes("flowtab6"), b.routes(""))
	}
	if st := sp.Status(); len(st) != 1 || !st[0].Up || st[0].Sent != 5 || st[0].State != "established" {
		t.Errorf("status %+v, want one established peer with 5 routes sent", st)
	}

	// End of mitigation: everything is withdrawn.
	add, remove = edge.Diff(l3, nil)
	apply(t, sp, add, remove)
	waitFor(t, 5*time.Second, "withdrawal", func() (bool, string) {
		n := countAll(t, b)
		return n == 0, b.routes("flowtab4") + b.routes("flowtab6") + b.routes("")
	})

	// BIRD restarts: the set comes back without any call to Apply.
	add, remove = edge.Diff(nil, l3)
	apply(t, sp, add, remove)
	waitFor(t, 5*time.Second, "level 3 again", b.hasRoute("", rtbh4, blackholeCom))
	b.stop()
	b.start()
	waitFor(t, 20*time.Second, "session after BIRD restart", b.established)
	waitFor(t, 5*time.Second, "flow routes after BIRD restart", b.hasRoute("flowtab4", flowDNS, discard))
	waitFor(t, 5*time.Second, "every route after BIRD restart", func() (bool, string) {
		return countAll(t, b) == 5, b.routes("flowtab4") + b.routes("flowtab6") + b.routes("")
	})
	waitFor(t, 5*time.Second, "flap counted", func() (bool, string) {
		st := sp.Status()
		return len(st) == 1 && st[0].Flaps == 1 && st[0].Up, ""
	})

	// itsgow restarts: a new speaker, given the set from the store, announces it again.
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "routes gone with our session", func() (bool, string) {
		return countAll(t, b) == 0, b.routes("")
	})
	sp2 := speaker(t, cfg)
	if err := sp2.Resync(t.Context(), l3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "every route after itsgow restart", func() (bool, string) {
		return countAll(t, b) == 5, b.routes("flowtab4") + b.routes("flowtab6") + b.routes("")
	})
	waitFor(t, 5*time.Second, "RTBH after itsgow restart", b.hasRoute("", rtbh4, blackholeCom, rtbhNextHop))
}

// countAll counts BIRD's routes in the flow and unicast tables.
func countAll(tb testing.TB, b *bird) int {
	tb.Helper()
	total := 0
	for _, table := range []string{"flowtab4", "flowtab6", "master4", "master6"} {
		n, err := b.countRoutes(table)
		if err != nil {
			return -1
		}
		total += n
	}
	return total
}
