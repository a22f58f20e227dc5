package billing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// The billing benchmarks (make bench-billing): a renewal run over ITSGOW_BENCH_CONTRACTS
// contracts (default 100,000) and invoice issuance by 8 concurrent writers, on SQLite and on
// PostgreSQL (ITSGOW_TEST_POSTGRES_URL). Run them once: -run '^$' -bench Billing -benchtime 1x.

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func engines(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.OpenPostgres(b)) })
}

func service(b *testing.B, db *store.DB, clk *clocktest.Fake) *billing.Service {
	b.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := notify.New(notify.DefaultConfig(), notify.Deps{Logger: log, Clock: clk, Store: db.Notices()})
	if err != nil {
		b.Fatal(err)
	}
	s, err := billing.New(billing.DefaultConfig(), billing.Deps{Logger: log, Clock: clk, Store: db.Billing(), Notify: n, Policy: policy.Default()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// customers stores n customers and returns the first id (ids are consecutive in a fresh store).
func customers(b *testing.B, db *store.DB, n int) int64 {
	b.Helper()
	ctx := context.Background()
	var first int64
	err := db.WithTx(ctx, func(q *store.Q) error {
		for i := range n {
			a := account.Account{Kind: account.KindCustomer, Email: fmt.Sprintf("c%d@bench.example", i), Name: "Bench " + strconv.Itoa(i),
				Language: "fr", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0,
				Customer: &account.Customer{Type: account.Company, CompanyName: "Bench SAS", Country: "FR", SIREN: "732829320"}}
			if err := q.InsertAccount(ctx, &a); err != nil {
				return err
			}
			if i == 0 {
				first = int64(a.ID)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return first
}

// contracts inserts n paid orders and their active contracts, all due for renewal at t0, with
// INSERT ... SELECT over a generated series.
func contracts(b *testing.B, db *store.DB, n int, firstCustomer int64, custs int) {
	b.Helper()
	series := `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) `
	from := ` FROM s`
	if db.Engine() == store.Postgres {
		series, from = "", ` FROM generate_series(1, %d) AS s(i)`
	}
	ts := `'2026-10-01T09:00:00.000000Z'`
	end := `'2026-11-07T09:00:00.000000Z'`
	line := `'[{"kind":"rental","code":"ECO-1","description":"Location du serveur dédié ECO-1 — 1 mois","quantity":1,"unitCents":1999,"vatBasisPoints":0,"totalCents":1999}]'`
	ordersSQL := `INSERT INTO orders (id, customer_id, status, plan_code, range_code, plan_name, duration_months, os_image, language, currency,
		lines, vat_totals, total_excl_tax_cents, tax_cents, total_incl_tax_cents, vat_scheme, created_at, paid_at, delivered_at)
		SELECT i, ` + strconv.FormatInt(firstCustomer, 10) + ` + (i % ` + strconv.Itoa(custs) + `), 'delivered', 'ECO-1', 'ECOGREEN', 'ECO-1', 1, 'debian-12',
		'fr', 'EUR', ` + line + `, '[]', 1999, 400, 2399, 'france', ` + ts + `, ` + ts + `, ` + ts
	contractsSQL := `INSERT INTO contracts (customer_id, order_id, plan_code, range_code, plan_name, duration_months, currency, term_lines,
		term_excl_tax_cents, started_at, term_no, term_start, term_end, renew_mode, status, updated_at)
		SELECT ` + strconv.FormatInt(firstCustomer, 10) + ` + (i % ` + strconv.Itoa(custs) + `), i, 'ECO-1', 'ECOGREEN', 'ECO-1', 1, 'EUR', ` + line + `,
		1999, ` + ts + `, 1, ` + ts + `, ` + end + `, 'automatic', 'active', ` + ts
	for _, q := range []string{ordersSQL, contractsSQL} {
		var stmt string
		if db.Engine() == store.Postgres {
			stmt = q + fmt.Sprintf(from, n)
		} else {
			stmt = fmt.Sprintf(series, n) + q + from
		}
		if _, err := db.SQL().Exec(stmt); err != nil {
			b.Fatalf("bulk insert: %v", err)
		}
	}
}

func benchContracts() int {
	if n, err := strconv.Atoi(os.Getenv("ITSGOW_BENCH_CONTRACTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkBillingRenewalRun issues the renewal invoice (numbered, with its renewal row and its
// notice) of every contract due, as the periodic job does.
func BenchmarkBillingRenewalRun(b *testing.B) {
	n := benchContracts()
	engines(b, func(b *testing.B, db *store.DB) {
		first := customers(b, db, 1000)
		contracts(b, db, n, first, 1000)
		clk := clocktest.New(t0)
		s := service(b, db, clk)
		b.ResetTimer()
		start := time.Now() //nolint:forbidigo // a benchmark measures wall time
		got, err := s.RunRenewals(context.Background())
		elapsed := time.Since(start) //nolint:forbidigo // a benchmark measures wall time
		b.StopTimer()
		if err != nil || got != n {
			b.Fatalf("renewed %d of %d: %v", got, n, err)
		}
		var maxSeq int64
		if err := db.SQL().QueryRow(`SELECT MAX(seq) FROM invoices`).Scan(&maxSeq); err != nil || maxSeq != int64(n) {
			b.Fatalf("invoice numbers up to %d, want %d: %v", maxSeq, n, err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "contracts/s")
		b.ReportMetric(0, "ns/op")
		fmt.Fprintf(os.Stderr, "renewal run %s: %d contracts in %s = %.0f contracts/s\n", db.Engine(), n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	})
}

// BenchmarkBillingIssue8Writers issues invoices from 8 concurrent writers, one invoice per
// transaction (a number from the yearly sequence, the invoice row).
func BenchmarkBillingIssue8Writers(b *testing.B) {
	const writers, per = 8, 500
	engines(b, func(b *testing.B, db *store.DB) {
		first := customers(b, db, 8)
		clk := clocktest.New(t0)
		s := service(b, db, clk)
		ctx := context.Background()
		lines := []billing.Line{{Kind: "rental", Description: "Location ECO-1 — 1 mois", Quantity: 1, UnitCents: 1999}}
		custs := make([]account.Account, writers)
		for i := range custs {
			a, err := db.Accounts().AccountByID(ctx, account.ID(first+int64(i)))
			if err != nil {
				b.Fatal(err)
			}
			custs[i] = a
		}
		b.ResetTimer()
		start := time.Now() //nolint:forbidigo // a benchmark measures wall time
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range per {
					err := db.Billing().InTx(ctx, func(tx billing.Tx) error {
						_, err := s.IssueOne(ctx, tx, billing.Draft{Kind: billing.KindInvoice, Customer: custs[w], Rule: billing.Rule{Scheme: billing.SchemeFrance, BasisPoints: 2000},
							Lines: lines, Purpose: billing.PurposeRenewal, Status: billing.Unpaid, DueAt: t0})
						return err
					})
					if err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start) //nolint:forbidigo // a benchmark measures wall time
		b.StopTimer()
		close(errc)
		for err := range errc {
			b.Fatal(err)
		}
		b.ReportMetric(float64(writers*per)/elapsed.Seconds(), "invoices/s")
		b.ReportMetric(0, "ns/op")
		fmt.Fprintf(os.Stderr, "invoice issuance %s, 8 writers: %d invoices in %s = %.0f invoices/s\n", db.Engine(), writers*per, elapsed.Round(time.Millisecond), float64(writers*per)/elapsed.Seconds())
	})
}
