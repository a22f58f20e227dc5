package edge

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Compile turns what is active into the rule set the edge must enforce, and lists what the
// guard rails refused. It is pure and deterministic: the same input, in any order, gives the
// same RuleSet and the same refusals, both sorted.
//
// A mitigation gives, by level:
//   - 1: a discard rule per attack vector on its address (protocol, source port, SYN without
//     ACK, fragments). The ip-flood and tcp-flood vectors are rate-limited instead, since a
//     discard of all (TCP) traffic would cut the service that level 1 must keep reachable;
//   - 2: also a rate limit on the remaining traffic to the address;
//   - 3: also an RTBH blackhole of the address (communities BLACKHOLE and NO_EXPORT), only
//     when in.InfrastructureThreatened.
//
// Rules with the same match (Key) are merged: the highest priority wins, then the harshest
// action; a loser with another action is reported as shadowed.
func Compile(in Input, guard Guard) (RuleSet, []Refusal) {
	c := compiler{in: in, infra: normInfra(guard.Infrastructure)}
	for _, m := range in.Mitigations {
		c.mitigation(m)
	}
	for _, f := range in.Firewall {
		c.firewall(f)
	}
	for _, b := range in.SMTPBlocks {
		c.smtpBlock(b)
	}
	for _, k := range in.Cutoffs {
		c.cutoff(k)
	}
	for _, s := range in.Staff {
		c.staff(s)
	}
	ceiling := guard.MaxRules
	if ceiling <= 0 {
		ceiling = DefaultMaxRules
	}
	rules := c.finish(ceiling)
	return rules, sortRefusals(c.refusals, c.texts)
}

type compiler struct {
	in       Input
	infra    []netip.Prefix
	cands    []*cand
	refusals []Refusal
	texts    []string // Rule.String() of each refusal, when known, for sorting
}

// cand is a candidate rule with its sort keys computed once.
type cand struct {
	rule     Rule
	key, str string
	anchor   netip.Prefix
	kind     Kind
	family   netguard.Family
	priority int
	rank     int    // actionRank
	rate     uint64 // for rate limits
}

func normInfra(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.IsValid() {
			out = append(out, netguard.EdgeRule{Destination: p}.Normalize().Destination)
		}
	}
	slices.SortFunc(out, netip.Prefix.Compare)
	return slices.Compact(out)
}

func (c *compiler) refuse(reason Reason, origin netguard.EdgeOrigin, r Rule, detail string) {
	c.refusals = append(c.refusals, Refusal{Reason: reason, Detail: detail, Origin: origin, Rule: r})
	c.texts = append(c.texts, "")
}

// host returns the address as a one-address prefix, unmapped, and false when it is invalid.
func host(ip netip.Addr) (netip.Prefix, bool) {
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	return netip.PrefixFrom(ip, ip.BitLen()), true
}

func (c *compiler) mitigation(m Mitigation) {
	origin := netguard.EdgeOrigin{Kind: netguard.OriginMitigation, ID: m.ID, Level: m.Level}
	dst, ok := host(m.IP)
	if !ok {
		c.refuse(ReasonInvalid, origin, Rule{}, "no address")
		return
	}
	if m.Level < 0 || m.Level > 3 {
		c.refuse(ReasonInvalid, origin, Rule{}, "level "+strconv.Itoa(m.Level)+" is not 0 to 3")
		return
	}
	if m.Level == 0 {
		return
	}
	fam := netguard.FamilyOf(dst.Addr())
	rate := cmp.Or(m.RateLimit, c.in.RateLimit, DefaultRateLimit)
	vectors := slices.Clone(m.Vectors)
	slices.Sort(vectors)
	for _, v := range slices.Compact(vectors) {
		o := netguard.EdgeOrigin{Kind: netguard.OriginMitigation, ID: m.ID, Level: 1, Reason: string(v)}
		r, ok := VectorRule(dst, v, rate)
		if !ok {
			c.refuse(ReasonUnknownVector, o, Rule{}, "no filter for vector "+strconv.Quote(string(v)))
			continue
		}
		r.Origin, r.Priority = o, PriorityMitigation
		c.add(FlowRule(r), false)
	}
	if m.Level >= 2 {
		o := netguard.EdgeOrigin{Kind: netguard.OriginMitigation, ID: m.ID, Level: 2, Reason: "rate-limit"}
		c.add(FlowRule(netguard.EdgeRule{Family: fam, Destination: dst, Action: netguard.EdgeRateLimit,
			Rate: rate, Origin: o, Priority: PriorityRateLimit}), false)
	}
	if m.Level >= 3 {
		o := netguard.EdgeOrigin{Kind: netguard.OriginMitigation, ID: m.ID, Level: 3, Reason: "rtbh"}
		b := BlackholeRule(netguard.Blackhole{Prefix: dst, Communities: []netguard.Community{netguard.CommunityBlackhole, netguard.CommunityNoExport},
			Origin: o, Priority: PriorityBlackhole})
		if !c.in.InfrastructureThreatened {
			c.refuse(ReasonNotThreatened, o, b, "the infrastructure is not threatened")
			return
		}
		c.add(b, false)
	}
}

func (c *compiler) firewall(f FirewallRule) {
	r := f.Rule
	r.Origin = netguard.EdgeOrigin{Kind: netguard.OriginFirewall, ID: f.ID, Reason: f.Rule.Origin.Reason}
	r.Priority = PriorityFirewall
	dst, ok := host(f.IP)
	if !ok {
		c.refuse(ReasonInvalid, r.Origin, Rule{}, "no address")
		return
	}
	if r.Family == 0 {
		r.Family = netguard.FamilyOf(dst.Addr())
	}
	if !r.Destination.IsValid() {
		r.Destination = dst
	}
	rule := FlowRule(r)
	if rule.Flow.Destination != dst {
		c.refuse(ReasonOutsideAddress, r.Origin, rule, "the firewall of "+dst.Addr().String())
		return
	}
	c.add(rule, false)
}

func (c *compiler) smtpBlock(b SMTPBlock) {
	origin := netguard.EdgeOrigin{Kind: netguard.OriginSMTPBlock, ID: b.ID, Reason: "smtp"}
	src, ok := host(b.IP)
	if !ok {
		c.refuse(ReasonInvalid, origin, Rule{}, "no address")
		return
	}
	c.add(FlowRule(netguard.EdgeRule{
		Family: netguard.FamilyOf(src.Addr()), Source: src, Protocols: []uint8{netguard.ProtoTCP},
		DestinationPorts: []netguard.EdgeRange{{From: 25, To: 25}}, Action: netguard.EdgeDiscard,
		Origin: origin, Priority: PrioritySMTPBlock,
	}), false)
}

func (c *compiler) cutoff(k Cutoff) {
	origin := netguard.EdgeOrigin{Kind: netguard.OriginCutoff, ID: k.ID, Reason: k.Reason}
	ip, ok := host(k.IP)
	if !ok {
		c.refuse(ReasonInvalid, origin, Rule{}, "no address")
		return
	}
	fam := netguard.FamilyOf(ip.Addr())
	c.add(FlowRule(netguard.EdgeRule{Family: fam, Destination: ip, Action: netguard.EdgeDiscard,
		Origin: origin, Priority: PriorityCutoff}), false)
	c.add(FlowRule(netguard.EdgeRule{Family: fam, Source: ip, Action: netguard.EdgeDiscard,
		Origin: origin, Priority: PriorityCutoff}), false)
}

// VectorRule returns the FlowSpec rule that drops the traffic of vector v toward dst: discard
// of its protocol, source port, TCP flags or fragments; ip-flood and tcp-flood are
// rate-limited to rate bytes per second instead. False for a vector without a filter.
func VectorRule(dst netip.Prefix, v netguard.Vector, rate uint64) (netguard.EdgeRule, bool) {
	match, ok := v.Match()
	if !ok {
		return netguard.EdgeRule{}, false
	}
	fam := netguard.FamilyOf(dst.Addr())
	r := netguard.EdgeRule{Family: fam, Destination: dst, Action: netguard.EdgeDiscard}
	if match.Proto != 0 {
		p := match.Proto
		if p == netguard.ProtoICMP && fam == netguard.FamilyIPv6 {
			p = netguard.ProtoICMPv6
		}
		r.Protocols = []uint8{p}
	}
	if match.SrcPort != 0 {
		r.SourcePorts = []netguard.EdgeRange{{From: match.SrcPort, To: match.SrcPort}}
	}
	if match.SYN {
		r.TCPFlags = netguard.TCPFlagMatch{Set: netguard.TCPSyn, Clear: netguard.TCPAck}
	}
	if match.Fragment {
		r.Fragment = netguard.FragmentIs
	}
	if v == netguard.VectorIPFlood || v == netguard.VectorTCPFlood {
		r.Action, r.Rate = netguard.EdgeRateLimit, cmp.Or(rate, DefaultRateLimit)
	}
	return r, true
}

func (c *compiler) staff(s StaffRule) {
	r := s.Rule
	r.Origin = netguard.EdgeOrigin{Kind: netguard.OriginStaff, ID: s.ID, Reason: s.Rule.Origin.Reason}
	if r.Priority == 0 {
		r.Priority = PriorityStaff
	}
	if r.Family == 0 {
		switch {
		case r.Destination.IsValid():
			r.Family = netguard.FamilyOf(r.Destination.Addr())
		case r.Source.IsValid():
			r.Family = netguard.FamilyOf(r.Source.Addr())
		}
	}
	c.add(FlowRule(r), s.Approved)
}

// add checks a rule against the guard rails and keeps it as a candidate, or refuses it.
func (c *compiler) add(r Rule, approved bool) {
	origin := r.Origin()
	if err := r.Validate(); err != nil {
		c.refuse(ReasonInvalid, origin, r, err.Error())
		return
	}
	var touched []netip.Prefix
	switch r.Kind {
	case KindFlow:
		anchor := anchorOf(r)
		if !anchor.IsValid() {
			c.refuse(ReasonTooWide, origin, r, "matches every address, even with approval")
			return
		}
		if !netguard.IsHost(anchor) && !approved {
			c.refuse(ReasonTooWide, origin, r, anchor.String()+" is wider than one address; needs staff approval")
			return
		}
		touched = []netip.Prefix{r.Flow.Destination, r.Flow.Source}
	case KindBlackhole:
		touched = []netip.Prefix{r.Blackhole.Prefix}
	}
	for _, p := range touched {
		if !p.IsValid() {
			continue
		}
		for _, infra := range c.infra {
			if p.Overlaps(infra) {
				c.refuse(ReasonInfrastructure, origin, r, "infrastructure prefix "+infra.String())
				return
			}
		}
	}
	rank, rate := actionRank(r)
	c.cands = append(c.cands, &cand{rule: r, key: r.Key(), str: r.String(), anchor: anchorOf(r), kind: r.Kind,
		family: r.Family(), priority: r.Priority(), rank: rank, rate: rate})
}

// actionRank orders actions from the harshest, for rules that share a key.
func actionRank(r Rule) (int, uint64) {
	if r.Kind == KindBlackhole {
		return 0, 0
	}
	switch r.Flow.Action {
	case netguard.EdgeDiscard:
		return 1, 0
	case netguard.EdgeRateLimit:
		return 2, r.Flow.Rate
	}
	return 3, 0
}

// better orders candidates sharing a key: higher priority, then harsher action, then by text.
func better(a, b *cand) int {
	return cmp.Or(
		-cmp.Compare(a.priority, b.priority),
		cmp.Compare(a.rank, b.rank),
		cmp.Compare(a.rate, b.rate),
		strings.Compare(a.str, b.str),
	)
}

// finish merges candidates by key, applies the ceiling and sorts the result.
func (c *compiler) finish(ceiling int) RuleSet {
	// Merge by key: the best candidate of each key wins.
	best := make(map[string]*cand, len(c.cands))
	for _, k := range c.cands {
		if w, ok := best[k.key]; !ok || better(k, w) < 0 {
			best[k.key] = k
		}
	}
	kept := make([]*cand, 0, len(best))
	for _, k := range c.cands {
		win := best[k.key]
		switch {
		case win == k:
			kept = append(kept, k)
		case actionOf(k.rule) != actionOf(win.rule):
			c.refuse(ReasonShadowed, k.rule.Origin(), k.rule, "by "+win.rule.Origin().String())
		}
	}
	// Ceiling: keep the highest priorities.
	if len(kept) > ceiling {
		slices.SortFunc(kept, func(a, b *cand) int {
			return cmp.Or(-cmp.Compare(a.priority, b.priority), strings.Compare(a.key, b.key))
		})
		detail := fmt.Sprintf("more than %d rules", ceiling)
		for _, cut := range kept[ceiling:] {
			c.refusals = append(c.refusals, Refusal{Reason: ReasonCeiling, Detail: detail, Origin: cut.rule.Origin(),
				Rule: cut.rule})
			c.texts = append(c.texts, cut.str)
		}
		kept = kept[:ceiling]
	}
	slices.SortFunc(kept, func(a, b *cand) int {
		return cmp.Or(
			cmp.Compare(a.kind, b.kind),
			cmp.Compare(a.family, b.family),
			a.anchor.Compare(b.anchor),
			strings.Compare(a.key, b.key),
		)
	})
	out := make(RuleSet, len(kept))
	for i, k := range kept {
		out[i] = k.rule
	}
	return out
}

func actionOf(r Rule) string {
	if r.Kind == KindBlackhole {
		return "blackhole"
	}
	return r.Flow.ActionString()
}

// sortRefusals sorts by reason, origin, rule and detail, each text built once.
func sortRefusals(rs []Refusal, texts []string) []Refusal {
	type keyed struct {
		i            int
		origin, rule string
	}
	ks := make([]keyed, len(rs))
	for i, r := range rs {
		ks[i] = keyed{i: i, origin: r.Origin.String(), rule: texts[i]}
		if r.Rule.Kind != 0 && ks[i].rule == "" {
			ks[i].rule = r.Rule.String()
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		ra, rb := &rs[a.i], &rs[b.i]
		return cmp.Or(
			strings.Compare(string(ra.Reason), string(rb.Reason)),
			strings.Compare(a.origin, b.origin),
			strings.Compare(a.rule, b.rule),
			strings.Compare(ra.Detail, rb.Detail),
		)
	})
	out := make([]Refusal, len(rs))
	for i, k := range ks {
		out[i] = rs[k.i]
	}
	return out
}
