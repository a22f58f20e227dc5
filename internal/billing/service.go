package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/money"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
)

// Config tunes billing.
type Config struct {
	Seller Seller `yaml:"seller"`
	// CycleEvery is how often renewals, dunning and terminations are looked for.
	CycleEvery time.Duration `yaml:"cycle_every"`
	// Batch is how many contracts one transaction of the renewal run handles.
	Batch int `yaml:"batch"`
}

// DefaultSeller is the demo host. An operator sets the real one in commerce.billing.seller.
func DefaultSeller() Seller {
	return Seller{Name: "ITSGOW", LegalForm: "SAS au capital de 50 000 €", Address: "2 rue Jacquard",
		PostalCode: "59000", City: "Lille", Country: "FR", SIREN: "404833048", RCS: "RCS Lille Métropole 404 833 048",
		VATNumber: "FR83404833048", IBAN: "FR76 3000 4000 0312 3456 7890 143", BIC: "BNPAFRPPXXX",
		Email: "facturation@itsgow.example", LatePenaltyBasisPoints: 1200, RecoveryIndemnityCents: 4000, PaymentTermDays: 15}
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Seller: DefaultSeller(), CycleEvery: 15 * time.Minute, Batch: 500}
}

// Validate checks the configuration; the seller's mandatory mentions must be there.
func (c Config) Validate() error {
	var list []error
	s := c.Seller
	req := map[string]string{"name": s.Name, "address": s.Address, "postal_code": s.PostalCode, "city": s.City,
		"country": s.Country, "siren": s.SIREN, "vat_number": s.VATNumber}
	for _, k := range []string{"name", "address", "postal_code", "city", "country", "siren", "vat_number"} {
		if req[k] == "" {
			list = append(list, fmt.Errorf("commerce.billing.seller.%s: required on every invoice", k))
		}
	}
	if s.SIREN != "" && !account.ValidSIREN(s.SIREN) {
		list = append(list, errors.New("commerce.billing.seller.siren: not a valid SIREN"))
	}
	if s.VATNumber != "" && !account.ValidVATNumber(s.VATNumber) {
		list = append(list, errors.New("commerce.billing.seller.vat_number: not a valid VAT number"))
	}
	if s.LatePenaltyBasisPoints <= 0 {
		list = append(list, errors.New("commerce.billing.seller.late_penalty_basis_points: must be positive"))
	}
	if s.RecoveryIndemnityCents < 4000 {
		list = append(list, errors.New("commerce.billing.seller.recovery_indemnity_cents: the law sets at least 4000 (40 EUR)"))
	}
	if s.PaymentTermDays < 0 || s.PaymentTermDays > 60 {
		list = append(list, errors.New("commerce.billing.seller.payment_term_days: between 0 and 60"))
	}
	if c.CycleEvery < time.Minute {
		list = append(list, errors.New("commerce.billing.cycle_every: at least 1m"))
	}
	if c.Batch < 1 || c.Batch > 10000 {
		list = append(list, errors.New("commerce.billing.batch: between 1 and 10000"))
	}
	return errors.Join(list...)
}

// Suspender carries out a suspension on the server, or lifts it. The fleet does it through
// the jobs JobSuspend and JobLift; JobSuspender enqueues them in the caller's transaction.
type Suspender interface {
	Suspend(ctx context.Context, tx jobs.Tx, now time.Time, s Suspension) error
	Lift(ctx context.Context, tx jobs.Tx, now time.Time, s Suspension) error
}

// Jobs billing enqueues for the fleet (handlers registered by the fleet; until then they wait
// in the queue and the suspension stays recorded here).
const (
	JobSuspend   = "contract.suspend"
	JobLift      = "contract.lift"
	JobTerminate = "contract.terminate"
	// JobCycle is billing's own periodic job: renewals, dunning, terminations.
	JobCycle = "billing.cycle"
)

// ServerArgs are the arguments of the fleet's jobs.
type ServerArgs struct {
	ContractID ContractID `json:"contractId"`
	OrderID    int64      `json:"orderId"`
	ServerRef  string     `json:"serverRef"`
	Reason     string     `json:"reason"`
}

// JobSuspender hands suspensions to the fleet as jobs.
type JobSuspender struct{}

// Suspend enqueues JobSuspend.
func (JobSuspender) Suspend(ctx context.Context, tx jobs.Tx, now time.Time, s Suspension) error {
	_, _, err := jobs.Enqueue(ctx, tx, now, JobSuspend, ServerArgs{ContractID: s.ContractID, ServerRef: s.ServerRef, Reason: s.Reason},
		jobs.Opts{UniqueKey: fmt.Sprintf("suspend:%d:%d", s.ContractID, now.UnixNano())})
	return err
}

// Lift enqueues JobLift.
func (JobSuspender) Lift(ctx context.Context, tx jobs.Tx, now time.Time, s Suspension) error {
	_, _, err := jobs.Enqueue(ctx, tx, now, JobLift, ServerArgs{ContractID: s.ContractID, ServerRef: s.ServerRef, Reason: s.Reason},
		jobs.Opts{UniqueKey: fmt.Sprintf("lift:%d:%d", s.ContractID, now.UnixNano())})
	return err
}

// Deps of the service.
type Deps struct {
	Logger    *slog.Logger
	Clock     clock.Clock
	Store     Store
	Notify    *notify.Service
	Policy    policy.Config
	Suspender Suspender
	PublicURL string
}

// Service is billing's use cases.
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
	if deps.Store == nil || deps.Clock == nil || deps.Logger == nil || deps.Notify == nil {
		return nil, errors.New("billing: store, notify, clock and logger are required")
	}
	if deps.Suspender == nil {
		deps.Suspender = JobSuspender{}
	}
	return &Service{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "billing")}, nil
}

// Config returns the configuration in force.
func (s *Service) Config() Config { return s.cfg }

// Seller is the host's identity printed on invoices.
func (s *Service) Seller() Seller { return s.cfg.Seller }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.deps.Clock.Now() }

// RuleFor is the VAT rule of a customer now.
func (s *Service) RuleFor(a account.Account, vatNumber string, at time.Time) Rule {
	var c account.Customer
	if a.Customer != nil {
		c = *a.Customer
		if vatNumber == "" {
			vatNumber = c.VATNumber
		}
	}
	return RuleFor(c, vatNumber, at, s.deps.Policy.VATRateFRBasisPoints)
}

func recipient(a account.Account) notify.Recipient {
	return notify.Recipient{AccountID: int64(a.ID), Email: a.Email, Name: a.Name, Language: a.Language}
}

// Draft is an invoice or credit note to issue.
type Draft struct {
	Kind             Kind
	Customer         account.Account
	VATNumber        string // the number given with the order, if any
	Rule             Rule
	Lines            []Line
	Purpose          Purpose
	Status           Status
	DueAt            time.Time
	PaidAt           time.Time
	Currency         string
	OrderID          int64
	ContractID       ContractID
	CreditsInvoiceID InvoiceID
	Mention          string // added after the scheme's mention
}

// Issue issues drafts in tx: numbers are taken from the yearly sequence of each kind in the same
// transaction, so a rollback leaves no gap, and the customer's details are copied.
func (s *Service) Issue(ctx context.Context, tx Tx, drafts ...Draft) ([]Invoice, error) {
	now := s.deps.Clock.Now().UTC()
	year := now.Year()
	next := map[Kind]int64{}
	count := map[Kind]int{}
	for _, d := range drafts {
		count[d.Kind]++
	}
	for _, k := range []Kind{KindInvoice, KindCreditNote} {
		if count[k] == 0 {
			continue
		}
		first, err := tx.NextInvoiceSeq(ctx, k.Series(), year, count[k])
		if err != nil {
			return nil, fmt.Errorf("invoice number: %w", err)
		}
		next[k] = first
	}
	out := make([]Invoice, 0, len(drafts))
	for _, d := range drafts {
		lang := d.Customer.Language
		if lang != "en" {
			lang = "fr"
		}
		t := Compute(d.Lines, d.Rule)
		mention := d.Rule.Mention(lang)
		if d.Mention != "" {
			if mention != "" {
				mention += "\n"
			}
			mention += d.Mention
		}
		cur := d.Currency
		if cur == "" {
			cur = money.EUR
		}
		inv := Invoice{Kind: d.Kind, Series: d.Kind.Series(), Year: year, Seq: next[d.Kind], CustomerID: d.Customer.ID,
			Language: lang, Customer: PartyOf(d.Customer, d.VATNumber), Seller: s.cfg.Seller, IssuedAt: now, DueAt: d.DueAt,
			Currency: cur, Lines: t.Lines, VAT: t.VAT, ExclTaxCents: t.ExclTaxCents, TaxCents: t.TaxCents,
			InclTaxCents: t.InclTaxCents, Scheme: d.Rule.Scheme, Mention: mention, Purpose: d.Purpose, Status: d.Status,
			PaidAt: d.PaidAt, OrderID: d.OrderID, ContractID: d.ContractID, CreditsInvoiceID: d.CreditsInvoiceID}
		if inv.DueAt.IsZero() {
			inv.DueAt = now
		}
		next[d.Kind]++
		inv.Number = FormatNumber(inv.Series, inv.Year, inv.Seq)
		if err := tx.InsertInvoice(ctx, &inv); err != nil {
			return nil, fmt.Errorf("insert invoice %s: %w", inv.Number, err)
		}
		out = append(out, inv)
	}
	return out, nil
}

// IssueOne issues a single draft.
func (s *Service) IssueOne(ctx context.Context, tx Tx, d Draft) (Invoice, error) {
	out, err := s.Issue(ctx, tx, d)
	if err != nil {
		return Invoice{}, err
	}
	return out[0], nil
}

// CreditNote issues a credit note against inv for part/whole of it (whole = part: all of it)
// and marks inv Refunded (it was paid) or Cancelled (it was not). A partial credit note has one
// line per VAT rate with that share of the rate's base.
func (s *Service) CreditNote(ctx context.Context, tx Tx, inv Invoice, part, whole int64, purpose Purpose, note string) (Invoice, error) {
	if inv.Kind != KindInvoice {
		return Invoice{}, errs.Coded(errs.Conflict, "not_an_invoice", "only an invoice can be credited")
	}
	cust, err := tx.AccountByID(ctx, inv.CustomerID)
	if err != nil {
		return Invoice{}, err
	}
	rate := 0
	if len(inv.VAT) > 0 {
		rate = inv.VAT[0].BasisPoints
	}
	rule := Rule{Scheme: inv.Scheme, Country: inv.Customer.Country, BasisPoints: rate}
	lang := inv.Language
	var lines []Line
	if part >= whole {
		for _, l := range inv.Lines {
			l.TotalCents, l.VATBasisPoints = 0, 0
			lines = append(lines, l)
		}
	} else {
		for _, v := range inv.VAT {
			base := money.Share(v.BaseCents, part, whole)
			if base == 0 {
				continue
			}
			desc := fmt.Sprintf("Remboursement au prorata de la facture %s", inv.Number)
			if lang == "en" {
				desc = fmt.Sprintf("Pro-rata refund of invoice %s", inv.Number)
			}
			lines = append(lines, Line{Kind: "refund", Description: desc, Quantity: 1, UnitCents: base})
			rule.BasisPoints = v.BasisPoints
		}
	}
	mention := fmt.Sprintf("Avoir sur la facture n° %s du %s.", inv.Number, inv.IssuedAt.Format("02/01/2006"))
	if lang == "en" {
		mention = fmt.Sprintf("Credit note against invoice %s of %s.", inv.Number, inv.IssuedAt.Format("2006-01-02"))
	}
	if note != "" {
		mention += " " + note
	}
	cust.Language = lang
	cn, err := s.IssueOne(ctx, tx, Draft{Kind: KindCreditNote, Customer: cust, VATNumber: inv.Customer.VATNumber, Rule: rule,
		Lines: lines, Purpose: purpose, Status: Issued, Currency: inv.Currency, OrderID: inv.OrderID,
		ContractID: inv.ContractID, CreditsInvoiceID: inv.ID, Mention: mention})
	if err != nil {
		return Invoice{}, err
	}
	to := Cancelled
	if inv.Status == Paid {
		to = Refunded
	}
	if err := tx.SetInvoiceStatus(ctx, inv.ID, inv.Status, to, inv.PaidAt); err != nil {
		return Invoice{}, err
	}
	return cn, nil
}

// Invoices lists invoices and credit notes.
func (s *Service) Invoices(ctx context.Context, f Filter) ([]Invoice, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return s.deps.Store.ListInvoices(ctx, f)
}

// Invoice returns one invoice; customer (non-zero) must own it, else it does not exist.
func (s *Service) Invoice(ctx context.Context, customer account.ID, id InvoiceID) (Invoice, error) {
	inv, err := s.deps.Store.GetInvoice(ctx, id)
	if err != nil {
		return inv, err
	}
	if customer != 0 && inv.CustomerID != customer {
		return Invoice{}, errs.Coded(errs.NotFound, "invoice_not_found", "invoice not found")
	}
	return inv, nil
}
