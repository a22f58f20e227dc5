package store_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

func TestNetguardMitigationRecords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := db.Netguard()
		ip := netip.MustParseAddr("198.18.0.10")
		if _, err := s.MitigationRecord(ctx, ip); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("missing row: %v", err)
		}
		cust := newCustomer("ng@example.com")
		if err := db.WithTx(ctx, func(q *store.Q) error { return q.InsertAccount(ctx, &cust) }); err != nil {
			t.Fatal(err)
		}
		want := mitigation.Record{Mitigation: netguard.Mitigation{IP: ip, State: netguard.MitigationAuto, Since: t0,
			MinUntil: t0.Add(26 * time.Hour), Level: 2, Profile: "gaming",
			Vectors:   []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorDNSAmplification},
			LastAbove: t0.Add(3 * time.Second), AttackID: 7}, Customer: cust.ID, ProUse: true, UpdatedAt: t0}
		v6 := mitigation.Record{Mitigation: netguard.Mitigation{IP: netip.MustParseAddr("2001:db8::1"), State: netguard.MitigationOff,
			Profile: "default", EndedAt: t0}, UpdatedAt: t0}
		other := mitigation.Record{Mitigation: netguard.Mitigation{IP: netip.MustParseAddr("198.18.0.9"), State: netguard.MitigationForced,
			Since: t0, Level: 3, Profile: "default"}, UpdatedAt: t0}
		err := s.InTx(ctx, func(tx mitigation.Tx) error {
			for _, r := range []mitigation.Record{want, v6, other} {
				if err := tx.SaveMitigationRecord(ctx, r); err != nil {
					return err
				}
			}
			got, err := tx.LockMitigationRecord(ctx, ip)
			if err != nil {
				return err
			}
			got.Level = 2 // saved again: an upsert
			return tx.SaveMitigationRecord(ctx, got)
		})
		if err != nil {
			t.Fatal(err)
		}
		trunc := func(r mitigation.Record) mitigation.Record {
			for _, p := range []*time.Time{&r.Since, &r.MinUntil, &r.LastAbove, &r.EndedAt, &r.UpdatedAt} {
				if !p.IsZero() {
					*p = store.Trunc(*p)
				}
			}
			return r
		}
		got, err := s.MitigationRecord(ctx, ip)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(trunc(want), got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		active, err := s.MitigationRecords(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 2 || active[0].IP != other.IP || active[1].IP != ip {
			t.Errorf("active rows %+v", active)
		}
		all, err := s.MitigationRecords(ctx, false)
		if err != nil || len(all) != 3 || all[2].IP != v6.IP {
			t.Errorf("all rows %+v %v", all, err)
		}
		later := t0.Add(time.Minute)
		if err := s.TouchLastAbove(ctx, map[netip.Addr]time.Time{ip: later, other.IP: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchLastAbove(ctx, map[netip.Addr]time.Time{ip: t0}); err != nil { // never back
			t.Fatal(err)
		}
		got, _ = s.MitigationRecord(ctx, ip)
		if !got.LastAbove.Equal(store.Trunc(later)) {
			t.Errorf("last above %v", got.LastAbove)
		}
	})
}

func TestNetguardAttacksAndTraffic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := db.Netguard()
		ip := netip.MustParseAddr("198.18.0.10")
		a := netguard.Attack{IP: ip, Profile: "default", StartedAt: t0, LastAbove: t0.Add(5 * time.Second),
			Vectors: []netguard.Vector{netguard.VectorUDPFlood}, PeakBPS: 12_000_000_000, PeakPPS: 1_500_000, PeakSeverity: 12.5, Level: 1,
			TopSources: []netguard.AttackSource{{Addr: netip.MustParseAddr("203.0.113.7"), Packets: 900}}}
		carpet := netguard.Attack{Prefix: netip.MustParsePrefix("198.18.1.0/24"), Profile: "carpet", StartedAt: t0.Add(time.Hour),
			LastAbove: t0.Add(time.Hour)}
		old := netguard.Attack{IP: ip, StartedAt: t0.Add(-400 * 24 * time.Hour), LastAbove: t0.Add(-400 * 24 * time.Hour),
			EndedAt: t0.Add(-400 * 24 * time.Hour)}
		err := s.InTx(ctx, func(tx mitigation.Tx) error {
			for _, x := range []*netguard.Attack{&old, &a, &carpet} {
				if err := tx.InsertAttack(ctx, x, 0); err != nil {
					return err
				}
			}
			a.EndedAt, a.Level = t0.Add(time.Minute), 2
			return tx.UpdateAttack(ctx, a)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetAttack(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantA := a
		for _, p := range []*time.Time{&wantA.StartedAt, &wantA.LastAbove, &wantA.EndedAt} {
			*p = store.Trunc(*p)
		}
		if diff := cmp.Diff(wantA, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
			cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
			t.Errorf("attack round trip (-want +got):\n%s", diff)
		}
		list, err := s.ListAttacks(ctx, mitigation.AttackFilter{IP: ip})
		if err != nil || len(list) != 2 || list[0].ID != a.ID {
			t.Errorf("by IP: %v %v", list, err)
		}
		open, err := s.ListAttacks(ctx, mitigation.AttackFilter{Ongoing: true})
		if err != nil || len(open) != 1 || open[0].Prefix != carpet.Prefix {
			t.Errorf("ongoing: %v %v", open, err)
		}
		most, err := s.MostAttacked(ctx, t0.Add(-time.Hour), 5)
		if err != nil || len(most) != 2 || most[0].Attacks != 1 || most[0].IP != ip || most[0].PeakBPS != a.PeakBPS {
			t.Errorf("most attacked: %+v %v", most, err)
		}
		if n, err := s.PruneAttacks(ctx, t0.Add(-365*24*time.Hour)); err != nil || n != 1 {
			t.Errorf("prune attacks: %d %v", n, err)
		}

		var pts []netguard.TrafficPoint
		for i := range 250 {
			pts = append(pts, netguard.TrafficPoint{IP: ip, Scale: netguard.Scale10s, At: t0.Truncate(10 * time.Second).Add(time.Duration(i) * 10 * time.Second),
				In: netguard.Rate{BPS: uint64(i) * 1000, PPS: uint64(i)}, Dropped: netguard.Rate{BPS: 1, PPS: 2}, Out: netguard.Rate{BPS: 3, PPS: 4}})
		}
		if err := s.InsertTraffic(ctx, pts); err != nil {
			t.Fatal(err)
		}
		pts[3].In.BPS = 42 // written again: replaced
		if err := s.InsertTraffic(ctx, pts[3:4]); err != nil {
			t.Fatal(err)
		}
		// One batch giving a point twice (a live point, then its final version): the last wins.
		live, final := pts[2], pts[2]
		live.In.PPS, final.In.PPS = 7, 8
		if err := s.InsertTraffic(ctx, []netguard.TrafficPoint{live, pts[4], final}); err != nil {
			t.Fatalf("a point given twice in one batch: %v", err)
		}
		from := pts[0].At
		back, err := s.TrafficPoints(ctx, ip, netguard.Scale10s, from, from.Add(time.Minute))
		if err != nil || len(back) != 6 || back[3].In.BPS != 42 || back[2].In.PPS != 8 || back[5].Out.PPS != 4 || !back[1].At.Equal(from.Add(10*time.Second)) {
			t.Errorf("read back %+v %v", back, err)
		}
		if n, err := s.PruneTraffic(ctx, from.Add(100*time.Second)); err != nil || n != 10 {
			t.Errorf("prune traffic: %d %v", n, err)
		}

		// Attack seconds: one batch giving a second twice (a new attack's pre-roll over seconds
		// of the previous one still waiting for the store) keeps the last.
		sec := func(at time.Time, pps uint64) mitigation.AttackSecond {
			return mitigation.AttackSecond{IP: ip, At: at, Traffic: detect.Traffic{Total: detect.Rate{PPS: pps, BPS: pps * 800, FPS: 1},
				Classes: map[netguard.Vector]detect.Rate{netguard.VectorUDPFlood: {PPS: pps, BPS: pps * 800, FPS: 1}}}}
		}
		at := t0.Truncate(time.Second)
		if err := s.InsertAttackSeconds(ctx, []mitigation.AttackSecond{sec(at, 10), sec(at.Add(time.Second), 20), sec(at, 30)}); err != nil {
			t.Fatalf("a second given twice in one batch: %v", err)
		}
		if got, err := s.AttackSeconds(ctx, ip, at, at.Add(time.Minute)); err != nil || len(got) != 2 ||
			got[0].Traffic.Total.PPS != 30 || got[1].Traffic.Total.PPS != 20 {
			t.Errorf("attack seconds read back: %+v %v", got, err)
		}
	})
}
