package edge_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// mitigations returns n active mitigations on distinct addresses of 198.18.0.0/15, levels 1 to
// 3, two vectors each, and a firewall rule for every tenth.
func mitigations(n int) edge.Input {
	in := edge.Input{InfrastructureThreatened: true}
	vectors := netguard.Vectors()
	for i := range n {
		ip := netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)})
		in.Mitigations = append(in.Mitigations, edge.Mitigation{ID: fmt.Sprintf("m%d", i), IP: ip, Level: 1 + i%3,
			Vectors: []netguard.Vector{vectors[i%len(vectors)], vectors[(i*7+3)%len(vectors)]}})
		if i%10 == 0 {
			in.Firewall = append(in.Firewall, edge.FirewallRule{ID: fmt.Sprintf("f%d", i), IP: ip,
				Rule: netguard.EdgeRule{Protocols: []uint8{netguard.ProtoTCP}, DestinationPorts: []netguard.EdgeRange{{From: 443, To: 443}},
					Action: netguard.EdgeAccept}})
		}
	}
	return in
}

// BenchmarkCompile10000Mitigations compiles 10,000 active mitigations (about 40,000 rules), with
// no ceiling and with the default ceiling of 3,000 rules.
func BenchmarkCompile10000Mitigations(b *testing.B) {
	in := mitigations(10_000)
	for _, g := range []struct {
		name  string
		guard edge.Guard
	}{{"no-ceiling", edge.Guard{MaxRules: 1 << 30}}, {"default-ceiling", edge.Guard{}}} {
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			var rules edge.RuleSet
			for b.Loop() {
				rules, _ = edge.Compile(in, g.guard)
			}
			b.ReportMetric(float64(len(rules)), "rules")
		})
	}
}

// BenchmarkDiff10000Mitigations diffs two compilations of 10,000 mitigations where one in ten
// changed level, and the whole set against nothing (a resync after a restart).
func BenchmarkDiff10000Mitigations(b *testing.B) {
	in := mitigations(10_000)
	old, _ := edge.Compile(in, edge.Guard{MaxRules: 1 << 30})
	for i := 0; i < len(in.Mitigations); i += 10 {
		in.Mitigations[i].Level = 1 + (in.Mitigations[i].Level % 3)
	}
	next, _ := edge.Compile(in, edge.Guard{MaxRules: 1 << 30})
	for _, c := range []struct {
		name     string
		old, new edge.RuleSet
	}{{"one-in-ten-changed", old, next}, {"from-empty", nil, next}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var add, remove []edge.Rule
			for b.Loop() {
				add, remove = edge.Diff(c.old, c.new)
			}
			b.ReportMetric(float64(len(add)+len(remove)), "changes")
		})
	}
}
