package bgp

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gobgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// ErrUnsupported is returned by ParsePath for a route that no edge.Rule describes: another
// family, a FlowSpec component or operator that the compiler never emits.
var ErrUnsupported = errors.New("unsupported route")

// FlowSpec numeric operators (RFC 8955 section 4.2.1.1) and bitmask operators (4.2.1.2).
const (
	opEnd   = 0x80
	opAnd   = 0x40
	opLenMk = 0x30
	opEq    = 0x01
	opGtEq  = 0x03
	opLtEq  = 0x05
	opCmpMk = 0x07
	opMatch = 0x01 // bitmask: all bits of the value are set
	opNot   = 0x02 // bitmask: negate
)

// NewPath returns the GoBGP path that announces r. asn fills the informational AS of the
// traffic-rate community (0 when it does not fit 16 bits); nextHop is used for a blackhole
// without its own next hop.
func NewPath(r edge.Rule, asn uint32, nextHop NextHop) (*apiutil.Path, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	switch r.Kind {
	case edge.KindFlow:
		return flowPath(r.Flow, asn)
	case edge.KindBlackhole:
		return blackholePath(r.Blackhole, nextHop)
	}
	return nil, fmt.Errorf("rule kind %d: %w", r.Kind, ErrUnsupported)
}

func flowFamily(f netguard.Family) gobgp.Family {
	if f == netguard.FamilyIPv6 {
		return gobgp.RF_FS_IPv6_UC
	}
	return gobgp.RF_FS_IPv4_UC
}

func flowPath(r netguard.EdgeRule, asn uint32) (*apiutil.Path, error) {
	if !r.Destination.IsValid() && !r.Source.IsValid() {
		return nil, fmt.Errorf("flow rule %s has neither destination nor source: %w", r.Key(), ErrUnsupported)
	}
	nlri, err := flowNLRI(r)
	if err != nil {
		return nil, err
	}
	fam := flowFamily(r.Family)
	mp, err := gobgp.NewPathAttributeMpReachNLRI(fam, []gobgp.PathNLRI{{NLRI: nlri}})
	if err != nil {
		return nil, err
	}
	attrs := []gobgp.PathAttributeInterface{gobgp.NewPathAttributeOrigin(gobgp.BGP_ORIGIN_ATTR_TYPE_IGP), mp}
	as := uint16(0)
	if asn <= math.MaxUint16 {
		as = uint16(asn)
	}
	switch r.Action {
	case netguard.EdgeDiscard:
		attrs = append(attrs, gobgp.NewPathAttributeExtendedCommunities(
			[]gobgp.ExtendedCommunityInterface{gobgp.NewTrafficRateExtended(as, 0)}))
	case netguard.EdgeRateLimit:
		attrs = append(attrs, gobgp.NewPathAttributeExtendedCommunities(
			[]gobgp.ExtendedCommunityInterface{gobgp.NewTrafficRateExtended(as, float32(r.Rate))}))
	}
	return &apiutil.Path{Family: fam, Nlri: nlri, Attrs: attrs}, nil
}

func flowNLRI(r netguard.EdgeRule) (*gobgp.FlowSpecNLRI, error) {
	var cs []gobgp.FlowSpecComponentInterface
	v6 := r.Family == netguard.FamilyIPv6
	if r.Destination.IsValid() {
		p, err := gobgp.NewIPAddrPrefix(r.Destination)
		if err != nil {
			return nil, err
		}
		if v6 {
			cs = append(cs, gobgp.NewFlowSpecDestinationPrefix6(p, 0))
		} else {
			cs = append(cs, gobgp.NewFlowSpecDestinationPrefix(p))
		}
	}
	if r.Source.IsValid() {
		p, err := gobgp.NewIPAddrPrefix(r.Source)
		if err != nil {
			return nil, err
		}
		if v6 {
			cs = append(cs, gobgp.NewFlowSpecSourcePrefix6(p, 0))
		} else {
			cs = append(cs, gobgp.NewFlowSpecSourcePrefix(p))
		}
	}
	if len(r.Protocols) > 0 {
		items := make([]*gobgp.FlowSpecComponentItem, len(r.Protocols))
		for i, p := range r.Protocols {
			items[i] = gobgp.NewFlowSpecComponentItem(opEq, uint64(p))
		}
		cs = append(cs, component(gobgp.FLOW_SPEC_TYPE_IP_PROTO, items))
	}
	if len(r.DestinationPorts) > 0 {
		cs = append(cs, component(gobgp.FLOW_SPEC_TYPE_DST_PORT, rangeItems(r.DestinationPorts)))
	}
	if len(r.SourcePorts) > 0 {
		cs = append(cs, component(gobgp.FLOW_SPEC_TYPE_SRC_PORT, rangeItems(r.SourcePorts)))
	}
	if !r.TCPFlags.IsZero() {
		var items []*gobgp.FlowSpecComponentItem
		if r.TCPFlags.Set != 0 {
			items = append(items, gobgp.NewFlowSpecComponentItem(opMatch, uint64(r.TCPFlags.Set)))
		}
		if r.TCPFlags.Clear != 0 {
			op := uint8(opNot)
			if len(items) > 0 {
				op |= opAnd
			}
			items = append(items, gobgp.NewFlowSpecComponentItem(op, uint64(r.TCPFlags.Clear)))
		}
		cs = append(cs, component(gobgp.FLOW_SPEC_TYPE_TCP_FLAG, items))
	}
	if len(r.PacketLength) > 0 {
		cs = append(cs, component(gobgp.FLOW_SPEC_TYPE_PKT_LEN, rangeItems(r.PacketLength)))
	}
	if r.Fragment != netguard.FragmentAny {
		op, bits := uint8(opMatch), uint64(0)
		switch r.Fragment {
		case netguard.FragmentDont:
			bits = gobgp.FRAG_FLAG_DONT
		case netguard.FragmentIs:
			bits = gobgp.FRAG_FLAG_IS
		case netguard.FragmentFirst:
			bits = gobgp.FRAG_FLAG_FIRST
		case netguard.FragmentLast:
			bits = gobgp.FRAG_FLAG_LAST
		case netguard.FragmentNot:
			op, bits = opNot, gobgp.FRAG_FLAG_IS
		}
		cs = append(cs, component(gobgp.FLOW_SPEC_TYPE_FRAGMENT, []*gobgp.FlowSpecComponentItem{gobgp.NewFlowSpecComponentItem(op, bits)}))
	}
	return gobgp.NewFlowSpecUnicast(flowFamily(r.Family), cs)
}

// component marks the last item with the end-of-list bit.
func component(t gobgp.BGPFlowSpecType, items []*gobgp.FlowSpecComponentItem) *gobgp.FlowSpecComponent {
	items[len(items)-1].Op |= opEnd
	return gobgp.NewFlowSpecComponent(t, items)
}

// rangeItems encodes ranges ORed together: "=v" for one value, ">=from && <=to" for a range.
func rangeItems(rs []netguard.EdgeRange) []*gobgp.FlowSpecComponentItem {
	var items []*gobgp.FlowSpecComponentItem
	for _, r := range rs {
		if r.From == r.To {
			items = append(items, gobgp.NewFlowSpecComponentItem(opEq, uint64(r.From)))
			continue
		}
		items = append(items,
			gobgp.NewFlowSpecComponentItem(opGtEq, uint64(r.From)),
			gobgp.NewFlowSpecComponentItem(opAnd|opLtEq, uint64(r.To)))
	}
	return items
}

func blackholePath(b netguard.Blackhole, nextHop NextHop) (*apiutil.Path, error) {
	nh := b.NextHop
	fam := gobgp.RF_IPv4_UC
	if b.Family() == netguard.FamilyIPv6 {
		fam = gobgp.RF_IPv6_UC
		if !nh.IsValid() {
			nh = nextHop.IPv6
		}
	} else if !nh.IsValid() {
		nh = nextHop.IPv4
	}
	if !nh.IsValid() {
		return nil, fmt.Errorf("blackhole %s: no %s next hop configured", b.Prefix, b.Family())
	}
	nlri, err := gobgp.NewIPAddrPrefix(b.Prefix)
	if err != nil {
		return nil, err
	}
	comms := make([]uint32, len(b.Communities))
	for i, c := range b.Communities {
		comms[i] = uint32(c)
	}
	attrs := []gobgp.PathAttributeInterface{gobgp.NewPathAttributeOrigin(gobgp.BGP_ORIGIN_ATTR_TYPE_IGP)}
	if fam == gobgp.RF_IPv4_UC {
		a, err := gobgp.NewPathAttributeNextHop(nh)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, a)
	} else {
		mp, err := gobgp.NewPathAttributeMpReachNLRI(fam, []gobgp.PathNLRI{{NLRI: nlri}}, nh)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, mp)
	}
	attrs = append(attrs, gobgp.NewPathAttributeCommunities(comms))
	return &apiutil.Path{Family: fam, Nlri: nlri, Attrs: attrs}, nil
}

// ParsePath returns the rule a path announces: the inverse of NewPath, without the origin and
// priority, which routes do not carry. A blackhole's next hop is kept as announced.
func ParsePath(p *apiutil.Path) (edge.Rule, error) {
	switch p.Family {
	case gobgp.RF_FS_IPv4_UC, gobgp.RF_FS_IPv6_UC:
		nlri, ok := p.Nlri.(*gobgp.FlowSpecNLRI)
		if !ok {
			return edge.Rule{}, fmt.Errorf("flowspec path with a %T NLRI: %w", p.Nlri, ErrUnsupported)
		}
		fam := netguard.FamilyIPv4
		if p.Family == gobgp.RF_FS_IPv6_UC {
			fam = netguard.FamilyIPv6
		}
		r, err := parseFlowNLRI(fam, nlri)
		if err != nil {
			return edge.Rule{}, err
		}
		if !r.Destination.IsValid() && !r.Source.IsValid() {
			return edge.Rule{}, fmt.Errorf("flow route without destination nor source: %w", ErrUnsupported)
		}
		r.Action = netguard.EdgeAccept
		for _, a := range p.Attrs {
			ext, ok := a.(*gobgp.PathAttributeExtendedCommunities)
			if !ok {
				continue
			}
			for _, c := range ext.Value {
				tr, ok := c.(*gobgp.TrafficRateExtended)
				if !ok {
					continue
				}
				if r.Action != netguard.EdgeAccept {
					return edge.Rule{}, fmt.Errorf("two traffic-rate actions: %w", ErrUnsupported)
				}
				rate := float64(tr.Rate)
				switch {
				case math.IsNaN(rate) || rate < 0:
					return edge.Rule{}, fmt.Errorf("traffic-rate %v: %w", tr.Rate, ErrUnsupported)
				case rate == 0:
					r.Action = netguard.EdgeDiscard
				case rate >= math.MaxUint64:
					r.Action, r.Rate = netguard.EdgeRateLimit, math.MaxUint64
				default:
					r.Action, r.Rate = netguard.EdgeRateLimit, uint64(rate)
					if r.Rate == 0 {
						r.Rate = 1 // a rate under 1 B/s is still a limit, not a discard
					}
				}
			}
		}
		rule := edge.FlowRule(r)
		if err := rule.Validate(); err != nil {
			return edge.Rule{}, fmt.Errorf("%w: %w", err, ErrUnsupported)
		}
		return rule, nil
	case gobgp.RF_IPv4_UC, gobgp.RF_IPv6_UC:
		return parseBlackhole(p)
	}
	return edge.Rule{}, fmt.Errorf("family %s: %w", p.Family, ErrUnsupported)
}

func parseFlowNLRI(fam netguard.Family, nlri *gobgp.FlowSpecNLRI) (netguard.EdgeRule, error) {
	r := netguard.EdgeRule{Family: fam}
	seen := map[gobgp.BGPFlowSpecType]bool{}
	for _, c := range nlri.Value {
		t := c.Type()
		if seen[t] {
			return r, fmt.Errorf("component %s twice: %w", t, ErrUnsupported)
		}
		seen[t] = true
		var err error
		switch v := c.(type) {
		case *gobgp.FlowSpecDestinationPrefix:
			r.Destination, err = prefixOf(v.Prefix, fam)
		case *gobgp.FlowSpecSourcePrefix:
			r.Source, err = prefixOf(v.Prefix, fam)
		case *gobgp.FlowSpecDestinationPrefix6:
			if v.Offset != 0 {
				return r, fmt.Errorf("prefix offset %d: %w", v.Offset, ErrUnsupported)
			}
			r.Destination, err = prefixOf(v.Prefix, fam)
		case *gobgp.FlowSpecSourcePrefix6:
			if v.Offset != 0 {
				return r, fmt.Errorf("prefix offset %d: %w", v.Offset, ErrUnsupported)
			}
			r.Source, err = prefixOf(v.Prefix, fam)
		case *gobgp.FlowSpecComponent:
			err = parseComponent(&r, v)
		default:
			err = fmt.Errorf("component %s: %w", t, ErrUnsupported)
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

func prefixOf(p *gobgp.IPAddrPrefix, fam netguard.Family) (netip.Prefix, error) {
	if p == nil || !p.Prefix.IsValid() || netguard.FamilyOf(p.Prefix.Addr()) != fam || p.Prefix.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("prefix of another family: %w", ErrUnsupported)
	}
	return p.Prefix.Masked(), nil
}

func parseComponent(r *netguard.EdgeRule, c *gobgp.FlowSpecComponent) error {
	if len(c.Items) == 0 {
		return fmt.Errorf("empty component %s: %w", c.Type(), ErrUnsupported)
	}
	var err error
	switch c.Type() {
	case gobgp.FLOW_SPEC_TYPE_IP_PROTO:
		for _, it := range c.Items {
			if it.Op&opAnd != 0 || it.Op&opCmpMk != opEq || it.Value > math.MaxUint8 {
				return fmt.Errorf("protocol operator %#x: %w", it.Op, ErrUnsupported)
			}
			r.Protocols = append(r.Protocols, uint8(it.Value))
		}
	case gobgp.FLOW_SPEC_TYPE_DST_PORT:
		r.DestinationPorts, err = parseRanges(c.Items)
	case gobgp.FLOW_SPEC_TYPE_SRC_PORT:
		r.SourcePorts, err = parseRanges(c.Items)
	case gobgp.FLOW_SPEC_TYPE_PKT_LEN:
		r.PacketLength, err = parseRanges(c.Items)
	case gobgp.FLOW_SPEC_TYPE_TCP_FLAG:
		for i, it := range c.Items {
			if (i > 0) != (it.Op&opAnd != 0) || it.Value == 0 || it.Value > math.MaxUint8 {
				return fmt.Errorf("tcp-flags operator %#x: %w", it.Op, ErrUnsupported)
			}
			switch op := it.Op & (opMatch | opNot); {
			case op == opMatch, op == 0 && it.Value&(it.Value-1) == 0: // all set; any of one bit
				r.TCPFlags.Set |= uint8(it.Value)
			case op == opNot: // none set
				r.TCPFlags.Clear |= uint8(it.Value)
			default:
				return fmt.Errorf("tcp-flags operator %#x: %w", it.Op, ErrUnsupported)
			}
		}
	case gobgp.FLOW_SPEC_TYPE_FRAGMENT:
		if len(c.Items) != 1 {
			return fmt.Errorf("fragment with %d items: %w", len(c.Items), ErrUnsupported)
		}
		it := c.Items[0]
		op := it.Op & (opMatch | opNot)
		switch {
		case op&opNot == 0 && it.Value == gobgp.FRAG_FLAG_DONT:
			r.Fragment = netguard.FragmentDont
		case op&opNot == 0 && it.Value == gobgp.FRAG_FLAG_IS:
			r.Fragment = netguard.FragmentIs
		case op&opNot == 0 && it.Value == gobgp.FRAG_FLAG_FIRST:
			r.Fragment = netguard.FragmentFirst
		case op&opNot == 0 && it.Value == gobgp.FRAG_FLAG_LAST:
			r.Fragment = netguard.FragmentLast
		case op&opNot != 0 && it.Value == gobgp.FRAG_FLAG_IS:
			r.Fragment = netguard.FragmentNot
		default:
			return fmt.Errorf("fragment %#x/%#x: %w", it.Op, it.Value, ErrUnsupported)
		}
	default:
		return fmt.Errorf("component %s: %w", c.Type(), ErrUnsupported)
	}
	return err
}

// parseRanges reads what rangeItems writes: ranges ORed, each "=v" or ">=a && <=b".
func parseRanges(items []*gobgp.FlowSpecComponentItem) ([]netguard.EdgeRange, error) {
	var out []netguard.EdgeRange
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.Op&opAnd != 0 || it.Value > math.MaxUint16 {
			return nil, fmt.Errorf("range operator %#x: %w", it.Op, ErrUnsupported)
		}
		switch it.Op & opCmpMk {
		case opEq:
			out = append(out, netguard.EdgeRange{From: uint16(it.Value), To: uint16(it.Value)})
		case opGtEq:
			if i+1 == len(items) {
				return nil, fmt.Errorf("open range: %w", ErrUnsupported)
			}
			next := items[i+1]
			if next.Op&opAnd == 0 || next.Op&opCmpMk != opLtEq || next.Value > math.MaxUint16 || next.Value < it.Value {
				return nil, fmt.Errorf("range operator %#x: %w", next.Op, ErrUnsupported)
			}
			out = append(out, netguard.EdgeRange{From: uint16(it.Value), To: uint16(next.Value)})
			i++
		default:
			return nil, fmt.Errorf("range operator %#x: %w", it.Op, ErrUnsupported)
		}
	}
	return out, nil
}

func parseBlackhole(p *apiutil.Path) (edge.Rule, error) {
	nlri, ok := p.Nlri.(*gobgp.IPAddrPrefix)
	if !ok {
		return edge.Rule{}, fmt.Errorf("unicast path with a %T NLRI: %w", p.Nlri, ErrUnsupported)
	}
	b := netguard.Blackhole{Prefix: nlri.Prefix}
	for _, a := range p.Attrs {
		switch v := a.(type) {
		case *gobgp.PathAttributeNextHop:
			b.NextHop = v.Value
		case *gobgp.PathAttributeMpReachNLRI:
			b.NextHop = v.Nexthop
		case *gobgp.PathAttributeCommunities:
			for _, c := range v.Value {
				b.Communities = append(b.Communities, netguard.Community(c))
			}
		}
	}
	if !slices.Contains(b.Communities, netguard.CommunityBlackhole) {
		return edge.Rule{}, fmt.Errorf("unicast route %s without BLACKHOLE: %w", b.Prefix, ErrUnsupported)
	}
	rule := edge.BlackholeRule(b)
	if err := rule.Validate(); err != nil {
		return edge.Rule{}, fmt.Errorf("%w: %w", err, ErrUnsupported)
	}
	return rule, nil
}
