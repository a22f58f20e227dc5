package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/order"
)

// Orders returns the order store.
func (db *DB) Orders() order.Store { return orderStore{db.Read()} }

type orderStore struct{ *Q }

var _ order.Store = orderStore{}
var _ order.Tx = (*Q)(nil)

func (s orderStore) InTx(ctx context.Context, fn func(order.Tx) error) error {
	return s.db.WithTx(ctx, func(q *Q) error { return fn(q) })
}

const orderCols = `id, customer_id, COALESCE(idempotency_key, ''), status, plan_code, range_code, plan_name, duration_months, os_image,
	datacenter, options, language, currency, lines, vat_totals, total_excl_tax_cents, tax_cents, total_incl_tax_cents, vat_scheme, vat_number,
	consumer, immediate_request_text, immediate_request_at, created_at, paid_at, deliverable_from, delivery_deadline, delivering_at,
	delivered_at, late_at, cancelled_at, refunded_at, withdrawn_at, server_ref, main_ip, COALESCE(invoice_id, 0), COALESCE(contract_id, 0)`

func scanOrder(sc interface{ Scan(...any) error }) (order.Order, error) {
	var o order.Order
	var opts, lines, vat string
	err := sc.Scan(&o.ID, &o.CustomerID, &o.IdempotencyKey, &o.Status, &o.PlanCode, &o.Range, &o.PlanName, &o.DurationMonths, &o.OSImage,
		&o.Datacenter, &opts, &o.Language, &o.Currency, &lines, &vat, &o.ExclTaxCents, &o.TaxCents, &o.InclTaxCents, &o.Scheme, &o.VATNumber,
		&o.Consumer, &o.ImmediateRequestText, st(&o.ImmediateRequestAt), st(&o.CreatedAt), st(&o.PaidAt), st(&o.DeliverableFrom),
		st(&o.DeliveryDeadline), st(&o.DeliveringAt), st(&o.DeliveredAt), st(&o.LateAt), st(&o.CancelledAt), st(&o.RefundedAt),
		st(&o.WithdrawnAt), &o.ServerRef, &o.MainIP, &o.InvoiceID, &o.ContractID)
	if err != nil {
		return o, err
	}
	for _, x := range []struct {
		s string
		v any
	}{{opts, &o.Options}, {lines, &o.Lines}, {vat, &o.VAT}} {
		if err := json.Unmarshal([]byte(x.s), x.v); err != nil {
			return o, fmt.Errorf("order %d: %w", o.ID, err)
		}
	}
	return o, nil
}

func (q *Q) orders(ctx context.Context, query string, args ...any) ([]order.Order, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// GetOrder implements order.Reader.
func (q *Q) GetOrder(ctx context.Context, id order.ID) (order.Order, error) {
	o, err := scanOrder(q.row(ctx, `SELECT `+orderCols+` FROM orders WHERE id = ?`, id))
	return o, q.scanErr(err, "order")
}

// OrderByKey implements order.Reader.
func (q *Q) OrderByKey(ctx context.Context, customer int64, key string) (order.Order, error) {
	o, err := scanOrder(q.row(ctx, `SELECT `+orderCols+` FROM orders WHERE customer_id = ? AND idempotency_key = ?`, customer, key))
	return o, q.scanErr(err, "order")
}

// ListOrders implements order.Reader.
func (q *Q) ListOrders(ctx context.Context, f order.Filter) ([]order.Order, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.CustomerID != 0 {
		where = append(where, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+comPlaceholders(len(f.Statuses))+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if !f.DeadlineBefore.IsZero() {
		where = append(where, "delivery_deadline < ?")
		args = append(args, ts(f.DeadlineBefore))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	return q.orders(ctx, `SELECT `+orderCols+` FROM orders WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
}

func comNZS(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertOrder implements order.Tx.
func (q *Q) InsertOrder(ctx context.Context, o *order.Order) error {
	err := q.row(ctx, `INSERT INTO orders (customer_id, idempotency_key, status, plan_code, range_code, plan_name, duration_months, os_image,
		datacenter, options, language, currency, lines, vat_totals, total_excl_tax_cents, tax_cents, total_incl_tax_cents, vat_scheme, vat_number,
		consumer, immediate_request_text, immediate_request_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.CustomerID, comNZS(o.IdempotencyKey), string(o.Status), o.PlanCode, o.Range, o.PlanName, o.DurationMonths, o.OSImage, o.Datacenter,
		comJSON(comOptions(o.Options)), o.Language, o.Currency, comJSON(o.Lines), comJSON(o.VAT), o.ExclTaxCents, o.TaxCents, o.InclTaxCents,
		string(o.Scheme), o.VATNumber, o.Consumer, o.ImmediateRequestText, tsp(o.ImmediateRequestAt), ts(o.CreatedAt)).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("insert order: %w", q.db.mapErr(err))
	}
	o.CreatedAt, o.ImmediateRequestAt = Trunc(o.CreatedAt), comTrunc(o.ImmediateRequestAt)
	return nil
}

func comOptions(o []order.OptionLine) []order.OptionLine {
	if o == nil {
		return []order.OptionLine{}
	}
	return o
}

// UpdateOrder implements order.Tx: only the state columns change; lines and totals never do.
func (q *Q) UpdateOrder(ctx context.Context, o order.Order) error {
	return q.update1(ctx, "order", `UPDATE orders SET status = ?, paid_at = ?, deliverable_from = ?, delivery_deadline = ?, delivering_at = ?,
		delivered_at = ?, late_at = ?, cancelled_at = ?, refunded_at = ?, withdrawn_at = ?, server_ref = ?, main_ip = ?, invoice_id = ?,
		contract_id = ? WHERE id = ?`, string(o.Status), tsp(o.PaidAt), tsp(o.DeliverableFrom), tsp(o.DeliveryDeadline), tsp(o.DeliveringAt),
		tsp(o.DeliveredAt), tsp(o.LateAt), tsp(o.CancelledAt), tsp(o.RefundedAt), tsp(o.WithdrawnAt), o.ServerRef, o.MainIP,
		comNZ(o.InvoiceID), comNZ(o.ContractID), o.ID)
}

// LateOrders implements order.Tx.
func (q *Q) LateOrders(ctx context.Context, now time.Time, limit int) ([]order.Order, error) {
	return q.orders(ctx, `SELECT `+orderCols+` FROM orders WHERE status IN ('paid', 'delivering') AND delivery_deadline <= ?
		ORDER BY delivery_deadline, id LIMIT ?`, ts(now), limit)
}

const paymentCols = `id, customer_id, COALESCE(order_id, 0), COALESCE(invoice_id, 0), method, status, amount_cents, currency, reference,
	provider_ref, COALESCE(idempotency_key, ''), failure, created_at, settled_at`

func scanPayment(sc interface{ Scan(...any) error }) (order.Payment, error) {
	var p order.Payment
	err := sc.Scan(&p.ID, &p.CustomerID, &p.OrderID, &p.InvoiceID, &p.Method, &p.Status, &p.AmountCents, &p.Currency, &p.Reference,
		&p.ProviderRef, &p.IdempotencyKey, &p.Failure, st(&p.CreatedAt), st(&p.SettledAt))
	return p, err
}

// GetPayment implements order.Reader.
func (q *Q) GetPayment(ctx context.Context, id order.PaymentID) (order.Payment, error) {
	p, err := scanPayment(q.row(ctx, `SELECT `+paymentCols+` FROM payments WHERE id = ?`, id))
	return p, q.scanErr(err, "payment")
}

// PaymentByKey implements order.Reader.
func (q *Q) PaymentByKey(ctx context.Context, customer int64, key string) (order.Payment, error) {
	p, err := scanPayment(q.row(ctx, `SELECT `+paymentCols+` FROM payments WHERE customer_id = ? AND idempotency_key = ?`, customer, key))
	return p, q.scanErr(err, "payment")
}

// ListPayments implements order.Reader.
func (q *Q) ListPayments(ctx context.Context, f order.PaymentFilter) ([]order.Payment, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.CustomerID != 0 {
		where = append(where, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if f.Method != "" {
		where = append(where, "method = ?")
		args = append(args, string(f.Method))
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := q.query(ctx, `SELECT `+paymentCols+` FROM payments WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// InsertPayment implements order.Tx.
func (q *Q) InsertPayment(ctx context.Context, p *order.Payment) error {
	err := q.row(ctx, `INSERT INTO payments (customer_id, order_id, invoice_id, method, status, amount_cents, currency, reference, provider_ref,
		idempotency_key, failure, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.CustomerID, comNZ(p.OrderID), comNZ(p.InvoiceID),
		string(p.Method), string(p.Status), p.AmountCents, p.Currency, p.Reference, p.ProviderRef, comNZS(p.IdempotencyKey), p.Failure,
		ts(p.CreatedAt)).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("insert payment: %w", q.db.mapErr(err))
	}
	p.CreatedAt = Trunc(p.CreatedAt)
	return nil
}

// UpdatePayment implements order.Tx.
func (q *Q) UpdatePayment(ctx context.Context, p order.Payment) error {
	return q.update1(ctx, "payment", `UPDATE payments SET status = ?, provider_ref = ?, failure = ?, settled_at = ? WHERE id = ?`,
		string(p.Status), p.ProviderRef, p.Failure, tsp(p.SettledAt), p.ID)
}

// InsertPaymentEvent implements order.Tx: (provider, event_id) is the primary key.
func (q *Q) InsertPaymentEvent(ctx context.Context, provider, eventID string, payment order.PaymentID, outcome string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO payment_events (provider, event_id, payment_id, outcome, received_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, payment, outcome, ts(at))
	if err != nil {
		return false, fmt.Errorf("insert payment event: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// InsertRefund implements order.Tx.
func (q *Q) InsertRefund(ctx context.Context, r *order.Refund) error {
	return q.row(ctx, `INSERT INTO refunds (customer_id, payment_id, order_id, credit_note_id, amount_cents, currency, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.CustomerID, r.PaymentID, comNZ(r.OrderID), r.CreditNoteID, r.AmountCents, r.Currency,
		r.Reason, ts(r.CreatedAt)).Scan(&r.ID)
}

// RefundsOf implements order.Reader.
func (q *Q) RefundsOf(ctx context.Context, id order.ID) ([]order.Refund, error) {
	rows, err := q.query(ctx, `SELECT id, customer_id, payment_id, COALESCE(order_id, 0), credit_note_id, amount_cents, currency, reason, created_at
		FROM refunds WHERE order_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order.Refund
	for rows.Next() {
		var r order.Refund
		if err := rows.Scan(&r.ID, &r.CustomerID, &r.PaymentID, &r.OrderID, &r.CreditNoteID, &r.AmountCents, &r.Currency, &r.Reason, st(&r.CreatedAt)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
