package billing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/money"
)

// NewContract starts a contract at delivery.
type NewContract struct {
	Customer       account.Account
	OrderID        int64
	PlanCode       string
	Range          string
	PlanName       string
	DurationMonths int
	Currency       string
	TermLines      []Line // VAT excluded
	StartedAt      time.Time
	ServerRef      string
	MainIP         string
	Renew          RenewMode
}

// StartContract starts a contract in tx (the order service calls it when the server is
// delivered): the first term runs from delivery for the ordered duration.
func (s *Service) StartContract(ctx context.Context, tx Tx, in NewContract) (Contract, error) {
	if in.Renew == "" {
		in.Renew = RenewAutomatic
	}
	var total int64
	for i := range in.TermLines {
		in.TermLines[i].TotalCents = in.TermLines[i].Quantity * in.TermLines[i].UnitCents
		in.TermLines[i].VATBasisPoints = 0
		total += in.TermLines[i].TotalCents
	}
	c := Contract{CustomerID: in.Customer.ID, OrderID: in.OrderID, PlanCode: in.PlanCode, Range: in.Range, PlanName: in.PlanName,
		DurationMonths: in.DurationMonths, Currency: in.Currency, TermLines: in.TermLines, TermExclTaxCents: total,
		StartedAt: in.StartedAt, TermNo: 1, TermStart: in.StartedAt, TermEnd: AddMonths(in.StartedAt, in.DurationMonths),
		Renew: in.Renew, Status: ContractActive, ServerRef: in.ServerRef, MainIP: in.MainIP, UpdatedAt: s.Now()}
	if err := tx.InsertContract(ctx, &c); err != nil {
		return Contract{}, err
	}
	return c, nil
}

// Contracts lists contracts.
func (s *Service) Contracts(ctx context.Context, f ContractFilter) ([]Contract, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return s.deps.Store.ListContracts(ctx, f)
}

// Contract returns one contract; customer (non-zero) must own it.
func (s *Service) Contract(ctx context.Context, customer account.ID, id ContractID) (Contract, error) {
	c, err := s.deps.Store.GetContract(ctx, id)
	if err != nil {
		return c, err
	}
	if customer != 0 && c.CustomerID != customer {
		return Contract{}, errs.Coded(errs.NotFound, "contract_not_found", "contract not found")
	}
	return c, nil
}

// Renewals lists a contract's renewals.
func (s *Service) Renewals(ctx context.Context, id ContractID) ([]Renewal, error) {
	return s.deps.Store.RenewalsOf(ctx, id)
}

// Suspensions lists a contract's suspensions.
func (s *Service) Suspensions(ctx context.Context, id ContractID) ([]Suspension, error) {
	return s.deps.Store.SuspensionsOf(ctx, id)
}

// ErrOfferFrozen answers any attempt to change a contract's plan, duration or price (Art. 10).
var ErrOfferFrozen = &errs.Error{Kind: errs.Conflict, Code: "offer_frozen",
	Msg: "the offer cannot be modified during the contract (CGU Art. 10): plan, duration and price are frozen for the term; renew it or terminate it and order another server"}

// Change is a change asked for a contract. Only the renewal mode may change.
type Change struct {
	Renew          *RenewMode
	PlanCode       *string
	DurationMonths *int
	PriceCents     *int64
}

// ChangeContract applies a change: the renewal mode; any change of plan, duration or price is
// refused with ErrOfferFrozen.
func (s *Service) ChangeContract(ctx context.Context, actor account.Actor, customer account.ID, id ContractID, ch Change) (Contract, error) {
	c, err := s.Contract(ctx, customer, id)
	if err != nil {
		return c, err
	}
	if (ch.PlanCode != nil && *ch.PlanCode != c.PlanCode) || (ch.DurationMonths != nil && *ch.DurationMonths != c.DurationMonths) ||
		(ch.PriceCents != nil && *ch.PriceCents != c.TermExclTaxCents) {
		_ = s.deps.Store.InTx(ctx, func(tx Tx) error {
			return account.Audit(ctx, tx, s.Now(), actor, "contract.change_refused", "contract", fmt.Sprint(id), c.CustomerID,
				map[string]any{"reason": "offer_frozen"})
		})
		return c, ErrOfferFrozen
	}
	if ch.Renew == nil {
		return c, nil
	}
	if *ch.Renew != RenewAutomatic && *ch.Renew != RenewManual {
		return c, errs.Fields(errs.FieldError{Field: "renew.mode", Message: "must be automatic or manual"})
	}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		c, err = tx.GetContract(ctx, id)
		if err != nil {
			return err
		}
		if c.Status == ContractTerminated {
			return errs.Coded(errs.Conflict, "contract_terminated", "the contract is terminated")
		}
		c.Renew, c.UpdatedAt = *ch.Renew, s.Now()
		if err := tx.UpdateContract(ctx, c); err != nil {
			return err
		}
		return account.Audit(ctx, tx, c.UpdatedAt, actor, "contract.renew_mode", "contract", fmt.Sprint(id), c.CustomerID, map[string]any{"renew": c.Renew})
	})
	return c, err
}

// Termination moments.
const (
	AtNow       = "now"
	AtEndOfTerm = "endOfTerm"
)

// Terminate ends a contract now or at the end of its term. At the end of the term no renewal is
// issued any more, and a pending unpaid renewal invoice is cancelled by a credit note.
func (s *Service) Terminate(ctx context.Context, actor account.Actor, customer account.ID, id ContractID, at, reason string) (Contract, error) {
	if at != AtNow && at != AtEndOfTerm {
		return Contract{}, errs.Fields(errs.FieldError{Field: "at", Message: "must be now or endOfTerm"})
	}
	c, err := s.Contract(ctx, customer, id)
	if err != nil {
		return c, err
	}
	if reason == "" {
		reason = "customer"
	}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		c, err = tx.GetContract(ctx, id)
		if err != nil {
			return err
		}
		if c.Status == ContractTerminated {
			return errs.Coded(errs.Conflict, "contract_terminated", "the contract is already terminated")
		}
		now := s.Now()
		if at == AtNow {
			c, err = s.terminate(ctx, tx, c, now, reason)
			if err != nil {
				return err
			}
		} else {
			c.TerminateAt, c.TerminationReason, c.UpdatedAt = c.TermEnd, reason, now
			if err := s.cancelPendingRenewals(ctx, tx, c); err != nil {
				return err
			}
			if err := tx.UpdateContract(ctx, c); err != nil {
				return err
			}
		}
		return account.Audit(ctx, tx, now, actor, "contract.terminate", "contract", fmt.Sprint(id), c.CustomerID,
			map[string]any{"at": at, "reason": reason})
	})
	return c, err
}

// WithdrawTermination withdraws a termination asked for at the end of the term, while the term
// still runs: the contract goes on as if it had never been asked. The renewal invoice the
// termination cancelled stays cancelled by its credit note, and a new renewal invoice of that
// term is issued at once (the renewal row of the term is reused: (contract, term) stays unique);
// an automatic contract already inside the renewal notice gets one at once too, a later one
// from the billing cycle as usual. Once the
// term has ended (the termination is due, even before the cycle ran) it answers 409
// termination_due; with no termination pending, 409 no_termination.
func (s *Service) WithdrawTermination(ctx context.Context, actor account.Actor, customer account.ID, id ContractID) (Contract, error) {
	c, err := s.Contract(ctx, customer, id)
	if err != nil {
		return c, err
	}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		c, err = tx.GetContract(ctx, id)
		if err != nil {
			return err
		}
		now := s.Now()
		switch {
		case c.Status == ContractTerminated:
			return errs.Coded(errs.Conflict, "contract_terminated", "the contract is already terminated")
		case c.TerminateAt.IsZero():
			return errs.Coded(errs.Conflict, "no_termination", "no termination is pending for this contract")
		case !now.Before(c.TerminateAt):
			return errs.Coded(errs.Conflict, "termination_due", "the term has ended: the termination takes effect and can no longer be withdrawn")
		}
		c.TerminateAt, c.TerminationReason, c.UpdatedAt = time.Time{}, "", now
		if err := tx.UpdateContract(ctx, c); err != nil {
			return err
		}
		// the renewal the termination cancelled is issued again at once (the cycle only renews a
		// term with no renewal row at all), and so is an automatic one already due
		rs, err := tx.RenewalsOf(ctx, c.ID)
		if err != nil {
			return err
		}
		cancelled := slices.ContainsFunc(rs, func(r Renewal) bool { return r.TermNo == c.TermNo+1 && r.Status == RenewalCancelled })
		renewal := ""
		if cancelled || c.Renew == RenewAutomatic && !now.Before(c.RenewalIssueAt(s.deps.Policy.RenewalNoticeDays)) {
			cust, err := tx.AccountByID(ctx, c.CustomerID)
			if err != nil {
				return err
			}
			inv, err := s.issueRenewal(ctx, tx, c, cust)
			if err != nil {
				return err
			}
			renewal = inv.Number
		}
		return account.Audit(ctx, tx, now, actor, "contract.termination_withdrawn", "contract", fmt.Sprint(id), c.CustomerID,
			map[string]any{"renewalInvoice": renewal})
	})
	return c, err
}

// TerminateInTx ends a contract now inside the caller's transaction (withdrawal).
func (s *Service) TerminateInTx(ctx context.Context, tx Tx, id ContractID, reason string) (Contract, error) {
	c, err := tx.GetContract(ctx, id)
	if err != nil {
		return c, err
	}
	if c.Status == ContractTerminated {
		return c, nil
	}
	return s.terminate(ctx, tx, c, s.Now(), reason)
}

func (s *Service) terminate(ctx context.Context, tx Tx, c Contract, at time.Time, reason string) (Contract, error) {
	if err := s.cancelPendingRenewals(ctx, tx, c); err != nil {
		return c, err
	}
	if c.Status == ContractSuspended {
		if _, err := tx.LiftSuspensions(ctx, c.ID, at); err != nil {
			return c, err
		}
	}
	c.Status, c.TerminatedAt, c.TerminationReason, c.UpdatedAt = ContractTerminated, at, reason, s.Now()
	if c.TerminateAt.IsZero() {
		c.TerminateAt = at
	}
	if err := tx.UpdateContract(ctx, c); err != nil {
		return c, err
	}
	if _, _, err := jobs.Enqueue(ctx, tx, s.Now(), JobTerminate, ServerArgs{ContractID: c.ID, OrderID: c.OrderID, ServerRef: c.ServerRef, Reason: reason},
		jobs.Opts{UniqueKey: fmt.Sprintf("terminate:%d", c.ID)}); err != nil {
		return c, err
	}
	cust, err := tx.AccountByID(ctx, c.CustomerID)
	if err != nil {
		return c, err
	}
	_, err = s.deps.Notify.Queue(ctx, tx, recipient(cust), "contract_terminated", map[string]any{
		"Name": cust.Name, "Contract": c.ID, "Plan": c.PlanName, "At": fmtTime(at, cust.Language), "Reason": reasonText(reason, cust.Language),
	}, fmt.Sprintf("contract_terminated:%d", c.ID))
	return c, err
}

func reasonText(reason, lang string) string {
	fr := map[string]string{"customer": "à votre demande", "endOfTerm": "fin de la période sans renouvellement",
		ReasonNonPayment: "défaut de paiement du renouvellement", "withdrawal": "exercice du droit de rétractation"}
	en := map[string]string{"customer": "at your request", "endOfTerm": "end of term without renewal",
		ReasonNonPayment: "renewal not paid", "withdrawal": "withdrawal"}
	m := fr
	if lang == "en" {
		m = en
	}
	if t, ok := m[reason]; ok {
		return t
	}
	return reason
}

func (s *Service) cancelPendingRenewals(ctx context.Context, tx Tx, c Contract) error {
	rs, err := tx.RenewalsOf(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status != RenewalPending {
			continue
		}
		inv, err := tx.GetInvoice(ctx, r.InvoiceID)
		if err != nil {
			return err
		}
		if inv.Status == Unpaid {
			if _, err := s.CreditNote(ctx, tx, inv, 1, 1, PurposeCancel, ""); err != nil {
				return err
			}
		}
		if err := tx.SetRenewalStatus(ctx, r.ID, RenewalCancelled); err != nil {
			return err
		}
	}
	return nil
}

// RenewNow issues the renewal invoice of a contract at once (manual renewal, or an automatic
// contract renewed early). It is refused when a renewal of the next term already exists.
func (s *Service) RenewNow(ctx context.Context, actor account.Actor, customer account.ID, id ContractID) (Invoice, error) {
	c, err := s.Contract(ctx, customer, id)
	if err != nil {
		return Invoice{}, err
	}
	var inv Invoice
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		c, err = tx.GetContract(ctx, id)
		if err != nil {
			return err
		}
		if c.Status == ContractTerminated || !c.TerminateAt.IsZero() {
			return errs.Coded(errs.Conflict, "contract_ending", "the contract is terminated or its termination is asked for")
		}
		cust, err := tx.AccountByID(ctx, c.CustomerID)
		if err != nil {
			return err
		}
		inv, err = s.issueRenewal(ctx, tx, c, cust)
		if err != nil {
			return err
		}
		return account.Audit(ctx, tx, s.Now(), actor, "contract.renew", "contract", fmt.Sprint(id), c.CustomerID,
			map[string]any{"invoice": inv.Number, "term": c.TermNo + 1})
	})
	return inv, err
}

// errRenewalExists aborts a transaction whose renewal was issued by someone else.
var errRenewalExists = errs.Coded(errs.Conflict, "renewal_exists", "the renewal of the next term is already issued")

// issueRenewal issues the renewal invoice of c's next term, due when the current term ends.
func (s *Service) issueRenewal(ctx context.Context, tx Tx, c Contract, cust account.Account) (Invoice, error) {
	d := s.renewalDraft(c, cust)
	inv, err := s.IssueOne(ctx, tx, d)
	if err != nil {
		return Invoice{}, err
	}
	return inv, s.recordRenewal(ctx, tx, c, cust, inv)
}

// renewalDraft is the renewal invoice of c's next term: the frozen term lines with the period,
// the customer's VAT rule of today, due when the current term ends.
func (s *Service) renewalDraft(c Contract, cust account.Account) Draft {
	now := s.Now()
	start, end := c.TermEnd, c.NextTermEnd()
	period := fmt.Sprintf(" — du %s au %s", start.Format("02/01/2006"), end.Format("02/01/2006"))
	if cust.Language == "en" {
		period = fmt.Sprintf(" — %s to %s", start.Format("2006-01-02"), end.Format("2006-01-02"))
	}
	lines := make([]Line, len(c.TermLines))
	for i, l := range c.TermLines {
		l.Description += period
		lines[i] = l
	}
	due := c.TermEnd
	if due.Before(now) {
		due = now.Add(time.Duration(s.cfg.Seller.PaymentTermDays) * 24 * time.Hour)
	}
	return Draft{Kind: KindInvoice, Customer: cust, Rule: s.RuleFor(cust, "", now), Lines: lines,
		Purpose: PurposeRenewal, Status: Unpaid, DueAt: due, Currency: c.Currency, OrderID: c.OrderID, ContractID: c.ID}
}

// recordRenewal stores the renewal of inv (unique per contract and term: a second one aborts the
// transaction) and tells the customer.
func (s *Service) recordRenewal(ctx context.Context, tx Tx, c Contract, cust account.Account, inv Invoice) error {
	start, end := c.TermEnd, c.NextTermEnd()
	ok, err := tx.InsertRenewal(ctx, &Renewal{ContractID: c.ID, TermNo: c.TermNo + 1, InvoiceID: inv.ID, TermStart: start,
		TermEnd: end, Status: RenewalPending, CreatedAt: s.Now()})
	if err != nil {
		return err
	}
	if !ok {
		return errRenewalExists
	}
	_, err = s.deps.Notify.Queue(ctx, tx, recipient(cust), "invoice_issued", map[string]any{
		"Name": cust.Name, "Number": inv.Number, "Amount": money.Format(inv.InclTaxCents, inv.Currency, cust.Language),
		"Due": fmtDate(inv.DueAt, cust.Language), "Plan": c.PlanName, "Contract": c.ID,
		"Period": fmtDate(start, cust.Language) + " → " + fmtDate(end, cust.Language), "URL": s.deps.PublicURL + "/invoices",
	}, fmt.Sprintf("renewal:%d:%d:%d", c.ID, c.TermNo+1, inv.ID)) // a withdrawn termination issues a new invoice of the term
	return err
}

// InvoicePaid records the payment of an invoice in tx. A renewal invoice extends its contract by
// one term: the extension row's primary key (contract, term) makes a second extension of the
// same term impossible, so a duplicated payment event changes nothing. A contract suspended for
// non-payment is resumed.
func (s *Service) InvoicePaid(ctx context.Context, tx Tx, id InvoiceID, paymentID int64, at time.Time) (Invoice, error) {
	inv, err := tx.GetInvoice(ctx, id)
	if err != nil {
		return inv, err
	}
	if inv.Status != Unpaid {
		return inv, errs.Coded(errs.Conflict, "invoice_not_payable", "the invoice is "+string(inv.Status))
	}
	if err := tx.SetInvoiceStatus(ctx, id, Unpaid, Paid, at); err != nil {
		return inv, err
	}
	inv.Status, inv.PaidAt = Paid, at
	if inv.Purpose != PurposeRenewal {
		return inv, nil
	}
	r, err := tx.RenewalByInvoice(ctx, id)
	if err != nil {
		return inv, err
	}
	extended, err := tx.InsertExtension(ctx, Extension{ContractID: r.ContractID, TermNo: r.TermNo, RenewalID: r.ID, PaymentID: paymentID, At: at})
	if err != nil || !extended {
		return inv, err
	}
	if err := tx.SetRenewalStatus(ctx, r.ID, RenewalPaid); err != nil {
		return inv, err
	}
	c, err := tx.GetContract(ctx, r.ContractID)
	if err != nil {
		return inv, err
	}
	if c.TermNo < r.TermNo {
		c.TermNo, c.TermStart, c.TermEnd = r.TermNo, r.TermStart, r.TermEnd
	}
	if c.Status == ContractSuspended {
		c.Status = ContractActive
		n, err := tx.LiftSuspensions(ctx, c.ID, at)
		if err != nil {
			return inv, err
		}
		if n > 0 {
			if err := s.deps.Suspender.Lift(ctx, tx, s.Now(), Suspension{ContractID: c.ID, ServerRef: c.ServerRef, Reason: ReasonNonPayment}); err != nil {
				return inv, err
			}
		}
	}
	c.UpdatedAt = s.Now()
	return inv, tx.UpdateContract(ctx, c)
}

func fmtDate(t time.Time, lang string) string {
	if lang == "en" {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format("02/01/2006")
}

func fmtTime(t time.Time, lang string) string {
	if lang == "en" {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return t.UTC().Format("02/01/2006 15:04 UTC")
}
