package mitigation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
)

// Config tunes the mitigation service (section netguard.mitigation).
type Config struct {
	// FastSeverity: an attack at this many times its thresholds is acted on at its first second
	// above them; a lighter one once it has lasted policy attack_trigger_delay, from the start
	// of its first second above them to the end of its latest (the second judged last may read
	// quiet while its records are still arriving). IPs under
	// a permanent or forced mitigation are always acted on at once.
	FastSeverity float64 `yaml:"fast_severity"`
	// RateLimitSeverity and RateLimitAfter raise an attack's mitigation to level 2 (rate limit
	// of the rest of the traffic) when its severity reaches this, or when it lasts this long.
	RateLimitSeverity float64       `yaml:"rate_limit_severity"`
	RateLimitAfter    time.Duration `yaml:"rate_limit_after"`
	// AggregateLimit is the inbound traffic, summed over every IP under attack, beyond which the
	// infrastructure is threatened: only then are the heaviest IPs blackholed (level 3). Zero
	// fields never trigger.
	AggregateLimit netguard.AggregateLimit `yaml:"aggregate_limit"`
	// RateLimit is the level-2 rate in bytes per second (0: 125,000,000, 1 Gbit/s).
	RateLimit uint64 `yaml:"rate_limit"`
	// Infrastructure lists the host's own prefixes: no edge rule ever touches them.
	Infrastructure []string `yaml:"infrastructure"`
	// MaxRules is the ceiling on the number of edge rules (0: 3000).
	MaxRules int `yaml:"max_rules"`
	// Heartbeat is how often an ongoing attack's report and its IP's last second above
	// threshold are written to the store.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// TrafficDelay is how long after a 10-second interval ends its traffic point is complete
	// and rolled up: the point is written a second after the interval ends (the chart is live)
	// and written again as late records amend it until then (routers export long flows late).
	TrafficDelay time.Duration `yaml:"traffic_delay"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	lr := netguard.DefaultLevelRules()
	return Config{FastSeverity: 5, RateLimitSeverity: lr.RateLimitSeverity, RateLimitAfter: lr.RateLimitAfter,
		RateLimit: edge.DefaultRateLimit, Infrastructure: []string{}, Heartbeat: 10 * time.Second, TrafficDelay: 70 * time.Second}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var list []error
	bad := func(k, msg string) { list = append(list, fmt.Errorf("netguard.mitigation.%s: %s", k, msg)) }
	if c.FastSeverity < 1 {
		bad("fast_severity", "must be at least 1")
	}
	if c.RateLimitSeverity < 0 || c.RateLimitAfter < 0 {
		bad("rate_limit_severity", "rate_limit_severity and rate_limit_after must not be negative")
	}
	if c.MaxRules < 0 {
		bad("max_rules", "must not be negative")
	}
	if c.Heartbeat < time.Second || c.Heartbeat > time.Minute {
		bad("heartbeat", "between 1s and 1m (the quiet period counts from it)")
	}
	if c.TrafficDelay < 10*time.Second || c.TrafficDelay > 2*time.Minute {
		bad("traffic_delay", "between 10s and 2m")
	}
	if _, err := c.infrastructure(); err != nil {
		bad("infrastructure", err.Error())
	}
	return errors.Join(list...)
}

func (c Config) infrastructure() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.Infrastructure {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a prefix", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Record is the stored protection of one IP: its mitigation, its owner at activation, and the
// pro-use option (set by staff until commerce sells it).
type Record struct {
	netguard.Mitigation
	// Customer is the customer who held the IP when the mitigation began (0: none).
	Customer account.ID
	// ProUse enables the Art. 9 Pro features: permanent mitigation, profile choice.
	ProUse    bool
	UpdatedAt time.Time
}

// Owner is an IP of the host's network and who holds it.
type Owner struct {
	IP       netip.Addr
	Customer account.ID
	// ServerID is the fleet's server id (0 when unknown).
	ServerID int64
	// Kind is "main" or "additional".
	Kind    string
	Reverse string
}

// Directory tells which customer holds which IP: the fleet's delivered servers, or the
// configured customer prefixes until the fleet has them.
type Directory interface {
	// Owner returns the holder of ip; ok is false when no customer holds it.
	Owner(ctx context.Context, ip netip.Addr) (o Owner, ok bool, err error)
	// IPs lists the IPs of customer, or every customer IP for customer 0, sorted by address.
	IPs(ctx context.Context, customer account.ID) ([]Owner, error)
}

// AttackFilter selects attack reports.
type AttackFilter struct {
	IP       netip.Addr // only this IP's (zero: every IP and prefix)
	Customer account.ID // only attacks on this customer's IPs (0: any)
	Ongoing  bool       // only attacks not ended
	Since    time.Time  // started at or after
	BeforeID int64      // pagination: ids below this
	Limit    int
}

// AttackCount is how often an IP was attacked, for the staff dashboard.
type AttackCount struct {
	IP       netip.Addr
	Prefix   netip.Prefix
	Attacks  int
	PeakBPS  uint64
	PeakPPS  uint64
	LastSeen time.Time
}

// Reader reads mitigations, attacks and traffic.
type Reader interface {
	// MitigationRecord returns the row of ip (NotFound when it has none: off, default profile).
	MitigationRecord(ctx context.Context, ip netip.Addr) (Record, error)
	// MitigationRecords lists the rows: every active one (activeOnly), or every row, by IP.
	MitigationRecords(ctx context.Context, activeOnly bool) ([]Record, error)
	GetAttack(ctx context.Context, id int64) (netguard.Attack, error)
	// ListAttacks lists attacks newest first.
	ListAttacks(ctx context.Context, f AttackFilter) ([]netguard.Attack, error)
	// MostAttacked counts attacks started since, per target, most attacked first.
	MostAttacked(ctx context.Context, since time.Time, limit int) ([]AttackCount, error)
	// TrafficPoints lists the points of ip at scale with At in [from, to), oldest first.
	TrafficPoints(ctx context.Context, ip netip.Addr, scale netguard.Scale, from, to time.Time) ([]netguard.TrafficPoint, error)
	// StaffRules lists the staff rules by ID.
	StaffRules(ctx context.Context) ([]StaffRule, error)
}

// Tx is what one change writes: the IP's row, attack reports, notices, jobs and the audit log.
type Tx interface {
	Reader
	notify.Tx
	AccountByID(ctx context.Context, id account.ID) (account.Account, error)
	Audit(ctx context.Context, e account.AuditEntry) error
	// LockMitigationRecord reads the row of ip for update (NotFound when it has none).
	LockMitigationRecord(ctx context.Context, ip netip.Addr) (Record, error)
	// SaveMitigationRecord inserts or replaces the row of r.IP.
	SaveMitigationRecord(ctx context.Context, r Record) error
	// InsertAttack stores a new report and sets its ID; customer is the IP's holder (0: none).
	InsertAttack(ctx context.Context, a *netguard.Attack, customer account.ID) error
	// UpdateAttack writes every mutable field of a report.
	UpdateAttack(ctx context.Context, a netguard.Attack) error
	// InsertStaffRule stores a new staff rule and sets its ID.
	InsertStaffRule(ctx context.Context, r *StaffRule) error
	// LockStaffRule reads a staff rule for update (NotFound when there is none).
	LockStaffRule(ctx context.Context, id int64) (StaffRule, error)
	// ApproveStaffRule records the approval of a staff rule.
	ApproveStaffRule(ctx context.Context, id int64, by account.ID, at time.Time) error
	// DeleteStaffRule removes a staff rule.
	DeleteStaffRule(ctx context.Context, id int64) error
}

// Store is the persistence of the mitigation service.
type Store interface {
	Reader
	InTx(ctx context.Context, fn func(Tx) error) error
	// InsertTraffic stores a batch of points, replacing points already stored for the same IP,
	// scale and time.
	InsertTraffic(ctx context.Context, points []netguard.TrafficPoint) error
	// TouchLastAbove moves each IP's last second above threshold forward (never back).
	TouchLastAbove(ctx context.Context, at map[netip.Addr]time.Time) error
	// PruneTraffic deletes points before; PruneAttacks deletes reports that ended before.
	PruneTraffic(ctx context.Context, before time.Time) (int, error)
	PruneAttacks(ctx context.Context, endedBefore time.Time) (int, error)
	// InsertAttackSeconds stores a batch of per-class seconds in one transaction, replacing a
	// second already stored for the same IP and time.
	InsertAttackSeconds(ctx context.Context, secs []AttackSecond) error
	// AttackSeconds lists the stored seconds of ip with At in [from, to), oldest first.
	AttackSeconds(ctx context.Context, ip netip.Addr, from, to time.Time) ([]AttackSecond, error)
	// PruneAttackSeconds deletes the seconds before.
	PruneAttackSeconds(ctx context.Context, before time.Time) (int, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Logger    *slog.Logger
	Clock     clock.Clock
	Store     Store
	Notify    *notify.Service
	Policy    policy.Config
	Directory Directory
	// Profiles lists the protection profiles an IP may use (the detector's), "default" first.
	Profiles []string
	// Track is told when an IP's profile changes (the detector of this process); may be nil.
	Track func(ip netip.Addr, profile string)
	// Wake is called after a change of the edge's desired state committed; may be nil.
	Wake func()
	// Changed is told of each committed change of a mitigation (the metrics); may be nil.
	Changed func(Change)
}

// Change is a committed change of one IP's mitigation, as the metrics count it.
type Change struct {
	// Kind is "activated", "raised", "held" (a new attack on an active mitigation) or "ended".
	Kind  string
	State netguard.MitigationState // the state after the change ("off" when ended)
	Level int
	// Decision is, for a detected attack's first decision, the time from the start of its
	// first second above threshold to the commit; zero otherwise.
	Decision time.Duration
}

// changed tells Deps.Changed, once tx commits, how rec went from before to after; a detected
// attack's first decision (started not zero) also reports how long it took from started.
func (s *Service) changed(tx Tx, before, after Record, started time.Time) {
	if s.deps.Changed == nil {
		return
	}
	c := Change{State: after.State, Level: after.Level}
	switch {
	case !before.Active() && after.Active():
		c.Kind = "activated"
	case before.Active() && !after.Active():
		c.Kind, c.State = "ended", netguard.MitigationOff
	case after.Active() && after.Level > before.Level:
		c.Kind = "raised"
	case !started.IsZero() && after.Active():
		c.Kind = "held"
	default:
		return
	}
	tx.AfterCommit(func() {
		if !started.IsZero() {
			c.Decision = max(s.Now().Sub(started), 0)
		}
		s.deps.Changed(c)
	})
}

// DefaultProfile is the profile of an IP that chose none.
const DefaultProfile = "default"

// Service runs the Art. 9 mitigation rules.
type Service struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	hold   netguard.HoldRules
	levels netguard.LevelRules
	infra  []netip.Prefix

	mu   sync.Mutex // serialises Observe; guards open
	open map[netip.Addr]*tracked
	// prefixes holds the open carpet-bombing attacks by prefix.
	prefixes map[netip.Prefix]*tracked
}

// New validates cfg and returns the service.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil || deps.Clock == nil || deps.Store == nil || deps.Notify == nil || deps.Directory == nil {
		return nil, errors.New("mitigation: Logger, Clock, Store, Notify and Directory are required")
	}
	if deps.Policy.MitigationMinDuration <= 0 || deps.Policy.MitigationQuietPeriod <= 0 {
		return nil, errors.New("mitigation: policy mitigation_min_duration and mitigation_quiet_period are required")
	}
	if len(deps.Profiles) == 0 {
		deps.Profiles = []string{DefaultProfile}
	}
	infra, _ := cfg.infrastructure()
	return &Service{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "netguard/mitigation"),
		hold:   netguard.HoldRules{MinDuration: deps.Policy.MitigationMinDuration, QuietPeriod: deps.Policy.MitigationQuietPeriod},
		levels: netguard.LevelRules{RateLimitSeverity: cfg.RateLimitSeverity, RateLimitAfter: cfg.RateLimitAfter},
		infra:  infra, open: map[netip.Addr]*tracked{}, prefixes: map[netip.Prefix]*tracked{}}, nil
}

// Config returns the configuration.
func (s *Service) Config() Config { return s.cfg }

// Hold returns the hold rules in force (from policy).
func (s *Service) Hold() netguard.HoldRules { return s.hold }

// Profiles lists the profiles an IP may use.
func (s *Service) Profiles() []string { return slices.Clone(s.deps.Profiles) }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.deps.Clock.Now() }

func (s *Service) wake() {
	if s.deps.Wake != nil {
		s.deps.Wake()
	}
}

// record returns the row of ip, or an off row with the default profile when it has none.
func record(ctx context.Context, r Reader, ip netip.Addr) (Record, error) {
	rec, err := r.MitigationRecord(ctx, ip)
	if errs.KindOf(err) == errs.NotFound {
		return blank(ip), nil
	}
	return rec, err
}

func lockRecord(ctx context.Context, tx Tx, ip netip.Addr) (Record, error) {
	rec, err := tx.LockMitigationRecord(ctx, ip)
	if errs.KindOf(err) == errs.NotFound {
		return blank(ip), nil
	}
	return rec, err
}

func blank(ip netip.Addr) Record {
	return Record{Mitigation: netguard.Mitigation{IP: ip, State: netguard.MitigationOff, Profile: DefaultProfile}}
}

var errIPNotFound = errs.Coded(errs.NotFound, "not_found", "IP not found")

// ErrAttackNotFound is Attack's answer for an attack that is not on the IP (the IP itself being
// the caller's).
var ErrAttackNotFound = errs.Coded(errs.NotFound, "not_found", "attack not found")

// ParseIP reads an IP from a path ("198.18.0.10", "2001:db8::1"); anything else is NotFound.
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, errIPNotFound
	}
	return a.Unmap(), nil
}

// own checks that customer (0: staff, any IP) holds ip and returns its holder.
func (s *Service) own(ctx context.Context, customer account.ID, ip netip.Addr) (Owner, error) {
	o, ok, err := s.deps.Directory.Owner(ctx, ip)
	if err != nil {
		return Owner{}, err
	}
	if customer == 0 {
		if !ok {
			o = Owner{IP: ip}
		}
		return o, nil
	}
	if !ok || o.Customer != customer {
		return Owner{}, errIPNotFound
	}
	return o, nil
}

// IPView is an IP with its protection, for lists and pages.
type IPView struct {
	Owner
	Record
	// Locked and Left say whether the mitigation may not be switched off, and for how long.
	Locked bool
	Left   time.Duration
	// EarliestEnd is when an automatic mitigation ends if the IP stays quiet.
	EarliestEnd time.Time
}

func (s *Service) view(o Owner, rec Record, now time.Time) IPView {
	v := IPView{Owner: o, Record: rec}
	v.Record.IP = o.IP
	v.Locked, v.Left = s.hold.Locked(rec.Mitigation, now)
	v.EarliestEnd = s.hold.EarliestEnd(rec.Mitigation, rec.LastAbove)
	return v
}

// IPs lists the customer's IPs (0: every customer IP) with their protection.
func (s *Service) IPs(ctx context.Context, customer account.ID) ([]IPView, error) {
	owners, err := s.deps.Directory.IPs(ctx, customer)
	if err != nil {
		return nil, err
	}
	recs, err := s.deps.Store.MitigationRecords(ctx, false)
	if err != nil {
		return nil, err
	}
	byIP := make(map[netip.Addr]Record, len(recs))
	for _, r := range recs {
		byIP[r.IP] = r
	}
	now := s.Now()
	out := make([]IPView, 0, len(owners))
	for _, o := range owners {
		rec, ok := byIP[o.IP]
		if !ok {
			rec = blank(o.IP)
		}
		out = append(out, s.view(o, rec, now))
	}
	return out, nil
}

// IP returns one IP of the customer (0: staff) with its protection; NotFound otherwise.
func (s *Service) IP(ctx context.Context, customer account.ID, ip netip.Addr) (IPView, error) {
	o, err := s.own(ctx, customer, ip)
	if err != nil {
		return IPView{}, err
	}
	rec, err := record(ctx, s.deps.Store, ip)
	if err != nil {
		return IPView{}, err
	}
	return s.view(o, rec, s.Now()), nil
}

// Active lists the active mitigations (staff), with their holders.
func (s *Service) Active(ctx context.Context) ([]IPView, error) {
	recs, err := s.deps.Store.MitigationRecords(ctx, true)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]IPView, 0, len(recs))
	for _, r := range recs {
		o, ok, err := s.deps.Directory.Owner(ctx, r.IP)
		if err != nil {
			return nil, err
		}
		if !ok {
			o = Owner{IP: r.IP, Customer: r.Customer}
		}
		out = append(out, s.view(o, r, now))
	}
	return out, nil
}

// Attacks lists the attacks on one IP of the customer (0: staff), newest first.
func (s *Service) Attacks(ctx context.Context, customer account.ID, ip netip.Addr, beforeID int64, limit int) ([]netguard.Attack, error) {
	if _, err := s.own(ctx, customer, ip); err != nil {
		return nil, err
	}
	return s.deps.Store.ListAttacks(ctx, AttackFilter{IP: ip, BeforeID: beforeID, Limit: limit})
}

// Attack returns one attack on one IP of the customer (0: staff); NotFound otherwise.
func (s *Service) Attack(ctx context.Context, customer account.ID, ip netip.Addr, id int64) (netguard.Attack, error) {
	if _, err := s.own(ctx, customer, ip); err != nil {
		return netguard.Attack{}, err
	}
	a, err := s.deps.Store.GetAttack(ctx, id)
	if errs.KindOf(err) == errs.NotFound || (err == nil && a.IP != ip) {
		return netguard.Attack{}, ErrAttackNotFound
	}
	return a, err
}

// RecentAttacks lists the attacks of every IP and prefix (staff), newest first.
func (s *Service) RecentAttacks(ctx context.Context, f AttackFilter) ([]netguard.Attack, error) {
	return s.deps.Store.ListAttacks(ctx, f)
}

// MostAttacked counts the attacks of the last days per target (staff).
func (s *Service) MostAttacked(ctx context.Context, since time.Time, limit int) ([]AttackCount, error) {
	return s.deps.Store.MostAttacked(ctx, since, limit)
}

// MaxStatsPoints bounds the points one Stats call returns.
const MaxStatsPoints = 3000

// Stats returns the traffic of one IP of the customer (0: staff) at scale over [from, to),
// one point per interval, zero where nothing was recorded. A zero from or to means the last
// hour (10s), day (1m) or week (5m) up to now.
func (s *Service) Stats(ctx context.Context, customer account.ID, ip netip.Addr, scale netguard.Scale, from, to time.Time) ([]netguard.TrafficPoint, error) {
	if _, err := s.own(ctx, customer, ip); err != nil {
		return nil, err
	}
	step := scale.Duration()
	if step == 0 {
		return nil, errs.Fields(errs.FieldError{Field: "scale", Message: "must be 10s, 1m or 5m"})
	}
	if to.IsZero() {
		to = s.Now()
	}
	if from.IsZero() {
		from = to.Add(-DefaultSpan(scale))
	}
	from, to = from.UTC().Truncate(step), to.UTC().Truncate(step)
	if !to.After(from) {
		return nil, errs.Fields(errs.FieldError{Field: "from", Message: "must be before to"})
	}
	if to.Sub(from)/step > MaxStatsPoints {
		return nil, errs.Fields(errs.FieldError{Field: "to", Message: fmt.Sprintf("at most %d points: narrow the range or use a coarser scale", MaxStatsPoints)})
	}
	pts, err := s.deps.Store.TrafficPoints(ctx, ip, scale, from, to)
	if err != nil {
		return nil, err
	}
	return FillPoints(ip, scale, from, to, pts), nil
}

// DefaultSpan is the range a chart shows at scale: 1 hour of 10s points, 1 day of 1m points,
// 1 week of 5m points.
func DefaultSpan(scale netguard.Scale) time.Duration {
	switch scale {
	case netguard.Scale1m:
		return 24 * time.Hour
	case netguard.Scale5m:
		return 7 * 24 * time.Hour
	}
	return time.Hour
}

// FillPoints returns one point per step of scale in [from, to): the stored ones, zero
// elsewhere. pts must be sorted by At.
func FillPoints(ip netip.Addr, scale netguard.Scale, from, to time.Time, pts []netguard.TrafficPoint) []netguard.TrafficPoint {
	step := scale.Duration()
	out := make([]netguard.TrafficPoint, 0, to.Sub(from)/step)
	i := 0
	for at := from; at.Before(to); at = at.Add(step) {
		for i < len(pts) && pts[i].At.Before(at) {
			i++
		}
		if i < len(pts) && pts[i].At.Equal(at) {
			out = append(out, pts[i])
			continue
		}
		out = append(out, netguard.TrafficPoint{IP: ip, Scale: scale, At: at})
	}
	return out
}
