package netguard

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Family is the IP version an edge rule filters: FlowSpec has one address family per version
// (RFC 8955 for IPv4, RFC 8956 for IPv6).
type Family uint8

// The two families; the zero Family is invalid.
const (
	FamilyIPv4 Family = 4
	FamilyIPv6 Family = 6
)

// FamilyOf returns the family of a (IPv4-mapped IPv6 addresses count as IPv4), and 0 for an
// invalid address.
func FamilyOf(a netip.Addr) Family {
	switch {
	case !a.IsValid():
		return 0
	case a.Unmap().Is4():
		return FamilyIPv4
	default:
		return FamilyIPv6
	}
}

// String returns "ipv4" or "ipv6".
func (f Family) String() string {
	switch f {
	case FamilyIPv4:
		return "ipv4"
	case FamilyIPv6:
		return "ipv6"
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// HostBits returns 32 or 128: the prefix length of one address of the family.
func (f Family) HostBits() int {
	if f == FamilyIPv6 {
		return 128
	}
	return 32
}

// EdgeAction is what the edge does with the packets an EdgeRule matches.
type EdgeAction uint8

// The actions, from the harshest. In FlowSpec, discard is the traffic-rate extended community
// with rate 0, rate-limit is traffic-rate N bytes/s, and accept is a flow route without action.
const (
	EdgeDiscard EdgeAction = iota + 1
	EdgeRateLimit
	EdgeAccept
)

// String returns "discard", "rate-limit" or "accept".
func (a EdgeAction) String() string {
	switch a {
	case EdgeDiscard:
		return "discard"
	case EdgeRateLimit:
		return "rate-limit"
	case EdgeAccept:
		return "accept"
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// EdgeRange is an inclusive range of ports or packet lengths; From == To matches one value.
type EdgeRange struct {
	From, To uint16
}

// String returns "53" or "1000-2000".
func (r EdgeRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(int(r.From))
	}
	return strconv.Itoa(int(r.From)) + "-" + strconv.Itoa(int(r.To))
}

// TCPFlagMatch matches TCP packets by flags: every bit of Set is set and every bit of Clear is
// clear (the flag bits of Flow.TCPFlags: TCPSyn, TCPAck...). The zero value matches any flags.
// SYN without ACK is {Set: TCPSyn, Clear: TCPAck}.
type TCPFlagMatch struct {
	Set, Clear uint8
}

// IsZero reports a match on any flags.
func (m TCPFlagMatch) IsZero() bool { return m.Set == 0 && m.Clear == 0 }

// String returns the flags as "+S-A" (set SYN, clear ACK), with F S R P A U E C for the bits
// from FIN (0x01) to CWR (0x80).
func (m TCPFlagMatch) String() string {
	const names = "FSRPAUEC"
	var b strings.Builder
	for i := range 8 {
		if m.Set&(1<<i) != 0 {
			b.WriteByte('+')
			b.WriteByte(names[i])
		}
	}
	for i := range 8 {
		if m.Clear&(1<<i) != 0 {
			b.WriteByte('-')
			b.WriteByte(names[i])
		}
	}
	return b.String()
}

// FragmentMatch selects packets by their fragmentation (the FlowSpec fragment component).
type FragmentMatch uint8

// The fragment matches; the zero value matches every packet.
const (
	FragmentAny   FragmentMatch = iota
	FragmentIs                  // any fragment (first, middle or last)
	FragmentFirst               // first fragment
	FragmentLast                // last fragment
	FragmentDont                // IPv4 packets with DF set
	FragmentNot                 // packets that are not fragments
)

// String returns "any", "is-fragment", "first-fragment", "last-fragment", "dont-fragment" or
// "not-a-fragment".
func (f FragmentMatch) String() string {
	switch f {
	case FragmentAny:
		return "any"
	case FragmentIs:
		return "is-fragment"
	case FragmentFirst:
		return "first-fragment"
	case FragmentLast:
		return "last-fragment"
	case FragmentDont:
		return "dont-fragment"
	case FragmentNot:
		return "not-a-fragment"
	}
	return "fragment(" + strconv.Itoa(int(f)) + ")"
}

// OriginKind says which part of the contract an edge rule enforces.
type OriginKind string

// The origins of edge rules.
const (
	OriginMitigation OriginKind = "mitigation" // Art. 9: an active DDoS mitigation, by level
	OriginFirewall   OriginKind = "firewall"   // Art. 9 Pro: the customer's edge firewall
	OriginSMTPBlock  OriginKind = "smtp-block" // Art. 8: outbound port 25 blocked
	OriginCutoff     OriginKind = "cut-off"    // Art. 6, 7: network cut-off or suspension
	OriginStaff      OriginKind = "staff"      // a rule written by the NOC
)

// EdgeOrigin says why a rule exists, for logs, the staff dashboard and refusals.
type EdgeOrigin struct {
	Kind OriginKind
	// ID identifies the mitigation, firewall rule, block, cut-off or staff rule.
	ID string
	// Level is the mitigation level (1 to 3) for OriginMitigation, else 0.
	Level int
	// Reason is a short word: the attack vector, "rate-limit", "rtbh", the cut-off cause...
	Reason string
}

// String returns "mitigation m1 level 2 (dns-amplification)" and the like.
func (o EdgeOrigin) String() string {
	var b strings.Builder
	b.WriteString(string(o.Kind))
	if o.ID != "" {
		b.WriteString(" " + o.ID)
	}
	if o.Level != 0 {
		b.WriteString(" level " + strconv.Itoa(o.Level))
	}
	if o.Reason != "" {
		b.WriteString(" (" + o.Reason + ")")
	}
	return b.String()
}

// EdgeRule is one FlowSpec rule (RFC 8955, RFC 8956): a match on packet fields and an action.
// Unset match fields match anything. Ranges and protocols are ORed within a field; fields are
// ANDed. A rule is compared and diffed through Key (its match) and String (everything).
type EdgeRule struct {
	Family Family
	// Destination is normally one customer address (/32 or /128); the zero Prefix matches any.
	Destination netip.Prefix
	// Source is the zero Prefix (any) or a prefix of the same family.
	Source netip.Prefix
	// Protocols are IPv4 protocol numbers or IPv6 next headers (ProtoTCP, ProtoUDP...).
	Protocols        []uint8
	SourcePorts      []EdgeRange
	DestinationPorts []EdgeRange
	TCPFlags         TCPFlagMatch
	Fragment         FragmentMatch
	PacketLength     []EdgeRange
	Action           EdgeAction
	// Rate is the limit in bytes per second for EdgeRateLimit, and 0 otherwise. FlowSpec
	// carries it as a float32: Normalize rounds it to the nearest float32.
	Rate uint64
	// Origin says why the rule exists; Priority orders rules for the ceiling and for rules with
	// the same match (higher wins). Neither is sent to routers.
	Origin   EdgeOrigin
	Priority int
}

// Normalize returns r in canonical form: prefixes masked, IPv4-mapped addresses unmapped,
// protocols sorted without duplicates, ranges sorted and merged, and Rate rounded to what
// FlowSpec carries. Rules with the same meaning have the same canonical form.
func (r EdgeRule) Normalize() EdgeRule {
	r.Destination = normPrefix(r.Destination)
	r.Source = normPrefix(r.Source)
	if len(r.Protocols) > 0 {
		p := slices.Clone(r.Protocols)
		slices.Sort(p)
		r.Protocols = slices.Compact(p)
	} else {
		r.Protocols = nil
	}
	r.SourcePorts = NormalizeRanges(r.SourcePorts)
	r.DestinationPorts = NormalizeRanges(r.DestinationPorts)
	r.PacketLength = NormalizeRanges(r.PacketLength)
	if r.Action == EdgeRateLimit {
		r.Rate = FlowSpecRate(r.Rate)
	}
	return r
}

// FlowSpecRate rounds a rate in bytes per second to the value a traffic-rate extended community
// (an IEEE float32) carries.
func FlowSpecRate(rate uint64) uint64 {
	f := float32(rate)
	if float64(f) >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(f)
}

func normPrefix(p netip.Prefix) netip.Prefix {
	if !p.IsValid() {
		return netip.Prefix{}
	}
	a := p.Addr()
	bits := p.Bits()
	if a.Is4In6() {
		bits -= 96
		if bits < 0 {
			bits = 0
		}
		a = a.Unmap()
	}
	return netip.PrefixFrom(a.WithZone(""), bits).Masked()
}

// NormalizeRanges sorts rs, swaps reversed bounds and merges ranges that overlap or touch. It
// returns nil for an empty list.
func NormalizeRanges(rs []EdgeRange) []EdgeRange {
	if len(rs) == 0 {
		return nil
	}
	out := make([]EdgeRange, 0, len(rs))
	for _, r := range rs {
		if r.From > r.To {
			r.From, r.To = r.To, r.From
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b EdgeRange) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	merged := out[:1]
	for _, r := range out[1:] {
		last := &merged[len(merged)-1]
		if uint32(r.From) <= uint32(last.To)+1 {
			last.To = max(last.To, r.To)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// Errors of EdgeRule.Validate and Blackhole.Validate.
var (
	ErrEdgeFamily = errors.New("family must be ipv4 or ipv6, and match the prefixes")
	ErrEdgeAction = errors.New("invalid action")
	ErrEdgeMatch  = errors.New("invalid match")
)

// Validate reports a rule that cannot be sent: an unknown family or action, a prefix of the
// other family, a rate-limit without a rate, a dont-fragment match on IPv6.
func (r EdgeRule) Validate() error {
	if r.Family != FamilyIPv4 && r.Family != FamilyIPv6 {
		return fmt.Errorf("%w: %s", ErrEdgeFamily, r.Family)
	}
	for _, p := range []netip.Prefix{r.Destination, r.Source} {
		if p.IsValid() && FamilyOf(p.Addr()) != r.Family {
			return fmt.Errorf("%w: %s in an %s rule", ErrEdgeFamily, p, r.Family)
		}
	}
	switch r.Action {
	case EdgeDiscard, EdgeAccept:
		if r.Rate != 0 {
			return fmt.Errorf("%w: rate %d with %s", ErrEdgeAction, r.Rate, r.Action)
		}
	case EdgeRateLimit:
		if r.Rate == 0 {
			return fmt.Errorf("%w: rate-limit needs a rate (discard is rate 0)", ErrEdgeAction)
		}
	default:
		return fmt.Errorf("%w: %s", ErrEdgeAction, r.Action)
	}
	if r.Fragment > FragmentNot {
		return fmt.Errorf("%w: %s", ErrEdgeMatch, r.Fragment)
	}
	if r.Fragment == FragmentDont && r.Family == FamilyIPv6 {
		return fmt.Errorf("%w: dont-fragment does not exist in IPv6", ErrEdgeMatch)
	}
	if r.TCPFlags.Set&r.TCPFlags.Clear != 0 {
		return fmt.Errorf("%w: tcp flags %s both set and clear", ErrEdgeMatch, r.TCPFlags)
	}
	return nil
}

// IsHost reports whether p is exactly one address (/32 or /128).
func IsHost(p netip.Prefix) bool {
	return p.IsValid() && p.Bits() == FamilyOf(p.Addr()).HostBits() && !p.Addr().Is4In6()
}

// Key returns the canonical form of the rule's match, the identity of a FlowSpec route:
// "flow4 dst 198.18.0.10/32 proto 17 sport 53". Two rules with the same Key cannot both be
// announced by one speaker. Call it on a normalized rule.
func (r EdgeRule) Key() string {
	var b strings.Builder
	b.Grow(64)
	if r.Family == FamilyIPv6 {
		b.WriteString("flow6")
	} else {
		b.WriteString("flow4")
	}
	if r.Destination.IsValid() {
		b.WriteString(" dst " + r.Destination.String())
	}
	if r.Source.IsValid() {
		b.WriteString(" src " + r.Source.String())
	}
	if len(r.Protocols) > 0 {
		b.WriteString(" proto ")
		for i, p := range r.Protocols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(p)))
		}
	}
	writeRanges(&b, " dport ", r.DestinationPorts)
	writeRanges(&b, " sport ", r.SourcePorts)
	if !r.TCPFlags.IsZero() {
		b.WriteString(" tcp-flags " + r.TCPFlags.String())
	}
	writeRanges(&b, " len ", r.PacketLength)
	if r.Fragment != FragmentAny {
		b.WriteString(" frag " + r.Fragment.String())
	}
	return b.String()
}

func writeRanges(b *strings.Builder, label string, rs []EdgeRange) {
	if len(rs) == 0 {
		return
	}
	b.WriteString(label)
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.String())
	}
}

// ActionString returns "discard", "accept" or "rate-limit 125000B/s".
func (r EdgeRule) ActionString() string {
	if r.Action == EdgeRateLimit {
		return r.Action.String() + " " + strconv.FormatUint(r.Rate, 10) + "B/s"
	}
	return r.Action.String()
}

// String returns the whole rule: "<key> then <action> prio <n> from <origin>".
func (r EdgeRule) String() string {
	return r.Key() + " then " + r.ActionString() + " prio " + strconv.Itoa(r.Priority) + " from " + r.Origin.String()
}

// Community is a BGP community (RFC 1997), ASN in the high 16 bits.
type Community uint32

// Well-known communities.
const (
	// CommunityBlackhole is BLACKHOLE, 65535:666 (RFC 7999).
	CommunityBlackhole Community = 65535<<16 | 666
	// CommunityNoExport is NO_EXPORT, 65535:65281 (RFC 1997): RFC 7999 recommends it on
	// blackhole routes so that they stay in the receiving AS.
	CommunityNoExport Community = 65535<<16 | 65281
)

// String returns "65535:666".
func (c Community) String() string {
	return strconv.Itoa(int(c>>16)) + ":" + strconv.Itoa(int(c&0xffff))
}

// Blackhole is a remotely triggered blackhole route (RTBH, RFC 7999): a unicast route for one
// address, tagged BLACKHOLE, that tells the routers to drop every packet to it.
type Blackhole struct {
	// Prefix is one address, /32 or /128.
	Prefix netip.Prefix
	// NextHop is the discard next hop; the zero Addr lets the driver use its configured one.
	NextHop netip.Addr
	// Communities are sorted and include CommunityBlackhole.
	Communities []Community
	Origin      EdgeOrigin
	Priority    int
}

// Normalize masks the prefix and sorts the communities.
func (b Blackhole) Normalize() Blackhole {
	b.Prefix = normPrefix(b.Prefix)
	if b.NextHop.IsValid() {
		b.NextHop = b.NextHop.Unmap().WithZone("")
	}
	if len(b.Communities) > 0 {
		c := slices.Clone(b.Communities)
		slices.Sort(c)
		b.Communities = slices.Compact(c)
	} else {
		b.Communities = nil
	}
	return b
}

// Validate reports a blackhole that is not one address, has a next hop of another family, or
// lacks the BLACKHOLE community.
func (b Blackhole) Validate() error {
	if !IsHost(b.Prefix) {
		return fmt.Errorf("%w: blackhole %s is not one address", ErrEdgeMatch, b.Prefix)
	}
	if b.NextHop.IsValid() && FamilyOf(b.NextHop) != FamilyOf(b.Prefix.Addr()) {
		return fmt.Errorf("%w: next hop %s for %s", ErrEdgeFamily, b.NextHop, b.Prefix)
	}
	if !slices.Contains(b.Communities, CommunityBlackhole) {
		return fmt.Errorf("%w: blackhole without community %s", ErrEdgeMatch, CommunityBlackhole)
	}
	return nil
}

// Family returns the family of the prefix.
func (b Blackhole) Family() Family { return FamilyOf(b.Prefix.Addr()) }

// Key returns "rtbh 198.18.0.10/32", the identity of the unicast route.
func (b Blackhole) Key() string { return "rtbh " + b.Prefix.String() }

// String returns "<key> via <next hop|default> communities 65535:666 prio <n> from <origin>".
func (b Blackhole) String() string {
	var s strings.Builder
	s.WriteString(b.Key())
	if b.NextHop.IsValid() {
		s.WriteString(" via " + b.NextHop.String())
	} else {
		s.WriteString(" via default")
	}
	s.WriteString(" communities ")
	for i, c := range b.Communities {
		if i > 0 {
			s.WriteByte(',')
		}
		s.WriteString(c.String())
	}
	s.WriteString(" prio " + strconv.Itoa(b.Priority) + " from " + b.Origin.String())
	return s.String()
}
