package detect_test

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// refCounter is a class of one IP in the reference model: what every second received, all
// records summed, and the newest second written.
type refCounter struct {
	secs map[int64]*detect.Rate
	head int64
}

// refModel counts flow records per tracked IP, class and second in the most straightforward
// way: maps, and each record split over its seconds in proportion to the time it covers.
type refModel struct {
	ips map[netip.Addr]map[netguard.Vector]*refCounter
}

// refOther names the class of protocols other than TCP, UDP and ICMP, which has no vector.
const refOther = netguard.Vector("other")

func refClasses(f *netguard.Flow) []netguard.Vector {
	var out []netguard.Vector
	switch f.Proto {
	case netguard.ProtoTCP:
		out = append(out, netguard.VectorTCPFlood)
		if f.TCPFlags&(netguard.TCPSyn|netguard.TCPAck) == netguard.TCPSyn {
			out = append(out, netguard.VectorSYNFlood)
		}
	case netguard.ProtoUDP:
		out = append(out, netguard.VectorUDPFlood)
		for _, a := range netguard.Amplifications() {
			if a.Port == f.SrcPort {
				out = append(out, a.Vector)
			}
		}
	case netguard.ProtoICMP, netguard.ProtoICMPv6:
		out = append(out, netguard.VectorICMPFlood)
	default:
		out = append(out, refOther)
	}
	if f.Fragment {
		out = append(out, netguard.VectorFragments)
	}
	return out
}

func refFloor(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// part is floor(total*off/dur).
func part(total, off, dur uint64) uint64 {
	hi, lo := bits.Mul64(total, off)
	q, _ := bits.Div64(hi, lo, dur)
	return q
}

func (r *refModel) add(f *netguard.Flow, now time.Time) {
	classes, ok := r.ips[f.Dst.Unmap()]
	if !ok {
		return
	}
	nowNs := now.UnixNano()
	endNs, startNs := nowNs, nowNs
	if !f.End.IsZero() {
		endNs = f.End.UnixNano()
	}
	startNs = endNs
	if !f.Start.IsZero() && f.Start.UnixNano() < endNs {
		startNs = f.Start.UnixNano()
	}
	if endNs > nowNs {
		startNs -= endNs - nowNs
		endNs = nowNs
	}
	startSec := refFloor(startNs, 1e9)
	endSec := startSec
	if endNs > startNs {
		endSec = refFloor(endNs-1, 1e9)
	}
	minSec := refFloor(nowNs, 1e9) - 63
	if endSec < minSec {
		return
	}
	first := max(startSec, minSec)
	for _, v := range refClasses(f) {
		c := classes[v]
		if c == nil {
			c = &refCounter{secs: map[int64]*detect.Rate{}, head: math.MinInt64}
			classes[v] = c
		}
		c.head = max(c.head, endSec)
		for s := first; s <= endSec; s++ {
			var p, b uint64
			if startSec == endSec {
				p, b = f.Packets, f.Bytes
			} else {
				dur := uint64(endNs - startNs)
				from := uint64(max(startNs, s*1e9) - startNs)
				to := min(uint64((s+1)*1e9-startNs), dur)
				p = part(f.Packets, to, dur) - part(f.Packets, from, dur)
				b = part(f.Bytes, to, dur) - part(f.Bytes, from, dur)
			}
			rt := c.secs[s]
			if rt == nil {
				rt = &detect.Rate{}
				c.secs[s] = rt
			}
			rt.PPS += p
			rt.BPS += 8 * b
			rt.FPS++
		}
	}
}

// at returns what the rings of a detector show for ip in second s.
func (r *refModel) at(ip netip.Addr, s int64) detect.Traffic {
	tr := detect.Traffic{Classes: map[netguard.Vector]detect.Rate{}}
	for v, c := range r.ips[ip] {
		rt := c.secs[s]
		if rt == nil || s <= c.head-64 || s > c.head {
			continue
		}
		got := *rt
		got.PPS = min(got.PPS, math.MaxUint32) // a second's packets saturate at 2^32-1
		if got.PPS == 0 && got.BPS == 0 && got.FPS == 0 {
			continue
		}
		switch v {
		case netguard.VectorTCPFlood, netguard.VectorUDPFlood, netguard.VectorICMPFlood, refOther:
			tr.Total.PPS += got.PPS
			tr.Total.BPS += got.BPS
			tr.Total.FPS += got.FPS
		}
		if v != refOther {
			tr.Classes[v] = got
		}
	}
	return tr
}

// The detector's per-second counts (hot cells and rings together) equal those of a
// straightforward reference over random records: one- and two-second records (the cells), late
// ones, sFlow samples, long, stale, future, untracked and unknown ones, every class, counts too
// large for a cell, IPs under attack (their records go to the rings), untracked and tracked
// again, through Add and AddBatch, with Tick and queries between them.
func TestCellsMatchReference(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			testCellsMatchReference(t, seed)
		})
	}
}

func testCellsMatchReference(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	cfg := detect.Config{Profiles: map[string]detect.Profile{"low": onlyUDP(20_000)}}
	d := newDetector(t, cfg)
	rd := newDetector(t, cfg) // the same, counting in its rings alone
	detect.CountInRingsOnly(rd)
	ref := &refModel{ips: map[netip.Addr]map[netguard.Vector]*refCounter{}}
	var ips []netip.Addr
	for i := range 40 {
		ips = append(ips, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	for i := range 8 {
		ips = append(ips, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: byte(i)}))
	}
	trackIP := func(ip netip.Addr) {
		prof := detect.ProfileDefault
		if rng.IntN(4) == 0 {
			prof = "low" // attacked soon: its top sources are counted
		}
		track(t, d, prof, ip)
		track(t, rd, prof, ip)
		ref.ips[ip] = map[netguard.Vector]*refCounter{}
	}
	for _, ip := range ips {
		trackIP(ip)
	}
	amps := netguard.Amplifications()
	record := func(now time.Time) netguard.Flow {
		dst := ips[rng.IntN(len(ips))]
		if rng.IntN(8) == 0 {
			dst = ips[0] // many records: its cells fill up
		}
		switch rng.IntN(30) {
		case 0:
			dst = netip.MustParseAddr("192.0.2.200") // untracked, in the network
		case 1:
			dst = netip.MustParseAddr("203.0.113.99") // unknown
		}
		pkts := uint64(1 + rng.IntN(3000))
		f := netguard.Flow{Src: attacker, Dst: dst, SrcPort: uint16(1024 + rng.IntN(60000)), DstPort: 443,
			Proto: netguard.ProtoTCP, TCPFlags: netguard.TCPAck, Packets: pkts, Bytes: pkts * uint64(40+rng.IntN(1460))}
		switch rng.IntN(8) {
		case 0:
			f.TCPFlags = netguard.TCPSyn
		case 1, 2:
			f.Proto = netguard.ProtoUDP
		case 3:
			f.Proto, f.SrcPort = netguard.ProtoUDP, amps[rng.IntN(4)].Port
		case 4:
			f.Proto = netguard.ProtoICMP
			if dst.Is6() {
				f.Proto = netguard.ProtoICMPv6
			}
		case 5:
			f.Proto = 47 // GRE: rings only
		}
		if rng.IntN(6) == 0 {
			f.Fragment = true
		}
		switch rng.IntN(40) {
		case 0:
			f.Packets = 1<<32 + uint64(rng.IntN(1000)) // more than a cell holds
		case 1:
			f.Bytes = 3<<30 + uint64(rng.IntN(1<<20)) // a cell overflows soon
		case 2:
			f.Packets = math.MaxUint32 - 10
		}
		end := now.Add(-time.Duration(rng.IntN(2500)) * time.Millisecond) // late by up to 2.5 s
		switch rng.IntN(12) {
		case 0: // an sFlow sample
		case 1: // long
			f.Start, f.End = end.Add(-time.Duration(2+rng.IntN(40))*time.Second), end
		case 2: // stale
			f.Start, f.End = now.Add(-71*time.Second), now.Add(-70*time.Second)
		case 3: // the exporter's clock is ahead
			f.End = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			f.Start = f.End.Add(-time.Second)
		case 4: // on a second
			f.End = end.Truncate(time.Second)
			f.Start = f.End.Add(-time.Second)
		default: // one second, across two
			f.Start, f.End = end.Add(-time.Second), end
		}
		return f
	}
	check := func(now time.Time) {
		t.Helper()
		nowSec := now.Unix()
		for _, ip := range ips {
			for s := nowSec - 70; s <= nowSec+2; s++ {
				got, ok := d.Traffic(ip, time.Unix(s, 0))
				if !ok {
					t.Fatalf("%s not tracked", ip)
				}
				if want := ref.at(ip, s); !equalTraffic(got, want) {
					t.Fatalf("%s second %d (now %d): got %+v, want %+v", ip, s, nowSec, got, want)
				}
				if rings, _ := rd.Traffic(ip, time.Unix(s, 0)); !equalTraffic(got, rings) {
					t.Fatalf("%s second %d (now %d): got %+v, rings alone %+v", ip, s, nowSec, got, rings)
				}
			}
		}
	}
	now := t0
	var batch []netguard.Flow
	for step := range 400 {
		now = now.Add(time.Duration(rng.IntN(400)) * time.Millisecond)
		batch = batch[:0]
		for range rng.IntN(120) {
			batch = append(batch, record(now))
		}
		for i := range batch {
			ref.add(&batch[i], now)
		}
		if rng.IntN(2) == 0 {
			// A lane of the prefix aggregates' cells, as a collector goroutine takes.
			d.AddBatchLane(rng.IntN(6), batch, now)
		} else {
			for i := range batch {
				d.Add(&batch[i], now)
			}
		}
		rd.AddBatch(batch, now)
		if rng.IntN(3) > 0 {
			got, want := d.Tick(now), rd.Tick(now)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d: events\n%+v\nrings alone:\n%+v", step, got, want)
			}
			if got, want := d.Stats(), rd.Stats(); got != want {
				t.Fatalf("step %d: stats %+v, rings alone %+v", step, got, want)
			}
		}
		switch {
		case rng.IntN(60) == 0: // forget an IP and track it again
			ip := ips[1+rng.IntN(len(ips)-1)]
			d.Untrack(ip)
			rd.Untrack(ip)
			trackIP(ip)
		case step%97 == 96:
			check(now)
		}
	}
	check(now)
	if st := d.Stats(); st.Attacks == 0 || st.Flows == 0 {
		t.Errorf("no attack: the counting of top sources was not exercised (%+v)", st)
	}
}

func equalTraffic(a, b detect.Traffic) bool {
	if a.Total != b.Total || len(a.Classes) != len(b.Classes) {
		return false
	}
	for v, r := range a.Classes {
		if b.Classes[v] != r {
			return false
		}
	}
	return true
}
