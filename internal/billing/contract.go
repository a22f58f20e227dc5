package billing

import (
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// ContractID identifies a contract.
type ContractID int64

// RenewMode is how a contract renews.
type RenewMode string

// Renewal modes. Automatic: the renewal invoice is issued renewal_notice_days before the term
// ends. Manual: the customer asks for it; without a paid renewal the contract ends with its term.
const (
	RenewAutomatic RenewMode = "automatic"
	RenewManual    RenewMode = "manual"
)

// ContractStatus is the state of a contract.
type ContractStatus string

// Contract states.
const (
	ContractActive     ContractStatus = "active"
	ContractSuspended  ContractStatus = "suspended"
	ContractTerminated ContractStatus = "terminated"
)

// Contract is a server rented for a term. It starts at delivery (the server is online, Art. 4);
// its plan, duration and price are frozen (Art. 10): only renewal and termination change it.
type Contract struct {
	ID             ContractID
	CustomerID     account.ID
	OrderID        int64
	PlanCode       string
	Range          string
	PlanName       string
	DurationMonths int
	Currency       string
	// TermLines are the lines of one renewal term (rental and options), VAT excluded, frozen.
	TermLines         []Line
	TermExclTaxCents  int64
	StartedAt         time.Time
	TermNo            int
	TermStart         time.Time
	TermEnd           time.Time
	Renew             RenewMode
	Status            ContractStatus
	TerminateAt       time.Time // a termination asked for (end of term), zero when none
	TerminatedAt      time.Time
	TerminationReason string
	ServerRef         string
	MainIP            string
	UpdatedAt         time.Time
}

// AddMonths moves t by n calendar months, keeping the day when it exists and otherwise taking
// the month's last day (31 January + 1 month = 28 or 29 February).
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// NextTermEnd is when the term after the current one ends: counted in whole terms from the
// start, so that a contract begun on the 31st ends its terms on the last day of short months
// and on the 31st again after them (chaining from each term's end would drift to the 28th).
func (c Contract) NextTermEnd() time.Time {
	return AddMonths(c.StartedAt, (c.TermNo+1)*c.DurationMonths)
}

// RenewalIssueAt is when the renewal invoice of the current term is issued.
func (c Contract) RenewalIssueAt(noticeDays int) time.Time {
	return c.TermEnd.Add(-time.Duration(noticeDays) * 24 * time.Hour)
}

// RenewalStatus is the state of a renewal.
type RenewalStatus string

// Renewal states.
const (
	RenewalPending   RenewalStatus = "pending"
	RenewalPaid      RenewalStatus = "paid"
	RenewalCancelled RenewalStatus = "cancelled"
)

// Renewal is the next term of a contract and its invoice. (contract, term) is unique.
type Renewal struct {
	ID         int64
	ContractID ContractID
	TermNo     int
	InvoiceID  InvoiceID
	TermStart  time.Time
	TermEnd    time.Time
	Status     RenewalStatus
	CreatedAt  time.Time
}

// Extension records that a paid renewal extended a contract. (contract, term) is the primary
// key: a second payment or a duplicated event cannot extend the same term twice.
type Extension struct {
	ContractID ContractID
	TermNo     int
	RenewalID  int64
	PaymentID  int64
	At         time.Time
}

// Suspension is a contract's server suspended; until the fleet exists it is only recorded here.
type Suspension struct {
	ID         int64
	ContractID ContractID
	ServerRef  string
	Reason     string // nonPayment
	StartedAt  time.Time
	LiftedAt   time.Time
}

// Reason codes.
const ReasonNonPayment = "nonPayment"

// ContractFilter selects contracts.
type ContractFilter struct {
	CustomerID account.ID
	BeforeID   ContractID
	Limit      int
}

// Overdue is an unpaid renewal invoice past its due date, with its contract.
type Overdue struct {
	Invoice  Invoice
	Contract Contract
}
