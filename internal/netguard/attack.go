package netguard

import (
	"net/netip"
	"strings"
	"time"
)

// Attack is the report of one inbound DDoS attack, on one IP or on a whole prefix (carpet
// bombing), kept policy attack_report_retention (1 year).
type Attack struct {
	ID int64
	// IP is the attacked address; zero for a prefix attack.
	IP netip.Addr
	// Prefix is the carpet-bombed prefix; zero for an IP attack.
	Prefix netip.Prefix
	// Profile names the thresholds that applied.
	Profile string
	// StartedAt is the beginning of the first second above threshold; EndedAt the end of the
	// last one, set when the attack is over (zero while it goes on).
	StartedAt, EndedAt time.Time
	// LastAbove is the end of the latest second above threshold seen so far.
	LastAbove time.Time
	// Vectors lists every vector seen above threshold, in Vectors() order.
	Vectors []Vector
	// PeakBPS and PeakPPS are the highest per-second totals; PeakSeverity the highest ratio of
	// a class to its threshold.
	PeakBPS, PeakPPS uint64
	PeakSeverity     float64
	// Level is the highest mitigation level applied during the attack.
	Level int
	// TopSources are the heaviest sources, heaviest first.
	TopSources []AttackSource
}

// AttackSource is one of the heaviest sources of an attack.
type AttackSource struct {
	Addr    netip.Addr
	Packets uint64
}

// Target returns the attacked IP as a single-address prefix, or the carpet-bombed prefix.
func (a Attack) Target() netip.Prefix {
	if a.IP.IsValid() {
		return netip.PrefixFrom(a.IP, a.IP.BitLen())
	}
	return a.Prefix
}

// Ongoing reports an attack that has not ended.
func (a Attack) Ongoing() bool { return a.EndedAt.IsZero() }

// Duration is how long the attack lasted, or has lasted by now when it goes on.
func (a Attack) Duration(now time.Time) time.Duration {
	end := a.EndedAt
	if end.IsZero() {
		end = now
	}
	if d := end.Sub(a.StartedAt); d > 0 {
		return d
	}
	return 0
}

// Nature describes the attack by its vectors: "dns-amplification, syn-flood".
func (a Attack) Nature() string { return JoinVectors(a.Vectors) }

// JoinVectors joins vector names with ", "; an empty list gives "volumetric".
func JoinVectors(vs []Vector) string {
	if len(vs) == 0 {
		return "volumetric"
	}
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// ParseVectors splits a comma-separated list of vector names, dropping empty names.
func ParseVectors(s string) []Vector {
	var out []Vector
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, Vector(p))
		}
	}
	return out
}
