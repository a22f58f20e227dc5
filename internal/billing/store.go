package billing

import (
	"context"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/notify"
)

// Reader reads invoices and contracts.
type Reader interface {
	GetInvoice(ctx context.Context, id InvoiceID) (Invoice, error)
	ListInvoices(ctx context.Context, f Filter) ([]Invoice, error)
	GetContract(ctx context.Context, id ContractID) (Contract, error)
	ListContracts(ctx context.Context, f ContractFilter) ([]Contract, error)
	RenewalsOf(ctx context.Context, id ContractID) ([]Renewal, error)
	SuspensionsOf(ctx context.Context, id ContractID) ([]Suspension, error)
}

// Tx is what billing changes in one transaction (it also queues notices and jobs, and audits).
type Tx interface {
	Reader
	notify.Tx
	AccountByID(ctx context.Context, id account.ID) (account.Account, error)
	Audit(ctx context.Context, e account.AuditEntry) error
	// NextInvoiceSeq reserves n consecutive numbers of (series, year) and returns the first.
	// The reservation is part of the transaction: a rollback gives the numbers back, so the
	// sequence has no gap.
	NextInvoiceSeq(ctx context.Context, series string, year int, n int) (int64, error)
	InsertInvoice(ctx context.Context, inv *Invoice) error
	// SetInvoiceStatus moves an invoice from one status to another (Conflict when it is not
	// in from).
	SetInvoiceStatus(ctx context.Context, id InvoiceID, from, to Status, paidAt time.Time) error
	InsertContract(ctx context.Context, c *Contract) error
	UpdateContract(ctx context.Context, c Contract) error
	// InsertRenewal stores r unless a renewal of (contract, term) exists that is not cancelled
	// (a cancelled one is replaced: a withdrawn termination renews again); it reports whether
	// it did.
	InsertRenewal(ctx context.Context, r *Renewal) (bool, error)
	RenewalByInvoice(ctx context.Context, id InvoiceID) (Renewal, error)
	SetRenewalStatus(ctx context.Context, id int64, s RenewalStatus) error
	// InsertExtension stores e unless (contract, term) exists; it reports whether it did.
	InsertExtension(ctx context.Context, e Extension) (bool, error)
	// ContractsDueForRenewal lists active, automatic contracts with no termination asked whose
	// term ends at or before endsBefore and which have no renewal of their next term yet,
	// by id above afterID.
	ContractsDueForRenewal(ctx context.Context, endsBefore time.Time, afterID ContractID, limit int) ([]Contract, error)
	// ContractsEnding lists live contracts that must end at now: a termination due, or a manual
	// contract past its term without a paid renewal.
	ContractsEnding(ctx context.Context, now time.Time, limit int) ([]Contract, error)
	OverdueRenewals(ctx context.Context, dueBefore time.Time, limit int) ([]Overdue, error)
	// InsertDunningStep records a dunning step of an invoice unless done; it reports whether.
	InsertDunningStep(ctx context.Context, id InvoiceID, step string, at time.Time) (bool, error)
	InsertSuspension(ctx context.Context, s *Suspension) error
	LiftSuspensions(ctx context.Context, id ContractID, at time.Time) (int, error)
}

// Store is billing's persistence.
type Store interface {
	Reader
	InTx(ctx context.Context, fn func(Tx) error) error
}
