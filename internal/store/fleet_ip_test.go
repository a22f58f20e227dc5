package store_test

import (
	"context"
	"testing"

	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// Two installations in one PostgreSQL database, each in its own schema (as the tests run in
// parallel), allocate from their own pools: a claim in one never makes the other skip an
// index. The advisory locks behind the claims are database-wide; their key names the schema.
func TestClaimSlotIsPerSchema(t *testing.T) {
	t.Parallel()
	a, b := storetest.OpenPostgres(t), storetest.OpenPostgres(t)
	ctx := context.Background()
	const pool, first, last = 1, 10, 200
	held, release, done := make(chan int64, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- a.WithTx(ctx, func(q *store.Q) error {
			n, ok, err := q.ClaimSlot(ctx, pool, first, last)
			if err != nil || !ok {
				held <- -1
				return err
			}
			held <- n
			<-release // the claim stays held until the transaction ends
			return nil
		})
	}()
	if n := <-held; n != first {
		close(release)
		t.Fatalf("first schema claimed %d, want %d (err %v)", n, first, <-done)
	}
	var got int64
	err := b.WithTx(ctx, func(q *store.Q) error {
		n, ok, err := q.ClaimSlot(ctx, pool, first, last)
		if !ok && err == nil {
			t.Error("no slot")
		}
		got = n
		return err
	})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got != first {
		t.Fatalf("second schema claimed %d while the first held %d in its own pool, want %d", got, first, first)
	}
}
