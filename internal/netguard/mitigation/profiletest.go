package mitigation

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// ProfileTestWindow is how far back a profile test reads: the seconds the detector keeps.
const ProfileTestWindow = 60 * time.Second

// ProfileTest is what a protection profile would have dropped of an IP's traffic over a few
// past seconds (Art. 9 Pro: try a profile to measure its impact before choosing it).
//
// The detector keeps each second of the last minute per traffic class. The attack traffic is
// what the IP's own thresholds (its profile, raised by its learned baseline) found above in
// that second; the rest is legitimate. The tested profile filters a class (level 1: the
// vector's FlowSpec rule) from the second after the class first went above its limit (its
// fixed limits, without a learned baseline) until the end of the window, as a mitigation held
// 26 hours would: a discard drops all of the class, a rate limit (ip-flood, tcp-flood) what
// exceeds its rate. Packets are split into disjoint parts: TCP SYN, the rest of TCP, each
// amplification vector, the rest of UDP, ICMP and the rest; fragments count with their
// protocol.
type ProfileTest struct {
	Profile  string
	From, To time.Time
	// AttackPackets and LegitimatePackets are the packets of each kind over the window;
	// the ratios are the shares of each the profile's rules would have dropped.
	AttackPackets, LegitimatePackets uint64
	AttackDroppedRatio               float64
	LegitimateDroppedRatio           float64
	AttackDropped, LegitimateDropped uint64
	ByRule                           []ProfileTestRule
}

// ProfileTestRule is one rule the tested profile would have applied.
type ProfileTestRule struct {
	Vector netguard.Vector
	// Rule is the FlowSpec rule; Since the first second it applies.
	Rule                             string
	Since                            time.Time
	AttackDropped, LegitimateDropped uint64
}

// testRule is a rule of a profile test as it runs: rate is its limit in bytes per second (0:
// it discards).
type testRule struct {
	ProfileTestRule
	rate uint64
}

// part is a disjoint share of an IP's packets.
type part struct {
	name    string // a vector's name, or "tcp-other", "udp-other", "other"
	packets uint64
}

// parts splits one second of traffic into disjoint parts.
func parts(tr detect.Traffic) []part {
	c := func(v netguard.Vector) uint64 { return tr.Classes[v].PPS }
	sub := func(a, b uint64) uint64 {
		if a > b {
			return a - b
		}
		return 0
	}
	syn, tcp, udp, icmp := c(netguard.VectorSYNFlood), c(netguard.VectorTCPFlood), c(netguard.VectorUDPFlood), c(netguard.VectorICMPFlood)
	out := []part{{string(netguard.VectorSYNFlood), syn}, {"tcp-other", sub(tcp, syn)}, {string(netguard.VectorICMPFlood), icmp}}
	var amp uint64
	for _, a := range netguard.Amplifications() {
		if n := c(a.Vector); n > 0 {
			out = append(out, part{string(a.Vector), n})
			amp += n
		}
	}
	out = append(out, part{"udp-other", sub(udp, amp)}, part{"other", sub(tr.Total.PPS, tcp+udp+icmp)})
	return out
}

// covers reports whether the rule of vector v matches the packets of part p.
func covers(v netguard.Vector, p string) bool {
	switch v {
	case netguard.VectorIPFlood:
		return true
	case netguard.VectorTCPFlood:
		return p == string(netguard.VectorSYNFlood) || p == "tcp-other"
	case netguard.VectorUDPFlood:
		_, amp := amplificationVector(p)
		return p == "udp-other" || amp
	}
	return string(v) == p
}

func amplificationVector(p string) (netguard.Vector, bool) {
	for _, a := range netguard.Amplifications() {
		if string(a.Vector) == p {
			return a.Vector, true
		}
	}
	return "", false
}

// limitOf returns the fixed limit of class v in profile p.
func limitOf(p detect.Profile, v netguard.Vector) detect.Limit {
	switch v {
	case netguard.VectorIPFlood:
		return p.Total
	case netguard.VectorTCPFlood:
		return p.TCP
	case netguard.VectorSYNFlood:
		return p.SYN
	case netguard.VectorUDPFlood:
		return p.UDP
	case netguard.VectorICMPFlood:
		return p.ICMP
	case netguard.VectorFragments:
		return p.Fragments
	}
	if l, ok := p.Vectors[v]; ok {
		return l
	}
	return p.Amplification
}

func above(r detect.Rate, l detect.Limit) bool {
	return (l.PPS > 0 && r.PPS > l.PPS) || (l.BPS > 0 && r.BPS > l.BPS) || (l.FPS > 0 && r.FPS > l.FPS)
}

// classes are the classes judged, each with its traffic in tr.
func classes(tr detect.Traffic) map[netguard.Vector]detect.Rate {
	out := make(map[netguard.Vector]detect.Rate, len(tr.Classes)+1)
	for v, r := range tr.Classes {
		out[v] = r
	}
	out[netguard.VectorIPFlood] = tr.Total
	return out
}

// TestProfile measures profile on the traffic of a customer's IP (0: staff) over [from, to),
// whole seconds within the last ProfileTestWindow (zero times: the whole window). It needs the
// pro-use option (403 pro_use_required), and the detector of this process (the collector
// role): elsewhere it is Unavailable.
func (w *Watch) TestProfile(ctx context.Context, customer account.ID, ip netip.Addr, profile string, from, to time.Time) (ProfileTest, error) {
	if _, err := w.svc.own(ctx, customer, ip); err != nil {
		return ProfileTest{}, err
	}
	rec, err := record(ctx, w.svc.deps.Store, ip)
	if err != nil {
		return ProfileTest{}, err
	}
	if !rec.ProUse && customer != 0 {
		return ProfileTest{}, errProUse
	}
	p, ok := w.profiles[profile]
	if !ok || !slices.Contains(w.svc.deps.Profiles, profile) {
		return ProfileTest{}, errs.Fields(errs.FieldError{Field: "profile", Message: "unknown profile"})
	}
	now := w.clock.Now().Truncate(time.Second)
	oldest := now.Add(-ProfileTestWindow)
	if from.IsZero() {
		from = oldest
	}
	if to.IsZero() {
		to = now
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	switch {
	case from.Before(oldest):
		return ProfileTest{}, errs.Fields(errs.FieldError{Field: "from", Message: fmt.Sprintf("at most %s ago: the detector keeps the last minute", ProfileTestWindow)})
	case !to.After(from) || to.After(now):
		return ProfileTest{}, errs.Fields(errs.FieldError{Field: "to", Message: "after from, and not in the future"})
	}
	if _, tracked := w.det.Profile(ip); !tracked {
		return ProfileTest{}, errs.E(errs.Unavailable, "profile tests run where the collector runs: this process does not watch this IP", nil)
	}
	res := ProfileTest{Profile: profile, From: from.UTC(), To: to.UTC()}
	active := map[netguard.Vector]time.Time{} // the tested profile's rules and their first second
	byRule := map[netguard.Vector]*testRule{}
	for sec := from; sec.Before(to); sec = sec.Add(time.Second) {
		tr, ok := w.det.Traffic(ip, sec)
		if !ok {
			return ProfileTest{}, errs.E(errs.Unavailable, "the IP is no longer watched", nil)
		}
		cls := classes(tr)
		var attack []netguard.Vector // what the IP's own thresholds found above
		for v, r := range cls {
			if lim, ok := w.det.Threshold(ip, v); ok && above(r, lim) {
				attack = append(attack, v)
			}
		}
		// The share of its traffic each active rule drops this second: all of it for a discard,
		// what exceeds the rate for a rate limit (ip-flood, tcp-flood).
		share := map[netguard.Vector]float64{}
		for v := range active {
			share[v] = 1
			if rate := byRule[v].rate; rate > 0 {
				if bits := cls[v].BPS; bits > rate*8 {
					share[v] = 1 - float64(rate*8)/float64(bits)
				} else {
					share[v] = 0
				}
			}
		}
		for _, pt := range parts(tr) {
			if pt.packets == 0 {
				continue
			}
			isAttack := slices.ContainsFunc(attack, func(v netguard.Vector) bool { return covers(v, pt.name) })
			var most float64 // rules overlap: the part loses what the strictest drops
			for v := range active {
				if !covers(v, pt.name) {
					continue
				}
				most = max(most, share[v])
				n := uint64(float64(pt.packets) * share[v])
				if isAttack {
					byRule[v].AttackDropped += n
				} else {
					byRule[v].LegitimateDropped += n
				}
			}
			dropped := uint64(float64(pt.packets) * most)
			if isAttack {
				res.AttackPackets += pt.packets
				res.AttackDropped += dropped
			} else {
				res.LegitimatePackets += pt.packets
				res.LegitimateDropped += dropped
			}
		}
		// Classes above the tested profile's limits are filtered from the next second on.
		for v, r := range cls {
			if _, on := active[v]; on || v == netguard.VectorFragments || !above(r, limitOf(p, v)) {
				continue // fragments count with their protocol: their rule is not measured
			}
			rule, ok := edge.VectorRule(netip.PrefixFrom(ip, ip.BitLen()), v, w.svc.cfg.RateLimit)
			if !ok {
				continue
			}
			rule.Origin = netguard.EdgeOrigin{Kind: netguard.OriginMitigation, ID: ip.String(), Level: 1, Reason: string(v)}
			rule.Priority = edge.PriorityMitigation
			since := sec.Add(time.Second)
			active[v] = since
			t := &testRule{ProfileTestRule: ProfileTestRule{Vector: v, Rule: rule.String(), Since: since.UTC()}}
			if rule.Action == netguard.EdgeRateLimit {
				t.rate = rule.Rate
			}
			byRule[v] = t
		}
	}
	if res.AttackPackets > 0 {
		res.AttackDroppedRatio = float64(res.AttackDropped) / float64(res.AttackPackets)
	}
	if res.LegitimatePackets > 0 {
		res.LegitimateDroppedRatio = float64(res.LegitimateDropped) / float64(res.LegitimatePackets)
	}
	for _, r := range byRule {
		res.ByRule = append(res.ByRule, r.ProfileTestRule)
	}
	slices.SortFunc(res.ByRule, func(a, b ProfileTestRule) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return compareVector(a.Vector, b.Vector)
	})
	return res, nil
}

func compareVector(a, b netguard.Vector) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
