package bgp_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// manyRules returns n level-1 rules (discard UDP from port 53) on distinct addresses.
func manyRules(n int) edge.RuleSet {
	in := edge.Input{}
	for i := range n {
		in.Mitigations = append(in.Mitigations, edge.Mitigation{ID: fmt.Sprint(i),
			IP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), Level: 1,
			Vectors: []netguard.Vector{netguard.VectorDNSAmplification}})
	}
	rs, _ := edge.Compile(in, edge.Guard{MaxRules: n})
	return rs
}

// BenchmarkBIRDAnnounce1000 measures the time from Apply of 1,000 FlowSpec rules until BIRD
// holds them all (polled with birdc every 10 ms), then withdraws them (not timed). Run with
//
//	go test -run '^$' -bench BIRDAnnounce -benchtime 5x ./internal/netguard/bgp/
func BenchmarkBIRDAnnounce1000(b *testing.B) {
	if testing.Short() || !birdPresent() {
		b.Skip("needs bird2, and not -short")
	}
	birdPort, ourPort := freePort(b, birdAddr), freePort(b, ourAddr)
	bd := startBird(b, birdPort, ourPort)
	sp := speaker(b, bgp.Config{ASN: 65010, RouterID: ourAddr, Listen: netip.AddrPortFrom(ourAddr, ourPort).String(),
		Peers: []bgp.PeerConfig{{Address: birdAddr, Port: birdPort, ASN: 65020}}})
	waitFor(b, 15*time.Second, "session with BIRD", bd.established)
	rules := manyRules(1000)
	count := func(want int) func() (bool, string) {
		return func() (bool, string) {
			n, err := bd.countRoutes("flowtab4")
			return err == nil && n == want, fmt.Sprint(n, err)
		}
	}
	poll := func(want int) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			if ok, _ := count(want)(); ok {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("BIRD did not reach %d routes", want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		apply(b, sp, rules, nil)
		poll(len(rules))
		total += time.Since(start)
		b.StopTimer()
		apply(b, sp, nil, rules)
		poll(0)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(rules))/(total.Seconds()/float64(b.N)), "rules/s")
}
