package order

import (
	"context"
	"time"

	"github.com/itsgow/itsgow/internal/billing"
)

// Reader reads orders and payments.
type Reader interface {
	GetOrder(ctx context.Context, id ID) (Order, error)
	ListOrders(ctx context.Context, f Filter) ([]Order, error)
	GetPayment(ctx context.Context, id PaymentID) (Payment, error)
	ListPayments(ctx context.Context, f PaymentFilter) ([]Payment, error)
	RefundsOf(ctx context.Context, o ID) ([]Refund, error)
	// OrderByKey and PaymentByKey find what a customer made with an idempotency key.
	OrderByKey(ctx context.Context, customer int64, key string) (Order, error)
	PaymentByKey(ctx context.Context, customer int64, key string) (Payment, error)
}

// Tx is what the order service changes in one transaction; it is also a billing.Tx, so an
// invoice, a credit note or a contract is written in the same transaction as the order.
type Tx interface {
	Reader
	billing.Tx
	InsertOrder(ctx context.Context, o *Order) error
	UpdateOrder(ctx context.Context, o Order) error
	InsertPayment(ctx context.Context, p *Payment) error
	UpdatePayment(ctx context.Context, p Payment) error
	// InsertPaymentEvent records a provider event once; it reports false for a duplicate.
	InsertPaymentEvent(ctx context.Context, provider, eventID string, payment PaymentID, outcome string, at time.Time) (bool, error)
	InsertRefund(ctx context.Context, r *Refund) error
	// LateOrders lists undelivered orders (paid, delivering) whose deadline is at or before now.
	LateOrders(ctx context.Context, now time.Time, limit int) ([]Order, error)
	// ReserveStock takes one free server of plan for the order (Conflict when none is free);
	// ReleaseStock gives it back. They stand in for the fleet's reservations.
	ReserveStock(ctx context.Context, order int64, plan string, at time.Time) error
	ReleaseStock(ctx context.Context, order int64, at time.Time) error
}

// Store is the order service's persistence.
type Store interface {
	Reader
	InTx(ctx context.Context, fn func(Tx) error) error
}
