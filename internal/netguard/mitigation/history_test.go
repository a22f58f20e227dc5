package mitigation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// attackWithHistory runs, on e from t0: 70 s of legitimate traffic at 1,000 packets/s, a UDP
// flood of 20 s at 300,000 packets/s over it, then the legitimate traffic alone until the
// detector ends the attack (its quiet period), and the settle delay. It returns the start of the
// flood and the time the attack ended (its last second above threshold).
func attackWithHistory(t *testing.T, e *env) (started, ended time.Time) {
	t.Helper()
	e.tick() // tracks the directory's IPs
	for range 70 {
		e.second(target, 1_000)
	}
	started = e.clock.Now()
	for range 20 {
		e.second(target, 301_000)
	}
	for range 60 {
		e.second(target, 1_000)
	}
	for range 200 {
		if len(e.svc.Open()) == 0 {
			break
		}
		e.clock.Advance(10 * time.Second)
		e.tick()
	}
	if open := e.svc.Open(); len(open) != 0 {
		t.Fatalf("the attack is still open: %+v", open)
	}
	e.clock.Advance(mitigation.HistorySettle)
	e.tick()
	atks, err := e.svc.Attacks(e.ctx, 0, target, 0, 10)
	if err != nil || len(atks) != 1 || !atks[0].StartedAt.Equal(started) || atks[0].EndedAt.IsZero() {
		t.Fatalf("attack reports: %+v %v", atks, err)
	}
	return started, atks[0].EndedAt
}

// While an IP is under attack its per-class seconds are written to the store, from 60 s before
// the attack began (the pre-roll) to the detector's end of the attack, each once it is settled;
// then nothing more.
func TestAttackSecondsAreRecorded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		started, ended := attackWithHistory(t, e)
		secs, err := db.Netguard().AttackSeconds(e.ctx, target, t0, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(secs) == 0 || !secs[0].At.Equal(started.Add(-mitigation.HistoryPreRoll)) {
			t.Fatalf("%d seconds, the first %+v, want the first at %s", len(secs), secs[0], started.Add(-time.Minute))
		}
		last := secs[len(secs)-1].At
		// Recorded until the detector's end: its quiet period (15 min) after the last second above.
		if want := ended.Add(e.pol.MitigationQuietPeriod); last.Before(want.Add(-10*time.Second)) || last.After(want.Add(10*time.Second)) {
			t.Errorf("last second %s, want about %s (the detector's end)", last, want)
		}
		for i, s := range secs {
			if want := secs[0].At.Add(time.Duration(i) * time.Second); !s.At.Equal(want) {
				t.Fatalf("second %d at %s, want %s: a gap", i, s.At, want)
			}
			inFlood := !s.At.Before(started) && s.At.Before(started.Add(20*time.Second))
			wantPPS := uint64(1_000)
			switch {
			case inFlood:
				wantPPS = 301_000
			case !s.At.Before(started.Add(80 * time.Second)):
				wantPPS = 0 // the test sent nothing more
			}
			if s.Traffic.Total.PPS != wantPPS || s.Traffic.Classes[netguard.VectorUDPFlood].PPS != wantPPS {
				t.Fatalf("second %s: %+v, want %d packets/s of UDP", s.At, s.Traffic, wantPPS)
			}
			if above := slices.Contains(s.Above, netguard.VectorUDPFlood); above != inFlood {
				t.Fatalf("second %s: above %v, want udp-flood above %v", s.At, s.Above, inFlood)
			}
		}
		// Nothing is written once the attack is over.
		n := len(secs)
		for range 5 {
			e.clock.Advance(time.Minute)
			e.tick()
		}
		if secs, _ := db.Netguard().AttackSeconds(e.ctx, target, t0, e.clock.Now()); len(secs) != n {
			t.Errorf("%d seconds after the end, want %d", len(secs), n)
		}
	})
}

// An hour after an attack ended, after a restart (a new detector, service and watch: nothing
// in memory), a profile test replays it from the store: "default" drops the flood from its
// second second and, as a held rule would, the legitimate UDP from then on; "gaming" (UDP limit
// 150,000 packets/s) drops it too.
func TestProfileTestOnAPastAttackAfterARestart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		started, ended := attackWithHistory(t, e)
		e.clock.Advance(time.Hour)
		e.start()
		e.tick()
		from, to := started.Add(-time.Minute), ended.Add(time.Minute)
		res, err := e.watch.TestProfile(e.ctx, 0, target, "default", from, to)
		if err != nil {
			t.Fatal(err)
		}
		// 60 s of pre-roll, 20 s of flood, then 1,000 packets/s during 60 s until to (ended is the
		// end of the last flood second).
		if res.Seconds != 140 || res.AttackPackets != 20*301_000 || res.LegitimatePackets != 120*1_000 ||
			!res.From.Equal(from) || !res.To.Equal(to) {
			t.Fatalf("default: %+v", res)
		}
		if want := 19.0 / 20; res.AttackDroppedRatio != want {
			t.Errorf("attack dropped %v, want %v (from the flood's second second)", res.AttackDroppedRatio, want)
		}
		if want := 60.0 / 120; res.LegitimateDroppedRatio != want {
			t.Errorf("legitimate dropped %v, want %v (the UDP after the flood)", res.LegitimateDroppedRatio, want)
		}
		// The flood is above the total limit too: the whole IP is rate-limited (ip-flood).
		if len(res.ByRule) != 2 || res.ByRule[1].Vector != netguard.VectorUDPFlood || !res.ByRule[1].Since.Equal(started.Add(time.Second)) ||
			res.ByRule[1].Rule != "flow4 dst 198.18.0.10/32 proto 17 then discard prio 70 from mitigation 198.18.0.10 level 1 (udp-flood)" ||
			res.ByRule[0].Vector != netguard.VectorIPFlood || res.ByRule[1].AttackDropped != 19*301_000 || res.ByRule[1].LegitimateDropped != 60*1_000 {
			t.Errorf("default rules: %+v", res.ByRule)
		}
		// The customer needs the pro-use option; with it, the same answer.
		if _, err := e.watch.TestProfile(e.ctx, e.cust.ID, target, "default", from, to); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("without pro use: %v", err)
		}
		if _, err := e.svc.SetProUse(e.ctx, staffActor, target, true); err != nil {
			t.Fatal(err)
		}
		if got, err := e.watch.TestProfile(e.ctx, e.cust.ID, target, "default", from, to); err != nil || got.AttackDroppedRatio != res.AttackDroppedRatio {
			t.Errorf("with pro use: %+v %v", got, err)
		}
	})
}

// A range without per-class history (no attack then) is a field error on from saying why;
// so is one before the history was kept. The last minute is live where the detector runs, even
// without an attack, and a range may mix both.
func TestProfileTestRanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	started, _ := attackWithHistory(t, e)
	now := e.clock.Now()
	for name, r := range map[string][2]time.Time{
		"before the attack": {t0.Add(-time.Hour), t0},
		"between":           {started.Add(-time.Hour), started.Add(-2 * time.Minute)},
	} {
		_, err := e.watch.TestProfile(e.ctx, 0, target, "default", r[0], r[1])
		if fe := errs.As(err); fe == nil || len(fe.Fields) != 1 || fe.Fields[0].Field != "from" || fe.Fields[0].Message != mitigation.ErrNoHistory {
			t.Errorf("%s: %v, want the no-history error on from", name, err)
		}
	}
	for name, r := range map[string][2]time.Time{
		"in the future":   {now.Add(-time.Minute), now.Add(time.Second)},
		"to before from":  {now.Add(-time.Minute), now.Add(-2 * time.Minute)},
		"more than a day": {started.Add(-25 * time.Hour), started},
	} {
		if fe := errs.As(func() error { _, err := e.watch.TestProfile(e.ctx, 0, target, "default", r[0], r[1]); return err }()); fe == nil || fe.Fields[0].Field != "to" {
			t.Errorf("%s: %v, want an error on to", name, fe)
		}
	}
	// The last minute, live: the IP is quiet now, 60 seconds of nothing.
	live, err := e.watch.TestProfile(e.ctx, 0, target, "default", time.Time{}, time.Time{})
	if err != nil || live.Seconds != 60 || live.AttackPackets != 0 || !live.From.Equal(now.Add(-time.Minute)) {
		t.Errorf("the last minute: %+v %v", live, err)
	}
}

// The last minute of an attack going on is measured live, before any of it is stored.
func TestProfileTestLiveLastMinute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.tick()
	for range 10 {
		e.second(target, 1_000)
	}
	for range 10 {
		e.second(target, 301_000)
	}
	if secs, _ := e.db.Netguard().AttackSeconds(e.ctx, target, t0, e.clock.Now()); len(secs) != 0 {
		t.Fatalf("%d seconds stored before they settled", len(secs))
	}
	res, err := e.watch.TestProfile(e.ctx, 0, target, "gaming", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Seconds != 60 || res.AttackPackets != 10*301_000 || res.LegitimatePackets != 10*1_000 || res.AttackDroppedRatio != 0.9 ||
		res.LegitimateDroppedRatio != 0 {
		t.Errorf("gaming, live: %+v", res)
	}
}

// A range over an attack still going on takes its older seconds from the store and its last
// minute live, each second once: the pre-roll and the first two minutes of the flood are only
// in the store by now (the detector keeps 64 s), the last 35 s only in the detector (not yet
// settled, so not yet stored).
func TestProfileTestOnAnAttackGoingOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	e.tick()
	for range 70 {
		e.second(target, 1_000)
	}
	started := e.clock.Now()
	for range 150 {
		e.second(target, 301_000)
	}
	if len(e.svc.Open()) != 1 {
		t.Fatalf("the attack is not going on: %+v", e.svc.Open())
	}
	now := e.clock.Now()
	stored, err := e.db.Netguard().AttackSeconds(e.ctx, target, t0, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 || !stored[len(stored)-1].At.Before(now.Add(-mitigation.HistorySettle+time.Second)) {
		t.Fatalf("stored seconds: %d, the last at %v (now %v)", len(stored), stored[len(stored)-1].At, now)
	}
	from := started.Add(-mitigation.HistoryPreRoll)
	res, err := e.watch.TestProfile(e.ctx, 0, target, "gaming", from, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := int(now.Sub(from) / time.Second); res.Seconds != want {
		t.Errorf("seconds: %d, want %d (stored and live, each once)", res.Seconds, want)
	}
	if res.AttackPackets != 150*301_000 || res.LegitimatePackets != 60*1_000 {
		t.Errorf("attack %d and legitimate %d packets, want %d and %d", res.AttackPackets, res.LegitimatePackets, 150*301_000, 60*1_000)
	}
}
