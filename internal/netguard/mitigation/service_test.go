package mitigation_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/policy"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// A heavy attack is acted on at its first second, held 26 hours whatever the customer does,
// and ended once the hold is over and the IP is quiet; every step is told to the customer.
func TestAttackIsHeld26HoursThenEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.tick()                  // tracks the directory's IPs
		e.second(target, 300_000) // 6 times the UDP threshold: fast
		r := e.record(target)
		activated := e.clock.Now()
		if r.State != netguard.MitigationAuto || r.Level != 1 || !r.MinUntil.Equal(store.Trunc(activated.Add(26*time.Hour))) ||
			!slices.Equal(r.Vectors, []netguard.Vector{netguard.VectorUDPFlood}) || r.Customer != e.cust.ID {
			t.Fatalf("after the first second: %+v", r)
		}
		if !strings.Contains(e.rules(), "flow4 dst 198.18.0.10/32 proto 17 then discard") {
			t.Errorf("edge rules:\n%s", e.rules())
		}
		if got := kinds(e.notices()); !slices.Equal(got, []string{mitigation.NoticeStarted}) {
			t.Errorf("notices %v", got)
		}
		started := e.notices()[0]
		for _, want := range []string{"198.18.0.10", "udp-flood", "26 heures", "26/11/2026 à 11:00 UTC"} {
			if !strings.Contains(started.Body, want) {
				t.Errorf("start notice lacks %q:\n%s", want, started.Body)
			}
		}
		for range 3 {
			e.second(target, 300_000)
		}
		for range 5 {
			e.second(target, 0)
		}
		atks, err := e.svc.Attacks(e.ctx, e.cust.ID, target, 0, 10)
		if err != nil || len(atks) != 1 {
			t.Fatalf("attacks %v %v", atks, err)
		}
		a := atks[0]
		if a.PeakPPS != 300_000 || a.PeakBPS != 300_000*500*8 || len(a.TopSources) != 1 || a.TopSources[0].Addr != attacker ||
			!a.StartedAt.Equal(t0) {
			t.Errorf("attack report %+v", a)
		}

		// The customer cannot switch it off: no pro option, then locked with the time left.
		_, err = e.svc.SetPermanent(e.ctx, customer, e.cust.ID, target, false)
		if ee := errs.As(err); ee == nil || ee.Code != "pro_use_required" {
			t.Errorf("without pro use: %v", err)
		}
		if _, err := e.svc.SetProUse(e.ctx, staffActor, target, true); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.SetPermanent(e.ctx, customer, e.cust.ID, target, false)
		var le *mitigation.LockedError
		if ee := errs.As(err); ee == nil || ee.Code != "mitigation_locked" || ee.Kind != errs.Conflict || !errors.As(err, &le) {
			t.Fatalf("switch off inside the hold: %v", err)
		}
		if want := activated.Add(26 * time.Hour).Sub(e.clock.Now()); le.Left != want {
			t.Errorf("time left %v, want %v", le.Left, want)
		}
		// Another customer's view: not found.
		if _, err := e.svc.IP(e.ctx, e.cust.ID+1, target); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another customer: %v", err)
		}

		e.clock.Set(activated.Add(26*time.Hour - time.Second))
		e.tick()
		if r := e.record(target); r.State != netguard.MitigationAuto || e.rules() == "" {
			t.Fatalf("at 25h59m59s: %+v, rules %q", r, e.rules())
		}
		e.clock.Set(activated.Add(26 * time.Hour))
		e.tick()
		if r := e.record(target); r.State != netguard.MitigationOff || r.Level != 0 || e.rules() != "" {
			t.Fatalf("at 26h: %+v, rules %q", r, e.rules())
		}
		if got := kinds(e.notices()); !slices.Equal(got, []string{mitigation.NoticeStarted, mitigation.NoticeEnded}) {
			t.Errorf("notices %v", got)
		}
		atks, _ = e.svc.Attacks(e.ctx, e.cust.ID, target, 0, 10)
		if atks[0].Ongoing() || !atks[0].EndedAt.Equal(t0.Add(4*time.Second)) {
			t.Errorf("attack end %+v", atks[0])
		}
	})
}

// The deadline lives in the store: a new service over the same data keeps it, announces the
// rules again and ends the mitigation at the same time.
func TestRestartKeepsEveryDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.tick()
	e.second(target, 300_000)
	activated := e.clock.Now()
	e.second(target, 0)
	before := e.rules()
	e.clock.Advance(10 * time.Hour)
	e.start() // restart: fresh detector, service, driver
	e.tick()
	if got := e.rules(); got != before || got == "" {
		t.Fatalf("after restart the edge holds\n%s\nwant\n%s", got, before)
	}
	e.clock.Set(activated.Add(26*time.Hour - time.Second))
	e.tick()
	if r := e.record(target); r.State != netguard.MitigationAuto {
		t.Fatalf("at 26h-1s after a restart: %+v", r)
	}
	e.clock.Set(activated.Add(26 * time.Hour))
	e.tick()
	if r := e.record(target); r.State != netguard.MitigationOff || e.rules() != "" {
		t.Fatalf("at 26h after a restart: %+v %q", r, e.rules())
	}
}

// After the hold, an attack still going on keeps the mitigation until a quiet period has
// passed since its last second above threshold.
func TestQuietPeriodAfterTheHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.tick()
	e.second(target, 300_000)
	activated := e.clock.Now()
	e.clock.Set(activated.Add(20 * time.Minute))
	e.tick() // the detector closes the attack after its quiet period
	e.clock.Set(activated.Add(26*time.Hour - 10*time.Second))
	for range 5 {
		e.second(target, 300_000) // the attack is back before the end of the hold
	}
	lastAbove := e.clock.Now()
	e.second(target, 0) // quiet: the last second above is written
	r := e.record(target)
	if !r.LastAbove.Equal(lastAbove) {
		t.Fatalf("last above %v, want %v", r.LastAbove, lastAbove)
	}
	// A new detection after the end of the attack holds 26 h again.
	if !r.MinUntil.After(activated.Add(26 * time.Hour)) {
		t.Errorf("a new detection did not start a new hold: %v", r.MinUntil)
	}
	hold := r.MinUntil
	e.clock.Set(hold.Add(-time.Second))
	e.tick()
	if e.record(target).State != netguard.MitigationAuto {
		t.Fatal("ended before its new hold")
	}
	e.clock.Set(hold)
	e.tick()
	if e.record(target).State != netguard.MitigationOff {
		t.Fatal("not ended at the end of the hold although quiet for long")
	}
}

// A light attack must last policy attack_trigger_delay (here 2 s); one second is a blip, never
// mitigated nor reported.
func TestLightAttackNeedsTheTriggerDelay(t *testing.T) {
	t.Parallel()
	e := newEnvPolicy(t, nil, nil, triggerDelay(2*time.Second))
	e.tick()
	e.second(target, 100_000) // 2 times the UDP threshold
	if r := e.record(target); r.Active() {
		t.Fatalf("acted on one second of a light attack: %+v", r)
	}
	e.second(target, 100_000)
	if r := e.record(target); !r.Active() || r.Level != 1 {
		t.Fatalf("not acted on a sustained attack: %+v", r)
	}
	// A blip on another IP is never reported.
	e.second(other, 100_000)
	e.clock.Advance(20 * time.Minute)
	e.tick()
	atks, err := e.svc.Attacks(e.ctx, 0, other, 0, 10)
	if err != nil || len(atks) != 0 {
		t.Errorf("blip reported: %v %v", atks, err)
	}
}

// Heavy attacks rate-limit the rest (level 2); beyond the aggregate limit the heaviest IP is
// blackholed (level 3) and goes back to level 2 once quiet.
func TestLevelsRiseWithTheAttack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *mitigation.Config) { c.AggregateLimit = netguard.AggregateLimit{PPS: 1_500_000} })
	e.tick()
	e.second(target, 600_000) // 12 times: level 2
	if r := e.record(target); r.Level != 2 {
		t.Fatalf("level %d, want 2", r.Level)
	}
	if !strings.Contains(e.rules(), "flow4 dst 198.18.0.10/32 then rate-limit") {
		t.Errorf("no rate limit:\n%s", e.rules())
	}
	e.second(target, 2_000_000) // beyond the aggregate limit
	if r := e.record(target); r.Level != 3 {
		t.Fatalf("level %d, want 3", r.Level)
	}
	if !strings.Contains(e.rules(), "rtbh 198.18.0.10/32") {
		t.Errorf("no blackhole:\n%s", e.rules())
	}
	if got := kinds(e.notices()); !slices.Equal(got, []string{mitigation.NoticeStarted, mitigation.NoticeRaised}) {
		t.Errorf("notices %v", got)
	}
	e.second(target, 0)
	e.second(target, 0)
	if r := e.record(target); r.Level != 2 || strings.Contains(e.rules(), "rtbh") {
		t.Fatalf("after the threat: level %d\n%s", r.Level, e.rules())
	}
}

func TestStaffForceRaiseRelease(t *testing.T) {
	t.Parallel()
	e := newEnvPolicy(t, nil, nil, triggerDelay(2*time.Second))
	e.tick()
	if _, err := e.svc.Raise(e.ctx, staffActor, target, 2, "test"); errs.KindOf(err) != errs.Conflict {
		t.Errorf("raise an off mitigation: %v", err)
	}
	v, err := e.svc.Force(e.ctx, staffActor, target, 1, "ticket 42")
	if err != nil || v.State != netguard.MitigationForced || v.Level != 1 || v.Locked {
		t.Fatalf("force: %+v %v", v, err)
	}
	if _, err := e.svc.Raise(e.ctx, staffActor, target, 1, ""); errs.KindOf(err) != errs.Invalid {
		t.Errorf("raise to the same level: %v", err)
	}
	if v, err = e.svc.Raise(e.ctx, staffActor, target, 2, "worse"); err != nil || v.Level != 2 {
		t.Fatalf("raise: %+v %v", v, err)
	}
	e.tick()
	if !strings.Contains(e.rules(), "rate-limit") {
		t.Errorf("forced level 2 has no rate limit:\n%s", e.rules())
	}
	// The customer cannot switch a forced mitigation off, even with pro use.
	if _, err := e.svc.SetProUse(e.ctx, staffActor, target, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPermanent(e.ctx, customer, e.cust.ID, target, false); errs.As(err) == nil || errs.As(err).Code != "mitigation_forced" {
		t.Errorf("customer off of forced: %v", err)
	}
	// An attack during a forced mitigation is acted on at its first second, with a new hold:
	// releasing then leaves an automatic mitigation until the hold ends.
	e.second(target, 100_000)
	if r := e.record(target); r.MinUntil.IsZero() || r.State != netguard.MitigationForced {
		t.Fatalf("attack under forced: %+v", r)
	}
	if v, err = e.svc.Release(e.ctx, staffActor, target, "done"); err != nil || v.State != netguard.MitigationAuto {
		t.Fatalf("release inside a hold: %+v %v", v, err)
	}
	if _, err = e.svc.Release(e.ctx, staffActor, target, "again"); errs.As(err) == nil || errs.As(err).Code != "mitigation_locked" {
		t.Errorf("release of an auto hold: %v", err)
	}
	got := kinds(e.notices())
	if !slices.Equal(got, []string{mitigation.NoticeStarted, mitigation.NoticeRaised}) {
		t.Errorf("notices %v", got)
	}
}

func TestPermanentAndProfiles(t *testing.T) {
	t.Parallel()
	e := newEnvPolicy(t, nil, nil, triggerDelay(2*time.Second))
	e.tick()
	if _, err := e.svc.SetProfile(e.ctx, customer, e.cust.ID, target, "gaming"); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("profile without pro use: %v", err)
	}
	if _, err := e.svc.SetProUse(e.ctx, staffActor, target, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetProfile(e.ctx, customer, e.cust.ID, target, "nope"); errs.KindOf(err) != errs.Invalid {
		t.Errorf("unknown profile: %v", err)
	}
	v, err := e.svc.SetProfile(e.ctx, customer, e.cust.ID, target, "gaming")
	if err != nil || v.Profile != "gaming" {
		t.Fatalf("profile: %+v %v", v, err)
	}
	if p, _ := e.det.Profile(target); p != "gaming" {
		t.Errorf("detector profile %q", p)
	}
	v, err = e.svc.SetPermanent(e.ctx, customer, e.cust.ID, target, true)
	if err != nil || v.State != netguard.MitigationPermanent || v.Level != 0 {
		t.Fatalf("permanent: %+v %v", v, err)
	}
	e.tick()
	if e.rules() != "" {
		t.Errorf("a permanent mitigation without attack has rules:\n%s", e.rules())
	}
	// Armed: even a light attack is acted on at its first second.
	e.second(target, 160_000) // the gaming profile takes 150,000 UDP packets/s
	if r := e.record(target); r.Level != 1 || r.State != netguard.MitigationPermanent {
		t.Fatalf("permanent under attack: %+v", r)
	}
	if _, err := e.svc.SetPermanent(e.ctx, customer, e.cust.ID, target, false); errs.As(err) == nil || errs.As(err).Code != "mitigation_locked" {
		t.Errorf("switch off inside the hold of a detection: %v", err)
	}
	e.clock.Advance(27 * time.Hour)
	e.tick()
	if r := e.record(target); r.State != netguard.MitigationPermanent {
		t.Errorf("a permanent mitigation ended by itself: %+v", r)
	}
	if v, err = e.svc.SetPermanent(e.ctx, customer, e.cust.ID, target, false); err != nil || v.State != netguard.MitigationOff {
		t.Fatalf("switch off after the hold: %+v %v", v, err)
	}
	ns := e.notices()
	if got := kinds(ns); !slices.Equal(got, []string{mitigation.NoticeStarted, mitigation.NoticeEnded}) {
		t.Errorf("notices %v", got)
	}
	if !strings.Contains(ns[1].Body, "désactivée depuis l'Interface") {
		t.Errorf("end notice does not say the customer ended it:\n%s", ns[1].Body)
	}
}

func triggerDelay(d time.Duration) func(*policy.Config) {
	return func(p *policy.Config) { p.AttackTriggerDelay = d }
}

// at adds a one-second record of the second starting at start at pps toward dst, received
// at the clock's now.
func (e *env) at(dst netip.Addr, pps uint64, start time.Time) {
	e.tb.Helper()
	f := e.flow
	f.Dst, f.Packets, f.Bytes, f.Start, f.End = dst, pps, pps*500, start, start.Add(time.Second)
	e.watch.Add(&f, e.clock.Now())
}

// With the loop ticking every 250 ms, an attack is acted on as its records arrive, at the
// first tick after them: a heavy one (10 times) at its first second, a light one (2 times)
// once it has lasted policy attack_trigger_delay (1 s by default), even though the second
// judged last still reads quiet when the tick comes before its records (the rule no longer
// asks the latest second to be above).
func TestAttackActedOnWithinOneTick(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pps  uint64
	}{{"10x", 500_000}, {"2x", 100_000}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			e.tick()
			start := e.clock.Now()
			e.clock.Advance(time.Second) // the attack's first second ends: no record yet
			e.tick()
			if r := e.record(target); r.Active() {
				t.Fatalf("active before any record: %+v", r)
			}
			e.clock.Advance(100 * time.Millisecond) // the export arrives
			e.at(target, tc.pps, start)
			e.clock.Advance(150 * time.Millisecond) // next tick, same wall second
			e.tick()
			if r := e.record(target); !r.Active() || r.Level < 1 {
				t.Fatalf("not acted on at the first tick after the first second's records: %+v", r)
			}
		})
	}
	// A second that reads quiet at the tick (its records still arriving) does not hold back
	// the confirmation of an attack that already lasted the trigger delay.
	e := newEnvPolicy(t, nil, nil, triggerDelay(2*time.Second))
	e.tick()
	e.second(target, 100_000)
	sec2 := e.clock.Now()
	e.clock.Advance(time.Second)
	e.tick() // second 2 judged quiet: no record yet
	if r := e.record(target); r.Active() {
		t.Fatalf("acted after one second of a light attack: %+v", r)
	}
	e.clock.Advance(100 * time.Millisecond)
	e.at(target, 100_000, sec2)
	e.clock.Advance(150 * time.Millisecond)
	e.tick()
	if r := e.record(target); !r.Active() {
		t.Fatalf("not acted on after two seconds above: %+v", r)
	}

	// Ticking once a second, a light attack whose records arrive late is seen above only
	// when the next second (still partial, quiet) is judged: it is confirmed all the same.
	e = newEnv(t, nil, nil)
	e.tick()
	s1 := e.clock.Now()
	e.clock.Advance(time.Second)
	e.at(target, 40_000, s1) // part of the first second's records: below the threshold
	e.tick()
	e.clock.Advance(300 * time.Millisecond)
	e.at(target, 60_000, s1) // the rest: 2 times the threshold
	s2 := s1.Add(time.Second)
	e.clock.Set(s2.Add(time.Second))
	e.at(target, 40_000, s2) // the second's records so far: below
	e.tick()
	if r := e.record(target); !r.Active() {
		t.Fatalf("a light attack seen with a quiet latest second was not confirmed: %+v", r)
	}
}
