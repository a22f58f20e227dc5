package mitigation

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// ProfileTestWindow is how far back a profile test reads the detector (the seconds it keeps):
// the last minute is live where the detector runs; older seconds come from the store.
const ProfileTestWindow = 60 * time.Second

// ProfileTest is what a protection profile would have dropped of an IP's traffic over a few
// past seconds (Art. 9 Pro: try a profile to measure its impact before choosing it).
//
// The detector keeps each second of the last minute per traffic class, and Watch records the
// seconds around each attack in the store (AttackSecond). The attack traffic is
// what the IP's own thresholds (its profile, raised by its learned baseline) found above in
// that second; the rest is legitimate. The tested profile filters a class (level 1: the
// vector's FlowSpec rule) from the second after the class first went above its limit (its
// fixed limits, without a learned baseline) until the end of the range, as a mitigation held
// 26 hours would: a discard drops all of the class, a rate limit (ip-flood, tcp-flood) what
// exceeds its rate. Packets are split into disjoint parts: TCP SYN, the rest of TCP, each
// amplification vector, the rest of UDP, ICMP and the rest; fragments count with their
// protocol.
type ProfileTest struct {
	Profile  string
	From, To time.Time
	// Seconds is the number of seconds measured: those of [From, To) with per-class history.
	Seconds int
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

// MaxProfileTestRange is the longest range a profile test reads: an attack's recording (the
// pre-roll and HistoryCap) fits in it.
const MaxProfileTestRange = 24 * time.Hour // the field error says "24 hours"

// ErrNoHistory is the message of the field error on from when a range holds no second of
// per-class traffic (the web interface translates it).
const ErrNoHistory = "no per-class traffic is kept for this range: it is kept only around attacks (from 60 s before each to its end) and for the last minute; no attack was recorded then, so nothing is lost"

// TestProfile measures profile on the traffic of a customer's IP (0: staff) over [from, to),
// whole seconds anywhere in the past (zero times: the last ProfileTestWindow; at most
// MaxProfileTestRange). The seconds come from the store (recorded around attacks: see
// HistoryPreRoll) and, for the last ProfileTestWindow, from the detector of this process when it
// watches the IP (the collector role); a range with neither is a field error on from
// (ErrNoHistory). Seconds without history are left out. It needs the pro-use option (403
// pro_use_required).
func (w *Watch) TestProfile(ctx context.Context, customer account.ID, ip netip.Addr, profile string, from, to time.Time) (ProfileTest, error) {
	if _, err := w.svc.own(ctx, customer, ip); err != nil {
		return ProfileTest{}, err
	}
	ip = ip.Unmap()
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
	liveFrom := now.Add(-ProfileTestWindow)
	if from.IsZero() {
		from = liveFrom
	}
	if to.IsZero() {
		to = now
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	switch {
	case !to.After(from) || to.After(now):
		return ProfileTest{}, errs.Fields(errs.FieldError{Field: "to", Message: "after from, and not in the future"})
	case to.Sub(from) > MaxProfileTestRange:
		return ProfileTest{}, errs.Fields(errs.FieldError{Field: "to", Message: "at most 24 hours after from"})
	}
	_, live := w.det.Profile(ip) // this process watches the IP: the last minute is live
	storedTo := to
	if live && liveFrom.Before(storedTo) {
		storedTo = liveFrom
	}
	var secs []AttackSecond
	if from.Before(storedTo) {
		if secs, err = w.svc.deps.Store.AttackSeconds(ctx, ip, from, storedTo); err != nil {
			return ProfileTest{}, err
		}
	}
	if live {
		for sec := later(from, liveFrom); sec.Before(to); sec = sec.Add(time.Second) {
			tr, ok := w.det.Traffic(ip, sec)
			if !ok {
				break // untracked meanwhile
			}
			secs = append(secs, AttackSecond{IP: ip, At: sec.UTC(), Traffic: tr, Above: aboveOf(w.det, ip, tr)})
		}
	}
	if len(secs) == 0 {
		return ProfileTest{}, errs.Fields(errs.FieldError{Field: "from", Message: ErrNoHistory})
	}
	res := MeasureProfile(ip, p, w.svc.cfg.RateLimit, secs)
	res.Profile, res.From, res.To = profile, from.UTC(), to.UTC()
	return res, nil
}

// MeasureProfile runs a profile test of p on the seconds of ip (oldest first; gaps allowed),
// with rateLimit the level-2 rate in bytes per second (the rules' rates): see ProfileTest. The
// same computation serves the live seconds and the stored ones.
func MeasureProfile(ip netip.Addr, p detect.Profile, rateLimit uint64, secs []AttackSecond) ProfileTest {
	var res ProfileTest
	active := map[netguard.Vector]time.Time{} // the tested profile's rules and their first second
	byRule := map[netguard.Vector]*testRule{}
	for _, s := range secs {
		tr, sec, attack := s.Traffic, s.At, s.Above // attack: what the IP's own thresholds found above
		res.Seconds++
		cls := classes(tr)
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
			rule, ok := edge.VectorRule(netip.PrefixFrom(ip, ip.BitLen()), v, rateLimit)
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
	return res
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
