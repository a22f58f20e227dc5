package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

// NetguardDeps are the services of network protection: mitigation, attacks, traffic, edge rules.
type NetguardDeps struct {
	Mitigation *mitigation.Service
	// Edge reports the edge driver and its BGP sessions: this process's when it runs the edge
	// role, else as a process running it last published them (a *mitigation.NoReportError when
	// none is recent); nil: not known.
	Edge func(ctx context.Context) (mitigation.EdgeState, error)
	// Exporters reports the flow exporters the collector hears: this process's, else those the
	// processes running the collector role published (a *mitigation.NoReportError when none is
	// recent); nil: not known.
	Exporters func(ctx context.Context) ([]mitigation.Exporter, error)
	// Traffic reports the collector's traffic writer backlog: this process's, else the sum of
	// those the processes running the collector role published (a *mitigation.NoReportError when
	// none is recent); nil: not known.
	Traffic func(ctx context.Context) (mitigation.TrafficBacklog, error)
	// ProfileTest measures a profile on an IP's stored per-class history and, where this process
	// runs the detector, its last minute (Watch.TestProfile); nil: not offered.
	ProfileTest func(ctx context.Context, customer account.ID, ip netip.Addr, profile string, from, to time.Time) (mitigation.ProfileTest, error)
}

// netguardRoutes registers the pages of network protection: mitigation, attacks, traffic, edge rules.
func (u *ui) netguardRoutes(mux *http.ServeMux) {
	if u.deps.Netguard.Mitigation == nil {
		return
	}
	mux.Handle("GET /ips", u.wrap(user, "", u.ngIPsPage))
	mux.Handle("GET /ips/{ip}", u.wrap(user, "", u.ngIPPage))
	mux.Handle("POST /ips/{ip}/mitigation", u.wrap(user, "", u.ngPermanent))
	mux.Handle("POST /ips/{ip}/mitigation/profile", u.wrap(user, "", u.ngProfile))
	mux.Handle("POST /ips/{ip}/mitigation/profile-test", u.wrap(user, "", u.ngProfileTest))
	mux.Handle("GET /ips/{ip}/attacks/{id}", u.wrap(user, "", u.ngAttackPage))

	mux.Handle("GET /staff/network", u.wrap(staff, account.RoleNOC, u.ngStaffPage))
	mux.Handle("POST /staff/network/{ip}/force", u.wrap(staff, account.RoleNOC, u.ngStaffAct("force")))
	mux.Handle("POST /staff/network/{ip}/raise", u.wrap(staff, account.RoleNOC, u.ngStaffAct("raise")))
	mux.Handle("POST /staff/network/{ip}/release", u.wrap(staff, account.RoleNOC, u.ngStaffAct("release")))
	mux.Handle("POST /staff/network/{ip}/pro-use", u.wrap(staff, account.RoleNOC, u.ngStaffAct("pro-use")))
	mux.Handle("POST /staff/network-rules", u.wrap(staff, account.RoleNOC, u.ngStaffRuleAct("add")))
	mux.Handle("POST /staff/network-rules/{id}/approve", u.wrap(staff, account.RoleNOC, u.ngStaffRuleAct("approve")))
	mux.Handle("POST /staff/network-rules/{id}/delete", u.wrap(staff, account.RoleNOC, u.ngStaffRuleAct("delete")))
}

func (u *ui) ng() *mitigation.Service { return u.deps.Netguard.Mitigation }

// ngFlashes are the success messages of the network pages (?done=).
var ngFlashes = []string{"permanent_on", "permanent_off", "profile_saved", "forced", "raised", "released", "pro_use_on", "pro_use_off",
	"staff_rule_added", "staff_rule_approved", "staff_rule_deleted"}

func ngFlash(r *http.Request, p *page) {
	if f := r.URL.Query().Get("done"); slices.Contains(ngFlashes, f) {
		p.Flash = "netguard.flash." + f
	}
}

// customerID is the logged-in customer, or 0 for staff (any IP).
func customerID(r *http.Request) account.ID {
	p := sessionOf(r).Principal
	if p.IsStaff() {
		return 0
	}
	return p.Account.ID
}

// ngState is what the pages show of an IP's protection.
type ngState struct {
	View mitigation.IPView
	IP   string
	// Left is the time left before it may be switched off (0 when not locked).
	Left time.Duration
	// Ends is when an automatic mitigation ends if the IP stays quiet.
	Ends    time.Time
	Vectors string
}

func (u *ui) ngStateOf(v mitigation.IPView) ngState {
	s := ngState{View: v, IP: v.Owner.IP.String(), Ends: v.EarliestEnd}
	if v.Locked {
		s.Left = v.Left
	}
	if len(v.Vectors) > 0 {
		s.Vectors = netguard.JoinVectors(v.Vectors)
	}
	return s
}

// LeftText is the time left in the page's language.
func (s ngState) LeftText(p *page) string { return mitigation.FormatDuration(s.Left, p.Lang) }

// State is the mitigation state as a string, for templates.
func (s ngState) State() string { return string(s.View.State) }

// Active reports protection on.
func (s ngState) Active() bool { return s.View.Active() }

type ngIPsData struct {
	IPs []ngState
}

func (u *ui) ngIPsPage(w http.ResponseWriter, r *http.Request) error {
	vs, err := u.ng().IPs(r.Context(), customerID(r))
	if err != nil {
		return err
	}
	p := u.newPage(r, "ips", nil)
	d := ngIPsData{}
	for _, v := range vs {
		d.IPs = append(d.IPs, u.ngStateOf(v))
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "netguard_ips", p)
	return nil
}

// chart is the server-rendered SVG traffic chart of an IP.
type chart struct {
	Width, Height int
	// In and Dropped are SVG polyline points ("x,y x,y ...").
	In, Dropped string
	Max         string // the top of the y axis, with its unit
	From, To    time.Time
	Empty       bool
	Scale       string
	// PeakIn and PeakDropped are the highest values shown.
	PeakIn, PeakDropped string
}

const chartW, chartH = 720, 200

// newChart draws the incoming and dropped bit rates of pts.
func newChart(pts []netguard.TrafficPoint, scale netguard.Scale, from, to time.Time) chart {
	c := chart{Width: chartW, Height: chartH, From: from, To: to, Scale: string(scale), Empty: true}
	var top, peakIn, peakDrop uint64
	for _, p := range pts {
		top = max(top, p.In.BPS)
		peakIn = max(peakIn, p.In.BPS)
		peakDrop = max(peakDrop, p.Dropped.BPS)
		if p.In.BPS > 0 {
			c.Empty = false
		}
	}
	top = niceCeil(top)
	c.Max, c.PeakIn, c.PeakDropped = mitigation.FormatBPS(top), mitigation.FormatBPS(peakIn), mitigation.FormatBPS(peakDrop)
	n := len(pts)
	xs, yin, ydrop := make([]int, n), make([]int, n), make([]int, n)
	y := func(v uint64) int { return chartH - int(float64(v)/float64(top)*chartH) }
	for i, p := range pts {
		if n > 1 {
			xs[i] = i * chartW / (n - 1)
		}
		yin[i], ydrop[i] = y(p.In.BPS), y(p.Dropped.BPS)
	}
	var in, drop strings.Builder
	polyline(&in, xs, yin)
	polyline(&drop, xs, ydrop)
	c.In, c.Dropped = in.String(), drop.String()
	return c
}

// polyline writes the points "x,y x,y", leaving out those in the middle of a flat run.
func polyline(b *strings.Builder, xs, ys []int) {
	for i := range xs {
		if i > 0 && i < len(xs)-1 && ys[i-1] == ys[i] && ys[i+1] == ys[i] {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%d,%d", xs[i], ys[i])
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1,000).
func niceCeil(v uint64) uint64 {
	m := uint64(1000)
	for {
		for _, f := range []uint64{1, 2, 5} {
			if f*m >= v {
				return f * m
			}
		}
		m *= 10
	}
}

type ngIPData struct {
	ngState
	Chart    chart
	Scales   []string
	Attacks  []ngAttackRow
	Profiles []string
	// Test is the result of a profile test, when one was run.
	Test *ngProfileTest
}

// ProfileLabel is the name of a profile in the page's language (a profile of the
// configuration without one keeps its name).
func (d ngIPData) ProfileLabel(p *page, name string) string {
	if s, ok := p.cat.lookup(p.Lang, "netguard.profile."+name); ok {
		return s
	}
	return name
}

// ngProfileTest is a profile test in words.
type ngProfileTest struct {
	Profile            string
	From, To           time.Time
	Seconds            int    // seconds measured (0: not said)
	Attack, Legitimate string // percentages dropped
	Rules              []ngProfileTestRule
}

func ngProfileTestOf(label string, res mitigation.ProfileTest) *ngProfileTest {
	t := &ngProfileTest{Profile: label, From: res.From, To: res.To, Seconds: res.Seconds,
		Attack: percent(res.AttackDroppedRatio), Legitimate: percent(res.LegitimateDroppedRatio)}
	for _, rule := range res.ByRule {
		t.Rules = append(t.Rules, ngProfileTestRule{Rule: rule.Rule, Since: rule.Since,
			Attack: strconv.FormatUint(rule.AttackDropped, 10), Legitimate: strconv.FormatUint(rule.LegitimateDropped, 10)})
	}
	return t
}

// ngTestTime reads a time of the profile-test form: RFC 3339 (empty: zero).
func ngTestTime(r *http.Request, field string) (time.Time, *errs.FieldError) {
	v := strings.TrimSpace(r.PostForm.Get(field))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &errs.FieldError{Field: field, Message: "must be a time such as 2026-11-25T09:00:00Z (RFC 3339)"}
	}
	return t, nil
}

type ngProfileTestRule struct {
	Rule               string
	Since              time.Time
	Attack, Legitimate string
}

func percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + " %" }

// ngProfileTest runs a profile test: over the last minute from the IP page, over the from/to of
// the form from an attack's page (its hidden attack field), and shows the result on that page.
func (u *ui) ngProfileTest(w http.ResponseWriter, r *http.Request) error {
	ip, err := mitigation.ParseIP(r.PathValue("ip"))
	if err != nil {
		return errNotFound
	}
	var attackID int64
	if v := r.PostForm.Get("attack"); v != "" {
		if attackID, err = strconv.ParseInt(v, 10, 64); err != nil || attackID <= 0 {
			return errNotFound
		}
	}
	profile := r.PostForm.Get("profile")
	test := u.deps.Netguard.ProfileTest
	var res mitigation.ProfileTest
	if test == nil {
		err = errs.E(errs.Unavailable, "profile tests are not available in this process", nil)
	} else {
		var fields []errs.FieldError
		from, ferr := ngTestTime(r, "from")
		if ferr != nil {
			fields = append(fields, *ferr)
		}
		to, terr := ngTestTime(r, "to")
		if terr != nil {
			fields = append(fields, *terr)
		}
		if len(fields) > 0 {
			err = errs.Fields(fields...)
		} else {
			res, err = test(r.Context(), customerID(r), ip, profile, from, to)
		}
	}
	if attackID != 0 {
		return u.ngAttackTest(w, r, ip, attackID, profile, res, err)
	}
	if err != nil {
		return u.ngShowError(w, r, ip, err)
	}
	p := u.newPage(r, "ips", nil)
	d, err := u.ngIPData(r, ip, p.Lang)
	if err != nil {
		return err
	}
	d.Test = ngProfileTestOf(d.ProfileLabel(p, res.Profile), res)
	p.Data = d
	u.render(w, r, http.StatusOK, "netguard_ip", p)
	return nil
}

// ngAttackTest shows an attack's page with the result of a profile test on it, or with the
// form's errors (the times as typed).
func (u *ui) ngAttackTest(w http.ResponseWriter, r *http.Request, ip netip.Addr, id int64, profile string, res mitigation.ProfileTest, terr error) error {
	if k := errs.KindOf(terr); terr != nil && (k == errs.Internal || k == errs.NotFound) {
		return terr
	}
	p := u.newPage(r, "ips", nil)
	d, err := u.ngAttackData(r, ip, id)
	if err != nil {
		return err
	}
	d.TestProfile, d.TestFrom, d.TestTo = profile, r.PostForm.Get("from"), r.PostForm.Get("to")
	status := http.StatusOK
	if terr != nil {
		u.showError(p, terr)
		status = formStatus(terr)
	} else {
		d.Test = ngProfileTestOf(d.ProfileLabel(p, res.Profile), res)
	}
	p.Data = d
	u.render(w, r, status, "netguard_attack", p)
	return nil
}

// ngAttackRow is an attack with its figures in words.
type ngAttackRow struct {
	Attack   netguard.Attack
	IP       string
	Vectors  string
	PeakBPS  string
	PeakPPS  string
	Duration time.Duration
}

// DurationText is the attack's duration in the page's language.
func (r ngAttackRow) DurationText(p *page) string {
	return mitigation.FormatDuration(r.Duration, p.Lang)
}

func ngAttackRowOf(a netguard.Attack, now time.Time) ngAttackRow {
	ip := a.Target().String()
	if a.IP.IsValid() {
		ip = a.IP.String()
	}
	return ngAttackRow{Attack: a, IP: ip, Vectors: a.Nature(), PeakBPS: mitigation.FormatBPS(a.PeakBPS),
		PeakPPS: mitigation.FormatPPS(a.PeakPPS), Duration: a.Duration(now)}
}

func (u *ui) ngIPPage(w http.ResponseWriter, r *http.Request) error {
	ip, err := mitigation.ParseIP(r.PathValue("ip"))
	if err != nil {
		return errNotFound
	}
	p := u.newPage(r, "ips", nil)
	ngFlash(r, p)
	d, err := u.ngIPData(r, ip, p.Lang)
	if err != nil {
		return err
	}
	p.Data = d
	for _, a := range d.Attacks {
		if a.Attack.Ongoing() {
			// The chart and the attack grow every 10 s: the browser reloads the page (no JS).
			w.Header().Set("Refresh", "10")
			break
		}
	}
	u.render(w, r, http.StatusOK, "netguard_ip", p)
	return nil
}

func (u *ui) ngIPData(r *http.Request, ip netip.Addr, lang string) (ngIPData, error) {
	ctx, cust := r.Context(), customerID(r)
	v, err := u.ng().IP(ctx, cust, ip)
	if err != nil {
		return ngIPData{}, err
	}
	scale := netguard.Scale(r.URL.Query().Get("scale"))
	if scale.Duration() == 0 {
		scale = netguard.Scale10s
	}
	to := u.ng().Now().Truncate(scale.Duration())
	from := to.Add(-mitigation.DefaultSpan(scale))
	pts, err := u.ng().Stats(ctx, cust, ip, scale, from, to)
	if err != nil {
		return ngIPData{}, err
	}
	atks, err := u.ng().Attacks(ctx, cust, ip, 0, 20)
	if err != nil {
		return ngIPData{}, err
	}
	d := ngIPData{ngState: u.ngStateOf(v), Chart: newChart(pts, scale, from, to), Profiles: u.ng().Profiles()}
	for _, s := range netguard.Scales() {
		d.Scales = append(d.Scales, string(s))
	}
	now := u.ng().Now()
	for _, a := range atks {
		d.Attacks = append(d.Attacks, ngAttackRowOf(a, now))
	}
	return d, nil
}

// ngShowError renders the IP page again with err (a refused action).
func (u *ui) ngShowError(w http.ResponseWriter, r *http.Request, ip netip.Addr, err error) error {
	if k := errs.KindOf(err); k == errs.Internal || k == errs.NotFound {
		return err
	}
	p := u.newPage(r, "ips", nil)
	d, derr := u.ngIPData(r, ip, p.Lang)
	if derr != nil {
		return derr
	}
	p.Data = d
	u.showError(p, err)
	var le *mitigation.LockedError
	if errors.As(err, &le) {
		p.Alert = p.T("netguard.locked_until", p.Time(le.Until), mitigation.FormatDuration(le.Left, p.Lang))
	}
	u.render(w, r, formStatus(err), "netguard_ip", p)
	return nil
}

func (u *ui) ngPermanent(w http.ResponseWriter, r *http.Request) error {
	ip, err := mitigation.ParseIP(r.PathValue("ip"))
	if err != nil {
		return errNotFound
	}
	on := r.PostForm.Get("permanent") == "on"
	if _, err := u.ng().SetPermanent(r.Context(), httpserver.Actor(r), customerID(r), ip, on); err != nil {
		return u.ngShowError(w, r, ip, err)
	}
	done := "permanent_off"
	if on {
		done = "permanent_on"
	}
	u.redirect(w, r, "/ips/"+url.PathEscape(ip.String())+"?done="+done)
	return nil
}

func (u *ui) ngProfile(w http.ResponseWriter, r *http.Request) error {
	ip, err := mitigation.ParseIP(r.PathValue("ip"))
	if err != nil {
		return errNotFound
	}
	if _, err := u.ng().SetProfile(r.Context(), httpserver.Actor(r), customerID(r), ip, r.PostForm.Get("profile")); err != nil {
		return u.ngShowError(w, r, ip, err)
	}
	u.redirect(w, r, "/ips/"+url.PathEscape(ip.String())+"?done=profile_saved")
	return nil
}

type ngAttackData struct {
	ngAttackRow
	Sources []ngSource
	// CanTest offers the profile test on the attack (pro use, or staff); Profiles are those
	// offered, TestProfile the one selected, TestFrom and TestTo the range (RFC 3339, prefilled
	// with the attack's: 60 s before its start to its end).
	CanTest                       bool
	Profiles                      []string
	TestProfile, TestFrom, TestTo string
	// Test is the result of a profile test, when one was run.
	Test *ngProfileTest
}

// ProfileLabel is the name of a profile in the page's language.
func (d ngAttackData) ProfileLabel(p *page, name string) string {
	return ngIPData{}.ProfileLabel(p, name)
}

type ngSource struct {
	IP      string
	Packets string
}

func (u *ui) ngAttackPage(w http.ResponseWriter, r *http.Request) error {
	ip, err := mitigation.ParseIP(r.PathValue("ip"))
	if err != nil {
		return errNotFound
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := u.newPage(r, "ips", nil)
	d, err := u.ngAttackData(r, ip, id)
	if err != nil {
		return err
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "netguard_attack", p)
	return nil
}

func (u *ui) ngAttackData(r *http.Request, ip netip.Addr, id int64) (ngAttackData, error) {
	ctx, cust := r.Context(), customerID(r)
	a, err := u.ng().Attack(ctx, cust, ip, id)
	if err != nil {
		return ngAttackData{}, err
	}
	now := u.ng().Now()
	d := ngAttackData{ngAttackRow: ngAttackRowOf(a, now)}
	for _, s := range a.TopSources {
		d.Sources = append(d.Sources, ngSource{IP: s.Addr.String(), Packets: strconv.FormatUint(s.Packets, 10)})
	}
	if a.IP.IsValid() && u.deps.Netguard.ProfileTest != nil {
		v, err := u.ng().IP(ctx, cust, ip)
		if err != nil {
			return ngAttackData{}, err
		}
		d.CanTest = v.ProUse || cust == 0
		d.Profiles, d.TestProfile = u.ng().Profiles(), v.Profile
		from, to := mitigation.AttackTestRange(a, now)
		d.TestFrom, d.TestTo = from.Format(time.RFC3339), to.Format(time.RFC3339)
	}
	return d, nil
}

type ngStaffData struct {
	Active    []ngState
	Recent    []ngAttackRow
	Most      []ngMostRow
	Rules     []ngRuleRow
	Refusals  []edge.Refusal
	Peers     []edge.PeerStatus
	HasEdge   bool
	Synced    bool
	EdgeError string
	Exporters []mitigation.Exporter
	HasColl   bool
	// EdgeStale and CollStale say why HasEdge or HasColl is false in a process without the role:
	// no process running it reported recently.
	EdgeStale *mitigation.NoReportError
	CollStale *mitigation.NoReportError
	// Traffic is the collector's traffic writer backlog (zero when not known).
	Traffic mitigation.TrafficBacklog
	Levels  []int
	// IP prefills the force form.
	IP string
	// StaffRules are the staff's edge rules; Me the staff member looking (no approving one's own).
	StaffRules []ngStaffRuleRow
	Me         account.ID
	// Rule prefills the staff rule form after an error.
	Rule ngStaffRuleForm
}

// ngTrafficQueuedNotice is how many traffic points may wait for the store before the dashboard
// says so: a tenth of the writer's bound, ten 10-second periods of 10,000 active IPs.
const ngTrafficQueuedNotice = 100_000

// TrafficBehind reports whether enough traffic points wait for the store to tell staff.
func (d ngStaffData) TrafficBehind() bool { return d.Traffic.Queued > ngTrafficQueuedNotice }

type ngStaffRuleRow struct {
	Rule    mitigation.StaffRule
	Vectors string
}

type ngStaffRuleForm struct {
	Prefix, Vectors, Reason string
}

type ngMostRow struct {
	Target   string
	Attacks  int
	PeakBPS  string
	PeakPPS  string
	LastSeen time.Time
}

type ngRuleRow struct {
	Kind   string
	Key    string
	Action string
	Origin string
}

func (u *ui) ngStaffPage(w http.ResponseWriter, r *http.Request) error {
	p := u.newPage(r, "network", nil)
	ngFlash(r, p)
	d, err := u.ngStaffData(r, p.Lang)
	if err != nil {
		return err
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "netguard_staff", p)
	return nil
}

func (u *ui) ngStaffData(r *http.Request, lang string) (ngStaffData, error) {
	db, err := u.ng().Dashboard(r.Context())
	if err != nil {
		return ngStaffData{}, err
	}
	now := u.ng().Now()
	d := ngStaffData{Refusals: db.Refusals, Levels: []int{1, 2, 3}, IP: r.URL.Query().Get("ip")}
	for _, v := range db.Active {
		d.Active = append(d.Active, u.ngStateOf(v))
	}
	for _, a := range db.Recent {
		d.Recent = append(d.Recent, ngAttackRowOf(a, now))
	}
	for _, c := range db.MostAttacked {
		t := c.Prefix.String()
		if c.IP.IsValid() {
			t = c.IP.String()
		}
		d.Most = append(d.Most, ngMostRow{Target: t, Attacks: c.Attacks, PeakBPS: mitigation.FormatBPS(c.PeakBPS),
			PeakPPS: mitigation.FormatPPS(c.PeakPPS), LastSeen: c.LastSeen})
	}
	for _, rule := range db.Rules {
		row := ngRuleRow{Kind: "flowspec", Key: rule.Key(), Origin: rule.Origin().String()}
		if rule.Kind == edge.KindBlackhole {
			row.Kind, row.Action = "rtbh", "blackhole"
		} else {
			row.Action = rule.Flow.ActionString()
		}
		d.Rules = append(d.Rules, row)
	}
	if f := u.deps.Netguard.Edge; f != nil {
		st, err := f(r.Context())
		switch {
		case errors.As(err, &d.EdgeStale):
		case err != nil:
			return ngStaffData{}, err
		default:
			d.HasEdge, d.Peers, d.Synced, d.EdgeError = true, st.Peers, st.Synced, st.Error
		}
	}
	if f := u.deps.Netguard.Exporters; f != nil {
		list, err := f(r.Context())
		switch {
		case errors.As(err, &d.CollStale):
		case err != nil:
			return ngStaffData{}, err
		default:
			d.HasColl, d.Exporters = true, list
		}
	}
	if f := u.deps.Netguard.Traffic; f != nil {
		b, err := f(r.Context())
		var stale *mitigation.NoReportError
		switch {
		case errors.As(err, &stale): // said by CollStale
		case err != nil:
			return ngStaffData{}, err
		default:
			d.Traffic = b
		}
	}
	staff, err := u.ng().StaffRules(r.Context())
	if err != nil {
		return ngStaffData{}, err
	}
	for _, x := range staff {
		d.StaffRules = append(d.StaffRules, ngStaffRuleRow{Rule: x, Vectors: netguard.JoinVectors(x.Vectors)})
	}
	d.Me = sessionOf(r).Principal.Account.ID
	return d, nil
}

// ngStaffRuleAct adds, approves or deletes a staff edge rule from the dashboard.
func (u *ui) ngStaffRuleAct(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, actor := r.Context(), httpserver.Actor(r)
		form := ngStaffRuleForm{Prefix: strings.TrimSpace(r.PostForm.Get("prefix")), Vectors: r.PostForm.Get("vectors"),
			Reason: r.PostForm.Get("reason")}
		var err error
		switch action {
		case "add":
			prefix, perr := netip.ParsePrefix(form.Prefix)
			if perr != nil {
				if a, aerr := netip.ParseAddr(form.Prefix); aerr == nil {
					prefix, perr = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
				}
			}
			if perr != nil {
				err = errs.Fields(errs.FieldError{Field: "prefix", Message: "must be an address or a prefix (198.18.1.0/24)"})
				break
			}
			var vs []netguard.Vector
			for _, v := range strings.Split(form.Vectors, ",") {
				if v = strings.TrimSpace(v); v != "" {
					vs = append(vs, netguard.Vector(v))
				}
			}
			_, err = u.ng().AddStaffRule(ctx, actor, prefix, vs, form.Reason)
		default:
			id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
			if perr != nil {
				return errNotFound
			}
			if action == "approve" {
				_, err = u.ng().ApproveStaffRule(ctx, actor, id)
			} else {
				err = u.ng().DeleteStaffRule(ctx, actor, id)
			}
		}
		if err != nil {
			if k := errs.KindOf(err); k == errs.Internal || k == errs.NotFound {
				return err
			}
			p := u.newPage(r, "network", nil)
			d, derr := u.ngStaffData(r, p.Lang)
			if derr != nil {
				return derr
			}
			d.Rule = form
			p.Data = d
			u.showError(p, err)
			u.render(w, r, formStatus(err), "netguard_staff", p)
			return nil
		}
		done := map[string]string{"add": "staff_rule_added", "approve": "staff_rule_approved", "delete": "staff_rule_deleted"}[action]
		u.redirect(w, r, "/staff/network?done="+done+"#staff-rules")
		return nil
	}
}

func (u *ui) ngStaffAct(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ip, err := mitigation.ParseIP(strings.TrimSpace(r.PathValue("ip")))
		if err != nil {
			return errNotFound
		}
		ctx, actor, reason := r.Context(), httpserver.Actor(r), r.PostForm.Get("reason")
		level, _ := strconv.Atoi(r.PostForm.Get("level"))
		done := ""
		switch action {
		case "force":
			_, err = u.ng().Force(ctx, actor, ip, level, reason)
			done = "forced"
		case "raise":
			_, err = u.ng().Raise(ctx, actor, ip, level, reason)
			done = "raised"
		case "release":
			_, err = u.ng().Release(ctx, actor, ip, reason)
			done = "released"
		case "pro-use":
			on := r.PostForm.Get("pro_use") == "on"
			done = "pro_use_off"
			if on {
				done = "pro_use_on"
			}
			_, err = u.ng().SetProUse(ctx, actor, ip, on)
		}
		if err != nil {
			if k := errs.KindOf(err); k == errs.Internal {
				return err
			}
			p := u.newPage(r, "network", nil)
			d, derr := u.ngStaffData(r, p.Lang)
			if derr != nil {
				return derr
			}
			d.IP = ip.String()
			p.Data = d
			u.showError(p, err)
			u.render(w, r, formStatus(err), "netguard_staff", p)
			return nil
		}
		u.redirect(w, r, "/staff/network?done="+done)
		return nil
	}
}
