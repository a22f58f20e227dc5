package store_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// BenchmarkInsertTraffic writes what the per-IP traffic series hands the store every 10 s with
// 100,000 active IPs: 100,000 points of the 10 s scale, in the batches of 500 the watch loop
// uses. The points/s metric says how many active IPs a store keeps up with (points/s x 10).
// PostgreSQL runs when ITSGOW_TEST_POSTGRES_URL is set (make bench-store starts one).
func BenchmarkInsertTraffic(b *testing.B) {
	const ips, batch = 100_000, 500
	run := func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		pts := make([]netguard.TrafficPoint, ips)
		for i := range pts {
			pts[i] = netguard.TrafficPoint{IP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}).Next(), Scale: netguard.Scale10s,
				In: netguard.Rate{BPS: uint64(8_000_000 + i), PPS: uint64(1000 + i)}, Out: netguard.Rate{BPS: 4_000_000, PPS: 500}}
		}
		at := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		s := db.Netguard()
		b.ResetTimer()
		for b.Loop() {
			at = at.Add(10 * time.Second)
			for i := range pts {
				pts[i].At = at
			}
			for rest := pts; len(rest) > 0; {
				n := min(len(rest), batch)
				if err := s.InsertTraffic(ctx, rest[:n]); err != nil {
					b.Fatal(err)
				}
				rest = rest[n:]
			}
		}
		b.ReportMetric(float64(ips*b.N)/b.Elapsed().Seconds(), "points/s")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		if storetest.PostgresURL() == "" {
			b.Skip("ITSGOW_TEST_POSTGRES_URL is not set")
		}
		run(b, storetest.OpenPostgres(b))
	})
}
