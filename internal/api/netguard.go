package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
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
	// Edge reports the edge driver and its sessions: this process's when it runs the edge role,
	// else the latest state a process running it published (a *mitigation.NoReportError when
	// none is recent); nil: not known. The rule set is compiled from the store in any case.
	Edge func(ctx context.Context) (mitigation.EdgeState, error)
	// Exporters reports the flow exporters the collector hears: this process's, else those the
	// processes running the collector role published (a *mitigation.NoReportError when none is
	// recent); nil: not known.
	Exporters func(ctx context.Context) ([]mitigation.Exporter, error)
	// Traffic reports the collector's traffic writer backlog: this process's, else the sum of
	// those the processes running the collector role published (a *mitigation.NoReportError when
	// none is recent); nil: not known.
	Traffic func(ctx context.Context) (mitigation.TrafficBacklog, error)
	// ProfileTest measures a profile on the detector of this process (Watch.TestProfile); nil
	// without the collector role.
	ProfileTest func(ctx context.Context, customer account.ID, ip netip.Addr, profile string, from, to time.Time) (mitigation.ProfileTest, error)
}

// netguardRoutes are the routes of network protection: mitigation, attacks, traffic, edge rules.
func (a *API) netguardRoutes() []Route {
	if a.deps.Netguard.Mitigation == nil {
		return nil
	}
	ir, iw := account.ScopeIPRead, account.ScopeIPWrite
	staffR, staffW := account.ScopeStaffRead, account.ScopeStaffWrite
	var rs []Route
	if a.deps.Fleet.Fleet == nil { // the fleet owns /ips when it runs; until then the configured prefixes
		rs = append(rs,
			Route{Method: "GET", Path: "/ips", Summary: "My IP addresses", Tag: "ips",
				access: user, Scope: ir, Reply: Page[NetIPDTO]{}, Status: 200, handle: a.ngListIPs},
			Route{Method: "GET", Path: "/ips/{ip}", Summary: "One of my IP addresses", Tag: "ips",
				access: user, Scope: ir, Reply: NetIPDTO{}, Status: 200, handle: a.ngGetIP})
	}
	stats := []Param{{"from", "string", "RFC 3339 start (default: one span before to)"}, {"to", "string", "RFC 3339 end (default: now)"},
		{"scale", "string", "10s (default, last hour), 1m (last day) or 5m (last week)"}}
	page := []Param{{"limit", "integer", "page size (1-200)"}, {"cursor", "string", "nextCursor of the previous page"}}
	return append(rs,
		Route{Method: "GET", Path: "/ips/{ip}/mitigation", Summary: "The DDoS mitigation of an IP (Art. 9): state, minUntil, level, profile, vectors", Tag: "mitigation",
			access: user, Scope: ir, Reply: MitigationDTO{}, Status: 200, handle: a.getMitigation},
		Route{Method: "PUT", Path: "/ips/{ip}/mitigation", Summary: "Switch mitigation on in advance or off (pro use; 409 mitigation_locked inside the 26-hour hold)", Tag: "mitigation",
			access: user, Scope: iw, Request: MitigationRequest{}, Reply: MitigationDTO{}, Status: 200, handle: a.putMitigation},
		Route{Method: "GET", Path: "/ips/{ip}/mitigation/stats", Summary: "Traffic of the IP: incoming, dropped and outgoing bits and packets per second", Tag: "mitigation",
			access: user, Scope: ir, Reply: []TrafficPointDTO{}, Status: 200, Query: stats, handle: a.mitigationStats},
		Route{Method: "GET", Path: "/ips/{ip}/mitigation/profiles", Summary: "Protection profiles the IP may use, and the one in use", Tag: "mitigation",
			access: user, Scope: ir, Reply: ProfilesDTO{}, Status: 200, handle: a.mitigationProfiles},
		Route{Method: "PUT", Path: "/ips/{ip}/mitigation/profile", Summary: "Choose the protection profile used by detection and at each activation (pro use)", Tag: "mitigation",
			access: user, Scope: iw, Request: ProfileRequest{}, Reply: MitigationDTO{}, Status: 200, handle: a.putProfile},
		Route{Method: "POST", Path: "/ips/{ip}/mitigation/profile-tests", Summary: "Measure what a profile would have dropped of the IP's attack and legitimate traffic (pro use): over the last minute, a past range (from, to) or an attack (attackId); per-class history is kept from 60 s before each attack to its end (at most 6 h) for 2 weeks, and the last minute", Tag: "mitigation",
			access: user, Scope: iw, Request: ProfileTestRequest{}, Reply: ProfileTestDTO{}, Status: 200, handle: a.profileTest},
		Route{Method: "GET", Path: "/ips/{ip}/attacks", Summary: "Attacks on the IP, newest first (kept one year)", Tag: "mitigation",
			access: user, Scope: ir, Reply: Page[AttackDTO]{}, Status: 200, Query: page, handle: a.listAttacks},
		Route{Method: "GET", Path: "/ips/{ip}/attacks/{id}", Summary: "One attack report: vectors, peak, start, end, level, top sources", Tag: "mitigation",
			access: user, Scope: ir, Reply: AttackDTO{}, Status: 200, handle: a.getAttack},

		Route{Method: "GET", Path: "/staff/mitigations", Summary: "Active mitigations", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: Page[MitigationDTO]{}, Status: 200, handle: a.staffMitigations},
		Route{Method: "POST", Path: "/staff/mitigations/{ip}/force", Summary: "Force mitigation on at a level (the customer is told)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: LevelRequest{}, Reply: MitigationDTO{}, Status: 200, handle: a.staffForce},
		Route{Method: "POST", Path: "/staff/mitigations/{ip}/raise", Summary: "Raise an active mitigation to a level (the customer is told)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: LevelRequest{}, Reply: MitigationDTO{}, Status: 200, handle: a.staffRaise},
		Route{Method: "POST", Path: "/staff/mitigations/{ip}/release", Summary: "Release a forced or permanent mitigation (back to automatic inside a 26-hour hold)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: ReleaseRequest{}, Reply: MitigationDTO{}, Status: 200, handle: a.staffRelease},
		Route{Method: "PUT", Path: "/staff/mitigations/{ip}/pro-use", Summary: "Set the pro-use option of an IP (until the catalogue sells it per server)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: ProUseRequest{}, Reply: MitigationDTO{}, Status: 200, handle: a.staffProUse},
		Route{Method: "GET", Path: "/staff/attacks", Summary: "Latest attack reports of every IP and prefix", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: Page[AttackDTO]{}, Status: 200, Query: append([]Param{{"ongoing", "boolean", "only attacks not ended"}}, page...), handle: a.staffAttacks},
		Route{Method: "GET", Path: "/staff/edge/rules", Summary: "The compiled edge rule set, what the guard rails refused, and the BGP sessions", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: EdgeRulesDTO{}, Status: 200, handle: a.edgeRules},
		Route{Method: "GET", Path: "/staff/edge/staff-rules", Summary: "Staff edge rules: filters toward an address or a prefix (carpet bombing); a prefix waits for a second staff member's approval", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: Page[StaffRuleDTO]{}, Status: 200, handle: a.staffRules},
		Route{Method: "POST", Path: "/staff/edge/staff-rules", Summary: "Write a staff edge rule dropping vectors toward an address (applied at once) or a prefix (at most /16 or /48, applied once approved)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: StaffRuleRequest{}, Reply: StaffRuleDTO{}, Status: 201, handle: a.addStaffRule},
		Route{Method: "POST", Path: "/staff/edge/staff-rules/{id}/approve", Summary: "Approve a staff edge rule wider than one address (403 approval_by_requester for its author)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Reply: StaffRuleDTO{}, Status: 200, handle: a.approveStaffRule},
		Route{Method: "DELETE", Path: "/staff/edge/staff-rules/{id}", Summary: "Delete a staff edge rule (the edge withdraws it)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Status: 204, handle: a.deleteStaffRule},
		Route{Method: "GET", Path: "/staff/exporters", Summary: "The flow exporters the collector hears, with a warning when an active timeout makes the reaction target impossible", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: ExportersDTO{}, Status: 200, handle: a.staffExporters},
	)
}

// ---- DTOs

// NetIPDTO is an IP of the customer (API.md "Network: per IP").
type NetIPDTO struct {
	IP         string        `json:"ip"`
	ServerID   int64         `json:"serverId"`
	Type       string        `json:"type"`
	Reverse    string        `json:"reverse"`
	Locked     bool          `json:"locked"`
	LockReason string        `json:"lockReason,omitempty"`
	Mitigation MitigationDTO `json:"mitigation"`
}

// MitigationDTO is the mitigation of an IP.
type MitigationDTO struct {
	IP    string `json:"ip"`
	State string `json:"state"` // off, auto, permanent, forced
	// Since is when it went on; MinUntil the end of the 26-hour hold of the latest detection.
	Since    *time.Time `json:"since"`
	MinUntil *time.Time `json:"minUntil"`
	Level    int        `json:"level"`
	Profile  string     `json:"profile"`
	Vectors  []string   `json:"vectors"`
	// Locked: it cannot be switched off before minUntil; SecondsLeft until then.
	Locked      bool  `json:"locked"`
	SecondsLeft int64 `json:"secondsLeft"`
	// EarliestEnd is when an automatic mitigation ends if the IP stays quiet.
	EarliestEnd *time.Time `json:"earliestEnd,omitempty"`
	LastAttack  *time.Time `json:"lastAboveThreshold,omitempty"`
	AttackID    int64      `json:"attackId,omitempty"`
	EndedAt     *time.Time `json:"endedAt,omitempty"`
	ProUse      bool       `json:"proUse"`
	CustomerID  int64      `json:"customerId,omitempty"`
}

// MitigationRequest switches a permanent mitigation on or off.
type MitigationRequest struct {
	Permanent *bool `json:"permanent"`
}

// ProfileRequest chooses a protection profile.
type ProfileRequest struct {
	Profile string `json:"profile"`
}

// ProfilesDTO lists the profiles.
type ProfilesDTO struct {
	Profile  string   `json:"profile"`
	Profiles []string `json:"profiles"`
	// Choosable: the IP has the pro-use option.
	Choosable bool `json:"choosable"`
}

// RateDTO is a traffic rate.
type RateDTO struct {
	BPS uint64 `json:"bps"`
	PPS uint64 `json:"pps"`
}

// TrafficPointDTO is one point of the traffic series.
type TrafficPointDTO struct {
	At      time.Time `json:"at"`
	In      RateDTO   `json:"in"`
	Dropped RateDTO   `json:"dropped"`
	Out     RateDTO   `json:"out"`
}

// AttackSourceDTO is one of the heaviest sources.
type AttackSourceDTO struct {
	IP      string `json:"ip"`
	Packets uint64 `json:"packets"`
}

// AttackDTO is an attack report.
type AttackDTO struct {
	ID           int64             `json:"id"`
	IP           string            `json:"ip,omitempty"`
	Prefix       string            `json:"prefix,omitempty"`
	StartedAt    time.Time         `json:"startedAt"`
	EndedAt      *time.Time        `json:"endedAt"`
	Vectors      []string          `json:"vectors"`
	Peak         RateDTO           `json:"peak"`
	PeakSeverity float64           `json:"peakSeverity"`
	Level        int               `json:"level"`
	Profile      string            `json:"profile"`
	TopSources   []AttackSourceDTO `json:"topSources"`
}

// LevelRequest forces or raises a mitigation.
type LevelRequest struct {
	Level  int    `json:"level"`
	Reason string `json:"reason"`
}

// ReleaseRequest releases a mitigation.
type ReleaseRequest struct {
	Reason string `json:"reason"`
}

// ProUseRequest sets the pro-use option.
type ProUseRequest struct {
	ProUse bool `json:"proUse"`
}

// EdgeRuleDTO is one compiled edge rule.
type EdgeRuleDTO struct {
	Kind     string `json:"kind"` // flowspec or rtbh
	Key      string `json:"key"`
	Action   string `json:"action"`
	Priority int    `json:"priority"`
	Origin   string `json:"origin"`
	Rule     string `json:"rule"`
}

// RefusalDTO is a rule the guard rails refused.
type RefusalDTO struct {
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	Origin string `json:"origin"`
	Rule   string `json:"rule,omitempty"`
}

// PeerDTO is the state of one BGP session (or the log driver).
type PeerDTO struct {
	Peer      string     `json:"peer"`
	ASN       uint32     `json:"asn,omitempty"`
	State     string     `json:"state"`
	Up        bool       `json:"up"`
	Since     *time.Time `json:"since,omitempty"`
	Flaps     int        `json:"flaps"`
	Sent      int        `json:"sent"`
	LastError string     `json:"lastError,omitempty"`
}

// EdgeRulesDTO is the compiled set and the driver's state.
type EdgeRulesDTO struct {
	Rules    []EdgeRuleDTO `json:"rules"`
	Refusals []RefusalDTO  `json:"refusals"`
	// Applied tells whether the edge driver holds exactly the compiled set; Peers are its
	// sessions (this process's, or as the process running the edge role last reported them;
	// empty, with Error saying so, when no such report is recent).
	Applied *bool     `json:"applied,omitempty"`
	Peers   []PeerDTO `json:"peers"`
	Error   string    `json:"error,omitempty"`
}

// ProfileTestRequest asks what a profile would have dropped over [from, to), anywhere in the
// past within 24 hours (default: the last minute). The per-class history is kept around attacks
// (from 60 s before each to its end, at most 6 hours) for 2 weeks, and for the last minute; a
// range without any is a 422 on from. AttackID sets the range to that attack's, from 60 s before
// its start to its end (now while it goes on); from and to, when given, override it.
type ProfileTestRequest struct {
	Profile  string     `json:"profile"`
	Firewall bool       `json:"firewall,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
	AttackID int64      `json:"attackId,omitempty"`
}

// ProfileTestDTO is the measure of a profile: the shares of the attack and of the legitimate
// traffic its rules would have dropped, and each rule.
type ProfileTestDTO struct {
	Profile string    `json:"profile"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// Seconds is the number of seconds of [from, to) with per-class history, the ones measured.
	Seconds                int                  `json:"seconds"`
	LegitimateDroppedRatio float64              `json:"legitimateDroppedRatio"`
	AttackDroppedRatio     float64              `json:"attackDroppedRatio"`
	AttackPackets          uint64               `json:"attackPackets"`
	LegitimatePackets      uint64               `json:"legitimatePackets"`
	ByRule                 []ProfileTestRuleDTO `json:"byRule"`
}

// ProfileTestRuleDTO is one rule of a profile test.
type ProfileTestRuleDTO struct {
	Vector            string    `json:"vector"`
	Rule              string    `json:"rule"`
	Since             time.Time `json:"since"`
	AttackDropped     uint64    `json:"attackDroppedPackets"`
	LegitimateDropped uint64    `json:"legitimateDroppedPackets"`
}

// StaffRuleRequest writes a staff edge rule.
type StaffRuleRequest struct {
	// Prefix is an address or a prefix ("198.18.1.0/24").
	Prefix  string   `json:"prefix"`
	Vectors []string `json:"vectors"`
	Reason  string   `json:"reason"`
}

// StaffRuleDTO is a staff edge rule.
type StaffRuleDTO struct {
	ID          int64      `json:"id"`
	Prefix      string     `json:"prefix"`
	Vectors     []string   `json:"vectors"`
	Reason      string     `json:"reason"`
	RequestedBy int64      `json:"requestedBy"`
	RequestedAt time.Time  `json:"requestedAt"`
	ApprovedBy  int64      `json:"approvedBy,omitempty"`
	ApprovedAt  *time.Time `json:"approvedAt,omitempty"`
	// NeedsApproval: wider than one address; Applied: the edge receives it (one address, or
	// approved).
	NeedsApproval bool `json:"needsApproval"`
	Applied       bool `json:"applied"`
}

func staffRuleDTO(r mitigation.StaffRule) StaffRuleDTO {
	d := StaffRuleDTO{ID: r.ID, Prefix: r.Prefix.String(), Vectors: []string{}, Reason: r.Reason, RequestedBy: int64(r.RequestedBy),
		RequestedAt: r.RequestedAt.UTC(), ApprovedBy: int64(r.ApprovedBy), ApprovedAt: ngTime(r.ApprovedAt),
		NeedsApproval: r.Wide(), Applied: r.Applied()}
	for _, v := range r.Vectors {
		d.Vectors = append(d.Vectors, string(v))
	}
	return d
}

// ExportersDTO lists the flow exporters the collector hears. Items is empty, and Error says
// why, when no process running the collector role reported in the last 15 s (an empty list
// with no error: the collector hears no exporter).
type ExportersDTO struct {
	Items []ExporterDTO `json:"items"`
	// TrafficQueued and TrafficDropped are the collector's traffic writer backlog (summed over
	// the processes running the collector role): the per-IP traffic points (the charts) waiting
	// to be written to the store, and those dropped since the process started because the store
	// fell more than 1,000,000 points behind or refused a batch for a minute (the charts have
	// gaps). Both are 0 when no collector reported.
	TrafficQueued  int    `json:"trafficQueued"`
	TrafficDropped uint64 `json:"trafficDropped"`
	Error          string `json:"error,omitempty"`
}

// ExporterDTO is one flow exporter (a router) as the collector of the serving process hears it.
type ExporterDTO struct {
	Address        string     `json:"address"`
	Format         string     `json:"format"`
	LastSeen       *time.Time `json:"lastSeen,omitempty"`
	SamplingRate   uint32     `json:"samplingRate"`
	FlowsPerSecond float64    `json:"flowsPerSecond"`
	// ActiveTimeoutSeconds is the exporter's estimated active timeout (0 for sFlow).
	ActiveTimeoutSeconds float64 `json:"activeTimeoutSeconds"`
	// Warning says why the exporter cannot meet the reaction target ("" when it can).
	Warning string `json:"warning,omitempty"`
}

func ngTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func mitigationDTO(v mitigation.IPView) MitigationDTO {
	d := MitigationDTO{IP: v.Owner.IP.String(), State: string(v.State), Level: v.Level, Profile: v.Profile, Vectors: []string{},
		Locked: v.Locked, SecondsLeft: int64((v.Left + time.Second - 1) / time.Second), ProUse: v.ProUse, AttackID: v.AttackID,
		Since: ngTime(v.Since), EarliestEnd: ngTime(v.EarliestEnd), LastAttack: ngTime(v.LastAbove), EndedAt: ngTime(v.EndedAt)}
	if !d.Locked {
		d.SecondsLeft = 0
	}
	if v.Active() || !v.MinUntil.IsZero() {
		d.MinUntil = ngTime(v.MinUntil)
	}
	for _, vec := range v.Vectors {
		d.Vectors = append(d.Vectors, string(vec))
	}
	return d
}

func netIPDTO(v mitigation.IPView) NetIPDTO {
	return NetIPDTO{IP: v.Owner.IP.String(), ServerID: v.ServerID, Type: v.Kind, Reverse: v.Reverse, Mitigation: mitigationDTO(v)}
}

func attackDTO(at netguard.Attack) AttackDTO {
	d := AttackDTO{ID: at.ID, StartedAt: at.StartedAt.UTC(), EndedAt: ngTime(at.EndedAt), Vectors: []string{},
		Peak: RateDTO{BPS: at.PeakBPS, PPS: at.PeakPPS}, PeakSeverity: at.PeakSeverity, Level: at.Level, Profile: at.Profile,
		TopSources: []AttackSourceDTO{}}
	if at.IP.IsValid() {
		d.IP = at.IP.String()
	}
	if at.Prefix.IsValid() {
		d.Prefix = at.Prefix.String()
	}
	for _, v := range at.Vectors {
		d.Vectors = append(d.Vectors, string(v))
	}
	for _, s := range at.TopSources {
		d.TopSources = append(d.TopSources, AttackSourceDTO{IP: s.Addr.String(), Packets: s.Packets})
	}
	return d
}

// ---- handlers

func (a *API) ng() *mitigation.Service { return a.deps.Netguard.Mitigation }

func pathIP(r *http.Request) (netip.Addr, error) {
	return mitigation.ParseIP(strings.TrimSuffix(r.PathValue("ip"), "/64"))
}

func (a *API) ngListIPs(w http.ResponseWriter, r *http.Request) error {
	vs, err := a.ng().IPs(r.Context(), principal(r).Account.ID)
	if err != nil {
		return err
	}
	out := Page[NetIPDTO]{Items: []NetIPDTO{}}
	for _, v := range vs {
		out.Items = append(out.Items, netIPDTO(v))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) ngGetIP(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	v, err := a.ng().IP(r.Context(), customerOf(r), ip)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, netIPDTO(v))
}

func (a *API) getMitigation(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	v, err := a.ng().IP(r.Context(), customerOf(r), ip)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, mitigationDTO(v))
}

func (a *API) putMitigation(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	if _, err := a.ng().IP(r.Context(), customerOf(r), ip); err != nil {
		return err
	}
	var in MitigationRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Permanent == nil {
		return errs.Fields(errs.FieldError{Field: "permanent", Message: "is required (true or false)"})
	}
	v, err := a.ng().SetPermanent(r.Context(), httpserver.Actor(r), customerOf(r), ip, *in.Permanent)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, mitigationDTO(v))
}

func (a *API) mitigationStats(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v errs.Validator
	scale := netguard.Scale(q.Get("scale"))
	if scale == "" {
		scale = netguard.Scale10s
	}
	v.Check(scale.Duration() != 0, "scale", "must be 10s, 1m or 5m")
	parse := func(name string) time.Time {
		s := q.Get(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, s)
		v.Check(err == nil, name, "must be an RFC 3339 time")
		return t
	}
	from, to := parse("from"), parse("to")
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := a.ng().IP(r.Context(), customerOf(r), ip); err != nil {
		return err
	}
	if to.IsZero() {
		to = a.ng().Now()
	}
	if from.IsZero() {
		from = to.Add(-mitigation.DefaultSpan(scale))
	}
	pts, err := a.ng().Stats(r.Context(), customerOf(r), ip, scale, from, to)
	if err != nil {
		return err
	}
	out := make([]TrafficPointDTO, 0, len(pts))
	for _, p := range pts {
		out = append(out, TrafficPointDTO{At: p.At.UTC(), In: RateDTO(p.In), Dropped: RateDTO(p.Dropped), Out: RateDTO(p.Out)})
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) mitigationProfiles(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	v, err := a.ng().IP(r.Context(), customerOf(r), ip)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, ProfilesDTO{Profile: v.Profile, Profiles: a.ng().Profiles(), Choosable: v.ProUse})
}

func (a *API) putProfile(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	if _, err := a.ng().IP(r.Context(), customerOf(r), ip); err != nil {
		return err
	}
	var in ProfileRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := a.ng().SetProfile(r.Context(), httpserver.Actor(r), customerOf(r), ip, in.Profile)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, mitigationDTO(v))
}

func (a *API) listAttacks(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	atks, err := a.ng().Attacks(r.Context(), customerOf(r), ip, before, limit)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, attackPage(atks, limit))
}

func attackPage(atks []netguard.Attack, limit int) Page[AttackDTO] {
	out := Page[AttackDTO]{Items: []AttackDTO{}}
	for _, at := range atks {
		out.Items = append(out.Items, attackDTO(at))
	}
	if len(atks) > 0 {
		out.NextCursor = cursorOf(len(atks), limit, atks[len(atks)-1].ID)
	}
	return out
}

func (a *API) getAttack(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return errs.Coded(errs.NotFound, "not_found", "attack not found")
	}
	at, err := a.ng().Attack(r.Context(), customerOf(r), ip, id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, attackDTO(at))
}

func (a *API) staffMitigations(w http.ResponseWriter, r *http.Request) error {
	vs, err := a.ng().Active(r.Context())
	if err != nil {
		return err
	}
	out := Page[MitigationDTO]{Items: []MitigationDTO{}}
	for _, v := range vs {
		d := mitigationDTO(v)
		d.CustomerID = int64(v.Owner.Customer)
		out.Items = append(out.Items, d)
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) staffLevel(w http.ResponseWriter, r *http.Request, force bool) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	var in LevelRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var v mitigation.IPView
	if force {
		v, err = a.ng().Force(r.Context(), httpserver.Actor(r), ip, in.Level, in.Reason)
	} else {
		v, err = a.ng().Raise(r.Context(), httpserver.Actor(r), ip, in.Level, in.Reason)
	}
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, mitigationDTO(v))
}

func (a *API) staffForce(w http.ResponseWriter, r *http.Request) error {
	return a.staffLevel(w, r, true)
}
func (a *API) staffRaise(w http.ResponseWriter, r *http.Request) error {
	return a.staffLevel(w, r, false)
}

func (a *API) staffRelease(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	var in ReleaseRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := a.ng().Release(r.Context(), httpserver.Actor(r), ip, in.Reason)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, mitigationDTO(v))
}

func (a *API) staffProUse(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	var in ProUseRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := a.ng().SetProUse(r.Context(), httpserver.Actor(r), ip, in.ProUse)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, mitigationDTO(v))
}

func (a *API) staffAttacks(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	ongoing, _ := strconv.ParseBool(r.URL.Query().Get("ongoing"))
	atks, err := a.ng().RecentAttacks(r.Context(), mitigation.AttackFilter{Ongoing: ongoing, BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, attackPage(atks, limit))
}

func edgeRuleDTO(rule edge.Rule) EdgeRuleDTO {
	d := EdgeRuleDTO{Kind: "flowspec", Key: rule.Key(), Priority: rule.Priority(), Origin: rule.Origin().String(), Rule: rule.String()}
	if rule.Kind == edge.KindBlackhole {
		d.Kind, d.Action = "rtbh", "blackhole"
	} else {
		d.Action = rule.Flow.ActionString()
	}
	return d
}

func (a *API) edgeRules(w http.ResponseWriter, r *http.Request) error {
	rules, refusals, err := a.ng().Desired(r.Context())
	if err != nil {
		return err
	}
	out := EdgeRulesDTO{Rules: []EdgeRuleDTO{}, Refusals: []RefusalDTO{}, Peers: []PeerDTO{}}
	for _, rule := range rules {
		out.Rules = append(out.Rules, edgeRuleDTO(rule))
	}
	for _, f := range refusals {
		d := RefusalDTO{Reason: string(f.Reason), Detail: f.Detail, Origin: f.Origin.String()}
		if f.Rule.Kind != 0 {
			d.Rule = f.Rule.String()
		}
		out.Refusals = append(out.Refusals, d)
	}
	if a.deps.Netguard.Edge != nil {
		st, err := a.deps.Netguard.Edge(r.Context())
		var stale *mitigation.NoReportError
		if errors.As(err, &stale) { // no edge process reported recently: neither applied nor peers, and why
			out.Error = stale.Error()
			return httpserver.WriteJSON(w, http.StatusOK, out)
		}
		if err != nil {
			return err
		}
		applied := st.Synced && st.Applied.String() == rules.String()
		out.Applied, out.Error = &applied, st.Error
		for _, p := range st.Peers {
			out.Peers = append(out.Peers, PeerDTO{Peer: p.Peer, ASN: p.ASN, State: p.State, Up: p.Up, Since: ngTime(p.Since), Flaps: p.Flaps,
				Sent: p.Sent, LastError: p.LastError})
		}
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

// staffExporters lists the exporters the collector hears and its traffic writer's backlog (from
// the store when another process runs the collector role); empty, with error saying why, when
// no collector reported recently.
func (a *API) staffExporters(w http.ResponseWriter, r *http.Request) error {
	out := ExportersDTO{Items: []ExporterDTO{}}
	if a.deps.Netguard.Exporters != nil {
		list, err := a.deps.Netguard.Exporters(r.Context())
		var stale *mitigation.NoReportError
		if errors.As(err, &stale) {
			out.Error = stale.Error()
		} else if err != nil {
			return err
		}
		for _, e := range list {
			out.Items = append(out.Items, ExporterDTO{Address: e.Addr.String(), Format: e.Format, LastSeen: ngTime(e.LastSeen),
				SamplingRate: e.SamplingRate, FlowsPerSecond: e.FlowsPerSecond, ActiveTimeoutSeconds: e.ActiveTimeout.Seconds(),
				Warning: e.Warning})
		}
	}
	if a.deps.Netguard.Traffic != nil {
		b, err := a.deps.Netguard.Traffic(r.Context())
		var stale *mitigation.NoReportError
		switch {
		case errors.As(err, &stale):
			if out.Error == "" {
				out.Error = stale.Error()
			}
		case err != nil:
			return err
		default:
			out.TrafficQueued, out.TrafficDropped = b.Queued, b.Dropped
		}
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) staffRules(w http.ResponseWriter, r *http.Request) error {
	rules, err := a.ng().StaffRules(r.Context())
	if err != nil {
		return err
	}
	out := Page[StaffRuleDTO]{Items: []StaffRuleDTO{}}
	for _, x := range rules {
		out.Items = append(out.Items, staffRuleDTO(x))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) addStaffRule(w http.ResponseWriter, r *http.Request) error {
	var in StaffRuleRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	prefix, err := netip.ParsePrefix(strings.TrimSpace(in.Prefix))
	if err != nil {
		if ip, aerr := netip.ParseAddr(strings.TrimSpace(in.Prefix)); aerr == nil {
			prefix, err = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()), nil
		}
	}
	if err != nil {
		return errs.Fields(errs.FieldError{Field: "prefix", Message: "must be an address or a prefix (198.18.1.0/24)"})
	}
	vectors := make([]netguard.Vector, 0, len(in.Vectors))
	for _, v := range in.Vectors {
		vectors = append(vectors, netguard.Vector(v))
	}
	rule, err := a.ng().AddStaffRule(r.Context(), httpserver.Actor(r), prefix, vectors, in.Reason)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, staffRuleDTO(rule))
}

func (a *API) approveStaffRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return errs.Coded(errs.NotFound, "not_found", "staff rule not found")
	}
	rule, err := a.ng().ApproveStaffRule(r.Context(), httpserver.Actor(r), id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, staffRuleDTO(rule))
}

func (a *API) deleteStaffRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return errs.Coded(errs.NotFound, "not_found", "staff rule not found")
	}
	if err := a.ng().DeleteStaffRule(r.Context(), httpserver.Actor(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) profileTest(w http.ResponseWriter, r *http.Request) error {
	ip, err := pathIP(r)
	if err != nil {
		return err
	}
	var in ProfileTestRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Firewall {
		return errs.Fields(errs.FieldError{Field: "firewall", Message: "the edge firewall is not available yet"})
	}
	if a.deps.Netguard.ProfileTest == nil {
		return errs.E(errs.Unavailable, "profile tests are not available in this process", nil)
	}
	var from, to time.Time
	if in.AttackID != 0 {
		atk, err := a.ng().Attack(r.Context(), customerOf(r), ip, in.AttackID)
		if errors.Is(err, mitigation.ErrAttackNotFound) { // not an IP of the caller's: 404, as without attackId
			return errs.Fields(errs.FieldError{Field: "attackId", Message: "no such attack on this IP"})
		} else if err != nil {
			return err
		}
		from, to = mitigation.AttackTestRange(atk, a.ng().Now())
	}
	if in.From != nil {
		from = *in.From
	}
	if in.To != nil {
		to = *in.To
	}
	res, err := a.deps.Netguard.ProfileTest(r.Context(), customerOf(r), ip, in.Profile, from, to)
	if err != nil {
		return err
	}
	out := ProfileTestDTO{Profile: res.Profile, From: res.From, To: res.To, Seconds: res.Seconds, LegitimateDroppedRatio: res.LegitimateDroppedRatio,
		AttackDroppedRatio: res.AttackDroppedRatio, AttackPackets: res.AttackPackets, LegitimatePackets: res.LegitimatePackets,
		ByRule: []ProfileTestRuleDTO{}}
	for _, b := range res.ByRule {
		out.ByRule = append(out.ByRule, ProfileTestRuleDTO{Vector: string(b.Vector), Rule: b.Rule, Since: b.Since,
			AttackDropped: b.AttackDropped, LegitimateDropped: b.LegitimateDropped})
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}
