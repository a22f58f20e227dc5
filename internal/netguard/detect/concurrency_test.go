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
// with -race), no lost count. Half of them add in batches, whose passes keep the entries they
// find between two holds of a shard's lock while Track grows the index under them.
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
			if w%2 == 0 {
				for i := range perWriter {
					f.Dst = ips[(i*7+w)%len(ips)]
					d.Add(&f, now)
				}
				return
			}
			batch := make([]netguard.Flow, 0, 64)
			for i := range perWriter {
				f.Dst = ips[(i*7+w)%len(ips)]
				if batch = append(batch, f); len(batch) == cap(batch) || i == perWriter-1 {
					d.AddBatchLane(w, batch, now)
					batch = batch[:0]
				}
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

// Tracking and untracking IPs while a batch is between its passes moves the index's entries
// (it grows, and untracking shifts entries back): the counting pass finds them again, and no
// record is lost or counted for another IP.
func TestAddBatchEntriesMoveBetweenPasses(t *testing.T) {
	t.Parallel()
	d := newDetector(t, detect.Config{Networks: []netip.Prefix{benchNet}})
	ips := hosts(benchNet, 64)
	track(t, d, detect.ProfileDefault, ips...)
	extra := hosts(netip.MustParsePrefix("198.19.0.0/20"), 4000)
	round := 0
	detect.BetweenBatchPasses(d, func() {
		round++
		if round%2 == 1 { // the index grows in every shard
			track(t, d, detect.ProfileWeb, extra...)
			return
		}
		for _, ip := range extra { // entries shift back over the holes
			d.Untrack(ip)
		}
	})
	now := t0.Add(time.Second)
	batch := make([]netguard.Flow, len(ips))
	const rounds, pkts = 6, 5
	for range rounds {
		for i, ip := range ips {
			batch[i] = netguard.Flow{Src: attacker, Dst: ip, Proto: netguard.ProtoUDP, Packets: pkts, Bytes: pkts * 100, Start: t0, End: now}
		}
		d.AddBatch(batch, now)
	}
	if round != rounds {
		t.Fatalf("hook ran %d times, want %d", round, rounds)
	}
	for _, ip := range ips {
		tr, ok := d.Traffic(ip, t0)
		if !ok {
			t.Fatalf("%v not tracked", ip)
		}
		if tr.Total.PPS != rounds*pkts {
			t.Errorf("%v: %d packets/s, want %d", ip, tr.Total.PPS, rounds*pkts)
		}
	}
	if st := d.Stats(); st.Flows != rounds*uint64(len(ips)) {
		t.Errorf("stats %+v, want %d flows", st, rounds*len(ips))
	}
}
