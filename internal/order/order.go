package order

import (
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/catalog"
)

// ID identifies an order.
type ID int64

// Status of an order (API.md).
type Status string

// Order states.
const (
	NotPaid    Status = "notPaid"
	Paid       Status = "paid"
	Delivering Status = "delivering"
	Delivered  Status = "delivered"
	Late       Status = "late"
	Cancelled  Status = "cancelled"
	Refunded   Status = "refunded"
)

// Statuses lists every status.
var Statuses = []Status{NotPaid, Paid, Delivering, Delivered, Late, Cancelled, Refunded}

// OptionLine is an option chosen on an order, as ordered.
type OptionLine struct {
	Code     string `json:"code"`
	Quantity int    `json:"quantity"`
}

// Order is an order form and what became of it. Its lines and totals never change once issued:
// the total is the amount due (Art. 10).
type Order struct {
	ID             ID
	CustomerID     account.ID
	IdempotencyKey string
	Status         Status
	PlanCode       string
	Range          string
	PlanName       string
	DurationMonths int
	OSImage        string
	Datacenter     string
	Options        []OptionLine
	Language       string
	Currency       string
	Lines          []billing.Line
	VAT            []billing.VATTotal
	ExclTaxCents   int64
	TaxCents       int64
	InclTaxCents   int64
	Scheme         billing.Scheme
	VATNumber      string
	Consumer       bool
	// The consumer's explicit request to deliver within the withdrawal period, with the wording
	// shown and when it was given.
	ImmediateRequestText string
	ImmediateRequestAt   time.Time
	CreatedAt            time.Time
	PaidAt               time.Time
	DeliverableFrom      time.Time
	DeliveryDeadline     time.Time
	DeliveringAt         time.Time
	DeliveredAt          time.Time
	LateAt               time.Time
	CancelledAt          time.Time
	RefundedAt           time.Time
	WithdrawnAt          time.Time
	ServerRef            string
	MainIP               string
	InvoiceID            billing.InvoiceID
	ContractID           billing.ContractID

	DryRun bool // a preview, not stored
}

// Undelivered reports whether the order is paid and waits for its server.
func (o Order) Undelivered() bool {
	return o.Status == Paid || o.Status == Delivering || o.Status == Late
}

// IsLate reports whether the delivery deadline has passed without delivery at now (Art. 4).
// It depends only on stored times, so a restart changes nothing.
func IsLate(o Order, now time.Time) bool {
	return o.Undelivered() && !o.DeliveryDeadline.IsZero() && !now.Before(o.DeliveryDeadline)
}

// TimeLeft is the time before the delivery deadline (zero when passed or not applicable).
func TimeLeft(o Order, now time.Time) time.Duration {
	if !o.Undelivered() || o.DeliveryDeadline.IsZero() || !now.Before(o.DeliveryDeadline) {
		return 0
	}
	return o.DeliveryDeadline.Sub(now)
}

// Withdrawable reports whether a consumer may still withdraw at now (period from payment).
func Withdrawable(o Order, now time.Time, period time.Duration) bool {
	if !o.Consumer || o.PaidAt.IsZero() || !o.WithdrawnAt.IsZero() {
		return false
	}
	if o.Status != Paid && o.Status != Delivering && o.Status != Late && o.Status != Delivered {
		return false
	}
	return now.Before(o.PaidAt.Add(period))
}

// Filter selects orders.
type Filter struct {
	CustomerID account.ID
	Statuses   []Status
	BeforeID   ID
	Limit      int
	// DeadlineBefore selects undelivered orders whose deadline is before it (staff view).
	DeadlineBefore time.Time
}

// Method is a payment method.
type Method string

// Payment methods.
const (
	MethodTransfer Method = "transfer"
	MethodSandbox  Method = "sandbox"
)

// PaymentID identifies a payment.
type PaymentID int64

// PaymentStatus is a payment's state.
type PaymentStatus string

// Payment states.
const (
	PaymentPending   PaymentStatus = "pending"
	PaymentSucceeded PaymentStatus = "succeeded"
	PaymentFailed    PaymentStatus = "failed"
	PaymentCancelled PaymentStatus = "cancelled"
)

// Payment is money asked for an order or an invoice.
type Payment struct {
	ID             PaymentID
	CustomerID     account.ID
	OrderID        ID
	InvoiceID      billing.InvoiceID
	Method         Method
	Status         PaymentStatus
	AmountCents    int64
	Currency       string
	Reference      string // what the customer writes on a transfer
	ProviderRef    string
	IdempotencyKey string
	Failure        string
	CreatedAt      time.Time
	SettledAt      time.Time
}

// PaymentFilter selects payments.
type PaymentFilter struct {
	CustomerID account.ID
	Method     Method
	Status     PaymentStatus
	BeforeID   PaymentID
	Limit      int
}

// Refund is money given back, with the credit note that justifies it.
type Refund struct {
	ID           int64
	CustomerID   account.ID
	PaymentID    PaymentID
	OrderID      ID
	CreditNoteID billing.InvoiceID
	AmountCents  int64
	Currency     string
	Reason       string
	CreatedAt    time.Time
}

// Selection is re-exported for the API's previews.
type Selection = catalog.Selection
