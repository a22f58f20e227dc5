package detect

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// The space-saving structure finds the exact heavy hitters of a skewed stream, and its index
// stays consistent through many evictions.
func TestTopK(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sources int
		heavy   int // sources 0..heavy-1 carry most packets
	}{
		{"few sources", 10, 3},
		{"exactly cap", topCap, 5},
		{"spoofed flood", 20_000, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, 2))
			var tk topK
			exact := map[u128]uint64{}
			addr := func(i int) u128 { return keyOf(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})) }
			for range 200_000 {
				i := tt.heavy + rng.IntN(tt.sources-tt.heavy)
				if rng.IntN(2) == 0 {
					i = rng.IntN(tt.heavy)
				}
				// Heavier sources send bigger records: source i weighs heavy-i.
				w := uint64(1)
				if i < tt.heavy {
					w = uint64(tt.heavy - i)
				}
				tk.add(addr(i), w)
				exact[addr(i)] += w
			}
			// The index finds every entry.
			for j := range tk.n {
				k := tk.addrs[j]
				found := false
				for s := home(k); tk.index[s] != 0; s = (s + 1) & (topSlots - 1) {
					if tk.addrs[tk.index[s]-1] == k {
						found = true
						break
					}
				}
				if !found {
					t.Fatalf("entry %d not reachable through the index", j)
				}
			}
			top := tk.top(tt.heavy, true)
			for i, s := range top {
				if want := addr(i).addr(true); s.Addr != want {
					t.Fatalf("top[%d] = %v, want %v (%v)", i, s.Addr, want, top)
				}
				if s.Packets < exact[addr(i)] {
					t.Errorf("top[%d] count %d below the exact %d", i, s.Packets, exact[addr(i)])
				}
			}
		})
	}
}

// A record is spread over the seconds it covers, in proportion to the time it spends in each,
// and no packet is lost or created by rounding.
func TestSpread(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		start       time.Duration // from t0
		dur         time.Duration
		pkts        uint64
		now         time.Duration
		wantFirst   int64 // from t0, in seconds
		wantPerSec  []uint64
		wantInRange bool
	}{
		{"instant", 500 * time.Millisecond, 0, 7, 2 * time.Second, 0, []uint64{7}, true},
		{"one second aligned", 0, time.Second, 1000, time.Second, 0, []uint64{1000}, true},
		{"30 s record", 0, 30 * time.Second, 60_000, 30 * time.Second, 0, slices.Repeat([]uint64{2000}, 30), true},
		{"straddles two seconds", 750 * time.Millisecond, 500 * time.Millisecond, 100, 2 * time.Second, 0, []uint64{50, 50}, true},
		{"uneven", 100 * time.Millisecond, 2 * time.Second, 1000, 3 * time.Second, 0, []uint64{450, 500, 50}, true},
		{"rounding keeps the total", 0, 3 * time.Second, 10, 3 * time.Second, 0, []uint64{3, 3, 4}, true},
		{"partly before the window", 0, 100 * time.Second, 100_000, 100 * time.Second, 37, slices.Repeat([]uint64{1000}, 63), true},
		{"entirely before the window", 0, 10 * time.Second, 100, 100 * time.Second, 0, nil, false},
		{"exporter clock ahead", 10 * time.Second, 2 * time.Second, 200, 5 * time.Second, 3, []uint64{100, 100}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := netguard.Flow{Packets: tt.pkts, Bytes: tt.pkts * 100, Start: t0.Add(tt.start), End: t0.Add(tt.start + tt.dur)}
			var sp span
			ok := spanOf(&f, t0.Add(tt.now).UnixNano(), &sp)
			if ok != tt.wantInRange {
				t.Fatalf("in window = %v, want %v", ok, tt.wantInRange)
			}
			if !ok {
				return
			}
			sub := &subject{head: -1 << 62, dirty: 1 << 62}
			var sh shard
			sh.spread(&[2]*subject{sub, nil}, &sp, classes{c: [3]uint8{cUDP}, n: 1})
			base := t0.Unix()
			r := &sub.cnt[cUDP]
			var got []uint64
			var bits uint64
			for s := base + tt.wantFirst; s <= sub.head; s++ {
				p, b, fl := r.at(s)
				if fl != 1 {
					t.Errorf("second %d: %d flows, want the record once", s-base, fl)
				}
				got = append(got, p)
				bits += b
			}
			var sum uint64
			for _, p := range got {
				sum += p
			}
			if bits != sum*800 {
				t.Errorf("%d bits for %d packets of 100 bytes", bits, sum)
			}
			if !slices.Equal(got, tt.wantPerSec) {
				t.Errorf("per second %v, want %v", got, tt.wantPerSec)
			}
			if p, _, _ := r.at(base + tt.wantFirst - 1); p != 0 {
				t.Errorf("%d packets before the first second", p)
			}
		})
	}
}

func TestAddrSet(t *testing.T) {
	t.Parallel()
	s := newAddrSet([]netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("192.0.2.128/25"),
		netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("10.0.0.1/32"),
	})
	tests := map[string]bool{
		"192.0.2.0": true, "192.0.2.255": true, "192.0.3.0": false, "192.0.1.255": false,
		"198.19.255.255": true, "198.20.0.0": false, "10.0.0.1": true, "10.0.0.2": false,
		"2001:db8:ffff::1": true, "2001:db9::": false, "::ffff:192.0.2.1": true, "::": false,
	}
	for a, want := range tests {
		if got := s.contains(keyOf(netip.MustParseAddr(a))); got != want {
			t.Errorf("contains(%s) = %v, want %v", a, got, want)
		}
	}
	if len(s) != 4 {
		t.Errorf("%d ranges, want 4 (the /25 merged into the /24)", len(s))
	}
}

// A record of exactly one second is split over its two seconds as the general 128-bit path
// splits it.
func TestSplit2OneSecond(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		start := int64(1_700_000_000)*1e9 + rng.Int64N(1e9)
		sp := span{startNs: start, endNs: start + 1e9, pkts: rng.Uint64N(1 << 34), bytes: rng.Uint64N(1 << 34)}
		if rng.IntN(4) == 0 {
			sp.pkts, sp.bytes = rng.Uint64N(100), rng.Uint64N(1<<16)
		}
		sp.first = start / 1e9
		a, b := sp.split2()
		off := uint64((sp.first+1)*1e9 - sp.startNs)
		p, _ := mulDiv(sp.pkts, off, 1e9)
		by, _ := mulDiv(sp.bytes, off, 1e9)
		if a != (share{p, by}) || b != (share{sp.pkts - p, sp.bytes - by}) {
			t.Fatalf("split2(%+v) = %v, %v; want %v, %v", sp, a, b, share{p, by}, share{sp.pkts - p, sp.bytes - by})
		}
	}
}
