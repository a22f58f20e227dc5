package web_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// The customer's IP pages and the staff's network dashboard, on the whole program: pro
// controls, a staff-forced mitigation, and the refusal to switch off inside the 26-hour hold.
func TestNetguardPages(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	const ip = "198.18.0.10"
	cust := e.client(t)
	cust.login(e.creds.Customer.Email, e.creds.Customer.Password)
	list := cust.get("/ips")
	list.is(t, http.StatusOK)
	list.has(t, `href="/ips/198.18.0.10"`, "inactive", `href="/ips"`)
	pg := cust.get("/ips/" + ip)
	pg.is(t, http.StatusOK)
	pg.has(t, `id="permanent-on"`, `<svg class="chart"`, `id="profile-select"`, "Aucune attaque.")
	csrf := pg.csrf(t)
	done := cust.follow(cust.post("/ips/"+ip+"/mitigation/profile", url.Values{"csrf": {csrf}, "profile": {"gaming"}}))
	done.has(t, "Le profil de protection est enregistré.", `<option value="gaming" selected>`)
	done = cust.follow(cust.post("/ips/"+ip+"/mitigation", url.Values{"csrf": {csrf}, "permanent": {"on"}}))
	done.has(t, "La mitigation permanente est activée.", `id="permanent-off"`)
	done = cust.follow(cust.post("/ips/"+ip+"/mitigation", url.Values{"csrf": {csrf}, "permanent": {"off"}}))
	done.has(t, "La mitigation est désactivée.")
	cust.get("/ips/198.18.0.99").is(t, http.StatusNotFound)
	cust.get("/staff/network").is(t, http.StatusForbidden)

	staff := e.client(t)
	staff.login(e.creds.Staff.Email, e.creds.Staff.Password)
	dash := staff.get("/staff/network?ip=" + ip)
	dash.is(t, http.StatusOK)
	dash.has(t, "No active mitigation.", `id="force-submit"`, "Flow exporters", "BGP sessions")
	forced := staff.follow(staff.post("/staff/network/"+ip+"/force", url.Values{"csrf": {dash.csrf(t)}, "level": {"2"}, "reason": {"ticket 7"}}))
	forced.has(t, "Mitigation is forced", `id="active-198-18-0-10"`, "<code>flow4 dst 198.18.0.10/32</code>", "rate-limit")
	bad := staff.post("/staff/network/"+ip+"/raise", url.Values{"csrf": {dash.csrf(t)}, "level": {"1"}})
	bad.is(t, http.StatusUnprocessableEntity)

	refused := cust.post("/ips/"+ip+"/mitigation", url.Values{"csrf": {csrf}, "permanent": {"off"}})
	refused.is(t, http.StatusConflict)
	refused.has(t, "Nos équipes ont forcé cette mitigation")
	staff.follow(staff.post("/staff/network/"+ip+"/release", url.Values{"csrf": {dash.csrf(t)}, "reason": {"done"}})).has(t, "Mitigation is released.")

	// A detected attack: the customer cannot switch it off for 26 hours, and is told how long.
	now := e.app.Clock.Now()
	err := e.app.Netguard.Service.Observe(context.Background(), []detect.Event{{Kind: detect.EventStart,
		IP: netip.MustParseAddr(ip), Profile: "gaming", Vectors: []netguard.Vector{netguard.VectorDNSAmplification},
		Peak: detect.Rate{PPS: 900_000, BPS: 7_200_000_000}, Severity: 45, PeakSeverity: 45,
		Started: now.Add(-time.Second), LastAbove: now}}, now)
	if err != nil {
		t.Fatal(err)
	}
	locked := cust.post("/ips/"+ip+"/mitigation", url.Values{"csrf": {csrf}, "permanent": {"off"}})
	locked.is(t, http.StatusConflict)
	locked.has(t, "La mitigation ne peut pas être désactivée avant le", "(encore 25 h 59 min)", `id="countdown"`, "dns-amplification")
	page := cust.get("/ips/" + ip)
	page.has(t, `id="attacks"`, "7.2 Gbit/s")
}

// The IP page charts an attack as it happens: each 10-second interval appears about a second
// after it ends, not once the flow records of the minute have all arrived, and the page
// reloads itself while the attack goes on; a profile test measures the last minute.
func TestNetguardChartIsLive(t *testing.T) {
	t.Parallel()
	start := clock.Real().Now().Truncate(10 * time.Second) // the cookie jar expires cookies by the real clock
	clk := clocktest.New(start)
	e := startApp(t, clk)
	ctx := context.Background()
	if err := e.app.NetguardTick(ctx); err != nil { // tracks the demo IP
		t.Fatal(err)
	}
	cust := e.client(t)
	cust.login(e.creds.Customer.Email, e.creds.Customer.Password)
	cust.get("/ips/198.18.0.10").has(t, `id="no-traffic"`)
	target := netip.MustParseAddr("198.18.0.10")
	for sec := range 10 { // 10 seconds of 60,000 UDP packets of 1,000 bytes per second
		now := clk.Now()
		e.app.Netguard.Watch.AddBatch([]netguard.Flow{{Src: netip.MustParseAddr("203.0.113.9"), Dst: target,
			Proto: netguard.ProtoUDP, SrcPort: 40000 + uint16(sec), DstPort: 80, Packets: 60_000, Bytes: 60_000_000,
			Start: now, End: now}}, now)
		clk.Advance(time.Second)
		if err := e.app.NetguardTick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Second)
	if err := e.app.NetguardTick(ctx); err != nil {
		t.Fatal(err)
	}
	// The app runs: its traffic writer stores the interval's point in the background, at once.
	waitTrafficWritten(t, e)
	pg := cust.get("/ips/198.18.0.10")
	pg.is(t, http.StatusOK)
	pg.has(t, "udp-flood", "480.0 Mbit/s")
	if pg.header.Get("Refresh") != "10" {
		t.Errorf("during the attack the page does not reload itself: Refresh %q", pg.header.Get("Refresh"))
	}
	// The customer (pro use) tests profiles on this last minute: "gaming" lets this UDP through,
	// "strict" would have dropped it.
	gaming := cust.post("/ips/198.18.0.10/mitigation/profile-test", url.Values{"csrf": {pg.csrf(t)}, "profile": {"gaming"}})
	gaming.is(t, http.StatusOK)
	gaming.has(t, `id="profile-test-result"`, "0.0 % du trafic d&#39;attaque", "Il n&#39;aurait appliqué aucune règle.")
	strict := cust.post("/ips/198.18.0.10/mitigation/profile-test", url.Values{"csrf": {pg.csrf(t)}, "profile": {"strict"}})
	strict.has(t, "<code>flow4 dst 198.18.0.10/32 proto 17 then discard prio 70 from mitigation 198.18.0.10 level 1 (udp-flood)</code>")
	if strings.Contains(pg.body, `id="no-traffic"`) {
		i := strings.Index(pg.body, `id="traffic"`)
		t.Errorf("11 s into the attack the chart is not drawn:\n%s", pg.body[i:min(len(pg.body), i+2000)])
	}
}

// From the dashboard, a staff rule toward a prefix under carpet bombing waits for a second
// staff member: its author sees no Approve button (and is refused), the second one approves it,
// and the compiled set then holds it.
func TestNetguardStaffRulePages(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := context.Background()
	if _, err := e.app.Accounts.CreateStaff(ctx, account.System, account.NewStaff{Email: "noa@itsgow.example",
		Password: "a long enough password", Name: "Noa Petit", Language: "en", Roles: []account.Role{account.RoleNOC}}); err != nil {
		t.Fatal(err)
	}
	noc := e.client(t)
	noc.login("noa@itsgow.example", "a long enough password")
	dash := noc.get("/staff/network")
	dash.has(t, "No staff rule.", `id="staff-rule-submit"`)
	bad := noc.post("/staff/network-rules", url.Values{"csrf": {dash.csrf(t)}, "prefix": {"198.18.1.0/24"}, "vectors": {"teapot"}, "reason": {"x"}})
	bad.is(t, http.StatusUnprocessableEntity)
	bad.has(t, `value="teapot"`)
	added := noc.follow(noc.post("/staff/network-rules", url.Values{"csrf": {dash.csrf(t)}, "prefix": {"198.18.1.0/24"},
		"vectors": {"ntp-amplification, dns-amplification"}, "reason": {"carpet bombing"}}))
	added.has(t, "waits for a second staff member", "awaiting approval", "too-wide")
	if strings.Contains(added.body, `id="approve-1"`) {
		t.Error("the author is offered to approve their own rule")
	}
	noc.post("/staff/network-rules/1/approve", url.Values{"csrf": {dash.csrf(t)}}).is(t, http.StatusForbidden)

	admin := e.client(t)
	admin.login(e.creds.Staff.Email, e.creds.Staff.Password)
	page := admin.get("/staff/network")
	page.has(t, `id="approve-1"`)
	approved := admin.follow(admin.post("/staff/network-rules/1/approve", url.Values{"csrf": {page.csrf(t)}}))
	approved.has(t, "The staff rule is approved", "<code>flow4 dst 198.18.1.0/24 proto 17 sport 123</code>")
	deleted := admin.follow(admin.post("/staff/network-rules/1/delete", url.Values{"csrf": {page.csrf(t)}}))
	deleted.has(t, "The staff rule is deleted", "No staff rule.")
}

// An attack's page offers a profile test on it, with its range prefilled (60 s before its start
// to its end): an hour after the attack, "gaming" lets this UDP through and "strict" drops it;
// a range without per-class history answers why, in the customer's language.
func TestNetguardAttackProfileTestPage(t *testing.T) {
	t.Parallel()
	start := clock.Real().Now().Truncate(10 * time.Second) // the cookie jar expires cookies by the real clock
	clk := clocktest.New(start)
	e := startApp(t, clk)
	ctx := context.Background()
	tick := func() {
		t.Helper()
		if err := e.app.NetguardTick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tick() // tracks the demo IP
	target := netip.MustParseAddr("198.18.0.10")
	for sec := range 10 { // 10 seconds of 60,000 UDP packets of 1,000 bytes per second
		now := clk.Now()
		e.app.Netguard.Watch.AddBatch([]netguard.Flow{{Src: netip.MustParseAddr("203.0.113.9"), Dst: target,
			Proto: netguard.ProtoUDP, SrcPort: 40000 + uint16(sec), DstPort: 80, Packets: 60_000, Bytes: 60_000_000,
			Start: now, End: now}}, now)
		clk.Advance(time.Second)
		tick()
	}
	for range 120 { // the detector ends the attack after its quiet period
		clk.Advance(10 * time.Second)
		tick()
	}
	clk.Advance(time.Hour)
	atks, err := e.app.Netguard.Service.Attacks(ctx, 0, target, 0, 10)
	if err != nil || len(atks) != 1 || atks[0].Ongoing() {
		t.Fatalf("attacks: %+v %v", atks, err)
	}
	atk := atks[0]
	cust := e.client(t)
	cust.login(e.creds.Customer.Email, e.creds.Customer.Password)
	path := "/ips/198.18.0.10/attacks/" + strconv.FormatInt(atk.ID, 10)
	pg := cust.get(path)
	pg.is(t, http.StatusOK)
	from, to := atk.StartedAt.Add(-time.Minute).UTC().Format(time.RFC3339), atk.EndedAt.UTC().Format(time.RFC3339)
	pg.has(t, `id="attack-profile-test"`, `name="from" value="`+from+`"`, `name="to" value="`+to+`"`)
	form := func(profile, from, to string) url.Values {
		return url.Values{"csrf": {pg.csrf(t)}, "attack": {strconv.FormatInt(atk.ID, 10)}, "profile": {profile}, "from": {from}, "to": {to}}
	}
	gaming := cust.post("/ips/198.18.0.10/mitigation/profile-test", form("gaming", from, to))
	gaming.is(t, http.StatusOK)
	gaming.has(t, `id="attack-profile-test"`, `id="profile-test-result"`, "0.0 % du trafic d&#39;attaque", "70 secondes de trafic mesurées.",
		"Il n&#39;aurait appliqué aucune règle.", `<option value="gaming" selected>`)
	strict := cust.post("/ips/198.18.0.10/mitigation/profile-test", form("strict", from, to))
	strict.is(t, http.StatusOK)
	strict.has(t, "<code>flow4 dst 198.18.0.10/32 proto 17 then discard prio 70 from mitigation 198.18.0.10 level 1 (udp-flood)</code>",
		"90.0 % du trafic d&#39;attaque")
	// Before the attack: nothing was kept.
	early := atk.StartedAt.Add(-2 * time.Hour).UTC()
	none := cust.post("/ips/198.18.0.10/mitigation/profile-test", form("gaming", early.Format(time.RFC3339), early.Add(time.Hour).Format(time.RFC3339)))
	none.is(t, http.StatusUnprocessableEntity)
	none.has(t, `id="attack-profile-test"`, "aucun trafic par classe n&#39;est conservé pour cette période", "rien n&#39;est perdu",
		`value="`+early.Format(time.RFC3339)+`"`)
	bad := cust.post("/ips/198.18.0.10/mitigation/profile-test", form("gaming", "yesterday", to))
	bad.is(t, http.StatusUnprocessableEntity)
	bad.has(t, "doit être une heure comme 2026-11-25T09:00:00Z")
}

// waitTrafficWritten waits (at most 10 s of real time) until the running app's traffic writer
// has stored every point its Ticks queued, none dropped. A write the store refused is tried
// again a second later on the app's clock: each second of real time spent waiting advances the
// fake clock by one.
func waitTrafficWritten(t *testing.T, e *env) {
	t.Helper()
	nudged := clock.Real().Now()
	deadline := nudged.Add(10 * time.Second)
	for {
		b := e.app.Netguard.Watch.TrafficBacklog()
		if b.Dropped > 0 {
			t.Fatalf("the traffic writer dropped %d points", b.Dropped)
		}
		if b.Queued == 0 {
			return
		}
		if clock.Real().Now().After(deadline) {
			t.Fatalf("after 10 s, %d traffic points still wait for the store", b.Queued)
		}
		if e.clock != nil && clock.Real().Since(nudged) > time.Second {
			e.clock.Advance(time.Second)
			nudged = clock.Real().Now()
		}
		<-clock.Real().NewTimer(5 * time.Millisecond).C()
	}
}
