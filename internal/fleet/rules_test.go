package fleet_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
)

func TestTimedOutEdge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{40*time.Minute - time.Second, false}, {40 * time.Minute, true}, {40*time.Minute + time.Second, true}} {
		if got := fleet.TimedOut(t0, 40*time.Minute, t0.Add(tc.after)); got != tc.want {
			t.Errorf("TimedOut after %s = %v", tc.after, got)
		}
	}
	if fleet.NoticeLongEnough(t0.Add(48*time.Hour-time.Second), t0, 48*time.Hour) || !fleet.NoticeLongEnough(t0.Add(48*time.Hour), t0, 48*time.Hour) {
		t.Error("maintenance notice edge")
	}
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	ok := [][2]fleet.MachineState{{"enrolling", "inspecting"}, {"inspecting", "available"}, {"available", "reserved"}, {"reserved", "deploying"},
		{"deploying", "deployed"}, {"deployed", "suspended"}, {"suspended", "deployed"}, {"deployed", "deploying"}, {"deployed", "releasing"},
		{"releasing", "wiping"}, {"wiping", "available"}, {"deploying", "maintenance"}, {"maintenance", "inspecting"}}
	bad := [][2]fleet.MachineState{{"maintenance", "reserved"}, {"maintenance", "available"}, {"available", "deployed"}, {"wiping", "deployed"},
		{"maintenance", "maintenance"}, {"enrolling", "available"}}
	for _, tr := range ok {
		if !fleet.CanTransition(tr[0], tr[1]) {
			t.Errorf("%s -> %s refused", tr[0], tr[1])
		}
	}
	for _, tr := range bad {
		if fleet.CanTransition(tr[0], tr[1]) {
			t.Errorf("%s -> %s allowed", tr[0], tr[1])
		}
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	now := t0
	ms := []fleet.MachineView{
		{ID: 1, State: fleet.MachineDeployed, DesiredPower: "on", ObservedPower: "on", ObservedAt: now.Add(-time.Minute)},
		{ID: 2, State: fleet.MachineDeployed, DesiredPower: "on", ObservedPower: "off", ObservedAt: now.Add(-time.Minute)},
		{ID: 3, State: fleet.MachineSuspended, DesiredPower: "off", ObservedPower: "on", ObservedAt: now.Add(-time.Minute)},
		{ID: 4, State: fleet.MachineAvailable, DesiredPower: "off", ObservedPower: "off", ObservedAt: now.Add(-5 * time.Minute)},
		{ID: 5, State: fleet.MachineWiping, StateSince: now.Add(-30 * time.Minute)},
		{ID: 6, State: fleet.MachineWiping, StateSince: now.Add(-30*time.Minute + time.Second)},
		{ID: 7, State: fleet.MachineMaintenance, DesiredPower: "on", ObservedPower: "off", ObservedAt: now},
		{ID: 8, State: fleet.MachineDeployed, DesiredPower: "on", ObservedPower: "unknown", ObservedAt: now},
	}
	got := fleet.Plan(nil, ms, now, 5*time.Minute, 30*time.Minute)
	want := []fleet.Action{{Machine: 2, Kind: fleet.ActPower, Power: fleet.PowerOn}, {Machine: 3, Kind: fleet.ActPower, Power: fleet.PowerOff},
		{Machine: 4, Kind: fleet.ActObserve}, {Machine: 5, Kind: fleet.ActWipeDone}}
	if len(got) != len(want) {
		t.Fatalf("plan %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("action %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPools(t *testing.T) {
	t.Parallel()
	p, err := fleet.ParsePool("198.18.0.0/24@RBX1")
	if err != nil || p.Datacenter != "RBX1" {
		t.Fatal(p, err)
	}
	first, last := p.Range()
	if first != 10 || last != 254 {
		t.Fatalf("range %d-%d", first, last)
	}
	if a, _ := p.At(first); a.Addr() != netip.MustParseAddr("198.18.0.10") {
		t.Fatalf("first address %s", a)
	}
	if _, err := p.At(255); err == nil {
		t.Fatal("the broadcast address was handed out")
	}
	v6, err := fleet.ParsePool("2001:db8:1000::/48")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := v6.At(1); b.String() != "2001:db8:1000:1::/64" {
		t.Fatalf("block %s", b)
	}
	for _, bad := range []string{"198.18.0.1/24", "10.0.0.0/31", "2001:db8::/64", "nonsense"} {
		if _, err := fleet.ParsePool(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSealAndKeys(t *testing.T) {
	t.Parallel()
	s, err := fleet.NewSealer([]byte("a key of sixteen+ bytes"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("calvin")
	if err != nil || sealed == "calvin" {
		t.Fatal(sealed, err)
	}
	if got, err := s.Open(sealed); err != nil || got != "calvin" {
		t.Fatal(got, err)
	}
	other, _ := fleet.NewSealer([]byte("another key of 16 bytes"))
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := fleet.NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
	if k, err := fleet.NormalizeSSHKey("k", "  "+edKey+"\n"); err != nil || k != edKey {
		t.Fatalf("%q %v", k, err)
	}
	for _, bad := range []string{"ssh-rsa AAAA", "not a key", edKey + "\n" + edKey, "-----BEGIN RSA PRIVATE KEY-----"} {
		if _, err := fleet.NormalizeSSHKey("k", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A customer's request is overdue once it waited more than the response target; an
// acknowledgement stops its clock; a probe's incident is never a customer's overdue request.
func TestOverdueEdge(t *testing.T) {
	t.Parallel()
	opened := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	req := fleet.Incident{Origin: fleet.OriginCustomer, OpenedAt: opened}
	for _, tt := range []struct {
		name string
		inc  fleet.Incident
		at   time.Duration
		want bool
	}{
		{"1h59m59s", req, 2*time.Hour - time.Second, false},
		{"2h", req, 2 * time.Hour, false},
		{"2h0m1s", req, 2*time.Hour + time.Second, true},
		{"acknowledged at 1h", fleet.Incident{Origin: fleet.OriginCustomer, OpenedAt: opened, AcknowledgedAt: opened.Add(time.Hour)}, 5 * time.Hour, false},
		{"probe", fleet.Incident{Origin: fleet.OriginProbe, OpenedAt: opened}, 5 * time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.inc.Overdue(2*time.Hour, opened.Add(tt.at)); got != tt.want {
				t.Errorf("overdue %v, want %v (age %s)", got, tt.want, tt.inc.Age(opened.Add(tt.at)))
			}
		})
	}
}
