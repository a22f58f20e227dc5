package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/errs"
)

// Billing returns the billing store.
func (db *DB) Billing() billing.Store { return billingStore{db.Read()} }

type billingStore struct{ *Q }

var _ billing.Store = billingStore{}
var _ billing.Tx = (*Q)(nil)

func (s billingStore) InTx(ctx context.Context, fn func(billing.Tx) error) error {
	return s.db.WithTx(ctx, func(q *Q) error { return fn(q) })
}

// nz is NULL for a zero id.
func comNZ[T ~int64](v T) any {
	if v == 0 {
		return nil
	}
	return int64(v)
}

func comJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // plain structs: cannot fail
	}
	return string(b)
}

const invoiceCols = `i.id, i.kind, i.series, i.year, i.seq, i.number, i.customer_id, i.language, i.customer, i.seller, i.issued_at, i.due_at,
	i.currency, i.lines, i.vat_totals, i.total_excl_tax_cents, i.tax_cents, i.total_incl_tax_cents, i.vat_scheme, i.mention, i.purpose,
	i.status, i.paid_at, COALESCE(i.order_id, 0), COALESCE(i.contract_id, 0), COALESCE(i.credits_invoice_id, 0), COALESCE(c.number, '')`

const invoiceFrom = ` FROM invoices i LEFT JOIN invoices c ON c.id = i.credits_invoice_id`

func scanInvoice(sc interface{ Scan(...any) error }) (billing.Invoice, error) {
	var v billing.Invoice
	var cust, seller, lines, vat string
	err := sc.Scan(&v.ID, &v.Kind, &v.Series, &v.Year, &v.Seq, &v.Number, &v.CustomerID, &v.Language, &cust, &seller,
		st(&v.IssuedAt), st(&v.DueAt), &v.Currency, &lines, &vat, &v.ExclTaxCents, &v.TaxCents, &v.InclTaxCents, &v.Scheme,
		&v.Mention, &v.Purpose, &v.Status, st(&v.PaidAt), &v.OrderID, &v.ContractID, &v.CreditsInvoiceID, &v.CreditsNumber)
	if err != nil {
		return v, err
	}
	for _, x := range []struct {
		s string
		v any
	}{{cust, &v.Customer}, {seller, &v.Seller}, {lines, &v.Lines}, {vat, &v.VAT}} {
		if err := json.Unmarshal([]byte(x.s), x.v); err != nil {
			return v, fmt.Errorf("invoice %d: %w", v.ID, err)
		}
	}
	return v, nil
}

// GetInvoice implements billing.Reader.
func (q *Q) GetInvoice(ctx context.Context, id billing.InvoiceID) (billing.Invoice, error) {
	v, err := scanInvoice(q.row(ctx, `SELECT `+invoiceCols+invoiceFrom+` WHERE i.id = ?`, id))
	return v, q.scanErr(err, "invoice")
}

// ListInvoices implements billing.Reader.
func (q *Q) ListInvoices(ctx context.Context, f billing.Filter) ([]billing.Invoice, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.CustomerID != 0 {
		where = append(where, "i.customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if f.Kind != "" {
		where = append(where, "i.kind = ?")
		args = append(args, string(f.Kind))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "i.status IN ("+comPlaceholders(len(f.Statuses))+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.BeforeID > 0 {
		where = append(where, "i.id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := q.query(ctx, `SELECT `+invoiceCols+invoiceFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY i.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []billing.Invoice
	for rows.Next() {
		v, err := scanInvoice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func comPlaceholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// NextInvoiceSeq implements billing.Tx: one upsert takes n numbers; the row stays locked until
// the transaction ends (PostgreSQL), or the single writer holds it (SQLite).
func (q *Q) NextInvoiceSeq(ctx context.Context, series string, year int, n int) (int64, error) {
	var last int64
	err := q.row(ctx, `INSERT INTO invoice_sequences (series, year, last) VALUES (?, ?, ?)
		ON CONFLICT (series, year) DO UPDATE SET last = invoice_sequences.last + ? RETURNING last`, series, year, n, n).Scan(&last)
	if err != nil {
		return 0, q.db.mapErr(err)
	}
	return last - int64(n) + 1, nil
}

// InsertInvoice implements billing.Tx.
func (q *Q) InsertInvoice(ctx context.Context, v *billing.Invoice) error {
	err := q.row(ctx, `INSERT INTO invoices (kind, series, year, seq, number, customer_id, language, customer, seller, issued_at, due_at,
		currency, lines, vat_totals, total_excl_tax_cents, tax_cents, total_incl_tax_cents, vat_scheme, mention, purpose, status, paid_at,
		order_id, contract_id, credits_invoice_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(v.Kind), v.Series, v.Year, v.Seq, v.Number, v.CustomerID, v.Language, comJSON(v.Customer), comJSON(v.Seller),
		ts(v.IssuedAt), ts(v.DueAt), v.Currency, comJSON(v.Lines), comJSON(v.VAT), v.ExclTaxCents, v.TaxCents, v.InclTaxCents,
		string(v.Scheme), v.Mention, string(v.Purpose), string(v.Status), tsp(v.PaidAt), comNZ(v.OrderID), comNZ(v.ContractID),
		comNZ(v.CreditsInvoiceID)).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("insert invoice: %w", q.db.mapErr(err))
	}
	v.IssuedAt, v.DueAt, v.PaidAt = Trunc(v.IssuedAt), Trunc(v.DueAt), comTrunc(v.PaidAt)
	return nil
}

func comTrunc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return Trunc(t)
}

// SetInvoiceStatus implements billing.Tx.
func (q *Q) SetInvoiceStatus(ctx context.Context, id billing.InvoiceID, from, to billing.Status, paidAt time.Time) error {
	res, err := q.exec(ctx, `UPDATE invoices SET status = ?, paid_at = ? WHERE id = ? AND status = ?`, string(to), tsp(paidAt), id, string(from))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Coded(errs.Conflict, "invoice_status", "the invoice is not "+string(from))
	}
	return nil
}

const contractCols = `id, customer_id, order_id, plan_code, range_code, plan_name, duration_months, currency, term_lines, term_excl_tax_cents,
	started_at, term_no, term_start, term_end, renew_mode, status, terminate_at, terminated_at, termination_reason, server_ref, main_ip, updated_at`

func scanContract(sc interface{ Scan(...any) error }) (billing.Contract, error) {
	var c billing.Contract
	var lines string
	err := sc.Scan(&c.ID, &c.CustomerID, &c.OrderID, &c.PlanCode, &c.Range, &c.PlanName, &c.DurationMonths, &c.Currency, &lines,
		&c.TermExclTaxCents, st(&c.StartedAt), &c.TermNo, st(&c.TermStart), st(&c.TermEnd), &c.Renew, &c.Status, st(&c.TerminateAt),
		st(&c.TerminatedAt), &c.TerminationReason, &c.ServerRef, &c.MainIP, st(&c.UpdatedAt))
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(lines), &c.TermLines)
}

func (q *Q) contracts(ctx context.Context, query string, args ...any) ([]billing.Contract, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []billing.Contract
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetContract implements billing.Reader.
func (q *Q) GetContract(ctx context.Context, id billing.ContractID) (billing.Contract, error) {
	c, err := scanContract(q.row(ctx, `SELECT `+contractCols+` FROM contracts WHERE id = ?`, id))
	return c, q.scanErr(err, "contract")
}

// ListContracts implements billing.Reader.
func (q *Q) ListContracts(ctx context.Context, f billing.ContractFilter) ([]billing.Contract, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.CustomerID != 0 {
		where = append(where, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	return q.contracts(ctx, `SELECT `+contractCols+` FROM contracts WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
}

// InsertContract implements billing.Tx.
func (q *Q) InsertContract(ctx context.Context, c *billing.Contract) error {
	err := q.row(ctx, `INSERT INTO contracts (customer_id, order_id, plan_code, range_code, plan_name, duration_months, currency, term_lines,
		term_excl_tax_cents, started_at, term_no, term_start, term_end, renew_mode, status, terminate_at, terminated_at, termination_reason,
		server_ref, main_ip, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.CustomerID, c.OrderID, c.PlanCode, c.Range, c.PlanName, c.DurationMonths, c.Currency, comJSON(c.TermLines), c.TermExclTaxCents,
		ts(c.StartedAt), c.TermNo, ts(c.TermStart), ts(c.TermEnd), string(c.Renew), string(c.Status), tsp(c.TerminateAt), tsp(c.TerminatedAt),
		c.TerminationReason, c.ServerRef, c.MainIP, ts(c.UpdatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert contract: %w", q.db.mapErr(err))
	}
	c.StartedAt, c.TermStart, c.TermEnd, c.UpdatedAt = Trunc(c.StartedAt), Trunc(c.TermStart), Trunc(c.TermEnd), Trunc(c.UpdatedAt)
	return nil
}

// UpdateContract implements billing.Tx; the plan, duration and price columns are never written.
func (q *Q) UpdateContract(ctx context.Context, c billing.Contract) error {
	return q.update1(ctx, "contract", `UPDATE contracts SET term_no = ?, term_start = ?, term_end = ?, renew_mode = ?, status = ?,
		terminate_at = ?, terminated_at = ?, termination_reason = ?, server_ref = ?, main_ip = ?, updated_at = ? WHERE id = ?`,
		c.TermNo, ts(c.TermStart), ts(c.TermEnd), string(c.Renew), string(c.Status), tsp(c.TerminateAt), tsp(c.TerminatedAt),
		c.TerminationReason, c.ServerRef, c.MainIP, ts(c.UpdatedAt), c.ID)
}

const renewalCols = `id, contract_id, term_no, invoice_id, term_start, term_end, status, created_at`

func scanRenewal(sc interface{ Scan(...any) error }) (billing.Renewal, error) {
	var r billing.Renewal
	err := sc.Scan(&r.ID, &r.ContractID, &r.TermNo, &r.InvoiceID, st(&r.TermStart), st(&r.TermEnd), &r.Status, st(&r.CreatedAt))
	return r, err
}

// InsertRenewal implements billing.Tx.
func (q *Q) InsertRenewal(ctx context.Context, r *billing.Renewal) (bool, error) {
	err := q.row(ctx, `INSERT INTO renewals (contract_id, term_no, invoice_id, term_start, term_end, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contract_id, term_no) DO UPDATE SET invoice_id = excluded.invoice_id,
		term_start = excluded.term_start, term_end = excluded.term_end, status = excluded.status, created_at = excluded.created_at
		WHERE renewals.status = 'cancelled' RETURNING id`, r.ContractID, r.TermNo, r.InvoiceID,
		ts(r.TermStart), ts(r.TermEnd), string(r.Status), ts(r.CreatedAt)).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert renewal: %w", q.db.mapErr(err))
	}
	return true, nil
}

// RenewalByInvoice implements billing.Tx.
func (q *Q) RenewalByInvoice(ctx context.Context, id billing.InvoiceID) (billing.Renewal, error) {
	r, err := scanRenewal(q.row(ctx, `SELECT `+renewalCols+` FROM renewals WHERE invoice_id = ?`, id))
	return r, q.scanErr(err, "renewal")
}

// RenewalsOf implements billing.Reader.
func (q *Q) RenewalsOf(ctx context.Context, id billing.ContractID) ([]billing.Renewal, error) {
	rows, err := q.query(ctx, `SELECT `+renewalCols+` FROM renewals WHERE contract_id = ? ORDER BY term_no`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []billing.Renewal
	for rows.Next() {
		r, err := scanRenewal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRenewalStatus implements billing.Tx.
func (q *Q) SetRenewalStatus(ctx context.Context, id int64, s billing.RenewalStatus) error {
	return q.update1(ctx, "renewal", `UPDATE renewals SET status = ? WHERE id = ?`, string(s), id)
}

// InsertExtension implements billing.Tx: the primary key (contract_id, term_no) is what makes a
// paid renewal extend its term exactly once.
func (q *Q) InsertExtension(ctx context.Context, e billing.Extension) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO contract_extensions (contract_id, term_no, renewal_id, payment_id, extended_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (contract_id, term_no) DO NOTHING`, e.ContractID, e.TermNo, e.RenewalID, comNZ(e.PaymentID), ts(e.At))
	if err != nil {
		return false, fmt.Errorf("insert extension: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ContractsDueForRenewal implements billing.Tx.
func (q *Q) ContractsDueForRenewal(ctx context.Context, endsBefore time.Time, afterID billing.ContractID, limit int) ([]billing.Contract, error) {
	return q.contracts(ctx, `SELECT `+contractCols+` FROM contracts c WHERE c.id > ? AND c.status = 'active' AND c.renew_mode = 'automatic'
		AND c.terminate_at IS NULL AND c.term_end <= ?
		AND NOT EXISTS (SELECT 1 FROM renewals r WHERE r.contract_id = c.id AND r.term_no = c.term_no + 1)
		ORDER BY c.id LIMIT ?`, afterID, ts(endsBefore), limit)
}

// ContractsEnding implements billing.Tx.
func (q *Q) ContractsEnding(ctx context.Context, now time.Time, limit int) ([]billing.Contract, error) {
	return q.contracts(ctx, `SELECT `+contractCols+` FROM contracts c WHERE c.status <> 'terminated' AND (
		(c.terminate_at IS NOT NULL AND c.terminate_at <= ?)
		OR (c.renew_mode = 'manual' AND c.term_end <= ? AND NOT EXISTS (SELECT 1 FROM renewals r WHERE r.contract_id = c.id
			AND r.term_no = c.term_no + 1 AND r.status IN ('pending', 'paid'))))
		ORDER BY c.id LIMIT ?`, ts(now), ts(now), limit)
}

// OverdueRenewals implements billing.Tx.
func (q *Q) OverdueRenewals(ctx context.Context, dueBefore time.Time, limit int) ([]billing.Overdue, error) {
	rows, err := q.query(ctx, `SELECT i.id, r.contract_id FROM invoices i JOIN renewals r ON r.invoice_id = i.id
		JOIN contracts c ON c.id = r.contract_id WHERE i.status = 'unpaid' AND i.purpose = 'renewal' AND i.due_at < ?
		AND r.status = 'pending' AND c.status <> 'terminated' ORDER BY i.id LIMIT ?`, ts(dueBefore), limit)
	if err != nil {
		return nil, err
	}
	type pair struct {
		i billing.InvoiceID
		c billing.ContractID
	}
	var ids []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.i, &p.c); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]billing.Overdue, 0, len(ids))
	for _, p := range ids {
		inv, err := q.GetInvoice(ctx, p.i)
		if err != nil {
			return nil, err
		}
		c, err := q.GetContract(ctx, p.c)
		if err != nil {
			return nil, err
		}
		out = append(out, billing.Overdue{Invoice: inv, Contract: c})
	}
	return out, nil
}

// InsertDunningStep implements billing.Tx.
func (q *Q) InsertDunningStep(ctx context.Context, id billing.InvoiceID, step string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO dunning_steps (invoice_id, step, at) VALUES (?, ?, ?) ON CONFLICT (invoice_id, step) DO NOTHING`, id, step, ts(at))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// InsertSuspension implements billing.Tx.
func (q *Q) InsertSuspension(ctx context.Context, s *billing.Suspension) error {
	return q.row(ctx, `INSERT INTO suspensions (contract_id, server_ref, reason, started_at) VALUES (?, ?, ?, ?) RETURNING id`,
		s.ContractID, s.ServerRef, s.Reason, ts(s.StartedAt)).Scan(&s.ID)
}

// LiftSuspensions implements billing.Tx.
func (q *Q) LiftSuspensions(ctx context.Context, id billing.ContractID, at time.Time) (int, error) {
	res, err := q.exec(ctx, `UPDATE suspensions SET lifted_at = ? WHERE contract_id = ? AND lifted_at IS NULL`, ts(at), id)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SuspensionsOf implements billing.Reader.
func (q *Q) SuspensionsOf(ctx context.Context, id billing.ContractID) ([]billing.Suspension, error) {
	rows, err := q.query(ctx, `SELECT id, contract_id, server_ref, reason, started_at, lifted_at FROM suspensions WHERE contract_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []billing.Suspension
	for rows.Next() {
		var s billing.Suspension
		if err := rows.Scan(&s.ID, &s.ContractID, &s.ServerRef, &s.Reason, st(&s.StartedAt), st(&s.LiftedAt)); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
