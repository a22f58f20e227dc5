package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/money"
)

// Config tunes the catalogue.
type Config struct {
	// A plan with this many free servers or fewer shows as "low".
	LowStock int `yaml:"low_stock"`
	// Delivery estimates shown with the stock level. When the stock source knows its install
	// time (the fleet, an Estimator), an available plan shows that time instead, and a low one
	// the longer of that time and EstimateLow (the last machines may be taken first).
	EstimateAvailable time.Duration `yaml:"delivery_estimate_available"`
	EstimateLow       time.Duration `yaml:"delivery_estimate_low"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{LowStock: 2, EstimateAvailable: 2 * time.Hour, EstimateLow: 48 * time.Hour}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.LowStock < 0 {
		return errors.New("commerce.catalog.low_stock: must not be negative")
	}
	if c.EstimateAvailable <= 0 || c.EstimateLow < c.EstimateAvailable {
		return errors.New("commerce.catalog.delivery_estimate_*: positive, low at least available")
	}
	return nil
}

// Deps of the service.
type Deps struct {
	Logger    *slog.Logger
	Clock     clock.Clock
	Store     Store
	Stock     StockSource
	Durations []int // rental durations offered (policy.rental_durations_months)
}

// Service is the catalogue's use cases.
type Service struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
}

// New makes the service.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Clock == nil || deps.Logger == nil || deps.Stock == nil {
		return nil, errors.New("catalog: store, stock, clock and logger are required")
	}
	if len(deps.Durations) == 0 {
		return nil, errors.New("catalog: no rental duration offered")
	}
	return &Service{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "catalog")}, nil
}

// Durations returns the rental durations offered, in months.
func (s *Service) Durations() []int { return slices.Clone(s.deps.Durations) }

// Ranges lists the ranges.
func (s *Service) Ranges(ctx context.Context) ([]Range, error) { return s.deps.Store.ListRanges(ctx) }

// Options lists the options (active ones only unless all).
func (s *Service) Options(ctx context.Context, all bool) ([]Option, error) {
	return s.deps.Store.ListOptions(ctx, !all)
}

// Plans lists the plans with their current prices, stock and delivery estimate. Staff see the
// inactive ones too (all).
func (s *Service) Plans(ctx context.Context, all bool) ([]Plan, error) {
	return s.plans(ctx, s.deps.Store, all)
}

func (s *Service) plans(ctx context.Context, r Reader, all bool) ([]Plan, error) {
	plans, err := r.ListPlans(ctx, !all)
	if err != nil {
		return nil, err
	}
	ranges, err := r.ListRanges(ctx)
	if err != nil {
		return nil, err
	}
	prices, err := r.CurrentPrices(ctx, s.deps.Clock.Now())
	if err != nil {
		return nil, err
	}
	var free map[string]int
	var sites map[string]map[string]int
	if src, ok := s.deps.Stock.(SiteSource); ok {
		sites, err = src.FreeBySite(ctx)
	} else {
		free, err = s.deps.Stock.FreeServers(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("stock: %w", err)
	}
	est, _ := s.deps.Stock.(Estimator)
	support := map[string]SupportLevel{}
	for _, rg := range ranges {
		support[rg.Code] = rg.SupportLevel
	}
	byPlan := map[string][]Price{}
	for _, p := range prices {
		if slices.Contains(s.deps.Durations, p.DurationMonths) {
			byPlan[p.PlanCode] = append(byPlan[p.PlanCode], p)
		}
	}
	for i := range plans {
		p := &plans[i]
		p.SupportLevel = support[p.Range]
		p.Prices = byPlan[p.Code]
		slices.SortFunc(p.Prices, func(a, b Price) int { return a.DurationMonths - b.DurationMonths })
		p.Free = free[p.Code]
		if sites != nil {
			p.SitesKnown, p.Datacenters, p.Free = true, []SiteStock{}, 0
			for dc, n := range sites[p.Code] {
				d := SiteStock{Datacenter: dc, Free: n}
				d.Stock, d.DeliveryEstimateHours = s.level(p.Code, n, est)
				p.Datacenters = append(p.Datacenters, d)
				p.Free += n
			}
			slices.SortFunc(p.Datacenters, func(a, b SiteStock) int { return strings.Compare(a.Datacenter, b.Datacenter) })
		}
		p.Stock, p.DeliveryEstimateHours = s.level(p.Code, p.Free, est)
	}
	return plans, nil
}

// level tells the stock level of a plan with free servers and its delivery estimate in hours
// (0 when empty: the plan cannot be ordered).
func (s *Service) level(plan string, free int, est Estimator) (StockLevel, int) {
	available, low := s.cfg.EstimateAvailable, s.cfg.EstimateLow
	if est != nil {
		available = est.InstallTime(plan)
		low = max(available, low)
	}
	switch {
	case free <= 0:
		return StockEmpty, 0
	case free <= s.cfg.LowStock:
		return StockLow, hours(low)
	default:
		return StockAvailable, hours(available)
	}
}

// hours rounds a duration up to whole hours, at least one.
func hours(d time.Duration) int {
	return max(1, int((d+time.Hour-1)/time.Hour))
}

// Plan returns one plan with its prices and stock; an inactive plan is found only with all.
func (s *Service) Plan(ctx context.Context, code string, all bool) (Plan, error) {
	plans, err := s.Plans(ctx, all)
	if err != nil {
		return Plan{}, err
	}
	for _, p := range plans {
		if p.Code == code {
			return p, nil
		}
	}
	return Plan{}, errs.Coded(errs.NotFound, "plan_not_found", "no plan "+code)
}

// Request is what an order asks for; Select checks it against the catalogue.
type Request struct {
	PlanCode       string
	DurationMonths int
	OSImage        string
	Options        []Choice
}

// Select checks a request against the current catalogue and returns the selection, or field
// errors named under prefix (e.g. "items[0]"): unknown plan, duration not offered, OS image not
// offered, unknown option, quantity out of range, missing prerequisite.
func (s *Service) Select(ctx context.Context, prefix string, in Request) (Selection, error) {
	var v errs.Validator
	f := func(name string) string { return prefix + "." + name }
	plans, err := s.Plans(ctx, false)
	if err != nil {
		return Selection{}, err
	}
	var sel Selection
	idx := slices.IndexFunc(plans, func(p Plan) bool { return p.Code == in.PlanCode })
	switch {
	case strings.TrimSpace(in.PlanCode) == "":
		v.Add(f("planCode"), "is required")
	case idx < 0:
		v.Add(f("planCode"), "is not a plan of the catalogue")
	default:
		sel.Plan = plans[idx]
		if p, ok := sel.Plan.PriceFor(in.DurationMonths); ok {
			sel.Price = p
		} else {
			v.Add(f("durationMonths"), "is not a rental duration offered for this plan; months offered: "+joinInts(durationsOf(sel.Plan)))
		}
		if in.OSImage == "" {
			v.Add(f("osImage"), "is required")
		} else if !sel.Plan.HasOS(in.OSImage) {
			v.Add(f("osImage"), "is not offered with this plan")
		}
	}
	opts, err := s.deps.Store.ListOptions(ctx, true)
	if err != nil {
		return Selection{}, err
	}
	seen := map[string]bool{}
	for i, c := range in.Options {
		path := fmt.Sprintf("%s.options[%d]", prefix, i)
		k := slices.IndexFunc(opts, func(o Option) bool { return o.Code == c.Code })
		if k < 0 {
			v.Add(path+".code", "is not an option of the catalogue")
			continue
		}
		if seen[c.Code] {
			v.Add(path+".code", "is listed twice")
			continue
		}
		seen[c.Code] = true
		o := opts[k]
		if c.Quantity < 1 || c.Quantity > o.MaxQuantity {
			v.Add(path+".quantity", fmt.Sprintf("must be between 1 and %d", o.MaxQuantity))
			continue
		}
		sel.Options = append(sel.Options, Picked{Option: o, Quantity: c.Quantity})
	}
	for i, p := range sel.Options {
		if r := p.Option.Requires; r != "" && !seen[r] {
			v.Add(fmt.Sprintf("%s.options[%d].code", prefix, i), "needs the option "+r)
		}
	}
	if err := v.Err(); err != nil {
		return Selection{}, err
	}
	sel.OS = in.OSImage
	return sel, nil
}

func durationsOf(p Plan) []int {
	out := make([]int, len(p.Prices))
	for i, x := range p.Prices {
		out[i] = x.DurationMonths
	}
	return out
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}

// NewPrice is a staff change of a plan's price for one duration.
type NewPrice struct {
	PlanCode       string
	DurationMonths int
	SetupCents     int64
	RecurringCents int64
	Currency       string
}

// SetPrice records a new price, valid from now: orders placed before keep theirs (an order form
// copies its prices), orders placed after use it.
func (s *Service) SetPrice(ctx context.Context, actor account.Actor, in NewPrice) (Price, error) {
	var v errs.Validator
	v.Check(slices.Contains(s.deps.Durations, in.DurationMonths), "durationMonths", "is not a rental duration offered; months offered: "+joinInts(s.deps.Durations))
	v.Check(in.SetupCents >= 0 && in.SetupCents <= 100_000_00, "setupCents", "must be between 0 and 10000000")
	v.Check(in.RecurringCents > 0 && in.RecurringCents <= 100_000_00, "recurringCents", "must be between 1 and 10000000")
	if in.Currency == "" {
		in.Currency = money.EUR
	}
	v.Check(in.Currency == money.EUR, "currency", "must be EUR")
	if err := v.Err(); err != nil {
		return Price{}, err
	}
	p := Price{PlanCode: in.PlanCode, DurationMonths: in.DurationMonths, SetupCents: in.SetupCents,
		RecurringCents: in.RecurringCents, Currency: in.Currency, ValidFrom: s.deps.Clock.Now(), CreatedBy: actor.Label}
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if _, err := tx.GetPlan(ctx, in.PlanCode); err != nil {
			return err
		}
		if err := tx.InsertPrice(ctx, &p); err != nil {
			return err
		}
		return account.Audit(ctx, tx, p.ValidFrom, actor, "catalog.price", "plan", in.PlanCode, 0, map[string]any{
			"durationMonths": in.DurationMonths, "setupCents": in.SetupCents, "recurringCents": in.RecurringCents})
	})
	return p, err
}

// SetStock sets the seeded count of free servers of a plan: the stock shown when the
// catalogue's stock source is manual (commerce.stock_source: manual).
func (s *Service) SetStock(ctx context.Context, actor account.Actor, plan string, free int) error {
	if free < 0 || free > 100000 {
		return errs.Fields(errs.FieldError{Field: "free", Message: "must be between 0 and 100000"})
	}
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		if _, err := tx.GetPlan(ctx, plan); err != nil {
			return err
		}
		if err := tx.SetStock(ctx, plan, free); err != nil {
			return err
		}
		return account.Audit(ctx, tx, s.deps.Clock.Now(), actor, "catalog.stock", "plan", plan, 0, map[string]any{"free": free})
	})
}

// SetOptionPrice changes an option's monthly price; it applies to orders placed after it.
func (s *Service) SetOptionPrice(ctx context.Context, actor account.Actor, code string, monthly int64) error {
	if monthly < 0 || monthly > 100_000_00 {
		return errs.Fields(errs.FieldError{Field: "monthlyCents", Message: "must be between 0 and 10000000"})
	}
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		opts, err := tx.ListOptions(ctx, false)
		if err != nil {
			return err
		}
		k := slices.IndexFunc(opts, func(o Option) bool { return o.Code == code })
		if k < 0 {
			return errs.Coded(errs.NotFound, "option_not_found", "no option "+code)
		}
		o := opts[k]
		o.MonthlyCents = monthly
		if err := tx.UpsertOption(ctx, o); err != nil {
			return err
		}
		return account.Audit(ctx, tx, s.deps.Clock.Now(), actor, "catalog.option_price", "option", code, 0, map[string]any{"monthlyCents": monthly})
	})
}

// PriceHistory lists every price a plan had, newest first.
func (s *Service) PriceHistory(ctx context.Context, plan string) ([]Price, error) {
	return s.deps.Store.PriceHistory(ctx, plan)
}

// Seed writes a catalogue (ranges, plans, a price per duration, options and stock) when the
// store has no plan yet; it reports whether it wrote anything.
func (s *Service) Seed(ctx context.Context, actor account.Actor, c Seed) (bool, error) {
	wrote := false
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		existing, err := tx.ListPlans(ctx, false)
		if err != nil || len(existing) > 0 {
			return err
		}
		now := s.deps.Clock.Now()
		for _, r := range c.Ranges {
			if err := tx.UpsertRange(ctx, r); err != nil {
				return err
			}
		}
		for _, p := range c.Plans {
			if err := tx.UpsertPlan(ctx, p.Plan); err != nil {
				return err
			}
			for _, m := range s.deps.Durations {
				pr := c.Price(p, m)
				pr.ValidFrom, pr.CreatedBy = now, actor.Label
				if err := tx.InsertPrice(ctx, &pr); err != nil {
					return err
				}
			}
			if err := tx.SetStock(ctx, p.Plan.Code, p.Stock); err != nil {
				return err
			}
		}
		for _, o := range c.Options {
			if err := tx.UpsertOption(ctx, o); err != nil {
				return err
			}
		}
		wrote = true
		return account.Audit(ctx, tx, now, actor, "catalog.seed", "catalog", "", 0, map[string]any{"plans": len(c.Plans)})
	})
	return wrote, err
}
