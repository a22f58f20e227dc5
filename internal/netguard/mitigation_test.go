package netguard_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

var (
	t0  = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ip1 = netip.MustParseAddr("198.18.0.10")
)

// activated is an automatic mitigation switched on at t0 by an attack that went quiet at
// t0+quietAt.
func activated(quietAt time.Duration) netguard.Mitigation {
	m, ch := netguard.DefaultHoldRules().Detect(netguard.Mitigation{IP: ip1, State: netguard.MitigationOff},
		netguard.Detection{AttackID: 1, Vectors: []netguard.Vector{netguard.VectorUDPFlood}, Level: 1, LastAbove: t0.Add(quietAt)}, t0)
	if ch != netguard.ChangeActivated {
		panic("not activated")
	}
	return m
}

func TestDetectActivatesWithA26HourHold(t *testing.T) {
	t.Parallel()
	m := activated(time.Second)
	if m.State != netguard.MitigationAuto || !m.Since.Equal(t0) || !m.MinUntil.Equal(t0.Add(26*time.Hour)) || m.Level != 1 {
		t.Fatalf("got %+v", m)
	}
}

// The Art. 9 hold: never withdrawn before 26 h, then once quiet for 15 min.
func TestWithdrawableAtTheEdges(t *testing.T) {
	t.Parallel()
	r := netguard.DefaultHoldRules()
	tests := []struct {
		name      string
		quietAt   time.Duration // the attack's last second above threshold ends at t0 + quietAt
		at        time.Duration
		withdrawn bool
	}{
		{"quiet long ago, 25h59m59s", time.Second, 26*time.Hour - time.Second, false},
		{"quiet long ago, 26h", time.Second, 26 * time.Hour, true},
		{"quiet long ago, 26h+1s", time.Second, 26*time.Hour + time.Second, true},
		{"attack until 25h50m, at 26h", 25*time.Hour + 50*time.Minute, 26 * time.Hour, false},
		{"attack until 25h50m, quiet 14m59s", 25*time.Hour + 50*time.Minute, 26*time.Hour + 4*time.Minute + 59*time.Second, false},
		{"attack until 25h50m, quiet 15m", 25*time.Hour + 50*time.Minute, 26*time.Hour + 5*time.Minute, true},
		{"attack until 25h50m, quiet 15m1s", 25*time.Hour + 50*time.Minute, 26*time.Hour + 5*time.Minute + time.Second, true},
		{"attack at 26h: still on", 26 * time.Hour, 26*time.Hour + time.Second, false},
		{"quiet 14m59s after 26h", 26 * time.Hour, 26*time.Hour + 14*time.Minute + 59*time.Second, false},
		{"quiet 15m after 26h", 26 * time.Hour, 26*time.Hour + 15*time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := activated(tt.quietAt)
			now := t0.Add(tt.at)
			if got := r.Withdrawable(m, now, m.LastAbove); got != tt.withdrawn {
				t.Errorf("Withdrawable at %v = %v, want %v", tt.at, got, tt.withdrawn)
			}
			if got := netguard.Withdrawable(m, now, m.LastAbove); got != tt.withdrawn {
				t.Errorf("netguard.Withdrawable at %v = %v, want %v", tt.at, got, tt.withdrawn)
			}
			// A restart rebuilds the mitigation from its stored timestamps (microseconds, UTC):
			// the decision is the same.
			stored := netguard.Mitigation{IP: m.IP, State: m.State, Since: m.Since.Round(0), MinUntil: m.MinUntil.UTC().Truncate(time.Microsecond),
				Level: m.Level, Vectors: slices.Clone(m.Vectors), LastAbove: m.LastAbove.UTC().Truncate(time.Microsecond)}
			if got := r.Withdrawable(stored, now, stored.LastAbove); got != tt.withdrawn {
				t.Errorf("after a restart, Withdrawable at %v = %v, want %v", tt.at, got, tt.withdrawn)
			}
		})
	}
}

func TestLockedUntilMinUntil(t *testing.T) {
	t.Parallel()
	r := netguard.DefaultHoldRules()
	m := activated(time.Second)
	for _, tt := range []struct {
		at     time.Duration
		locked bool
		left   time.Duration
	}{
		{0, true, 26 * time.Hour},
		{26*time.Hour - time.Second, true, time.Second},
		{26 * time.Hour, false, 0},
		{26*time.Hour + time.Second, false, 0},
	} {
		locked, left := r.Locked(m, t0.Add(tt.at))
		if locked != tt.locked || left != tt.left {
			t.Errorf("Locked at %v = %v %v, want %v %v", tt.at, locked, left, tt.locked, tt.left)
		}
	}
	// A permanent mitigation without a detection is not locked; with one inside its hold it is.
	p := netguard.Mitigation{IP: ip1, State: netguard.MitigationPermanent, Since: t0}
	if locked, _ := r.Locked(p, t0); locked {
		t.Error("a permanent mitigation without detection is locked")
	}
	p, ch := r.Detect(p, netguard.Detection{Vectors: []netguard.Vector{netguard.VectorSYNFlood}, Level: 1, LastAbove: t0}, t0)
	if ch != netguard.ChangeActivated || p.State != netguard.MitigationPermanent {
		t.Errorf("permanent + detection: %v %+v", ch, p)
	}
	if locked, left := r.Locked(p, t0.Add(time.Hour)); !locked || left != 25*time.Hour {
		t.Errorf("permanent inside a hold: locked %v left %v", locked, left)
	}
	if r.Withdrawable(p, t0.Add(48*time.Hour), t0) {
		t.Error("a permanent mitigation ended by itself")
	}
}

func TestNewDetectionStartsANewHold(t *testing.T) {
	t.Parallel()
	r := netguard.DefaultHoldRules()
	m := activated(time.Second)
	later := t0.Add(20 * time.Hour)
	m2, ch := r.Detect(m, netguard.Detection{AttackID: 2, Vectors: []netguard.Vector{netguard.VectorDNSAmplification}, Level: 1, LastAbove: later}, later)
	if ch != netguard.ChangeNone {
		t.Errorf("same level again: change %v", ch)
	}
	if !m2.MinUntil.Equal(later.Add(26*time.Hour)) || !m2.Since.Equal(t0) || m2.AttackID != 2 {
		t.Errorf("got %+v", m2)
	}
	if want := []netguard.Vector{netguard.VectorUDPFlood, netguard.VectorDNSAmplification}; !slices.Equal(m2.Vectors, want) {
		t.Errorf("vectors %v, want %v", m2.Vectors, want)
	}
	m3, ch := r.Detect(m2, netguard.Detection{Level: 2, LastAbove: later.Add(time.Hour), Escalation: true}, later.Add(time.Hour))
	if ch != netguard.ChangeRaised || m3.Level != 2 || !m3.MinUntil.Equal(m2.MinUntil) {
		t.Errorf("an escalation of the same attack raises the level and keeps the hold: %v %+v", ch, m3)
	}
	// After the end, a new detection is a new activation with a new hold.
	end := t0.Add(30 * time.Hour)
	off := m3.End(end)
	if off.Active() || off.Level != 0 || !off.EndedAt.Equal(end) {
		t.Fatalf("ended: %+v", off)
	}
	again, ch := r.Detect(off, netguard.Detection{Level: 1, LastAbove: end.Add(time.Hour)}, end.Add(time.Hour))
	if ch != netguard.ChangeActivated || !again.Since.Equal(end.Add(time.Hour)) || !again.MinUntil.Equal(end.Add(27*time.Hour)) {
		t.Errorf("re-activation: %v %+v", ch, again)
	}
}

func TestEarliestEnd(t *testing.T) {
	t.Parallel()
	r := netguard.DefaultHoldRules()
	m := activated(time.Second)
	if got := r.EarliestEnd(m, m.LastAbove); !got.Equal(m.MinUntil) {
		t.Errorf("quiet early: %v", got)
	}
	late := t0.Add(26 * time.Hour)
	if got := r.EarliestEnd(m, late); !got.Equal(late.Add(15 * time.Minute)) {
		t.Errorf("quiet late: %v", got)
	}
	if got := r.EarliestEnd(netguard.Mitigation{State: netguard.MitigationForced}, t0); !got.IsZero() {
		t.Errorf("forced: %v", got)
	}
}

func TestLevels(t *testing.T) {
	t.Parallel()
	r := netguard.DefaultLevelRules()
	for _, tt := range []struct {
		sev    float64
		lasted time.Duration
		want   int
	}{
		{1.5, time.Second, 1}, {9.99, 4*time.Minute + 59*time.Second, 1}, {10, time.Second, 2}, {2, 5 * time.Minute, 2},
	} {
		if got := r.Level(tt.sev, tt.lasted); got != tt.want {
			t.Errorf("Level(%v, %v) = %d, want %d", tt.sev, tt.lasted, got, tt.want)
		}
	}
}

func TestBlackholesOnlyWhenThreatened(t *testing.T) {
	t.Parallel()
	a, b, c := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.3")
	loads := []netguard.Load{{IP: a, BPS: 4e9}, {IP: b, BPS: 7e9}, {IP: c, BPS: 1e9}}
	for _, tt := range []struct {
		name  string
		limit netguard.AggregateLimit
		want  []netip.Addr
	}{
		{"no limit", netguard.AggregateLimit{}, nil},
		{"within", netguard.AggregateLimit{BPS: 12e9}, nil},
		{"just over", netguard.AggregateLimit{BPS: 11e9}, []netip.Addr{b}},
		{"far over", netguard.AggregateLimit{BPS: 2e9}, []netip.Addr{a, b}},
		{"pps", netguard.AggregateLimit{PPS: 1}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.limit.Blackholes(loads); !slices.Equal(got, tt.want) {
				t.Errorf("Blackholes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeVectors(t *testing.T) {
	t.Parallel()
	got := netguard.MergeVectors([]netguard.Vector{netguard.VectorNTPAmplification, "zzz"}, []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorNTPAmplification})
	want := []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorNTPAmplification, "zzz"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if netguard.MergeVectors(nil, nil) != nil {
		t.Error("empty merge is not nil")
	}
	if got := netguard.ParseVectors(" udp-flood,,syn-flood "); !slices.Equal(got, []netguard.Vector{"udp-flood", "syn-flood"}) {
		t.Errorf("ParseVectors = %v", got)
	}
}
