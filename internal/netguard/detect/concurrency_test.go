package detect_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// Several collector goroutines add flows while Tick, Track and the queries run: no race (run
// with -race), no lost count.
func TestConcurrentAdd(t *testing.T) {
	t.Parallel()
	const (
		writers   = 6
		perWriter = 20_000
		pkts      = 3
	)
	d := newDetector(t, detect.Config{Networks: []netip.Prefix{benchNet}})
	ips := hosts(benchNet, 512)
	track(t, d, detect.ProfileDefault, ips...)
	now := t0.Add(time.Second)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			f := netguard.Flow{Src: attacker, Proto: netguard.ProtoUDP, SrcPort: 123, Packets: pkts, Bytes: pkts * 100,
				Start: t0, End: now}
			for i := range perWriter {
				f.Dst = ips[(i*7+w)%len(ips)]
				d.Add(&f, now)
			}
		})
	}
	wg.Go(func() { // the control plane
		extra := hosts(netip.MustParsePrefix("198.19.0.0/24"), 200)
		for i, ip := range extra {
			if err := d.Track(ip, detect.ProfileWeb); err != nil {
				t.Error(err)
			}
			d.Tick(now.Add(time.Duration(i) * time.Millisecond))
			d.LastAboveThreshold(ips[i])
			d.Traffic(ips[i], t0)
			d.Stats()
			if i%2 == 0 {
				d.Untrack(ip)
			}
		}
	})
	wg.Wait()
	st := d.Stats()
	if st.Flows != writers*perWriter || st.Tracked != 512+100 {
		t.Fatalf("stats %+v, want %d flows and 612 tracked", st, writers*perWriter)
	}
	var total uint64
	for _, ip := range ips {
		tr, ok := d.Traffic(ip, t0)
		if !ok {
			t.Fatalf("%v not tracked", ip)
		}
		total += tr.Total.PPS
	}
	if total != writers*perWriter*pkts {
		t.Errorf("%d packets counted, want %d", total, writers*perWriter*pkts)
	}
}
