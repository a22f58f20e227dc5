package fleet_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// benchDB is SQLite, or PostgreSQL with ITSGOW_BENCH_ENGINE=postgres.
func benchDB(b *testing.B) *store.DB {
	if os.Getenv("ITSGOW_BENCH_ENGINE") == "postgres" {
		return storetest.OpenPostgres(b)
	}
	return storetest.OpenSQLite(b)
}

func pct(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

// BenchmarkDeliver1000 delivers 1,000 orders requested at once on a simulated datacenter of
// 1,000 machines with zero install time, and reports the total time until all are delivered
// and the p99 end-to-end latency under that burst. Then it measures the platform's overhead
// per delivery without queueing: 1,000 more deliveries one after the other, each timed from
// the Deliver call to the server delivered (store transactions, address allocation, BMC orders
// through the driver, completion, notice, listener job), p50 and p99.
func BenchmarkDeliver1000(b *testing.B) {
	const n = 1000
	for range b.N {
		var mu sync.Mutex
		done := map[int64]time.Time{} // deployment -> end of its deploy job
		wrap := func(kind string, h jobs.Handler) jobs.Handler {
			if kind != fleet.JobDeploy {
				return h
			}
			return func(ctx context.Context, j jobs.Job) error {
				err := h(ctx, j)
				a, _ := jobs.Decode[struct {
					Deployment int64 `json:"deployment"`
				}](j)
				mu.Lock()
				done[a.Deployment] = time.Now()
				mu.Unlock()
				return err
			}
		}
		e := newEnv(b, benchDB(b), options{perProfile: n, install: 0, workers: 32, wrap: wrap})
		ctx := context.Background()
		started := make([]time.Time, n)
		request := func(i int) {
			profile := []string{"ECO-1", "PERF-1"}[i%2]
			_, _, err := e.svc.Deliver(ctx, account.System, fleet.DeliveryRequest{OrderRef: fmt.Sprintf("bench-%d", i),
				CustomerID: e.customer.ID, Plan: profile, Profile: profile, OSImage: "debian-13", SSHKey: edKey})
			if err != nil {
				b.Error(err)
			}
		}
		drain := func() {
			for {
				ran, err := e.runner.Tick(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if ran == 0 {
					return
				}
			}
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				started[i] = time.Now()
				request(i)
			}()
		}
		wg.Wait()
		requested := time.Since(start)
		drain()
		total := time.Since(start)
		servers, err := e.db.Fleet().ListServers(ctx, fleet.ServerFilter{States: []fleet.ServerState{fleet.ServerActive}})
		if err != nil || len(servers) != n {
			b.Fatalf("%d delivered of %d: %v", len(servers), n, err)
		}
		ds, _ := e.db.Fleet().ListDeployments(ctx, fleet.DeployDone, 0)
		lat := make([]time.Duration, 0, n)
		for _, d := range ds {
			srv, _ := e.db.Fleet().GetServer(ctx, d.ServerID)
			var i int
			fmt.Sscanf(srv.OrderRef, "bench-%d", &i)
			lat = append(lat, done[d.ID].Sub(started[i]))
		}
		// one at a time: the overhead of one delivery
		per := make([]time.Duration, 0, n)
		for i := n; i < 2*n; i++ {
			t := time.Now()
			request(i)
			drain()
			per = append(per, time.Since(t))
		}
		b.ReportMetric(float64(total.Milliseconds()), "burst-total-ms")
		b.ReportMetric(float64(requested.Milliseconds()), "burst-requests-ms")
		b.ReportMetric(float64(pct(lat, 0.99).Milliseconds()), "burst-p99-latency-ms")
		b.ReportMetric(float64(pct(per, 0.50).Microseconds())/1000, "p50-ms/delivery")
		b.ReportMetric(float64(pct(per, 0.99).Microseconds())/1000, "p99-ms/delivery")
	}
}

// BenchmarkReconcile100k times one reconcile pass over 100,000 machines in the store, 1 % of
// them observed off while they should be on (1,000 power jobs enqueued), the rest converged
// and freshly observed (the pass between two observation rounds).
func BenchmarkReconcile100k(b *testing.B) {
	const n = 100_000
	db := benchDB(b)
	ctx := context.Background()
	e := newEnv(b, db, options{perProfile: 1})
	now := e.clk.Now()
	err := db.WithTx(ctx, func(q *store.Q) error {
		for i := range n {
			power := fleet.PowerStateOn
			if i%100 == 0 {
				power = fleet.PowerStateOff
			}
			m := fleet.Machine{Serial: fmt.Sprintf("B-%06d", i), Datacenter: "RBX1", Rack: fmt.Sprintf("R%04d", i/40), U: i%40 + 1, HeightU: 1,
				Profile: "PERF-1", BMC: fleet.BMC{Driver: "simlab", Address: "x"}, State: fleet.MachineDeployed, StateSince: now,
				DesiredPower: fleet.PowerStateOn, ObservedPower: power, ObservedAt: now, CreatedAt: now, UpdatedAt: now}
			if err := q.InsertMachine(ctx, &m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		e.clk.Advance(time.Minute) // observations are fresh (observe_every is 5m)
		start := time.Now()
		st, err := e.svc.Reconcile(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "pass-ms")
		if st.Machines < n {
			b.Fatalf("pass saw %d machines", st.Machines)
		}
	}
}

// BenchmarkPlan100k is the pure rule of the pass, without the store.
func BenchmarkPlan100k(b *testing.B) {
	ms := make([]fleet.MachineView, 100_000)
	for i := range ms {
		ms[i] = fleet.MachineView{ID: fleet.MachineID(i), State: fleet.MachineDeployed, DesiredPower: "on", ObservedPower: "on", ObservedAt: t0}
	}
	out := make([]fleet.Action, 0, 1024)
	b.ResetTimer()
	for range b.N {
		out = fleet.Plan(out[:0], ms, t0.Add(time.Minute), 5*time.Minute, 30*time.Minute)
	}
}
