package mitigation_test

import (
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// The retention job keeps attack reports one year after they ended, and traffic points and the
// per-class seconds of attacks two weeks (policy), to the second: what is exactly at the limit stays, one second older goes.
// An attack still going on is never pruned.
func TestPruneAtTheRetentionEdges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		now := e.clock.Now()
		year, weeks := e.pol.AttackReportRetention, e.pol.TrafficSeriesRetention
		if year != 365*24*time.Hour || weeks != 14*24*time.Hour {
			t.Fatalf("policy retention %v and %v, want 1 year and 2 weeks", year, weeks)
		}
		ended := map[string]time.Time{"older": now.Add(-year - time.Second), "at": now.Add(-year), "younger": now.Add(-year + time.Second)}
		ids := map[string]int64{}
		err := db.Netguard().InTx(e.ctx, func(tx mitigation.Tx) error {
			for name, end := range ended {
				a := netguard.Attack{IP: target, Profile: "default", StartedAt: end.Add(-time.Hour), LastAbove: end, EndedAt: end,
					Vectors: []netguard.Vector{netguard.VectorUDPFlood}}
				if err := tx.InsertAttack(e.ctx, &a, e.cust.ID); err != nil {
					return err
				}
				ids[name] = a.ID
			}
			// Begun two years ago and not over: kept.
			a := netguard.Attack{IP: other, Profile: "default", StartedAt: now.Add(-2 * year), LastAbove: now}
			return tx.InsertAttack(e.ctx, &a, e.cust.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		var pts []netguard.TrafficPoint
		for _, at := range []time.Time{now.Add(-weeks - 10*time.Second), now.Add(-weeks), now.Add(-weeks + 10*time.Second)} {
			for _, sc := range netguard.Scales() {
				pts = append(pts, netguard.TrafficPoint{IP: target, Scale: sc, At: at, In: netguard.Rate{BPS: 8000, PPS: 1}})
			}
		}
		if err := db.Netguard().InsertTraffic(e.ctx, pts); err != nil {
			t.Fatal(err)
		}
		// The per-class seconds of attacks (profile tests) go with the points.
		var secs []mitigation.AttackSecond
		for _, at := range []time.Time{now.Add(-weeks - time.Second), now.Add(-weeks), now.Add(-weeks + time.Second)} {
			secs = append(secs, mitigation.AttackSecond{IP: target, At: at, Traffic: detect.Traffic{Total: detect.Rate{PPS: 1, BPS: 8000, FPS: 1},
				Classes: map[netguard.Vector]detect.Rate{netguard.VectorUDPFlood: {PPS: 1, BPS: 8000, FPS: 1}}}, Above: []netguard.Vector{netguard.VectorUDPFlood}})
		}
		if err := db.Netguard().InsertAttackSeconds(e.ctx, secs); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.HandlePrune(e.ctx, jobs.Job{Kind: mitigation.JobPrune}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Netguard().AttackSeconds(e.ctx, target, now.Add(-3*weeks), now); err != nil || len(got) != 2 ||
			!got[0].At.Equal(now.Add(-weeks)) || got[0].Traffic.Classes[netguard.VectorUDPFlood].BPS != 8000 || got[1].Above[0] != netguard.VectorUDPFlood {
			t.Errorf("attack seconds after the prune: %+v %v", got, err)
		}
		for name, id := range ids {
			_, err := db.Netguard().GetAttack(e.ctx, id)
			if kept := err == nil; kept != (name != "older") {
				t.Errorf("attack that ended %s the retention limit: kept %v (%v)", name, kept, err)
			}
		}
		if open, err := e.svc.RecentAttacks(e.ctx, mitigation.AttackFilter{IP: other}); err != nil || len(open) != 1 {
			t.Errorf("the ongoing attack: %+v %v", open, err)
		}
		for _, sc := range netguard.Scales() {
			got, err := db.Netguard().TrafficPoints(e.ctx, target, sc, now.Add(-3*weeks), now)
			if err != nil || len(got) != 2 || !got[0].At.Equal(now.Add(-weeks)) {
				t.Errorf("%s points after the prune: %+v %v", sc, got, err)
			}
		}
		// A second later, the point at the limit goes too.
		e.clock.Advance(time.Second)
		if err := e.svc.HandlePrune(e.ctx, jobs.Job{Kind: mitigation.JobPrune}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Netguard().TrafficPoints(e.ctx, target, netguard.Scale10s, now.Add(-3*weeks), now); len(got) != 1 {
			t.Errorf("10s points a second later: %+v", got)
		}
		if got, _ := db.Netguard().AttackSeconds(e.ctx, target, now.Add(-3*weeks), now); len(got) != 1 || !got[0].At.Equal(now.Add(-weeks+time.Second)) {
			t.Errorf("attack seconds a second later: %+v", got)
		}
		if _, err := db.Netguard().GetAttack(e.ctx, ids["at"]); err == nil {
			t.Errorf("the attack that ended exactly a year ago is kept a second later")
		}
	})
}
