package detect_test

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// window is how long counters outlive the last record (the rings' 64 seconds) plus a margin.
const window = 70 * time.Second

// benchNet holds the tracked IPs of the memory test and the benchmarks.
var benchNet = netip.MustParsePrefix("198.18.0.0/15")

// hosts returns n addresses of p from its first one.
func hosts(p netip.Prefix, n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	for a := p.Addr(); len(out) < n; a = a.Next() {
		out = append(out, a)
	}
	return out
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// An idle tracked IP costs under 200 bytes, and an IP whose traffic stopped for the whole
// window goes back to that. Not parallel: the heap must hold only this test's allocations
// (parallel tests wait until the sequential ones are done).
func TestMemoryPerIdleIP(t *testing.T) {
	if testing.Short() {
		t.Skip("tracks 100,000 IPs")
	}
	const n = 100_000
	for _, tt := range []struct {
		name string
		net  netip.Prefix
	}{
		{"IPv4", benchNet},
		{"IPv6", netip.MustParsePrefix("2001:db8:4000::/40")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ips := hosts(tt.net, n)
			d := newDetector(t, detect.Config{Networks: []netip.Prefix{tt.net}})
			before := heapAlloc()
			track(t, d, detect.ProfileDefault, ips...)
			idle := float64(heapAlloc()-before) / n
			t.Logf("%s: %.1f bytes per idle tracked IP", tt.name, idle)
			if idle >= 200 {
				t.Errorf("%.1f bytes per idle tracked IP, want < 200", idle)
			}

			// Traffic to every IP, then a silent window: the counters are released.
			now := t0.Add(time.Second)
			for _, ip := range ips {
				f := udp(ip, 53, 100, 100, t0)
				d.Add(&f, now)
			}
			if st := d.Stats(); st.ActiveIPs != n {
				t.Fatalf("%d active IPs, want %d", st.ActiveIPs, n)
			}
			busy := float64(heapAlloc()-before) / n
			t.Logf("%s: %.1f bytes per IP receiving DNS answers (two counters: udp, dns)", tt.name, busy)
			d.Tick(now)
			d.Tick(now.Add(window)) // every IP idle for the whole window
			if st := d.Stats(); st.ActiveIPs != 0 || st.ActivePrefixes != 0 {
				t.Fatalf("after a silent window: %+v", st)
			}
			released := float64(heapAlloc()-before) / n
			t.Logf("%s: %.1f bytes per IP after release (free lists included)", tt.name, released)
			if released >= 200 {
				t.Errorf("%.1f bytes per IP after release, want < 200", released)
			}
			runtime.KeepAlive(d)
		})
	}
}

// Add does not allocate once the destination's counters exist, whatever the record. Not
// parallel: testing.AllocsPerRun refuses to run in a parallel test.
func TestAddDoesNotAllocate(t *testing.T) {
	d := newDetector(t, detect.Config{})
	track(t, d, detect.ProfileDefault, target4, target6)
	long := udp(target4, 123, 60_000, 468, t0)
	long.End = t0.Add(30 * time.Second)
	syn := netguard.Flow{Src: attacker, Dst: target4, Proto: netguard.ProtoTCP, TCPFlags: netguard.TCPSyn,
		Packets: 1000, Bytes: 60_000, Start: t0, End: t0.Add(time.Second)}
	frag := udp(target6, 0, 100, 1400, t0)
	frag.Src, frag.Fragment = netip.MustParseAddr("2001:db8:ffff::1"), true
	flows := []netguard.Flow{
		udp(target4, 53, 100, 100, t0), syn, long, frag,
		udp(netip.MustParseAddr("192.0.2.99"), 53, 100, 100, t0),   // untracked, in the network
		udp(netip.MustParseAddr("203.0.113.99"), 53, 100, 100, t0), // unknown
	}
	now := t0.Add(31 * time.Second)
	for i := range flows {
		d.Add(&flows[i], now)
	}
	// Make the target attacked, so that its top sources are counted too.
	for i := range 3 {
		f := udp(target4, 5555, 1_000_000, 100, now.Add(time.Duration(i)*time.Second))
		d.Add(&f, now.Add(time.Duration(i+1)*time.Second))
		d.Tick(now.Add(time.Duration(i+1) * time.Second))
	}
	now = now.Add(3 * time.Second)
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(10 * time.Millisecond)
		for i := range flows {
			f := &flows[i]
			f.Start, f.End = now.Add(-f.Duration()), now
			d.Add(f, now)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per batch of Add, want 0", allocs)
	}
}
