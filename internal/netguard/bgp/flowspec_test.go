package bgp_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gobgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"

	"github.com/itsgow/itsgow/internal/golden"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/edge/edgetest"
)

var nextHop = bgp.NextHop{IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("100::1")}

// goldenRules returns every rule of the compiler's golden cases, once per key.
func goldenRules(tb testing.TB) []edge.Rule {
	tb.Helper()
	seen := map[string]bool{}
	var out []edge.Rule
	for _, c := range edgetest.Cases() {
		rules, refusals := edge.Compile(c.Input, c.Guard)
		for _, f := range refusals {
			if _, err := bgp.NewPath(f.Rule, 65010, nextHop); err == nil {
				rules = append(rules, f.Rule) // refused by a guard rail, still encodable
			}
		}
		for _, r := range rules {
			if !seen[r.Key()] {
				seen[r.Key()] = true
				out = append(out, r)
			}
		}
	}
	edge.RuleSet(out).Sort()
	return out
}

// wire serializes a path's NLRI and attributes to bytes and decodes them again, as a peer would.
func wire(tb testing.TB, p *apiutil.Path) *apiutil.Path {
	tb.Helper()
	b, err := p.Nlri.Serialize()
	if err != nil {
		tb.Fatalf("serialize %s: %v", p.Nlri, err)
	}
	nlri, err := gobgp.NLRIFromSlice(p.Family, b)
	if err != nil {
		tb.Fatalf("decode %x: %v", b, err)
	}
	out := &apiutil.Path{Family: p.Family, Nlri: nlri}
	for _, a := range p.Attrs {
		ab, err := a.Serialize()
		if err != nil {
			tb.Fatalf("serialize %s: %v", a, err)
		}
		a2, err := gobgp.GetPathAttribute(ab)
		if err != nil {
			tb.Fatal(err)
		}
		if err := a2.DecodeFromBytes(ab); err != nil {
			tb.Fatalf("decode %s (%x): %v", a, ab, err)
		}
		out.Attrs = append(out.Attrs, a2)
	}
	return out
}

// onWire is what a route carries of a rule: no origin, no priority, the next hop filled in.
func onWire(r edge.Rule) edge.Rule {
	switch r.Kind {
	case edge.KindFlow:
		r.Flow.Origin, r.Flow.Priority = netguard.EdgeOrigin{}, 0
	case edge.KindBlackhole:
		r.Blackhole.Origin, r.Blackhole.Priority = netguard.EdgeOrigin{}, 0
		if !r.Blackhole.NextHop.IsValid() {
			r.Blackhole.NextHop = nextHop.IPv4
			if r.Blackhole.Family() == netguard.FamilyIPv6 {
				r.Blackhole.NextHop = nextHop.IPv6
			}
		}
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	var nlri strings.Builder
	for _, r := range goldenRules(t) {
		p, err := bgp.NewPath(r, 65010, nextHop)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		got, err := bgp.ParsePath(wire(t, p))
		if err != nil {
			t.Fatalf("%s: parse: %v", r, err)
		}
		if want := onWire(r); got.String() != want.String() {
			t.Errorf("round trip:\n got %s\nwant %s", got, want)
		}
		b, _ := p.Nlri.Serialize()
		fmt.Fprintf(&nlri, "%s\n  %s %s\n", r.Key(), p.Family, p.Nlri)
		fmt.Fprintf(&nlri, "  nlri %s\n", hex.EncodeToString(b))
		for _, a := range p.Attrs {
			if a.GetType() == gobgp.BGP_ATTR_TYPE_EXTENDED_COMMUNITIES || a.GetType() == gobgp.BGP_ATTR_TYPE_COMMUNITIES {
				ab, _ := a.Serialize()
				fmt.Fprintf(&nlri, "  attr %s %s\n", hex.EncodeToString(ab), a)
			}
		}
	}
	golden.Check(t, "nlri.golden", []byte(nlri.String()))
}

func TestNewPathRefusesInvalidRules(t *testing.T) {
	t.Parallel()
	for _, r := range []edge.Rule{
		{},
		edge.FlowRule(netguard.EdgeRule{Family: netguard.FamilyIPv4, Action: netguard.EdgeRateLimit}),
		edge.BlackholeRule(netguard.Blackhole{Prefix: netip.MustParsePrefix("198.18.0.0/24"),
			Communities: []netguard.Community{netguard.CommunityBlackhole}}),
	} {
		if _, err := bgp.NewPath(r, 65010, nextHop); err == nil {
			t.Errorf("NewPath(%s) accepted an invalid rule", r)
		}
	}
	b := edge.BlackholeRule(netguard.Blackhole{Prefix: netip.MustParsePrefix("2001:db8::1/128"),
		Communities: []netguard.Community{netguard.CommunityBlackhole}})
	if _, err := bgp.NewPath(b, 65010, bgp.NextHop{}); err == nil {
		t.Error("NewPath accepted a blackhole without next hop")
	}
}

func TestParsePathRefusesForeignRoutes(t *testing.T) {
	t.Parallel()
	comps, err := gobgp.ParseFlowSpecComponents(gobgp.RF_FS_IPv4_UC, "destination 198.18.0.1/32 port ==80")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := gobgp.NewFlowSpecUnicast(gobgp.RF_FS_IPv4_UC, comps)
	if _, err := bgp.ParsePath(&apiutil.Path{Family: gobgp.RF_FS_IPv4_UC, Nlri: n}); !errors.Is(err, bgp.ErrUnsupported) {
		t.Errorf("port component: %v, want ErrUnsupported", err)
	}
	comps, _ = gobgp.ParseFlowSpecComponents(gobgp.RF_FS_IPv4_UC, "destination 198.18.0.1/32 destination-port <80")
	n, _ = gobgp.NewFlowSpecUnicast(gobgp.RF_FS_IPv4_UC, comps)
	if _, err := bgp.ParsePath(&apiutil.Path{Family: gobgp.RF_FS_IPv4_UC, Nlri: n}); !errors.Is(err, bgp.ErrUnsupported) {
		t.Errorf("open port range: %v, want ErrUnsupported", err)
	}
	u, _ := gobgp.NewIPAddrPrefix(netip.MustParsePrefix("198.18.0.1/32"))
	nh, _ := gobgp.NewPathAttributeNextHop(netip.MustParseAddr("192.0.2.1"))
	if _, err := bgp.ParsePath(&apiutil.Path{Family: gobgp.RF_IPv4_UC, Nlri: u, Attrs: []gobgp.PathAttributeInterface{nh}}); !errors.Is(err, bgp.ErrUnsupported) {
		t.Errorf("unicast without BLACKHOLE: %v, want ErrUnsupported", err)
	}
}

// FuzzFlowSpec decodes arbitrary FlowSpec NLRI bytes with an action: whatever ParsePath accepts
// must encode again, and decode to the same rule.
func FuzzFlowSpec(f *testing.F) {
	for _, r := range goldenRules(f) {
		if r.Kind != edge.KindFlow {
			continue
		}
		p, err := bgp.NewPath(r, 65010, nextHop)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := p.Nlri.Serialize()
		action, rate := uint8(0), float32(0)
		switch r.Flow.Action {
		case netguard.EdgeDiscard:
			action = 1
		case netguard.EdgeRateLimit:
			action, rate = 1, float32(r.Flow.Rate)
		}
		f.Add(b, r.Flow.Family == netguard.FamilyIPv6, action, math.Float32bits(rate))
	}
	f.Fuzz(func(t *testing.T, nlri []byte, v6 bool, action uint8, rateBits uint32) {
		fam := gobgp.RF_FS_IPv4_UC
		if v6 {
			fam = gobgp.RF_FS_IPv6_UC
		}
		n, err := gobgp.NLRIFromSlice(fam, nlri)
		if err != nil {
			return
		}
		p := &apiutil.Path{Family: fam, Nlri: n}
		if action%2 == 1 {
			p.Attrs = append(p.Attrs, gobgp.NewPathAttributeExtendedCommunities([]gobgp.ExtendedCommunityInterface{
				gobgp.NewTrafficRateExtended(0, math.Float32frombits(rateBits))}))
		}
		r, err := bgp.ParsePath(p)
		if err != nil {
			return
		}
		p2, err := bgp.NewPath(r, 65010, nextHop)
		if err != nil {
			t.Fatalf("parsed rule %s does not encode: %v", r, err)
		}
		r2, err := bgp.ParsePath(wire(t, p2))
		if err != nil {
			t.Fatalf("%s: encoded rule does not parse: %v", r, err)
		}
		if r.String() != r2.String() {
			t.Fatalf("round trip:\n got %s\nwant %s", r2, r)
		}
		p3, err := bgp.NewPath(r2, 65010, nextHop)
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := p2.Nlri.Serialize()
		b3, _ := p3.Nlri.Serialize()
		if string(b2) != string(b3) {
			t.Fatalf("encoding not stable: %x then %x", b2, b3)
		}
	})
}
