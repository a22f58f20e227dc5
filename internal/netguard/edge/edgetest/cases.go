// Package edgetest holds the compiler inputs of the golden tests of package edge, so that other
// tests (the FlowSpec encoding round trip and fuzz seeds of netguard/bgp) run on the same rules.
//
// It is imported only from _test.go files. It imports internal/netguard, internal/netguard/edge
// and the standard library. Cases returns new values on each call; they are not shared.
package edgetest

import (
	"fmt"
	"net/netip"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// Case is one golden test of the compiler: testdata/<Name>.golden.
type Case struct {
	Name  string
	Input edge.Input
	Guard edge.Guard
}

// Infrastructure is the infrastructure of every case: a router loopback range and a DNS
// resolver, inside the benchmarking range that the customer addresses also come from.
func Infrastructure() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("198.18.255.0/24"),
		netip.MustParsePrefix("198.19.0.53/32"),
		netip.MustParsePrefix("2001:db8:ffff::/48"),
	}
}

func guard() edge.Guard { return edge.Guard{Infrastructure: Infrastructure(), MaxRules: 100} }

var (
	ip4  = netip.MustParseAddr("198.18.0.10")
	ip4b = netip.MustParseAddr("198.18.0.11")
	ip6  = netip.MustParseAddr("2001:db8::10")
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// Cases returns the golden cases, each a new value.
func Cases() []Case {
	cases := []Case{
		{Name: "level1-dns", Input: edge.Input{Mitigations: []edge.Mitigation{
			{ID: "m1", IP: ip4, Level: 1, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}},
		}}},
		{Name: "level1-every-vector", Input: edge.Input{Mitigations: []edge.Mitigation{
			{ID: "m1", IP: ip4, Level: 1, Vectors: netguard.Vectors()},
		}}},
		{Name: "level2", Input: edge.Input{RateLimit: 12_500_000, Mitigations: []edge.Mitigation{
			{ID: "m1", IP: ip4, Level: 2, Vectors: []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorNTPAmplification}},
			{ID: "m2", IP: ip4b, Level: 2, Vectors: []netguard.Vector{netguard.VectorUDPFlood}, RateLimit: 1_000_000},
		}}},
		{Name: "level3-threatened", Input: edge.Input{InfrastructureThreatened: true, Mitigations: []edge.Mitigation{
			{ID: "m1", IP: ip4, Level: 3, Vectors: []netguard.Vector{netguard.VectorDNSAmplification, netguard.VectorFragments}},
		}}},
		{Name: "level3-not-threatened", Input: edge.Input{Mitigations: []edge.Mitigation{
			{ID: "m1", IP: ip4, Level: 3, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}},
		}}},
		{Name: "ipv6", Input: edge.Input{InfrastructureThreatened: true, Mitigations: []edge.Mitigation{
			{ID: "m6", IP: ip6, Level: 3, Vectors: []netguard.Vector{netguard.VectorICMPFlood, netguard.VectorFragments,
				netguard.VectorNTPAmplification, netguard.VectorSYNFlood}},
		}, SMTPBlocks: []edge.SMTPBlock{{ID: "b6", IP: netip.MustParseAddr("2001:db8::25")}},
			Cutoffs: []edge.Cutoff{{ID: "c6", IP: netip.MustParseAddr("2001:db8::66"), Reason: "hacked"}}}},
		{Name: "firewall", Input: edge.Input{
			Mitigations: []edge.Mitigation{{ID: "m1", IP: ip4, Level: 2, Vectors: []netguard.Vector{netguard.VectorUDPFlood}}},
			Firewall: []edge.FirewallRule{
				{ID: "f1", IP: ip4, Rule: netguard.EdgeRule{Protocols: []uint8{netguard.ProtoTCP},
					DestinationPorts: []netguard.EdgeRange{{From: 443, To: 443}, {From: 80, To: 80}}, Action: netguard.EdgeAccept}},
				{ID: "f2", IP: ip4, Rule: netguard.EdgeRule{Protocols: []uint8{netguard.ProtoUDP},
					DestinationPorts: []netguard.EdgeRange{{From: 2000, To: 1000}, {From: 1500, To: 2500}},
					PacketLength:     []netguard.EdgeRange{{From: 0, To: 100}}, Action: netguard.EdgeDiscard}},
				{ID: "f3", IP: ip4, Rule: netguard.EdgeRule{Source: pfx("203.0.113.0/24"), Protocols: []uint8{netguard.ProtoTCP},
					TCPFlags: netguard.TCPFlagMatch{Set: netguard.TCPRst}, Action: netguard.EdgeRateLimit, Rate: 1000}},
				{ID: "f4", IP: ip4, Rule: netguard.EdgeRule{Destination: pfx("198.18.0.99/32"), Action: netguard.EdgeDiscard}},
				{ID: "f5", IP: ip4, Rule: netguard.EdgeRule{Fragment: netguard.FragmentFirst, Action: netguard.EdgeDiscard}},
				{ID: "f6", IP: ip6, Rule: netguard.EdgeRule{Fragment: netguard.FragmentDont, Action: netguard.EdgeDiscard}},
				{ID: "f7", IP: ip4, Rule: netguard.EdgeRule{Action: netguard.EdgeAccept}},
			},
		}},
		{Name: "smtp-block", Input: edge.Input{SMTPBlocks: []edge.SMTPBlock{
			{ID: "b1", IP: ip4}, {ID: "b2", IP: netip.MustParseAddr("::ffff:198.18.0.12")},
		}}},
		{Name: "cutoff", Input: edge.Input{Cutoffs: []edge.Cutoff{
			{ID: "c1", IP: ip4, Reason: "hacked"}, {ID: "c2", IP: ip4b, Reason: "suspended"},
		}, SMTPBlocks: []edge.SMTPBlock{{ID: "b1", IP: ip4}}}},
		{Name: "staff", Input: edge.Input{Staff: []edge.StaffRule{
			{ID: "s1", Approved: true, Rule: netguard.EdgeRule{Destination: pfx("198.18.1.0/24"), Protocols: []uint8{netguard.ProtoUDP},
				SourcePorts: []netguard.EdgeRange{{From: 11211, To: 11211}}, Action: netguard.EdgeDiscard}},
			{ID: "s2", Rule: netguard.EdgeRule{Destination: pfx("198.18.2.0/24"), Action: netguard.EdgeDiscard}},
			{ID: "s3", Rule: netguard.EdgeRule{Destination: pfx("198.18.0.20/32"), Source: pfx("192.0.2.0/24"),
				PacketLength: []netguard.EdgeRange{{From: 1400, To: 1500}}, Action: netguard.EdgeRateLimit, Rate: 100_000_001}},
			{ID: "s4", Approved: true, Rule: netguard.EdgeRule{Destination: pfx("198.18.0.0/16"), Action: netguard.EdgeDiscard}},
			{ID: "s5", Approved: true, Rule: netguard.EdgeRule{Source: pfx("192.0.2.0/24"), Action: netguard.EdgeDiscard, Priority: 95}},
			{ID: "s6", Rule: netguard.EdgeRule{Action: netguard.EdgeDiscard}},
			{ID: "s7", Rule: netguard.EdgeRule{Family: netguard.FamilyIPv6, Destination: pfx("198.18.0.21/32"), Action: netguard.EdgeDiscard}},
			{ID: "s8", Approved: true, Rule: netguard.EdgeRule{Family: netguard.FamilyIPv4, Protocols: []uint8{netguard.ProtoUDP}, Action: netguard.EdgeDiscard}},
		}}},
		{Name: "infrastructure", Input: edge.Input{InfrastructureThreatened: true,
			Mitigations: []edge.Mitigation{
				{ID: "m1", IP: netip.MustParseAddr("198.18.255.1"), Level: 3, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}},
				{ID: "m2", IP: netip.MustParseAddr("2001:db8:ffff::1"), Level: 1, Vectors: []netguard.Vector{netguard.VectorSYNFlood}},
			},
			Cutoffs:    []edge.Cutoff{{ID: "c1", IP: netip.MustParseAddr("198.19.0.53"), Reason: "hacked"}},
			SMTPBlocks: []edge.SMTPBlock{{ID: "b1", IP: ip4}},
			Staff: []edge.StaffRule{{ID: "s1", Approved: true, Rule: netguard.EdgeRule{Source: pfx("198.18.255.7/32"),
				Destination: pfx("198.18.0.10/32"), Action: netguard.EdgeDiscard}}},
		}},
		{Name: "invalid", Input: edge.Input{Mitigations: []edge.Mitigation{
			{ID: "m1", Level: 1, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}},
			{ID: "m2", IP: ip4, Level: 7},
			{ID: "m3", IP: ip4b, Level: 1, Vectors: []netguard.Vector{"teapot-flood", netguard.VectorSYNFlood, netguard.VectorSYNFlood}},
			{ID: "m4", IP: ip6, Level: 0, Vectors: []netguard.Vector{netguard.VectorSYNFlood}},
		}, Staff: []edge.StaffRule{
			{ID: "s1", Rule: netguard.EdgeRule{Destination: pfx("198.18.0.30/32"), Action: netguard.EdgeRateLimit}},
			{ID: "s2", Rule: netguard.EdgeRule{Destination: pfx("198.18.0.31/32")}},
			{ID: "s3", Rule: netguard.EdgeRule{Destination: pfx("198.18.0.32/32"), Action: netguard.EdgeDiscard,
				TCPFlags: netguard.TCPFlagMatch{Set: netguard.TCPSyn, Clear: netguard.TCPSyn}}},
		}}},
		{Name: "shadowed", Input: edge.Input{
			Mitigations: []edge.Mitigation{{ID: "m1", IP: ip4, Level: 2, Vectors: []netguard.Vector{netguard.VectorIPFlood, netguard.VectorTCPFlood}}},
			Cutoffs:     []edge.Cutoff{{ID: "c1", IP: ip4, Reason: "hacked"}},
			Firewall:    []edge.FirewallRule{{ID: "f1", IP: ip4, Rule: netguard.EdgeRule{Protocols: []uint8{netguard.ProtoTCP}, Action: netguard.EdgeAccept}}},
		}},
		{Name: "ceiling", Guard: edge.Guard{Infrastructure: Infrastructure(), MaxRules: 7}, Input: edge.Input{
			InfrastructureThreatened: true,
			Mitigations: []edge.Mitigation{
				{ID: "m1", IP: ip4, Level: 3, Vectors: []netguard.Vector{netguard.VectorDNSAmplification, netguard.VectorNTPAmplification}},
				{ID: "m2", IP: ip4b, Level: 2, Vectors: []netguard.Vector{netguard.VectorSYNFlood}},
			},
			Firewall:   []edge.FirewallRule{{ID: "f1", IP: ip4, Rule: netguard.EdgeRule{Protocols: []uint8{netguard.ProtoTCP}, Action: netguard.EdgeAccept}}},
			SMTPBlocks: []edge.SMTPBlock{{ID: "b1", IP: netip.MustParseAddr("198.18.0.12")}},
			Cutoffs:    []edge.Cutoff{{ID: "c1", IP: netip.MustParseAddr("198.18.0.13"), Reason: "hacked"}},
		}},
	}
	cases = append(cases, Case{Name: "everything", Input: everything()})
	for i := range cases {
		if cases[i].Guard.Infrastructure == nil {
			cases[i].Guard = guard()
		}
	}
	return cases
}

// everything merges the inputs of the other cases that do not conflict, for the permutation
// test.
func everything() edge.Input {
	in := edge.Input{InfrastructureThreatened: true, RateLimit: 50_000_000}
	for i := range 20 {
		ip := netip.AddrFrom4([4]byte{198, 18, 3, byte(i)})
		v := netguard.Vectors()[i%len(netguard.Vectors())]
		in.Mitigations = append(in.Mitigations, edge.Mitigation{ID: fmt.Sprintf("m%02d", i), IP: ip, Level: 1 + i%3,
			Vectors: []netguard.Vector{v, netguard.VectorFragments}})
		if i%4 == 0 {
			in.Firewall = append(in.Firewall, edge.FirewallRule{ID: fmt.Sprintf("f%02d", i), IP: ip,
				Rule: netguard.EdgeRule{Protocols: []uint8{netguard.ProtoTCP, netguard.ProtoUDP},
					DestinationPorts: []netguard.EdgeRange{{From: 53, To: 53}}, Action: netguard.EdgeAccept}})
		}
		if i%5 == 0 {
			in.SMTPBlocks = append(in.SMTPBlocks, edge.SMTPBlock{ID: fmt.Sprintf("b%02d", i), IP: ip})
		}
	}
	in.Mitigations = append(in.Mitigations, edge.Mitigation{ID: "m6", IP: ip6, Level: 2,
		Vectors: []netguard.Vector{netguard.VectorUDPFlood, netguard.VectorICMPFlood}})
	in.Cutoffs = []edge.Cutoff{{ID: "c1", IP: netip.MustParseAddr("198.18.4.1"), Reason: "hacked"},
		{ID: "c2", IP: netip.MustParseAddr("2001:db8::66"), Reason: "suspended"}}
	in.Staff = []edge.StaffRule{{ID: "s1", Approved: true, Rule: netguard.EdgeRule{Destination: pfx("198.18.5.0/24"),
		Protocols: []uint8{netguard.ProtoUDP}, SourcePorts: []netguard.EdgeRange{{From: 19, To: 19}}, Action: netguard.EdgeDiscard}}}
	return in
}
