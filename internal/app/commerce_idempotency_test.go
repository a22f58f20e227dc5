package app_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/itsgow/itsgow/internal/app/apptest"
)

// The same checkout sent eight times at once with one Idempotency-Key makes one order, and its
// payment sent eight times at once with one key makes one payment: the unique index on
// (customer, key) settles the race, not a read before the write.
func TestConcurrentRetriesMakeOneOrderAndOnePayment(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		body := map[string]any{"items": []any{item("ECO-1", 12)}}
		ids := make([]int64, 8)
		status := make([]int, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				o, r := placeOrder(t, e, tok, body, "checkout-race")
				ids[i], status[i] = o.ID, r.Status
			})
		}
		wg.Wait()
		created := 0
		for i := range ids {
			if ids[i] == 0 || ids[i] != ids[0] {
				t.Fatalf("retries answered other orders: %v (status %v)", ids, status)
			}
			if status[i] == 201 {
				created++
			}
		}
		var list struct{ Items []any }
		e.Do(t, "GET", "/api/v1/orders", tok, nil).JSON(t, &list)
		if created != 1 || len(list.Items) != 1 {
			t.Fatalf("%d created answers, %d orders; want 1 and 1 (status %v)", created, len(list.Items), status)
		}
		pays := make([]string, 8)
		hdr := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json", "Idempotency-Key": "pay-race"}
		for i := range pays {
			wg.Go(func() {
				r := e.DoHeaders(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", ids[0]), apptest.MustJSON(map[string]string{"method": "transfer"}), hdr)
				pays[i] = fmt.Sprint(r.Status, " ", string(r.Body))
			})
		}
		wg.Wait()
		for _, p := range pays {
			if p != pays[0] || p[:3] != "202" {
				t.Fatalf("payment retries differ: %q", pays)
			}
		}
		var n int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM payments`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("payments: %d %v, want 1", n, err)
		}
	})
}
