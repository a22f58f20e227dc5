package app_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/netguard"
)

// A pro customer measures profiles on the last minute of an NTP amplification over game
// traffic: "gaming" drops the amplification and none of the game's UDP, "default" drops the
// amplification too but also the game (its UDP limit is lower). Bad input is refused on its field.
func TestNetguardProfileTests(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Config: func(c *app.Config) {
		c.Roles = []string{"api", "web", "collector"}
		c.Netguard.Collector.NetFlow, c.Netguard.Collector.IPFIX, c.Netguard.Collector.SFlow = "127.0.0.1:0", "", ""
	}})
	cust := e.Creds.Customer.Token
	// The customer's server hosts a game: its IP uses the gaming profile, so the attack is the
	// amplification alone.
	if r := e.Do(t, "PUT", "/api/v1/ips/"+app.DemoMainIP+"/mitigation/profile", cust, []byte(`{"profile":"gaming"}`)); r.Status != 200 {
		t.Fatalf("profile: %d %s", r.Status, r.Body)
	}
	ngTick(t, e)
	target := netip.MustParseAddr(app.DemoMainIP)
	flow := func(sec time.Time, proto uint8, sport, dport uint16, pps uint64) netguard.Flow {
		return netguard.Flow{Src: netip.MustParseAddr("203.0.113.9"), Dst: target, Proto: proto, SrcPort: sport, DstPort: dport,
			Packets: pps, Bytes: pps * 200, Start: sec, End: sec.Add(time.Second), SamplingRate: 1}
	}
	for range 20 {
		sec := e.Clock.Now()
		e.App.Netguard.Watch.AddBatch([]netguard.Flow{
			flow(sec, netguard.ProtoUDP, 50000, 27015, 40_000), // the game: 40,000 UDP packets/s
			flow(sec, netguard.ProtoTCP, 443, 51000, 5_000),
			flow(sec, netguard.ProtoUDP, 123, 40000, 30_000), // NTP amplification
		}, sec.Add(time.Second))
		e.Clock.Advance(time.Second)
		ngTick(t, e)
	}
	from := e.Clock.Now().Add(-20 * time.Second).UTC().Format(time.RFC3339)
	test := func(profile string) (res struct {
		AttackDroppedRatio     float64 `json:"attackDroppedRatio"`
		LegitimateDroppedRatio float64 `json:"legitimateDroppedRatio"`
		AttackPackets          uint64  `json:"attackPackets"`
		LegitimatePackets      uint64  `json:"legitimatePackets"`
		ByRule                 []struct {
			Vector string `json:"vector"`
			Rule   string `json:"rule"`
		} `json:"byRule"`
	}) {
		t.Helper()
		r := e.Do(t, "POST", "/api/v1/ips/"+app.DemoMainIP+"/mitigation/profile-tests", cust,
			[]byte(fmt.Sprintf(`{"profile":%q,"from":%q}`, profile, from)))
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", profile, r.Status, r.Body)
		}
		r.JSON(t, &res)
		t.Logf("%s: %s", profile, r.Body)
		return res
	}
	gaming := test("gaming")
	if gaming.AttackPackets != 20*30_000 || gaming.LegitimatePackets != 20*45_000 {
		t.Errorf("gaming: attack %d and legitimate %d packets, want %d and %d", gaming.AttackPackets, gaming.LegitimatePackets, 20*30_000, 20*45_000)
	}
	if gaming.AttackDroppedRatio < 0.9 || gaming.LegitimateDroppedRatio != 0 || len(gaming.ByRule) != 1 ||
		gaming.ByRule[0].Vector != "ntp-amplification" || !strings.Contains(gaming.ByRule[0].Rule, "dst 198.18.0.10/32 proto 17 sport 123") {
		t.Errorf("gaming: %+v", gaming)
	}
	def := test("default")
	if def.AttackDroppedRatio < 0.9 || def.LegitimateDroppedRatio < 0.8*40/45 {
		t.Errorf("default drops the game too (all UDP above its 50,000 packets/s): %+v", def)
	}

	// strict also rate-limits the whole IP (75,000 packets/s above its 50,000) to 1 Gbit/s: these
	// 120 Mbit/s pass.
	r := e.Do(t, "POST", "/api/v1/ips/"+app.DemoMainIP+"/mitigation/profile-tests", cust, []byte(`{"profile":"strict"}`))
	if r.Status != 200 || !strings.Contains(string(r.Body), `{"vector":"ip-flood","rule":"flow4 dst 198.18.0.10/32 then rate-limit 125000000B/s`) ||
		!strings.Contains(string(r.Body), `level 1 (ip-flood)","since":"2026-11-25T09:00:01Z","attackDroppedPackets":0,"legitimateDroppedPackets":0}`) {
		t.Errorf("strict: %d %s", r.Status, r.Body)
	}

	base := "/api/v1/ips/" + app.DemoMainIP + "/mitigation/profile-tests"
	for body, field := range map[string]string{
		`{"profile":"gaming","firewall":true}`: "firewall",
		`{"profile":"carpet"}`:                 "profile",
		`{"profile":"gaming","from":"2026-11-25T07:00:00Z","to":"2026-11-25T08:00:00Z"}`: "from", // no history
		`{"profile":"gaming","from":"2026-11-24T07:00:00Z","to":"2026-11-25T08:00:00Z"}`: "to",   // more than a day
		`{"profile":"gaming","attackId":999}`:                                            "attackId",
	} {
		if r := e.Do(t, "POST", base, cust, []byte(body)); r.Status != 422 || r.Problem(t).Errors[0].Field != field {
			t.Errorf("%s: %d %s, want 422 on %s", body, r.Status, r.Body, field)
		}
	}
	other := newCustomer(t, e, "other@example.com", account.Customer{Type: account.Person, Country: "FR"}, "en")
	if r := e.Do(t, "POST", base, other, []byte(`{"profile":"gaming"}`)); r.Status != 404 {
		t.Errorf("another customer's IP: %d", r.Status)
	}
	if r := e.Do(t, "POST", base, other, []byte(`{"profile":"gaming","attackId":999}`)); r.Status != 404 {
		t.Errorf("another customer's IP, with an attackId: %d %s, want 404 as without", r.Status, r.Body)
	}
}

// An attack seen by the collector process is recorded per class; an hour after it ended, the
// api and web process (no collector, no detector: the store only) tests profiles on it by its
// id, and a range without history answers why, on both engines.
func TestNetguardProfileTestOnAPastAttack(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		back, front := ngSplit(t, pg)
		advance := func(d time.Duration) { back.Clock.Advance(d); front.Clock.Advance(d) }
		cust := front.Creds.Customer.Token
		// The server hosts a game: the gaming profile, so the attack is the amplification alone.
		if r := front.Do(t, "PUT", "/api/v1/ips/"+app.DemoMainIP+"/mitigation/profile", cust, []byte(`{"profile":"gaming"}`)); r.Status != 200 {
			t.Fatalf("profile: %d %s", r.Status, r.Body)
		}
		ngTick(t, back) // tracks the demo IP
		target := netip.MustParseAddr(app.DemoMainIP)
		flow := func(sec time.Time, sport, dport uint16, pps uint64) netguard.Flow {
			return netguard.Flow{Src: netip.MustParseAddr("203.0.113.9"), Dst: target, Proto: netguard.ProtoUDP, SrcPort: sport, DstPort: dport,
				Packets: pps, Bytes: pps * 200, Start: sec, End: sec.Add(time.Second), SamplingRate: 1}
		}
		// A game's 40,000 UDP packets/s, and 30 s into it an NTP amplification for 20 s (the
		// pre-roll starts before the game: 30 quiet seconds, then 30 of the game).
		for i := range 120 {
			sec := back.Clock.Now()
			flows := []netguard.Flow{flow(sec, 50000, 27015, 40_000)}
			if i >= 30 && i < 50 {
				flows = append(flows, flow(sec, 123, 40000, 100_000))
			}
			back.App.Netguard.Watch.AddBatch(flows, sec.Add(time.Second))
			advance(time.Second)
			ngTick(t, back)
		}
		for range 120 { // the detector ends the attack after its quiet period
			advance(10 * time.Second)
			ngTick(t, back)
		}
		advance(time.Hour)
		var atks struct {
			Items []struct {
				ID        int64     `json:"id"`
				StartedAt time.Time `json:"startedAt"`
				EndedAt   time.Time `json:"endedAt"`
			} `json:"items"`
		}
		if r := front.Do(t, "GET", "/api/v1/ips/"+app.DemoMainIP+"/attacks", cust, nil); r.Status != 200 {
			t.Fatalf("attacks: %d %s", r.Status, r.Body)
		} else {
			r.JSON(t, &atks)
		}
		if len(atks.Items) != 1 || atks.Items[0].EndedAt.IsZero() {
			t.Fatalf("attacks: %+v", atks)
		}
		atk := atks.Items[0]
		base := "/api/v1/ips/" + app.DemoMainIP + "/mitigation/profile-tests"
		test := func(profile string) (res struct {
			From                   time.Time `json:"from"`
			To                     time.Time `json:"to"`
			Seconds                int       `json:"seconds"`
			AttackDroppedRatio     float64   `json:"attackDroppedRatio"`
			LegitimateDroppedRatio float64   `json:"legitimateDroppedRatio"`
			AttackPackets          uint64    `json:"attackPackets"`
			LegitimatePackets      uint64    `json:"legitimatePackets"`
		}) {
			t.Helper()
			r := front.Do(t, "POST", base, cust, []byte(fmt.Sprintf(`{"profile":%q,"attackId":%d}`, profile, atk.ID)))
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", profile, r.Status, r.Body)
			}
			r.JSON(t, &res)
			return res
		}
		gaming := test("gaming")
		if !gaming.From.Equal(atk.StartedAt.Add(-time.Minute)) || !gaming.To.Equal(atk.EndedAt) || gaming.Seconds != 80 ||
			gaming.AttackPackets != 20*100_000 || gaming.LegitimatePackets != 50*40_000 || gaming.AttackDroppedRatio != 0.95 || gaming.LegitimateDroppedRatio != 0 {
			t.Errorf("gaming on the attack: %+v (attack %+v)", gaming, atk)
		}
		if def := test("default"); def.AttackDroppedRatio != 0.95 || def.LegitimateDroppedRatio != 19.0/50 {
			t.Errorf("default drops the game's UDP too while the attack lasts: %+v", def)
		}
		// Before the attack: nothing kept, and the problem says why.
		r := front.Do(t, "POST", base, cust, []byte(fmt.Sprintf(`{"profile":"gaming","from":%q,"to":%q}`,
			atk.StartedAt.Add(-time.Hour).Format(time.RFC3339), atk.StartedAt.Add(-2*time.Minute).Format(time.RFC3339))))
		if p := r.Problem(t); r.Status != 422 || r.Header.Get("Content-Type") != "application/problem+json" || len(p.Errors) != 1 ||
			p.Errors[0].Field != "from" || !strings.Contains(p.Errors[0].Message, "only around attacks") {
			t.Errorf("a range without history: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		// The last minute, on a process without the detector: nothing was recorded.
		if r := front.Do(t, "POST", base, cust, []byte(`{"profile":"gaming"}`)); r.Status != 422 || r.Problem(t).Errors[0].Field != "from" {
			t.Errorf("the last minute without a detector: %d %s", r.Status, r.Body)
		}
	})
}
