package web

import (
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

var (
	ngIP    = netip.MustParseAddr("198.18.0.10")
	ngOther = netip.MustParseAddr("198.18.0.11")
)

func ngFixtureAttack() netguard.Attack {
	return netguard.Attack{ID: 12, IP: ngIP, Profile: "default", StartedAt: fixedTime.Add(-2 * time.Hour),
		EndedAt: fixedTime.Add(-2*time.Hour + 3*time.Minute), LastAbove: fixedTime.Add(-2*time.Hour + 3*time.Minute),
		Vectors: []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorDNSAmplification}, PeakBPS: 12_400_000_000, PeakPPS: 1_500_000,
		PeakSeverity: 24.8, Level: 2, TopSources: []netguard.AttackSource{{Addr: netip.MustParseAddr("203.0.113.7"), Packets: 9_000_000},
			{Addr: netip.MustParseAddr("2001:db8:bad::1"), Packets: 120}}}
}

func ngFixtureViews() []mitigation.IPView {
	hold := fixedTime.Add(-2 * time.Hour)
	on := mitigation.IPView{Owner: mitigation.Owner{IP: ngIP, Customer: 7, ServerID: 3, Kind: "main"},
		Record: mitigation.Record{Mitigation: netguard.Mitigation{IP: ngIP, State: netguard.MitigationAuto, Since: hold, MinUntil: hold.Add(26 * time.Hour),
			Level: 2, Profile: "default", Vectors: []netguard.Vector{netguard.VectorSYNFlood, netguard.VectorDNSAmplification},
			LastAbove: hold.Add(3 * time.Minute), AttackID: 12}, Customer: 7, ProUse: true},
		Locked: true, Left: 24 * time.Hour, EarliestEnd: hold.Add(26 * time.Hour)}
	off := mitigation.IPView{Owner: mitigation.Owner{IP: ngOther, Customer: 7, ServerID: 3, Kind: "additional"},
		Record: mitigation.Record{Mitigation: netguard.Mitigation{IP: ngOther, State: netguard.MitigationOff, Profile: "default"}}}
	return []mitigation.IPView{on, off}
}

func ngFixtureChart() chart {
	var pts []netguard.TrafficPoint
	from := fixedTime.Add(-time.Hour).Truncate(10 * time.Second)
	for i := range 360 {
		p := netguard.TrafficPoint{IP: ngIP, Scale: netguard.Scale10s, At: from.Add(time.Duration(i) * 10 * time.Second),
			In: netguard.Rate{BPS: 40_000_000, PPS: 5000}}
		if i >= 100 && i < 120 {
			p.In.BPS, p.Dropped.BPS = 9_000_000_000, 8_900_000_000
		}
		pts = append(pts, p)
	}
	return newChart(pts, netguard.Scale10s, from, from.Add(time.Hour))
}

func netguardFixtures() []fixture {
	cust, staff := fixtureCustomer(), fixtureStaff()
	noc := account.Account{ID: 4, Kind: account.KindStaff, Email: "noc@itsgow.example", Name: "Nora NOC", Language: "fr",
		CreatedAt: fixedTime, Roles: []account.Role{account.RoleNOC}}
	as := func(a account.Account, nav, here string, data any) *page {
		return &page{Nav: nav, User: &a, CSRF: "csrf-fixture", Here: here, Data: data}
	}
	u := &ui{}
	views := ngFixtureViews()
	atk := ngFixtureAttack()
	attackData := func() ngAttackData {
		from, to := mitigation.AttackTestRange(atk, fixedTime)
		return ngAttackData{ngAttackRow: ngAttackRowOf(atk, fixedTime),
			Sources: []ngSource{{IP: "203.0.113.7", Packets: "9000000"}, {IP: "2001:db8:bad::1", Packets: "120"}},
			CanTest: true, Profiles: []string{"default", "gaming", "strict", "web"}, TestProfile: "default",
			TestFrom: from.Format(time.RFC3339), TestTo: to.Format(time.RFC3339)}
	}
	ongoing := atk
	ongoing.ID, ongoing.EndedAt = 13, time.Time{}
	carpet := netguard.Attack{ID: 14, Prefix: netip.MustParsePrefix("198.18.1.0/24"), Profile: "carpet", StartedAt: fixedTime.Add(-time.Hour),
		LastAbove: fixedTime.Add(-50 * time.Minute), EndedAt: fixedTime.Add(-50 * time.Minute), Vectors: []netguard.Vector{netguard.VectorUDPFlood},
		PeakBPS: 3_000_000_000, PeakPPS: 900_000}
	ipData := func(lang string, v mitigation.IPView) ngIPData {
		d := ngIPData{ngState: u.ngStateOf(v), Chart: ngFixtureChart(), Profiles: []string{"default", "gaming", "strict", "web"},
			Scales: []string{"10s", "1m", "5m"}}
		for _, a := range []netguard.Attack{ongoing, atk} {
			d.Attacks = append(d.Attacks, ngAttackRowOf(a, fixedTime))
		}
		return d
	}
	rules, refusals := edge.Compile(mitigation.EdgeInput([]mitigation.Record{views[0].Record,
		{Mitigation: netguard.Mitigation{IP: netip.MustParseAddr("192.0.2.1"), State: netguard.MitigationForced, Level: 1,
			Vectors: []netguard.Vector{netguard.VectorUDPFlood}}}}, 0),
		edge.Guard{Infrastructure: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	staffData := func(lang string) ngStaffData {
		d := ngStaffData{Levels: []int{1, 2, 3}, IP: "198.18.0.11", Refusals: refusals, HasEdge: true, Synced: true, HasColl: true,
			Peers: []edge.PeerStatus{{Peer: "127.0.0.20:11179", ASN: 65020, State: "established", Up: true, Since: fixedTime.Add(-time.Hour), Sent: 3},
				{Peer: "127.0.0.21:179", ASN: 65021, State: "active", Flaps: 2, LastError: "connection refused"}},
			Exporters: []mitigation.Exporter{{Addr: netip.MustParseAddr("127.0.0.1"), Format: "netflow9", LastSeen: fixedTime, SamplingRate: 1000,
				FlowsPerSecond: 1520, ActiveTimeout: 60 * time.Second, Warning: "active timeout 1m0s exceeds the reaction target 1s"}},
			Most:    []ngMostRow{{Target: "198.18.0.10", Attacks: 3, PeakBPS: "12.4 Gbit/s", PeakPPS: "1.5 Mpps", LastSeen: fixedTime}},
			Traffic: mitigation.TrafficBacklog{Queued: 250_000, Dropped: 1500}} // the store fell behind: both the warning and the notice
		d.Active = append(d.Active, u.ngStateOf(views[0]))
		for _, r := range rules {
			row := ngRuleRow{Kind: "flowspec", Key: r.Key(), Origin: r.Origin().String(), Action: r.Flow.ActionString()}
			d.Rules = append(d.Rules, row)
		}
		for _, a := range []netguard.Attack{ongoing, atk, carpet} {
			d.Recent = append(d.Recent, ngAttackRowOf(a, fixedTime))
		}
		d.Me = 2
		for _, r := range []mitigation.StaffRule{
			{ID: 4, Prefix: netip.MustParsePrefix("198.18.1.0/24"), Vectors: []netguard.Vector{netguard.VectorNTPAmplification},
				Reason: "carpet bombing, ticket 42", RequestedBy: 3, RequestedAt: fixedTime.Add(-10 * time.Minute)},
			{ID: 5, Prefix: netip.MustParsePrefix("198.18.0.10/32"), Vectors: []netguard.Vector{netguard.VectorSYNFlood},
				Reason: "ticket 43", RequestedBy: 2, RequestedAt: fixedTime.Add(-5 * time.Minute)},
		} {
			d.StaffRules = append(d.StaffRules, ngStaffRuleRow{Rule: r, Vectors: netguard.JoinVectors(r.Vectors)})
		}
		return d
	}
	var out []fixture
	out = append(out,
		fixture{"netguard_ips", "netguard_ips", func() *page {
			p := as(cust, "ips", "/ips", nil)
			p.Data = ngIPsData{IPs: []ngState{u.ngStateOf(views[0]), u.ngStateOf(views[1])}}
			return p
		}, nil},
		fixture{"netguard_ips-empty", "netguard_ips", func() *page { return as(cust, "ips", "/ips", ngIPsData{}) }, nil},
		fixture{"netguard_ip", "netguard_ip", func() *page {
			p := as(cust, "ips", "/ips/198.18.0.10", ipData("fr", views[0]))
			p.Flash = "netguard.flash.profile_saved"
			return p
		}, nil},
		fixture{"netguard_ip-test", "netguard_ip", func() *page {
			d := ipData("en", views[0])
			d.Test = &ngProfileTest{Profile: "online gaming", From: fixedTime.Add(-time.Minute), To: fixedTime, Attack: "95.0 %", Legitimate: "0.0 %",
				Rules: []ngProfileTestRule{{Rule: "flow4 dst 198.18.0.10/32 proto 17 sport 123 then discard", Since: fixedTime.Add(-59 * time.Second),
					Attack: "570000", Legitimate: "0"}}}
			return as(cust, "ips", "/ips/198.18.0.10", d)
		}, nil},
		fixture{"netguard_ip-locked", "netguard_ip", func() *page {
			return as(cust, "ips", "/ips/198.18.0.10", ipData("fr", views[0]))
		}, u.ngLockedFixture()},
		fixture{"netguard_ip-off", "netguard_ip", func() *page {
			d := ipData("fr", views[1])
			d.Attacks, d.Chart = nil, newChart(nil, netguard.Scale1m, fixedTime.Add(-24*time.Hour), fixedTime)
			return as(cust, "ips", "/ips/198.18.0.11?scale=1m", d)
		}, nil},
		fixture{"netguard_attack", "netguard_attack", func() *page {
			return as(cust, "ips", "/ips/198.18.0.10/attacks/12", attackData())
		}, nil},
		fixture{"netguard_attack-test", "netguard_attack", func() *page {
			d := attackData()
			d.TestProfile = "gaming"
			d.Test = &ngProfileTest{Profile: "online gaming", From: atk.StartedAt.Add(-time.Minute), To: atk.EndedAt, Seconds: 2460,
				Attack: "99.9 %", Legitimate: "0.0 %", Rules: []ngProfileTestRule{{Rule: "flow4 dst 198.18.0.10/32 proto 17 sport 123 then discard",
					Since: atk.StartedAt.Add(time.Second), Attack: "8991000", Legitimate: "0"}}}
			return as(cust, "ips", "/ips/198.18.0.10/attacks/12", d)
		}, nil},
		fixture{"netguard_attack-no-history", "netguard_attack", func() *page {
			d := attackData()
			d.TestFrom, d.TestTo = "2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z"
			return as(cust, "ips", "/ips/198.18.0.10/attacks/12", d)
		}, errs.Fields(errs.FieldError{Field: "from", Message: mitigation.ErrNoHistory})},
		fixture{"netguard_staff", "netguard_staff", func() *page {
			p := as(staff, "network", "/staff/network", staffData("en"))
			p.Flash = "netguard.flash.forced"
			return p
		}, nil},
		fixture{"netguard_staff-noc-empty", "netguard_staff", func() *page {
			return as(noc, "network", "/staff/network", ngStaffData{Levels: []int{1, 2, 3}})
		}, nil},
		fixture{"netguard_staff-stale", "netguard_staff", func() *page { // an api/web process: the collector and edge processes stopped
			return as(noc, "network", "/staff/network", ngStaffData{Levels: []int{1, 2, 3},
				EdgeStale: &mitigation.NoReportError{Role: "edge", MaxAge: 15 * time.Second},
				CollStale: &mitigation.NoReportError{Role: "collector", MaxAge: 15 * time.Second, Last: fixedTime.Add(-time.Minute), Node: "collector1:4242"}})
		}, nil},
	)
	return out
}

// ngLockedFixture is the refusal a customer sees when switching off inside the hold.
func (u *ui) ngLockedFixture() error {
	le := &mitigation.LockedError{Until: fixedTime.Add(24 * time.Hour), Left: 24 * time.Hour, Hold: 26 * time.Hour}
	return &errs.Error{Kind: errs.Conflict, Code: "mitigation_locked", Msg: le.Error(), Cause: le}
}
