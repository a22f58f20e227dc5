package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/money"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
)

// Jobs of orders. JobDeliver and JobRelease are the fleet's: it registers their handlers.
const (
	JobDeliver      = "order.deliver"
	JobRelease      = "order.release"
	JobWatch        = "order.watch"
	JobPaymentEvent = "payment.event"
)

// DeliverArgs are the arguments of JobDeliver: what the fleet needs to deliver the server.
type DeliverArgs struct {
	OrderID        ID         `json:"orderId"`
	OrderRef       string     `json:"orderRef"` // OrderRef(OrderID)
	CustomerID     account.ID `json:"customerId"`
	PlanCode       string     `json:"planCode"`
	Range          string     `json:"range"`
	OSImage        string     `json:"osImage"`
	Datacenter     string     `json:"datacenter,omitempty"`
	DurationMonths int        `json:"durationMonths"`
	AdditionalIPs  int        `json:"additionalIps,omitempty"`
	Deadline       string     `json:"deadline"`
}

// OrderRef is the reference of an order in other domains ("order-42").
func OrderRef(id ID) string { return fmt.Sprintf("order-%d", id) }

// ParseOrderRef reads an OrderRef.
func ParseOrderRef(ref string) (ID, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(ref, "order-"), 10, 64)
	if err != nil || n <= 0 || !strings.HasPrefix(ref, "order-") {
		return 0, false
	}
	return ID(n), true
}

// ReleaseArgs are the arguments of JobRelease.
type ReleaseArgs struct {
	OrderID   ID     `json:"orderId"`
	ServerRef string `json:"serverRef,omitempty"`
	Reason    string `json:"reason"`
}

// Config tunes orders.
type Config struct {
	// Sandbox enables the card simulator in production too; the demo (serve --demo) turns it on
	// by itself. Leave it off where real money is taken: a sandbox payment pays for nothing.
	Sandbox bool `yaml:"sandbox"`
	// WatchEvery is how often paid orders are checked against their delivery deadline.
	WatchEvery time.Duration `yaml:"watch_every"`
	// MaxOptions bounds the options of one order.
	MaxOptions int `yaml:"max_options"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Sandbox: false, WatchEvery: time.Minute, MaxOptions: 10}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.WatchEvery < time.Second || c.WatchEvery > time.Hour {
		return errors.New("commerce.orders.watch_every: between 1s and 1h")
	}
	if c.MaxOptions < 1 {
		return errors.New("commerce.orders.max_options: at least 1")
	}
	return nil
}

// Deps of the service.
type Deps struct {
	Logger    *slog.Logger
	Clock     clock.Clock
	Store     Store
	Catalog   *catalog.Service
	Billing   *billing.Service
	Notify    *notify.Service
	Policy    policy.Config
	Inventory Inventory
	Providers []Provider
	Wake      func() // wakes the job runner after a commit that enqueued work
	PublicURL string
}

// Service is the order use cases.
type Service struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	providers map[Method]Provider
	sandbox   atomic.Bool // the card simulator is on (config or demo)
}

// New makes the service.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Clock == nil || deps.Logger == nil || deps.Catalog == nil || deps.Billing == nil || deps.Notify == nil {
		return nil, errors.New("order: store, catalog, billing, notify, clock and logger are required")
	}
	if deps.Inventory == nil {
		deps.Inventory = SeededInventory{}
	}
	s := &Service{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "order"), providers: map[Method]Provider{}}
	for _, p := range deps.Providers {
		s.providers[p.Method()] = p
	}
	s.sandbox.Store(cfg.Sandbox)
	return s, nil
}

// EnableSandbox turns the card simulator on (the demo seed does it).
func (s *Service) EnableSandbox() { s.sandbox.Store(true) }

// Methods lists the payment methods on offer.
func (s *Service) Methods() []Method {
	var out []Method
	for _, m := range []Method{MethodTransfer, MethodSandbox} {
		if _, ok := s.providers[m]; ok && (m != MethodSandbox || s.sandbox.Load()) {
			out = append(out, m)
		}
	}
	return out
}

// Config returns the configuration in force.
func (s *Service) Config() Config { return s.cfg }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.deps.Clock.Now() }

// Policy is the contract's numbers in force.
func (s *Service) Policy() policy.Config { return s.deps.Policy }

func (s *Service) wake(tx interface{ AfterCommit(func()) }) {
	if s.deps.Wake != nil {
		tx.AfterCommit(s.deps.Wake)
	}
}

func recipient(a account.Account) notify.Recipient {
	return notify.Recipient{AccountID: int64(a.ID), Email: a.Email, Name: a.Name, Language: a.Language}
}

// ImmediateRequestWording is the request a consumer ticks to have the server delivered within
// the withdrawal period; it is stored with the order, in the language shown, with the time.
func ImmediateRequestWording(lang string, days int) string {
	if lang == "en" {
		return fmt.Sprintf("I expressly ask ITSGOW to deliver my server before the end of the %d-day withdrawal period. "+
			"I understand that if I withdraw after delivery, I will pay for the service provided until then, pro rata.", days)
	}
	return fmt.Sprintf("Je demande expressément à ITSGOW de mettre mon serveur à disposition avant la fin du délai de rétractation de %d jours. "+
		"Je reconnais que si je me rétracte après la mise à disposition, je paierai le service fourni jusque-là, au prorata.", days)
}

// Item is one line of an order request.
type Item struct {
	PlanCode       string
	DurationMonths int
	OSImage        string
	Datacenter     string
	Options        []catalog.Choice
}

// NewOrder is an order request.
type NewOrder struct {
	Items          []Item
	DryRun         bool
	IdempotencyKey string
	Currency       string // "" or EUR
	VATNumber      string // a company may give (or confirm) its VAT number for the reverse charge
	// ImmediateDelivery is a consumer's explicit request to deliver within the withdrawal period.
	ImmediateDelivery bool
}

// Create turns a request into an order form: lines, VAT and totals. With DryRun nothing is
// stored. With an idempotency key, the same key answers the order it made first (created false).
func (s *Service) Create(ctx context.Context, actor account.Actor, cust account.Account, in NewOrder) (Order, bool, error) {
	if cust.Kind != account.KindCustomer || cust.Customer == nil {
		return Order{}, false, errs.Coded(errs.Forbidden, "customers_only", "only customers place orders")
	}
	var v errs.Validator
	if len(in.IdempotencyKey) > 200 {
		v.Add("Idempotency-Key", "must be at most 200 characters")
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur != "" && cur != money.EUR {
		v.Add("currency", "must be EUR: the catalogue is priced in EUR")
	}
	vat := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(in.VATNumber), " ", ""))
	if vat != "" {
		switch {
		case cust.Customer.Type != account.Company:
			v.Add("vatNumber", "only companies have a VAT number")
		case !account.ValidVATNumber(vat):
			v.Add("vatNumber", "must be a valid EU VAT number (country prefix and digits)")
		case billing.InEU(cust.Customer.Country) && vat[:2] != cust.Customer.Country && !(vat[:2] == "EL" && cust.Customer.Country == "GR"):
			v.Add("vatNumber", "must be a VAT number of "+cust.Customer.Country)
		}
	}
	switch {
	case len(in.Items) == 0:
		v.Add("items", "at least one server is required")
	case len(in.Items) > 1:
		v.Add("items", "one server per order: place one order per server")
	}
	if len(in.Items) == 1 && len(in.Items[0].Options) > s.cfg.MaxOptions {
		v.Add("items[0].options", fmt.Sprintf("too many options; at most %d", s.cfg.MaxOptions))
	}
	var sel catalog.Selection
	if len(in.Items) == 1 {
		it := in.Items[0]
		if len(it.Datacenter) > 40 {
			v.Add("items[0].datacenter", "must be at most 40 characters")
		}
		var err error
		sel, err = s.deps.Catalog.Select(ctx, "items[0]", catalog.Request{PlanCode: it.PlanCode, DurationMonths: it.DurationMonths,
			OSImage: it.OSImage, Options: it.Options})
		if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
			for _, f := range e.Fields {
				v.Add(f.Field, f.Message)
			}
		} else if err != nil {
			return Order{}, false, err
		}
	}
	// the fleet takes the machine in the datacenter the order names: when the stock source knows
	// the datacenters, the order is checked against that datacenter's stock, not the plan's
	var dc string
	var site *catalog.SiteStock
	if len(in.Items) == 1 {
		dc = strings.TrimSpace(in.Items[0].Datacenter)
		plan := sel.Plan
		if plan.Code == "" && dc != "" && v.Err() != nil {
			// other fields are wrong (Select answers no plan then): check the datacenter too, so
			// that every field error comes at once
			if p, err := s.deps.Catalog.Plan(ctx, in.Items[0].PlanCode, false); err == nil {
				plan = p
			}
		}
		if dc != "" && plan.SitesKnown {
			if d, ok := plan.Site(dc); ok {
				dc, site = d.Datacenter, &d
			} else {
				names := make([]string, len(plan.Datacenters))
				for i, d := range plan.Datacenters {
					names[i] = d.Datacenter
				}
				v.Add("items[0].datacenter", "is not a datacenter of this plan; choose none (any) or one of: "+strings.Join(names, ", "))
			}
		}
	}
	if err := v.Err(); err != nil {
		return Order{}, false, err
	}
	if site != nil && site.Stock == catalog.StockEmpty {
		return Order{}, false, &errs.Error{Kind: errs.Conflict, Code: "out_of_stock",
			Msg:    "no server of plan " + sel.Plan.Code + " is free in " + dc + ": it cannot be delivered within the deadline there",
			Fields: []errs.FieldError{{Field: "items[0].datacenter", Message: "has no free server of this plan: choose another datacenter, or none"}}}
	}
	if sel.Plan.Stock == catalog.StockEmpty {
		return Order{}, false, &errs.Error{Kind: errs.Conflict, Code: "out_of_stock", Msg: "no server of plan " + sel.Plan.Code + " is free: it cannot be delivered within the deadline",
			Fields: []errs.FieldError{{Field: "items[0].planCode", Message: "is out of stock"}}}
	}
	now := s.Now()
	lang := cust.Language
	if lang != "en" {
		lang = "fr"
	}
	lines, _ := Lines(sel, lang)
	rule := s.deps.Billing.RuleFor(cust, vat, now)
	t := billing.Compute(lines, rule)
	o := Order{CustomerID: cust.ID, IdempotencyKey: in.IdempotencyKey, Status: NotPaid, PlanCode: sel.Plan.Code, Range: sel.Plan.Range,
		PlanName: sel.Plan.Name, DurationMonths: sel.Price.DurationMonths, OSImage: sel.OS, Datacenter: dc,
		Language: lang, Currency: sel.Price.Currency, Lines: t.Lines, VAT: t.VAT, ExclTaxCents: t.ExclTaxCents, TaxCents: t.TaxCents,
		InclTaxCents: t.InclTaxCents, Scheme: rule.Scheme, VATNumber: vat, Consumer: cust.Customer.Type == account.Person, CreatedAt: now}
	for _, p := range sel.Options {
		o.Options = append(o.Options, OptionLine{Code: p.Option.Code, Quantity: p.Quantity})
	}
	if o.Consumer && in.ImmediateDelivery {
		o.ImmediateRequestText = ImmediateRequestWording(lang, int(s.deps.Policy.WithdrawalPeriod/policy.Day))
		o.ImmediateRequestAt = now
	}
	if in.DryRun {
		o.DryRun = true
		return o, false, nil
	}
	created := true
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if in.IdempotencyKey != "" {
			prev, err := tx.OrderByKey(ctx, int64(cust.ID), in.IdempotencyKey)
			if err == nil {
				o, created = prev, false
				return nil
			}
			if errs.KindOf(err) != errs.NotFound {
				return err
			}
		}
		if err := tx.InsertOrder(ctx, &o); err != nil {
			return err
		}
		return account.Audit(ctx, tx, now, actor, "order.create", "order", fmt.Sprint(o.ID), cust.ID, map[string]any{
			"plan": o.PlanCode, "durationMonths": o.DurationMonths, "totalInclTaxCents": o.InclTaxCents})
	})
	if err != nil && in.IdempotencyKey != "" && errs.KindOf(err) == errs.Conflict {
		// a concurrent request with the same key won the race: answer its order
		prev, perr := s.deps.Store.OrderByKey(ctx, int64(cust.ID), in.IdempotencyKey)
		if perr == nil {
			return prev, false, nil
		}
	}
	return o, created, err
}

// Lines builds the order form's lines (VAT rates not yet set) in lang, and the lines of one
// renewal term (rental and options, without setup fees).
func Lines(sel catalog.Selection, lang string) (form, term []billing.Line) {
	n := int64(sel.Price.DurationMonths)
	p := sel.Plan
	en := lang == "en"
	if sel.Price.SetupCents > 0 {
		d := "Frais d'installation — serveur " + p.Name
		if en {
			d = "Setup fee — server " + p.Name
		}
		form = append(form, billing.Line{Kind: "setup", Code: p.Code, Description: d, Quantity: 1, UnitCents: sel.Price.SetupCents})
	}
	d := fmt.Sprintf("Location du serveur dédié %s (gamme %s, %s, %d Go RAM) — %s — %d mois", p.Name, p.Range, p.Hardware.CPU, p.Hardware.RAMGiB, sel.OS, n)
	if en {
		d = fmt.Sprintf("Dedicated server %s rental (%s range, %s, %d GB RAM) — %s — %d months", p.Name, p.Range, p.Hardware.CPU, p.Hardware.RAMGiB, sel.OS, n)
	}
	rental := billing.Line{Kind: "rental", Code: p.Code, Description: d, Quantity: n, UnitCents: sel.Price.RecurringCents}
	form = append(form, rental)
	term = append(term, rental)
	for _, o := range sel.Options {
		q := int64(o.Quantity)
		name := o.Option.Name(lang)
		unit := "mois"
		if en {
			unit = "months"
		}
		l := billing.Line{Kind: "option", Code: o.Option.Code, Description: fmt.Sprintf("%s × %d — %d %s", name, q, n, unit),
			Quantity: q * n, UnitCents: o.Option.MonthlyCents}
		form = append(form, l)
		term = append(term, l)
		if o.Option.SetupCents > 0 {
			sd := "Frais de mise en service — " + name
			if en {
				sd = "Activation fee — " + name
			}
			form = append(form, billing.Line{Kind: "optionSetup", Code: o.Option.Code, Description: sd, Quantity: q, UnitCents: o.Option.SetupCents})
		}
	}
	return form, term
}

// termLines rebuilds the renewal lines of an order from its form: the rental and option lines.
func termLines(o Order) []billing.Line {
	var out []billing.Line
	for _, l := range o.Lines {
		if l.Kind == "rental" || l.Kind == "option" {
			out = append(out, l)
		}
	}
	return out
}

// Orders lists orders.
func (s *Service) Orders(ctx context.Context, f Filter) ([]Order, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return s.deps.Store.ListOrders(ctx, f)
}

// Order returns one order; customer (non-zero) must own it, else it does not exist.
func (s *Service) Order(ctx context.Context, customer account.ID, id ID) (Order, error) {
	o, err := s.deps.Store.GetOrder(ctx, id)
	if err != nil {
		return o, err
	}
	if customer != 0 && o.CustomerID != customer {
		return Order{}, errs.Coded(errs.NotFound, "order_not_found", "order not found")
	}
	return o, nil
}

// Payments lists payments.
func (s *Service) Payments(ctx context.Context, f PaymentFilter) ([]Payment, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return s.deps.Store.ListPayments(ctx, f)
}

// Refunds lists an order's refunds.
func (s *Service) Refunds(ctx context.Context, id ID) ([]Refund, error) {
	return s.deps.Store.RefundsOf(ctx, id)
}

// stillInStock refuses to take the money of an unpaid order whose plan (or datacenter) has no
// free server any more: the delivery clock would start on a server that cannot be delivered in
// time (Art. 4). A retry of a payment already begun (its Idempotency-Key) is not checked again.
func (s *Service) stillInStock(ctx context.Context, cust account.Account, id ID, key string) error {
	if key != "" {
		if _, err := s.deps.Store.PaymentByKey(ctx, int64(cust.ID), key); err == nil {
			return nil
		}
	}
	o, err := s.Order(ctx, cust.ID, id)
	if err != nil || o.Status != NotPaid {
		return nil // the payment answers these
	}
	plan, err := s.deps.Catalog.Plan(ctx, o.PlanCode, true)
	if err != nil {
		return err
	}
	stock, where := plan.Stock, ""
	if site, ok := plan.Site(o.Datacenter); ok && o.Datacenter != "" {
		stock, where = site.Stock, " in "+site.Datacenter
	}
	if stock != catalog.StockEmpty {
		return nil
	}
	return &errs.Error{Kind: errs.Conflict, Code: "out_of_stock", Msg: "no server of plan " + o.PlanCode + " is free any more" + where +
		": it could not be delivered within the deadline, so nothing is charged; pay later or cancel the order"}
}

// ErrAlreadyPaid answers a payment of something paid.
var ErrAlreadyPaid = errs.Coded(errs.Conflict, "already_paid", "this is already paid")

// Pay starts the payment of an order. With an idempotency key, the same key answers the
// payment it started first.
func (s *Service) Pay(ctx context.Context, actor account.Actor, cust account.Account, id ID, in PayInput) (Payment, error) {
	if err := s.stillInStock(ctx, cust, id, in.IdempotencyKey); err != nil {
		return Payment{}, err
	}
	return s.pay(ctx, actor, cust, in, func(tx Tx) (Payment, error) {
		o, err := tx.GetOrder(ctx, id)
		if err != nil {
			return Payment{}, err
		}
		if o.CustomerID != cust.ID {
			return Payment{}, errs.Coded(errs.NotFound, "order_not_found", "order not found")
		}
		if o.Status != NotPaid {
			if o.Status == Cancelled {
				return Payment{}, errs.Coded(errs.Conflict, "order_cancelled", "the order is cancelled")
			}
			return Payment{}, ErrAlreadyPaid
		}
		return Payment{OrderID: id, AmountCents: o.InclTaxCents, Currency: o.Currency, Reference: fmt.Sprintf("ITSGOW-C%d", id)}, nil
	})
}

// PayInvoice starts the payment of an unpaid invoice (a renewal).
func (s *Service) PayInvoice(ctx context.Context, actor account.Actor, cust account.Account, id billing.InvoiceID, in PayInput) (Payment, error) {
	return s.pay(ctx, actor, cust, in, func(tx Tx) (Payment, error) {
		inv, err := tx.GetInvoice(ctx, id)
		if err != nil {
			return Payment{}, err
		}
		if inv.CustomerID != cust.ID || inv.Kind != billing.KindInvoice {
			return Payment{}, errs.Coded(errs.NotFound, "invoice_not_found", "invoice not found")
		}
		if inv.Status == billing.Cancelled {
			return Payment{}, errs.Coded(errs.Conflict, "invoice_cancelled", "the invoice is cancelled by a credit note: nothing is due on it")
		}
		if inv.Status != billing.Unpaid {
			return Payment{}, ErrAlreadyPaid
		}
		return Payment{InvoiceID: id, AmountCents: inv.InclTaxCents, Currency: inv.Currency, Reference: inv.Number}, nil
	})
}

func (s *Service) pay(ctx context.Context, actor account.Actor, cust account.Account, in PayInput, target func(Tx) (Payment, error)) (Payment, error) {
	prov, ok := s.providers[in.Method]
	if in.Method == MethodSandbox && !s.sandbox.Load() {
		ok = false
	}
	if !ok {
		return Payment{}, errs.Fields(errs.FieldError{Field: "method", Message: "must be one of " + joinMethods(s.Methods())})
	}
	if in.Method != MethodSandbox && in.Card != "" {
		return Payment{}, errs.Fields(errs.FieldError{Field: "card", Message: "only the sandbox takes a card number"})
	}
	if len(in.IdempotencyKey) > 200 {
		return Payment{}, errs.Fields(errs.FieldError{Field: "Idempotency-Key", Message: "must be at most 200 characters"})
	}
	var p Payment
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if in.IdempotencyKey != "" {
			prev, err := tx.PaymentByKey(ctx, int64(cust.ID), in.IdempotencyKey)
			if err == nil {
				p = prev
				return nil
			}
			if errs.KindOf(err) != errs.NotFound {
				return err
			}
		}
		var err error
		if p, err = target(tx); err != nil {
			return err
		}
		now := s.Now()
		p.CustomerID, p.Method, p.Status, p.IdempotencyKey, p.CreatedAt = cust.ID, in.Method, PaymentPending, in.IdempotencyKey, now
		if err := tx.InsertPayment(ctx, &p); err != nil {
			return err
		}
		begun, err := prov.Begin(ctx, p, in)
		if err != nil {
			return err
		}
		p.ProviderRef = begun.ProviderRef
		if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
		for i, ev := range begun.Events {
			if _, _, err := jobs.Enqueue(ctx, tx, now, JobPaymentEvent, ev, jobs.Opts{
				UniqueKey: fmt.Sprintf("payment.event:%s:%s:%d", ev.Provider, ev.ID, i), MaxAttempts: 20}); err != nil {
				return err
			}
		}
		if len(begun.Events) > 0 {
			s.wake(tx)
		}
		if in.Method == MethodTransfer {
			iban := s.deps.Billing.Seller().IBAN
			if _, err := s.deps.Notify.Queue(ctx, tx, recipient(cust), "transfer_pending", map[string]any{
				"Name": cust.Name, "Amount": money.Format(p.AmountCents, p.Currency, cust.Language), "Reference": p.Reference,
				"IBAN": iban, "BIC": s.deps.Billing.Seller().BIC, "Holder": s.deps.Billing.Seller().Name,
			}, fmt.Sprintf("transfer_pending:%d", p.ID)); err != nil {
				return err
			}
		}
		return account.Audit(ctx, tx, now, actor, "payment.start", "payment", fmt.Sprint(p.ID), cust.ID, map[string]any{
			"method": p.Method, "amountCents": p.AmountCents, "orderId": p.OrderID, "invoiceId": p.InvoiceID})
	})
	if err != nil && in.IdempotencyKey != "" && errs.KindOf(err) == errs.Conflict {
		// a concurrent request with the same key won the race: answer its payment
		if prev, perr := s.deps.Store.PaymentByKey(ctx, int64(cust.ID), in.IdempotencyKey); perr == nil {
			return prev, nil
		}
	}
	return p, err
}

func joinMethods(ms []Method) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = string(m)
	}
	return strings.Join(parts, ", ")
}

// HandleEventJob is the handler of JobPaymentEvent.
func (s *Service) HandleEventJob(ctx context.Context, j jobs.Job) error {
	ev, err := jobs.Decode[Event](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	_, err = s.HandleEvent(ctx, ev)
	return err
}

// HandleEvent acts on a provider event once: the (provider, event id) pair is recorded in the
// same transaction as its effect, and a duplicate changes nothing. It reports whether the event
// was new.
func (s *Service) HandleEvent(ctx context.Context, ev Event) (bool, error) {
	if ev.ID == "" || (ev.Outcome != OutcomeSucceeded && ev.Outcome != OutcomeFailed) {
		return false, errs.Fields(errs.FieldError{Field: "event", Message: "needs an id and an outcome (succeeded or failed)"})
	}
	fresh := false
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		now := s.Now()
		ok, err := tx.InsertPaymentEvent(ctx, string(ev.Provider), ev.ID, ev.PaymentID, ev.Outcome, now)
		if err != nil || !ok {
			return err
		}
		fresh = true
		p, err := tx.GetPayment(ctx, ev.PaymentID)
		if err != nil {
			return err
		}
		if p.Method != ev.Provider {
			return errs.Coded(errs.Conflict, "provider_mismatch", "the event's provider did not take this payment")
		}
		if p.Status != PaymentPending {
			return nil // a late event about a settled payment
		}
		p.SettledAt = now
		if ev.Outcome == OutcomeFailed {
			p.Status, p.Failure = PaymentFailed, ev.Failure
			return tx.UpdatePayment(ctx, p)
		}
		p.Status = PaymentSucceeded
		if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
		return s.paid(ctx, tx, p, now)
	})
	return fresh, err
}

// paid applies a successful payment: an order becomes paid (delivery clock starts, invoice
// issued, server reserved, delivery asked of the fleet); an invoice becomes paid.
func (s *Service) paid(ctx context.Context, tx Tx, p Payment, now time.Time) error {
	cust, err := tx.AccountByID(ctx, p.CustomerID)
	if err != nil {
		return err
	}
	if p.InvoiceID != 0 {
		inv, err := s.deps.Billing.InvoicePaid(ctx, tx, p.InvoiceID, int64(p.ID), now)
		if errs.KindOf(err) == errs.Conflict {
			s.log.Warn("payment of an invoice no longer payable", "invoice", inv.Number, logkey.CustomerID, p.CustomerID)
			return nil
		}
		return err
	}
	o, err := tx.GetOrder(ctx, p.OrderID)
	if err != nil {
		return err
	}
	if o.Status != NotPaid {
		// paid twice by two methods: keep the money on record for staff to refund by hand
		s.log.Warn("second payment of an order", logkey.CustomerID, p.CustomerID, "order", o.ID, "payment", p.ID)
		return nil
	}
	o.Status, o.PaidAt = Paid, now
	o.DeliverableFrom = now
	if o.Consumer && o.ImmediateRequestAt.IsZero() {
		// no explicit request: the server is delivered once the withdrawal period is over
		o.DeliverableFrom = now.Add(s.deps.Policy.WithdrawalPeriod)
	}
	o.DeliveryDeadline = o.DeliverableFrom.Add(s.deps.Policy.DeliveryDeadline)
	inv, err := s.deps.Billing.IssueOne(ctx, tx, billing.Draft{Kind: billing.KindInvoice, Customer: withLang(cust, o.Language), VATNumber: o.VATNumber,
		Rule: billing.Rule{Scheme: o.Scheme, Country: custCountry(cust), BasisPoints: rateOf(o)}, Lines: o.Lines, Purpose: billing.PurposeOrder,
		Status: billing.Paid, DueAt: now, PaidAt: now, Currency: o.Currency, OrderID: int64(o.ID)})
	if err != nil {
		return err
	}
	o.InvoiceID = inv.ID
	if err := tx.UpdateOrder(ctx, o); err != nil {
		return err
	}
	if err := s.deps.Inventory.Reserve(ctx, tx, o, now); err != nil {
		return err
	}
	ips := 0
	for _, opt := range o.Options {
		if strings.HasPrefix(opt.Code, "extra-ip") {
			ips += opt.Quantity
		}
	}
	if _, _, err := jobs.Enqueue(ctx, tx, now, JobDeliver, DeliverArgs{OrderID: o.ID, OrderRef: OrderRef(o.ID), CustomerID: o.CustomerID,
		PlanCode: o.PlanCode, Range: o.Range, OSImage: o.OSImage, Datacenter: o.Datacenter, DurationMonths: o.DurationMonths,
		AdditionalIPs: ips, Deadline: o.DeliveryDeadline.UTC().Format(time.RFC3339)},
		jobs.Opts{UniqueKey: fmt.Sprintf("deliver:%d", o.ID), MaxAttempts: 50}); err != nil {
		return err
	}
	_, err = s.deps.Notify.Queue(ctx, tx, recipient(cust), "order_paid", map[string]any{
		"Name": cust.Name, "Order": o.ID, "Plan": o.PlanName, "Amount": money.Format(o.InclTaxCents, o.Currency, cust.Language),
		"Invoice": inv.Number, "Deadline": fmtTime(o.DeliveryDeadline, cust.Language), "Waits": !o.DeliverableFrom.Equal(now),
		"URL": s.deps.PublicURL + fmt.Sprintf("/orders/%d", o.ID),
	}, fmt.Sprintf("order_paid:%d", o.ID))
	return err
}

func withLang(a account.Account, lang string) account.Account { a.Language = lang; return a }

func custCountry(a account.Account) string {
	if a.Customer == nil {
		return ""
	}
	return a.Customer.Country
}

func rateOf(o Order) int {
	if len(o.VAT) == 0 {
		return 0
	}
	return o.VAT[0].BasisPoints
}

// ConfirmTransfer is staff confirming that a transfer arrived: the provider event of a transfer
// is its confirmation, recorded once.
func (s *Service) ConfirmTransfer(ctx context.Context, actor account.Actor, id PaymentID) (Payment, error) {
	p, err := s.deps.Store.GetPayment(ctx, id)
	if err != nil {
		return p, err
	}
	if p.Method != MethodTransfer {
		return p, errs.Coded(errs.Conflict, "not_a_transfer", "only a transfer is confirmed by staff")
	}
	if p.Status != PaymentPending {
		return p, errs.Coded(errs.Conflict, "payment_settled", "the payment is already "+string(p.Status))
	}
	if p.OrderID != 0 {
		o, err := s.deps.Store.GetOrder(ctx, p.OrderID)
		if err != nil {
			return p, err
		}
		if o.Status != NotPaid { // paid meanwhile by another method, or cancelled: Art. 10, the total is due once
			return p, errs.Coded(errs.Conflict, "order_not_payable",
				"the order is already "+string(o.Status)+": this transfer is not taken, return the money to the customer")
		}
	}
	if _, err := s.HandleEvent(ctx, Event{Provider: MethodTransfer, ID: fmt.Sprintf("confirm-%d", id), PaymentID: id, Outcome: OutcomeSucceeded}); err != nil {
		return p, err
	}
	if err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		return account.Audit(ctx, tx, s.Now(), actor, "payment.confirm", "payment", fmt.Sprint(id), p.CustomerID, map[string]any{"amountCents": p.AmountCents})
	}); err != nil {
		return p, err
	}
	return s.deps.Store.GetPayment(ctx, id)
}

// NotLateError refuses a cancellation of a paid order before its delivery deadline.
type NotLateError struct {
	Deadline time.Time
	Left     time.Duration
}

func (e *NotLateError) Error() string {
	return "the order is paid and its delivery deadline has not passed: it can be cancelled once late"
}

// ProblemExtra adds the deadline and the seconds left to the problem.
func (e *NotLateError) ProblemExtra() map[string]any {
	return map[string]any{"deliveryDeadline": e.Deadline.UTC().Format(time.RFC3339), "secondsLeft": int64(e.Left / time.Second)}
}

func notLate(o Order, now time.Time) error {
	left := o.DeliveryDeadline.Sub(now)
	return &errs.Error{Kind: errs.Conflict, Code: "not_late", Msg: (&NotLateError{}).Error(),
		Cause: &NotLateError{Deadline: o.DeliveryDeadline, Left: left}}
}

// Cancel cancels an order: before payment it is simply cancelled; once paid, only when late
// (Art. 4): everything paid is refunded (credit note and refund record) and the server reserved
// for it is released. customer 0 is staff.
func (s *Service) Cancel(ctx context.Context, actor account.Actor, customer account.ID, id ID) (Order, error) {
	if _, err := s.Order(ctx, customer, id); err != nil {
		return Order{}, err
	}
	var o Order
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.GetOrder(ctx, id); err != nil {
			return err
		}
		now := s.Now()
		switch {
		case o.Status == NotPaid:
			o.Status, o.CancelledAt = Cancelled, now
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
			ps, err := tx.ListPayments(ctx, PaymentFilter{CustomerID: o.CustomerID, Status: PaymentPending, Limit: 100})
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.OrderID == o.ID {
					p.Status, p.SettledAt = PaymentCancelled, now
					if err := tx.UpdatePayment(ctx, p); err != nil {
						return err
					}
				}
			}
		case IsLate(o, now):
			if err := s.refundAll(ctx, tx, &o, now, billing.PurposeRefund, "late", ""); err != nil {
				return err
			}
		case o.Undelivered():
			return notLate(o, now)
		case o.Status == Delivered:
			return errs.Coded(errs.Conflict, "order_delivered", "the server is delivered: terminate the contract, or withdraw within the withdrawal period")
		default:
			return errs.Coded(errs.Conflict, "order_closed", "the order is already "+string(o.Status))
		}
		return account.Audit(ctx, tx, now, actor, "order.cancel", "order", fmt.Sprint(o.ID), o.CustomerID, map[string]any{"status": o.Status})
	})
	return o, err
}

// refundAll refunds everything paid for o: a credit note for its invoice, a refund record per
// payment, the reservation released, the fleet told.
func (s *Service) refundAll(ctx context.Context, tx Tx, o *Order, now time.Time, purpose billing.Purpose, reason, note string) error {
	inv, err := tx.GetInvoice(ctx, o.InvoiceID)
	if err != nil {
		return err
	}
	cn, err := s.deps.Billing.CreditNote(ctx, tx, inv, 1, 1, purpose, note)
	if err != nil {
		return err
	}
	if err := s.recordRefunds(ctx, tx, *o, cn, reason, now); err != nil {
		return err
	}
	o.Status, o.RefundedAt, o.CancelledAt = Refunded, now, now
	if err := tx.UpdateOrder(ctx, *o); err != nil {
		return err
	}
	if err := s.deps.Inventory.Release(ctx, tx, *o, now); err != nil {
		return err
	}
	if _, _, err := jobs.Enqueue(ctx, tx, now, JobRelease, ReleaseArgs{OrderID: o.ID, ServerRef: o.ServerRef, Reason: reason},
		jobs.Opts{UniqueKey: fmt.Sprintf("release:%d", o.ID)}); err != nil {
		return err
	}
	return s.noticeRefund(ctx, tx, *o, cn, reason)
}

// recordRefunds records, against the order's successful payments, the refund of the credit
// note's amount.
func (s *Service) recordRefunds(ctx context.Context, tx Tx, o Order, cn billing.Invoice, reason string, now time.Time) error {
	ps, err := tx.ListPayments(ctx, PaymentFilter{CustomerID: o.CustomerID, Status: PaymentSucceeded, Limit: 500})
	if err != nil {
		return err
	}
	left := cn.InclTaxCents
	for _, p := range ps {
		if p.OrderID != o.ID || left <= 0 {
			continue
		}
		amt := min(p.AmountCents, left)
		if err := tx.InsertRefund(ctx, &Refund{CustomerID: o.CustomerID, PaymentID: p.ID, OrderID: o.ID, CreditNoteID: cn.ID,
			AmountCents: amt, Currency: cn.Currency, Reason: reason, CreatedAt: now}); err != nil {
			return err
		}
		left -= amt
	}
	if left > 0 && left != cn.InclTaxCents {
		return fmt.Errorf("order %d: %d cents of the refund match no payment", o.ID, left)
	}
	return nil
}

func (s *Service) noticeRefund(ctx context.Context, tx Tx, o Order, cn billing.Invoice, reason string) error {
	cust, err := tx.AccountByID(ctx, o.CustomerID)
	if err != nil {
		return err
	}
	_, err = s.deps.Notify.Queue(ctx, tx, recipient(cust), "order_refunded", map[string]any{
		"Name": cust.Name, "Order": o.ID, "Plan": o.PlanName, "Amount": money.Format(cn.InclTaxCents, cn.Currency, cust.Language),
		"CreditNote": cn.Number, "Withdrawal": reason == "withdrawal",
	}, fmt.Sprintf("order_refunded:%d", o.ID))
	return err
}

// Withdraw is a consumer's withdrawal within the withdrawal period (counted from payment):
// before delivery everything is refunded; after delivery, the part of the term not used, pro
// rata, and the contract ends now.
func (s *Service) Withdraw(ctx context.Context, actor account.Actor, customer account.ID, id ID) (Order, error) {
	if _, err := s.Order(ctx, customer, id); err != nil {
		return Order{}, err
	}
	var o Order
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.GetOrder(ctx, id); err != nil {
			return err
		}
		now := s.Now()
		if !o.Consumer {
			return errs.Coded(errs.Conflict, "not_a_consumer", "the withdrawal right is a consumer's; a business customer cancels or terminates")
		}
		if o.Status == NotPaid {
			o.Status, o.CancelledAt, o.WithdrawnAt = Cancelled, now, now
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
			return account.Audit(ctx, tx, now, actor, "order.withdraw", "order", fmt.Sprint(o.ID), o.CustomerID, nil)
		}
		if !Withdrawable(o, now, s.deps.Policy.WithdrawalPeriod) {
			return errs.Coded(errs.Conflict, "withdrawal_period_over", fmt.Sprintf("the %d-day withdrawal period is over or the order is closed",
				int(s.deps.Policy.WithdrawalPeriod/policy.Day)))
		}
		o.WithdrawnAt = now
		if o.Status != Delivered {
			if err := s.refundAll(ctx, tx, &o, now, billing.PurposeWithdrawal, "withdrawal", ""); err != nil {
				return err
			}
		} else {
			c, err := tx.GetContract(ctx, o.ContractID)
			if err != nil {
				return err
			}
			whole := int64(c.TermEnd.Sub(o.DeliveredAt) / time.Second)
			used := int64(now.Sub(o.DeliveredAt) / time.Second)
			inv, err := tx.GetInvoice(ctx, o.InvoiceID)
			if err != nil {
				return err
			}
			note := fmt.Sprintf("Rétractation : %d s utilisées sur %d.", used, whole)
			if o.Language == "en" {
				note = fmt.Sprintf("Withdrawal: %d s used out of %d.", used, whole)
			}
			cn, err := s.deps.Billing.CreditNote(ctx, tx, inv, whole-used, whole, billing.PurposeWithdrawal, note)
			if err != nil {
				return err
			}
			if err := s.recordRefunds(ctx, tx, o, cn, "withdrawal", now); err != nil {
				return err
			}
			if _, err := s.deps.Billing.TerminateInTx(ctx, tx, o.ContractID, "withdrawal"); err != nil {
				return err
			}
			o.Status, o.RefundedAt = Refunded, now
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
			if err := s.noticeRefund(ctx, tx, o, cn, "withdrawal"); err != nil {
				return err
			}
		}
		return account.Audit(ctx, tx, now, actor, "order.withdraw", "order", fmt.Sprint(o.ID), o.CustomerID, map[string]any{"delivered": !o.DeliveredAt.IsZero()})
	})
	return o, err
}

// StartDelivery records that the fleet started provisioning the order's server.
func (s *Service) StartDelivery(ctx context.Context, id ID) (Order, error) {
	var o Order
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.GetOrder(ctx, id); err != nil {
			return err
		}
		if o.Status != Paid {
			return nil
		}
		o.Status, o.DeliveringAt = Delivering, s.Now()
		return tx.UpdateOrder(ctx, o)
	})
	return o, err
}

// deliveredSkew is how far in the future a delivery time may be: the clocks of the fleet's
// process and this one.
const deliveredSkew = time.Minute

// MarkDelivered records that the order's server is online at `at`: the contract starts then,
// with its plan and price frozen, and billing counts from then (Art. 4). The fleet calls it;
// ManualDelivery is the staff's hand-made delivery for the demo and tests. A consumer's server
// is delivered within the withdrawal period only on the consumer's explicit request.
func (s *Service) MarkDelivered(ctx context.Context, actor account.Actor, id ID, serverRef, mainIP string, at time.Time) (Order, error) {
	var v errs.Validator
	v.Check(strings.TrimSpace(serverRef) != "" && len(serverRef) <= 100, "serverRef", "is required (at most 100 characters)")
	if mainIP != "" {
		_, err := netip.ParseAddr(mainIP)
		v.Check(err == nil, "mainIp", "is not an IP address")
	}
	now := s.Now()
	// The contract starts, and billing counts, from the moment the server is online: not later
	// than now (a date to come would bill nothing until then and hide lateness), give or take
	// the clocks of two processes.
	v.Check(!at.After(now.Add(deliveredSkew)), "at", "is in the future")
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	if at.IsZero() {
		at = now
	}
	var o Order
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.GetOrder(ctx, id); err != nil {
			return err
		}
		if o.Status == Delivered && o.ServerRef == serverRef {
			return nil // the fleet said it twice
		}
		if !o.Undelivered() {
			return errs.Coded(errs.Conflict, "not_deliverable", "the order is "+string(o.Status))
		}
		if at.Before(o.DeliverableFrom) {
			return &errs.Error{Kind: errs.Conflict, Code: "withdrawal_period",
				Msg: "the consumer did not ask for delivery within the withdrawal period: deliver from " + o.DeliverableFrom.UTC().Format(time.RFC3339)}
		}
		cust, err := tx.AccountByID(ctx, o.CustomerID)
		if err != nil {
			return err
		}
		c, err := s.deps.Billing.StartContract(ctx, tx, billing.NewContract{Customer: cust, OrderID: int64(o.ID), PlanCode: o.PlanCode,
			Range: o.Range, PlanName: o.PlanName, DurationMonths: o.DurationMonths, Currency: o.Currency, TermLines: termLines(o),
			StartedAt: at, ServerRef: serverRef, MainIP: mainIP})
		if err != nil {
			return err
		}
		o.Status, o.DeliveredAt, o.ServerRef, o.MainIP, o.ContractID = Delivered, at, serverRef, mainIP, c.ID
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		if _, err := s.deps.Notify.Queue(ctx, tx, recipient(cust), "order_delivered", map[string]any{
			"Name": cust.Name, "Order": o.ID, "Plan": o.PlanName, "Server": serverRef, "IP": mainIP, "OS": o.OSImage,
			"Start": fmtTime(at, cust.Language), "End": fmtTime(c.TermEnd, cust.Language), "Contract": c.ID,
		}, fmt.Sprintf("order_delivered:%d", o.ID)); err != nil {
			return err
		}
		return account.Audit(ctx, tx, s.Now(), actor, "order.deliver", "order", fmt.Sprint(o.ID), o.CustomerID,
			map[string]any{"serverRef": serverRef, "mainIp": mainIP, "contract": c.ID})
	})
	return o, err
}

// HandleWatch is the handler of JobWatch.
func (s *Service) HandleWatch(ctx context.Context, _ jobs.Job) error {
	_, err := s.Watch(ctx)
	return err
}

// Watch marks late every undelivered order past its delivery deadline and tells the customer,
// once, that it may cancel with a full refund. Deadlines are stored times: a restart changes
// nothing.
func (s *Service) Watch(ctx context.Context) (int, error) {
	n := 0
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		now := s.Now()
		os, err := tx.LateOrders(ctx, now, 1000)
		if err != nil {
			return err
		}
		for _, o := range os {
			o.Status, o.LateAt = Late, now
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
			cust, err := tx.AccountByID(ctx, o.CustomerID)
			if err != nil {
				return err
			}
			if _, err := s.deps.Notify.Queue(ctx, tx, recipient(cust), "order_late", map[string]any{
				"Name": cust.Name, "Order": o.ID, "Plan": o.PlanName, "Paid": fmtTime(o.PaidAt, cust.Language),
				"Deadline": fmtTime(o.DeliveryDeadline, cust.Language), "Amount": money.Format(o.InclTaxCents, o.Currency, cust.Language),
				"URL": s.deps.PublicURL + fmt.Sprintf("/orders/%d", o.ID),
			}, fmt.Sprintf("order_late:%d", o.ID)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if n > 0 {
		s.log.Info("orders late", "count", n)
	}
	return n, err
}

func fmtTime(t time.Time, lang string) string {
	if lang == "en" {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return t.UTC().Format("02/01/2006 15:04 UTC")
}

// ManualDelivery is the hand-made delivery of the demo and the tests, until the fleet delivers:
// a staff action that says the server is online.
func (s *Service) ManualDelivery(ctx context.Context, actor account.Actor, id ID) (Order, error) {
	o, err := s.deps.Store.GetOrder(ctx, id)
	if err != nil {
		return o, err
	}
	ip := fmt.Sprintf("198.18.%d.%d", (o.ID/250)%256, o.ID%250+2)
	return s.MarkDelivered(ctx, actor, id, fmt.Sprintf("manual-%d", o.ID), ip, s.Now())
}

// Near returns undelivered orders whose deadline falls before now+within (staff view).
func (s *Service) Near(ctx context.Context, within time.Duration) ([]Order, error) {
	os, err := s.deps.Store.ListOrders(ctx, Filter{Statuses: []Status{Paid, Delivering, Late}, DeadlineBefore: s.Now().Add(within), Limit: 200})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(os, func(a, b Order) int { return a.DeliveryDeadline.Compare(b.DeliveryDeadline) })
	return os, nil
}
