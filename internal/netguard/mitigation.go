package netguard

import (
	"net/netip"
	"slices"
	"time"
)

// MitigationState is where the DDoS protection of one IP stands (Art. 9).
type MitigationState string

// The states of a mitigation.
const (
	// MitigationOff: no protection is applied.
	MitigationOff MitigationState = "off"
	// MitigationAuto: switched on by a detection; it holds at least until MinUntil, then ends
	// once the IP has been quiet for the quiet period.
	MitigationAuto MitigationState = "auto"
	// MitigationPermanent: switched on in advance by a customer with the pro-use option; it
	// ends only when the customer switches it off (never inside an automatic hold).
	MitigationPermanent MitigationState = "permanent"
	// MitigationForced: switched on by staff; it ends only when staff release it.
	MitigationForced MitigationState = "forced"
)

// Valid reports a known state.
func (s MitigationState) Valid() bool {
	switch s {
	case MitigationOff, MitigationAuto, MitigationPermanent, MitigationForced:
		return true
	}
	return false
}

// Mitigation levels, raised with the attack.
const (
	// LevelNone applies no rule (a permanent mitigation waiting for an attack).
	LevelNone = 0
	// LevelDrop drops the attack's vectors (FlowSpec discard per vector).
	LevelDrop = 1
	// LevelRateLimit also rate-limits the rest of the traffic to the IP.
	LevelRateLimit = 2
	// LevelBlackhole also blackholes the IP (RTBH), only while the infrastructure is threatened.
	LevelBlackhole = 3
	// MaxLevel is the highest level.
	MaxLevel = LevelBlackhole
)

// The contract's defaults (policy mitigation_min_duration and mitigation_quiet_period).
const (
	// MinHold is how long an automatic mitigation holds at least after a detection (Art. 9).
	MinHold = 26 * time.Hour
	// QuietPeriod is how long the IP must stay below its thresholds before a mitigation past
	// its hold ends.
	QuietPeriod = 15 * time.Minute
)

// Mitigation is the protection of one IP. Every deadline is a stored timestamp: a restart
// reads them back and computes the same decisions.
type Mitigation struct {
	IP    netip.Addr
	State MitigationState
	// Since is when the current activation began; zero when off.
	Since time.Time
	// MinUntil is the end of the hold of the latest detection (activation + MinHold); before it
	// the mitigation cannot be switched off. Zero when no detection ever held it.
	MinUntil time.Time
	// Level is 0 to MaxLevel.
	Level int
	// Profile names the thresholds and filters of the IP ("default" unless chosen).
	Profile string
	// Vectors are the attack vectors dropped at level 1, in Vectors() order.
	Vectors []Vector
	// LastAbove is the end of the latest second the IP was above a threshold, as the collector
	// last recorded it: the IP has been quiet since then.
	LastAbove time.Time
	// AttackID is the latest attack on the IP (0 when none).
	AttackID int64
	// EndedAt is when the latest activation ended (zero while active or never active).
	EndedAt time.Time
}

// Active reports whether protection is on.
func (m Mitigation) Active() bool { return m.State.Valid() && m.State != MitigationOff }

// HoldRules are the Art. 9 durations the pure rules apply (from policy).
type HoldRules struct {
	// MinDuration is the hold of a detection (26 h).
	MinDuration time.Duration
	// QuietPeriod is the quiet time that ends a mitigation past its hold (15 min).
	QuietPeriod time.Duration
}

// DefaultHoldRules returns the contract's durations.
func DefaultHoldRules() HoldRules { return HoldRules{MinDuration: MinHold, QuietPeriod: QuietPeriod} }

// Locked reports whether m cannot be switched off at now, and for how long still: a
// mitigation inside the hold of a detection is locked whatever its state.
func (r HoldRules) Locked(m Mitigation, now time.Time) (bool, time.Duration) {
	if !m.Active() || !now.Before(m.MinUntil) {
		return false, 0
	}
	return true, m.MinUntil.Sub(now)
}

// Withdrawable reports whether an automatic mitigation ends at now: its hold is over (now at
// or after MinUntil) and the IP has been quiet since quietSince for at least QuietPeriod.
// Permanent and forced mitigations never end by themselves.
func (r HoldRules) Withdrawable(m Mitigation, now, quietSince time.Time) bool {
	if m.State != MitigationAuto {
		return false
	}
	if now.Before(m.MinUntil) {
		return false
	}
	return !now.Before(quietSince.Add(r.QuietPeriod))
}

// Withdrawable applies DefaultHoldRules: see HoldRules.Withdrawable.
func Withdrawable(m Mitigation, now, quietSince time.Time) bool {
	return DefaultHoldRules().Withdrawable(m, now, quietSince)
}

// EarliestEnd is when an automatic mitigation ends if the IP stays quiet from quietSince on:
// the later of MinUntil and quietSince + QuietPeriod. It is the zero time for a mitigation that
// does not end by itself (off, permanent, forced).
func (r HoldRules) EarliestEnd(m Mitigation, quietSince time.Time) time.Time {
	if m.State != MitigationAuto {
		return time.Time{}
	}
	end := quietSince.Add(r.QuietPeriod)
	if m.MinUntil.After(end) {
		return m.MinUntil
	}
	return end
}

// Detection is what the mitigation learns of a confirmed attack on its IP.
type Detection struct {
	AttackID  int64
	Vectors   []Vector
	Level     int
	LastAbove time.Time
	// Escalation: the detection goes on with an attack already applied (new vectors, a higher
	// level): it gives no new hold.
	Escalation bool
}

// Change says what Detect did to a mitigation.
type Change uint8

// The changes.
const (
	ChangeNone      Change = iota // nothing the customer must hear of
	ChangeActivated               // off -> auto: a new activation
	ChangeRaised                  // the level went up
)

// Detect applies a confirmed detection at now to m. An IP that was off becomes auto, with a
// hold until now + MinDuration; an active IP keeps its state and gets a new hold (a new
// detection always holds for MinDuration). Vectors are merged, the level only goes up, and
// LastAbove only forward. An escalation of an attack already applied keeps the hold. The change is ChangeActivated when filtering starts (off, or a
// permanent or forced mitigation at level 0) and ChangeRaised when the level goes up.
func (r HoldRules) Detect(m Mitigation, d Detection, now time.Time) (Mitigation, Change) {
	change := ChangeNone
	if !m.Active() {
		m.State, m.Since, m.Level, m.Vectors, m.EndedAt = MitigationAuto, now, 0, nil, time.Time{}
		change = ChangeActivated
	}
	if until := now.Add(r.MinDuration); until.After(m.MinUntil) && (!d.Escalation || change == ChangeActivated) {
		m.MinUntil = until
	}
	m.Vectors = MergeVectors(m.Vectors, d.Vectors)
	level := min(max(d.Level, LevelDrop), MaxLevel)
	if level > m.Level {
		switch {
		case change != ChangeNone:
		case m.Level == LevelNone:
			change = ChangeActivated // a permanent or forced mitigation starts filtering
		default:
			change = ChangeRaised
		}
		m.Level = level
	}
	if d.AttackID != 0 {
		m.AttackID = d.AttackID
	}
	if d.LastAbove.After(m.LastAbove) {
		m.LastAbove = d.LastAbove
	}
	return m, change
}

// End switches m off at now, keeping its profile, hold and history fields.
func (m Mitigation) End(now time.Time) Mitigation {
	m.State, m.Level, m.Vectors, m.Since, m.EndedAt = MitigationOff, LevelNone, nil, time.Time{}, now
	return m
}

// MergeVectors returns the union of a and b in Vectors() order; unknown vectors sort last by
// name.
func MergeVectors(a, b []Vector) []Vector {
	if len(b) == 0 && len(a) == 0 {
		return nil
	}
	order := map[Vector]int{}
	for i, v := range Vectors() {
		order[v] = i
	}
	out := slices.Concat(a, b)
	slices.SortFunc(out, func(x, y Vector) int {
		ox, okx := order[x]
		oy, oky := order[y]
		switch {
		case okx && oky:
			return ox - oy
		case okx:
			return -1
		case oky:
			return 1
		}
		if x < y {
			return -1
		}
		if x > y {
			return 1
		}
		return 0
	})
	return slices.Compact(out)
}

// LevelRules say how far an attack raises its mitigation before the infrastructure is at
// stake (level 3 is decided by AggregateLimit).
type LevelRules struct {
	// RateLimitSeverity is the severity (traffic over threshold) from which the rest of the
	// traffic is rate-limited too (level 2); zero disables it.
	RateLimitSeverity float64
	// RateLimitAfter rate-limits an attack that stays above its thresholds this long (level
	// 2); zero disables it.
	RateLimitAfter time.Duration
}

// DefaultLevelRules: level 2 at 10 times the thresholds, or after 5 minutes of attack.
func DefaultLevelRules() LevelRules {
	return LevelRules{RateLimitSeverity: 10, RateLimitAfter: 5 * time.Minute}
}

// Level returns the level an attack of peak severity that has lasted so long calls for: 1, or
// 2 when it is heavy or long.
func (r LevelRules) Level(peakSeverity float64, lasted time.Duration) int {
	if r.RateLimitSeverity > 0 && peakSeverity >= r.RateLimitSeverity {
		return LevelRateLimit
	}
	if r.RateLimitAfter > 0 && lasted >= r.RateLimitAfter {
		return LevelRateLimit
	}
	return LevelDrop
}

// Load is the current inbound traffic of one attacked IP.
type Load struct {
	IP       netip.Addr
	BPS, PPS uint64
}

// AggregateLimit is the inbound traffic, summed over every IP under attack, that the host's
// infrastructure (uplinks, routers) can take. Beyond it the infrastructure is threatened and
// level 3 (blackhole) is allowed. A zero field is not checked; a zero limit is never exceeded.
type AggregateLimit struct {
	BPS uint64 `yaml:"bps"`
	PPS uint64 `yaml:"pps"`
}

// over reports traffic beyond the limit.
func (l AggregateLimit) over(bps, pps uint64) bool {
	return (l.BPS > 0 && bps > l.BPS) || (l.PPS > 0 && pps > l.PPS)
}

// Threatened reports whether the sum of loads exceeds the limit.
func (l AggregateLimit) Threatened(loads []Load) bool {
	var bps, pps uint64
	for _, ld := range loads {
		bps += ld.BPS
		pps += ld.PPS
	}
	return l.over(bps, pps)
}

// Blackholes returns the IPs to blackhole so that the infrastructure is no longer threatened:
// none when the sum is within the limit, else the heaviest IPs (by bits, then packets, then
// address) until what remains is within it. The result is sorted by address.
func (l AggregateLimit) Blackholes(loads []Load) []netip.Addr {
	if !l.Threatened(loads) {
		return nil
	}
	ls := slices.Clone(loads)
	slices.SortFunc(ls, func(a, b Load) int {
		switch {
		case a.BPS != b.BPS:
			if a.BPS > b.BPS {
				return -1
			}
			return 1
		case a.PPS != b.PPS:
			if a.PPS > b.PPS {
				return -1
			}
			return 1
		}
		return a.IP.Compare(b.IP)
	})
	var bps, pps uint64
	for _, ld := range ls {
		bps += ld.BPS
		pps += ld.PPS
	}
	var out []netip.Addr
	for _, ld := range ls {
		if !l.over(bps, pps) {
			break
		}
		out = append(out, ld.IP)
		bps -= ld.BPS
		pps -= ld.PPS
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}
