package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
)

// Catalog returns the catalogue store.
func (db *DB) Catalog() catalog.Store { return catalogStore{db.Read()} }

// Stock returns the seeded stock counts per plan: the StockSource until the fleet counts its
// free servers.
func (db *DB) Stock() catalog.StockSource { return catalogStore{db.Read()} }

type catalogStore struct{ *Q }

var _ catalog.Store = catalogStore{}
var _ catalog.Tx = (*Q)(nil)

func (s catalogStore) InTx(ctx context.Context, fn func(catalog.Tx) error) error {
	return s.db.WithTx(ctx, func(q *Q) error { return fn(q) })
}

// FreeServers implements catalog.StockSource from the seeded counts.
func (s catalogStore) FreeServers(ctx context.Context) (map[string]int, error) {
	rows, err := s.query(ctx, `SELECT plan_code, free FROM catalog_stock`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		out[code] = n
	}
	return out, rows.Err()
}

// ListRanges implements catalog.Reader.
func (q *Q) ListRanges(ctx context.Context) ([]catalog.Range, error) {
	rows, err := q.query(ctx, `SELECT code, name, description_fr, description_en, support_level, position FROM catalog_ranges ORDER BY position, code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Range
	for rows.Next() {
		var r catalog.Range
		if err := rows.Scan(&r.Code, &r.Name, &r.DescriptionFR, &r.DescriptionEN, &r.SupportLevel, &r.Position); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const planCols = `p.code, p.range_code, p.name, p.cpu, p.cores, p.ram_gib, p.disks, p.nic, p.os_images, p.active, p.position`

func scanPlan(sc interface{ Scan(...any) error }) (catalog.Plan, error) {
	var p catalog.Plan
	var disks, images string
	if err := sc.Scan(&p.Code, &p.Range, &p.Name, &p.Hardware.CPU, &p.Hardware.Cores, &p.Hardware.RAMGiB, &disks,
		&p.Hardware.NIC, &images, &p.Active, &p.Position); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(disks), &p.Hardware.Disks); err != nil {
		return p, fmt.Errorf("plan %s disks: %w", p.Code, err)
	}
	if err := json.Unmarshal([]byte(images), &p.OSImages); err != nil {
		return p, fmt.Errorf("plan %s images: %w", p.Code, err)
	}
	return p, nil
}

// ListPlans implements catalog.Reader.
func (q *Q) ListPlans(ctx context.Context, activeOnly bool) ([]catalog.Plan, error) {
	where := "1 = 1"
	if activeOnly {
		where = "p.active = ?"
	}
	args := []any{}
	if activeOnly {
		args = append(args, true)
	}
	rows, err := q.query(ctx, `SELECT `+planCols+` FROM catalog_plans p JOIN catalog_ranges r ON r.code = p.range_code
		WHERE `+where+` ORDER BY r.position, p.position, p.code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetPlan implements catalog.Reader.
func (q *Q) GetPlan(ctx context.Context, code string) (catalog.Plan, error) {
	p, err := scanPlan(q.row(ctx, `SELECT `+planCols+` FROM catalog_plans p WHERE p.code = ?`, code))
	if err != nil {
		return p, q.scanErr(err, "plan")
	}
	return p, nil
}

const priceCols = `id, plan_code, duration_months, setup_cents, recurring_cents, currency, valid_from, created_by`

func scanPrices(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]catalog.Price, error) {
	var out []catalog.Price
	for rows.Next() {
		var p catalog.Price
		if err := rows.Scan(&p.ID, &p.PlanCode, &p.DurationMonths, &p.SetupCents, &p.RecurringCents, &p.Currency, st(&p.ValidFrom), &p.CreatedBy); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CurrentPrices implements catalog.Reader.
func (q *Q) CurrentPrices(ctx context.Context, at time.Time) ([]catalog.Price, error) {
	rows, err := q.query(ctx, `SELECT `+priceCols+` FROM catalog_prices p WHERE valid_from <= ? AND NOT EXISTS (
		SELECT 1 FROM catalog_prices n WHERE n.plan_code = p.plan_code AND n.duration_months = p.duration_months
		AND n.valid_from <= ? AND (n.valid_from > p.valid_from OR (n.valid_from = p.valid_from AND n.id > p.id)))
		ORDER BY plan_code, duration_months`, ts(at), ts(at))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanPrices(rows)
}

// PriceHistory implements catalog.Reader.
func (q *Q) PriceHistory(ctx context.Context, plan string) ([]catalog.Price, error) {
	rows, err := q.query(ctx, `SELECT `+priceCols+` FROM catalog_prices WHERE plan_code = ? ORDER BY valid_from DESC, id DESC`, plan)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanPrices(rows)
}

// ListOptions implements catalog.Reader.
func (q *Q) ListOptions(ctx context.Context, activeOnly bool) ([]catalog.Option, error) {
	query := `SELECT code, kind, name_fr, name_en, monthly_cents, setup_cents, max_quantity, requires, active, position FROM catalog_options`
	var args []any
	if activeOnly {
		query += ` WHERE active = ?`
		args = append(args, true)
	}
	rows, err := q.query(ctx, query+` ORDER BY position, code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Option
	for rows.Next() {
		var o catalog.Option
		if err := rows.Scan(&o.Code, &o.Kind, &o.NameFR, &o.NameEN, &o.MonthlyCents, &o.SetupCents, &o.MaxQuantity, &o.Requires, &o.Active, &o.Position); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// UpsertRange implements catalog.Tx.
func (q *Q) UpsertRange(ctx context.Context, r catalog.Range) error {
	_, err := q.exec(ctx, `INSERT INTO catalog_ranges (code, name, description_fr, description_en, support_level, position)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, description_fr = excluded.description_fr,
		description_en = excluded.description_en, support_level = excluded.support_level, position = excluded.position`,
		r.Code, r.Name, r.DescriptionFR, r.DescriptionEN, string(r.SupportLevel), r.Position)
	return err
}

// UpsertPlan implements catalog.Tx.
func (q *Q) UpsertPlan(ctx context.Context, p catalog.Plan) error {
	disks, _ := json.Marshal(p.Hardware.Disks)
	images, _ := json.Marshal(p.OSImages)
	_, err := q.exec(ctx, `INSERT INTO catalog_plans (code, range_code, name, cpu, cores, ram_gib, disks, nic, os_images, active, position)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET range_code = excluded.range_code, name = excluded.name,
		cpu = excluded.cpu, cores = excluded.cores, ram_gib = excluded.ram_gib, disks = excluded.disks, nic = excluded.nic,
		os_images = excluded.os_images, active = excluded.active, position = excluded.position`,
		p.Code, p.Range, p.Name, p.Hardware.CPU, p.Hardware.Cores, p.Hardware.RAMGiB, string(disks), p.Hardware.NIC, string(images), p.Active, p.Position)
	return err
}

// InsertPrice implements catalog.Tx.
func (q *Q) InsertPrice(ctx context.Context, p *catalog.Price) error {
	err := q.row(ctx, `INSERT INTO catalog_prices (plan_code, duration_months, setup_cents, recurring_cents, currency, valid_from, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.PlanCode, p.DurationMonths, p.SetupCents, p.RecurringCents, p.Currency,
		ts(p.ValidFrom), p.CreatedBy).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("insert price: %w", q.db.mapErr(err))
	}
	p.ValidFrom = Trunc(p.ValidFrom)
	return nil
}

// UpsertOption implements catalog.Tx.
func (q *Q) UpsertOption(ctx context.Context, o catalog.Option) error {
	_, err := q.exec(ctx, `INSERT INTO catalog_options (code, kind, name_fr, name_en, monthly_cents, setup_cents, max_quantity, requires, active, position)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name_fr = excluded.name_fr,
		name_en = excluded.name_en, monthly_cents = excluded.monthly_cents, setup_cents = excluded.setup_cents,
		max_quantity = excluded.max_quantity, requires = excluded.requires, active = excluded.active, position = excluded.position`,
		o.Code, string(o.Kind), o.NameFR, o.NameEN, o.MonthlyCents, o.SetupCents, o.MaxQuantity, o.Requires, o.Active, o.Position)
	return err
}

// SetStock implements catalog.Tx.
func (q *Q) SetStock(ctx context.Context, plan string, free int) error {
	_, err := q.exec(ctx, `INSERT INTO catalog_stock (plan_code, free) VALUES (?, ?) ON CONFLICT (plan_code) DO UPDATE SET free = excluded.free`, plan, free)
	return err
}

// ReserveStock implements order.Tx: one free server of the plan is taken when there is one.
// A paid order is never refused for want of stock (the money is in): without a free server no
// reservation is recorded, and the delivery deadline decides.
func (q *Q) ReserveStock(ctx context.Context, orderID int64, plan string, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE catalog_stock SET free = free - 1 WHERE plan_code = ? AND free > 0`, plan)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = q.exec(ctx, `INSERT INTO stock_reservations (order_id, plan_code, reserved_at) VALUES (?, ?, ?)`, orderID, plan, ts(at))
	return err
}

// ReleaseStock implements order.Tx.
func (q *Q) ReleaseStock(ctx context.Context, orderID int64, at time.Time) error {
	var plan string
	err := q.row(ctx, `UPDATE stock_reservations SET released_at = ? WHERE order_id = ? AND released_at IS NULL RETURNING plan_code`,
		ts(at), orderID).Scan(&plan)
	if err := q.scanErr(err, "reservation"); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		return err
	}
	_, err = q.exec(ctx, `UPDATE catalog_stock SET free = free + 1 WHERE plan_code = ?`, plan)
	return err
}
