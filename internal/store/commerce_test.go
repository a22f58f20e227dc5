package store_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/order"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// TestInvoiceNumbersAreGapFree issues 1,000 invoices from 8 concurrent writers, one per
// transaction, a tenth of them rolled back after taking their number: the numbers are 1..1000
// with no gap and no duplicate, on both engines.
func TestInvoiceNumbersAreGapFree(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cust := newCustomer("numbers@example.fr")
		if err := db.WithTx(ctx, func(q *store.Q) error { return q.InsertAccount(ctx, &cust) }); err != nil {
			t.Fatal(err)
		}
		const writers, total = 8, 1000
		var mu sync.Mutex
		var seqs []int64
		errc := make(chan error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range total / writers {
					// every tenth transaction takes a number and rolls back before its real one
					attempts := []bool{false}
					if (i+w)%10 == 3 {
						attempts = []bool{true, false}
					}
					for _, rollback := range attempts {
						var seq int64
						err := db.WithTx(ctx, func(q *store.Q) error {
							first, err := q.NextInvoiceSeq(ctx, "F", 2026, 1)
							if err != nil {
								return err
							}
							inv := billing.Invoice{Kind: billing.KindInvoice, Series: "F", Year: 2026, Seq: first, Number: billing.FormatNumber("F", 2026, first),
								CustomerID: cust.ID, Language: "fr", IssuedAt: t0, DueAt: t0, Currency: "EUR", Scheme: billing.SchemeFrance,
								Purpose: billing.PurposeOrder, Status: billing.Unpaid}
							if err := q.InsertInvoice(ctx, &inv); err != nil {
								return err
							}
							if rollback {
								return errRollback
							}
							seq = first
							return nil
						})
						if rollback {
							if err != errRollback {
								errc <- fmt.Errorf("rollback: %v", err)
								return
							}
							continue
						}
						if err != nil {
							errc <- err
							return
						}
						mu.Lock()
						seqs = append(seqs, seq)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		if len(seqs) != total {
			t.Fatalf("%d invoices, want %d", len(seqs), total)
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("number %d at position %d: gap or duplicate", s, i)
			}
		}
		var n, maxSeq int64
		if err := db.SQL().QueryRow(`SELECT COUNT(*), MAX(seq) FROM invoices WHERE series = 'F' AND year = 2026`).Scan(&n, &maxSeq); err != nil || n != total || maxSeq != total {
			t.Fatalf("stored: %d invoices, max %d, %v", n, maxSeq, err)
		}
		// another year and the credit-note series start again at 1
		err := db.WithTx(ctx, func(q *store.Q) error {
			for _, sy := range []struct {
				s string
				y int
			}{{"F", 2027}, {"A", 2026}} {
				if first, err := q.NextInvoiceSeq(ctx, sy.s, sy.y, 3); err != nil || first != 1 {
					return fmt.Errorf("%s%d: first %d, %v", sy.s, sy.y, first, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

var errRollback = fmt.Errorf("rollback on purpose")

// TestIssuedPaperIsFinal: the schema itself refuses to delete an invoice or to rewrite an issued
// invoice or order form; status and dates still change.
func TestIssuedPaperIsFinal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cust := newCustomer("final@example.fr")
		if err := db.WithTx(ctx, func(q *store.Q) error { return q.InsertAccount(ctx, &cust) }); err != nil {
			t.Fatal(err)
		}
		inv := billing.Invoice{Kind: billing.KindInvoice, Series: "F", Year: 2026, Seq: 1, Number: billing.FormatNumber("F", 2026, 1),
			CustomerID: cust.ID, Language: "fr", IssuedAt: t0, DueAt: t0, Currency: "EUR", Scheme: billing.SchemeFrance,
			Purpose: billing.PurposeOrder, Status: billing.Unpaid, ExclTaxCents: 1000, TaxCents: 200, InclTaxCents: 1200}
		if err := db.WithTx(ctx, func(q *store.Q) error { return q.InsertInvoice(ctx, &inv) }); err != nil {
			t.Fatal(err)
		}
		sqlDB := db.SQL()
		param := "?"
		if db.Engine() == store.Postgres {
			param = "$1"
		}
		for _, bad := range []string{
			`DELETE FROM invoices WHERE id = ` + param,
			`UPDATE invoices SET total_incl_tax_cents = 1 WHERE id = ` + param,
			`UPDATE invoices SET lines = '[]', number = 'F2026-999999' WHERE id = ` + param,
			`UPDATE invoices SET customer = '{}' WHERE id = ` + param,
		} {
			if _, err := sqlDB.Exec(bad, inv.ID); err == nil {
				t.Errorf("the schema accepted %s", bad)
			}
		}
		if _, err := sqlDB.Exec(`UPDATE invoices SET status = 'paid' WHERE id = `+param, inv.ID); err != nil {
			t.Errorf("status change refused: %v", err)
		}
		var n int64
		if err := sqlDB.QueryRow(`SELECT total_incl_tax_cents FROM invoices WHERE id = `+param, inv.ID).Scan(&n); err != nil || n != 1200 {
			t.Fatalf("invoice total %d %v", n, err)
		}
		o := order.Order{CustomerID: cust.ID, Status: order.NotPaid, PlanCode: "ECO-1", Range: "ECOGREEN", PlanName: "ECO-1", DurationMonths: 1,
			OSImage: "debian-12", Language: "fr", Currency: "EUR", Scheme: billing.SchemeFrance, ExclTaxCents: 1000, TaxCents: 200,
			InclTaxCents: 1200, CreatedAt: t0}
		if err := db.WithTx(ctx, func(q *store.Q) error { return q.InsertOrder(ctx, &o) }); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{
			`UPDATE orders SET total_incl_tax_cents = 1 WHERE id = ` + param,
			`UPDATE orders SET lines = '[]' WHERE id = ` + param,
			`UPDATE orders SET plan_code = 'ENT-2' WHERE id = ` + param,
		} {
			if _, err := sqlDB.Exec(bad, o.ID); err == nil {
				t.Errorf("the schema accepted %s", bad)
			}
		}
		if _, err := sqlDB.Exec(`UPDATE orders SET status = 'cancelled' WHERE id = `+param, o.ID); err != nil {
			t.Errorf("status change refused: %v", err)
		}
	})
}
