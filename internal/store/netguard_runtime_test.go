package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// Each process running the collector or edge role keeps one snapshot per kind, replaced at each
// publish; readers get the fresh ones (at or after since) by node, and stopped processes' rows
// are pruned.
func TestNetguardRuntime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		put := func(kind, node string, at time.Time, body string) {
			t.Helper()
			if err := db.PutNetguardRuntime(ctx, store.RuntimeSnapshot{Kind: kind, Node: node, UpdatedAt: at, Body: []byte(body)}); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := db.NetguardRuntime(ctx, "exporters", time.Time{}); err != nil || len(got) != 0 {
			t.Fatalf("empty table: %v %v", got, err)
		}
		put("exporters", "b:2", t0, `[{"Addr":"127.0.0.1"}]`)
		put("exporters", "a:1", t0.Add(-20*time.Second), `[]`)
		put("edge", "b:2", t0, `{"Synced":true,"Error":"é"}`)
		put("exporters", "b:2", t0.Add(5*time.Second), `[{"Addr":"127.0.0.2"}]`) // replaced

		got, err := db.NetguardRuntime(ctx, "exporters", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.RuntimeSnapshot{
			{Kind: "exporters", Node: "a:1", UpdatedAt: store.Trunc(t0.Add(-20 * time.Second)), Body: []byte(`[]`)},
			{Kind: "exporters", Node: "b:2", UpdatedAt: store.Trunc(t0.Add(5 * time.Second)), Body: []byte(`[{"Addr":"127.0.0.2"}]`)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("all snapshots (-want +got):\n%s", diff)
		}
		// Fresh ones: the bound is inclusive, to the microsecond.
		fresh, err := db.NetguardRuntime(ctx, "exporters", t0.Add(5*time.Second))
		if err != nil || len(fresh) != 1 || fresh[0].Node != "b:2" {
			t.Errorf("fresh at the bound: %+v %v", fresh, err)
		}
		if late, err := db.NetguardRuntime(ctx, "exporters", t0.Add(5*time.Second+time.Microsecond)); err != nil || len(late) != 0 {
			t.Errorf("nothing after the bound: %+v %v", late, err)
		}
		edge, err := db.NetguardRuntime(ctx, "edge", t0.Add(-time.Minute))
		if err != nil || len(edge) != 1 || string(edge[0].Body) != `{"Synced":true,"Error":"é"}` {
			t.Errorf("edge: %+v %v", edge, err)
		}

		n, err := db.PruneNetguardRuntime(ctx, t0)
		if err != nil || n != 1 {
			t.Fatalf("prune: %d %v", n, err)
		}
		left, err := db.NetguardRuntime(ctx, "exporters", time.Time{})
		if err != nil || len(left) != 1 || left[0].Node != "b:2" {
			t.Errorf("after prune: %+v %v", left, err)
		}
	})
}
