package mitigation

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Filter is what the edge drops of an IP's traffic, as the traffic series estimate it: the
// flows matching the mitigation's vectors at level 1, what exceeds the rate limit of the rest
// at level 2, everything at level 3.
type Filter struct {
	Level   int
	Matches []netguard.VectorMatch
	// Limited: the rest of the traffic is rate-limited to RateLimit bytes per second (level 2,
	// or the ip-flood and tcp-flood vectors, which the edge rate-limits instead of dropping).
	Limited   bool
	RateLimit uint64
}

// FilterOf returns the filter of a mitigation.
func FilterOf(m netguard.Mitigation, rateLimit uint64) Filter {
	if !m.Active() || m.Level == netguard.LevelNone {
		return Filter{}
	}
	f := Filter{Level: m.Level, Limited: m.Level >= netguard.LevelRateLimit, RateLimit: rateLimit}
	for _, v := range m.Vectors {
		if v == netguard.VectorIPFlood || v == netguard.VectorTCPFlood {
			f.Limited = true
			continue
		}
		if vm, ok := v.Match(); ok {
			f.Matches = append(f.Matches, vm)
		}
	}
	return f
}

// drops reports whether the edge discards fl.
func (f *Filter) drops(fl *netguard.Flow) bool {
	if f.Level >= netguard.LevelBlackhole {
		return true
	}
	for i := range f.Matches {
		m := &f.Matches[i]
		switch {
		case m.Proto != 0 && m.Proto != fl.Proto && !(m.Proto == netguard.ProtoICMP && fl.Proto == netguard.ProtoICMPv6):
		case m.SrcPort != 0 && m.SrcPort != fl.SrcPort:
		case m.SYN && (fl.TCPFlags&netguard.TCPSyn == 0 || fl.TCPFlags&netguard.TCPAck != 0):
		case m.Fragment && !fl.Fragment:
		default:
			return true
		}
	}
	return false
}

const (
	bucketSecs  = 10
	ringBuckets = 16 // 160 s: records up to 90 s long, and the delay (at most 2 min)
	ringMask    = ringBuckets - 1
	seriesShard = 64
	filterBits  = 1 << 20 // the tracked-address prefilter: 128 KiB
	netBits     = 1 << 16 // the tracked-network prefilter (/24, /48): 8 KiB, in the L1 cache
)

// counts are the bytes and packets of one interval; packets saturate at 2^32-1 per interval.
type counts struct {
	inB, dropB, outB uint64
	inP, dropP, outP uint32
}

func sat(a uint32, b uint64) uint32 {
	if s := uint64(a) + b; s < math.MaxUint32 {
		return uint32(s)
	}
	return math.MaxUint32
}

func (c *counts) add(o counts) {
	c.inB += o.inB
	c.dropB += o.dropB
	c.outB += o.outB
	c.inP = sat(c.inP, uint64(o.inP))
	c.dropP = sat(c.dropP, uint64(o.dropP))
	c.outP = sat(c.outP, uint64(o.outP))
}

func (c counts) zero() bool { return c == counts{} }

type bucket struct {
	idx int32 // 10-second interval number (Unix seconds / 10)
	// dirty: counted into since its point was last handed out; sent: handed out at least once.
	dirty, sent bool
	counts
}

type rollup struct {
	idx int64 // interval number at its scale
	counts
}

// ipSeries is the traffic of one tracked IP that had some; about 700 bytes.
type ipSeries struct {
	filter  Filter
	buckets [ringBuckets]bucket
	m1, m5  rollup
	// sh is the shard whose lock guards the series, and gone says (under that lock) that the
	// shard dropped it (the IP untracked, or idle): a memo handed to the detector
	// (detect.TrafficSink) is then looked up again.
	sh   *seriesShardT
	gone bool
}

type seriesShardT struct {
	mu sync.Mutex
	// ips holds the tracked IPs; the value is nil until the IP has traffic.
	ips map[[16]byte]*ipSeries
	// filters holds the filter of IPs that have no series yet.
	filters map[[16]byte]Filter
	_       [40]byte // keep shards on their own cache lines
}

// LiveDelay is how long after an interval ends Series.Flush first hands out its point: the
// chart of an IP under attack shows each 10-second interval about a second after it ends.
const LiveDelay = time.Second

// Series accumulates the traffic of the tracked IPs in 10-second intervals, rolled up to 1
// and 5 minutes, and hands out their points (Flush) to be written in batches: each interval
// LiveDelay after it ends, again at the end of each later interval if late records (long
// NetFlow records arrive a minute after they start) amended it, and a last time, if it
// changed, the delay after it ends, when it is complete and rolled up. The store replaces a
// point written again, so a chart is live and ends up exact; each point is written at most
// once every 10 seconds.
// Add is safe for concurrent use and takes no global lock: a lock-free prefilter rejects most
// untracked addresses (the attack's sources), then one shard lock per tracked address. An idle
// tracked IP costs one map entry; one with traffic about 700 bytes.
type Series struct {
	delay  time.Duration
	shards [seriesShard]seriesShardT
	// filter is a bitset of the hashes of the tracked addresses, replaced by Track; nets one of
	// their networks (/24, /48), small enough to stay in the L1 cache, checked first: most
	// sources are in no tracked network.
	filter atomic.Pointer[[]uint64]
	nets   atomic.Pointer[[]uint64]
	// filtered is the same for the tracked addresses with a filter (SetFilters), and
	// anyFiltered says whether there is one (most of the time there is none).
	filtered    atomic.Pointer[[]uint64]
	anyFiltered atomic.Bool

	fmu     sync.Mutex // serialises Flush
	flushed int64      // 10-second intervals below this are complete and rolled up
	live    int64      // 10-second intervals below this were handed out at least once
}

// NewSeries returns an empty Series whose intervals are complete delay after they end.
func NewSeries(delay time.Duration) *Series {
	s := &Series{delay: max(delay, LiveDelay), flushed: math.MinInt64, live: math.MinInt64}
	for i := range s.shards {
		s.shards[i].ips = map[[16]byte]*ipSeries{}
		s.shards[i].filters = map[[16]byte]Filter{}
	}
	empty := make([]uint64, filterBits/64)
	s.filter.Store(&empty)
	noNet := make([]uint64, netBits/64)
	s.nets.Store(&noNet)
	none := make([]uint64, filterBits/64)
	s.filtered.Store(&none)
	return s
}

// keyOf returns the map key of a (IPv4 as IPv4-mapped) and its hash.
func keyOf(a netip.Addr) ([16]byte, uint64) {
	k := a.As16()
	h := (binary.LittleEndian.Uint64(k[:8])*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(k[8:])) * 0xbf58476d1ce4e5b9
	return k, h ^ h>>31
}

func (s *Series) shardOf(h uint64) *seriesShardT { return &s.shards[h>>58] }

func (s *Series) maybeTracked(h uint64) bool { return inBits(*s.filter.Load(), h) }

// netHash hashes the network of a (its /24, or /48 for IPv6) for the nets prefilter.
func netHash(a netip.Addr) uint64 {
	var n uint64
	if a.Is4() {
		b := a.As4()
		n = uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2])
	} else {
		b := a.As16()
		n = 1<<63 | binary.BigEndian.Uint64(b[:8])>>16
	}
	h := n * 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// maybeInTrackedNet reports whether a tracked address may share a's network.
func (s *Series) maybeInTrackedNet(a netip.Addr) bool {
	bits := *s.nets.Load()
	i := netHash(a) & (netBits - 1)
	return bits[i/64]&(1<<(i%64)) != 0
}

func (s *Series) maybeFiltered(h uint64) bool { return inBits(*s.filtered.Load(), h) }

func inBits(bits []uint64, h uint64) bool {
	i := (h >> 7) & (filterBits - 1)
	return bits[i/64]&(1<<(i%64)) != 0
}

func setBit(bits []uint64, h uint64) {
	i := (h >> 7) & (filterBits - 1)
	bits[i/64] |= 1 << (i % 64)
}

func addrOf(k [16]byte) netip.Addr { return netip.AddrFrom16(k).Unmap() }

// Track makes the set of tracked IPs exactly ips; the series of IPs still tracked are kept.
func (s *Series) Track(ips []netip.Addr) {
	bits := make([]uint64, filterBits/64)
	want := make([]map[[16]byte]bool, seriesShard)
	for i := range want {
		want[i] = map[[16]byte]bool{}
	}
	nets := make([]uint64, netBits/64)
	for _, ip := range ips {
		ip = ip.Unmap()
		k, h := keyOf(ip)
		want[h>>58][k] = true
		setBit(bits, h)
		i := netHash(ip) & (netBits - 1)
		nets[i/64] |= 1 << (i % 64)
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, ser := range sh.ips {
			if !want[i][k] {
				if ser != nil {
					ser.gone = true
				}
				delete(sh.ips, k)
				delete(sh.filters, k)
			}
		}
		for k := range want[i] {
			if _, ok := sh.ips[k]; !ok {
				sh.ips[k] = nil
			}
		}
		sh.mu.Unlock()
	}
	s.filter.Store(&bits)
	s.nets.Store(&nets)
}

// Tracked reports the number of tracked IPs.
func (s *Series) Tracked() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.ips)
		sh.mu.Unlock()
	}
	return n
}

// SetFilters sets the filter of every tracked IP: those in fs, and none for the others.
func (s *Series) SetFilters(fs map[netip.Addr]Filter) {
	byKey := make(map[[16]byte]Filter, len(fs))
	bits := make([]uint64, filterBits/64)
	anyFiltered := false
	for ip, f := range fs {
		k, h := keyOf(ip.Unmap())
		byKey[k] = f
		if f.Level != 0 {
			setBit(bits, h)
			anyFiltered = true
		}
	}
	// Set first: a record counted between the two sees a filter that is not there yet, or
	// misses none that is.
	s.filtered.Store(&bits)
	s.anyFiltered.Store(anyFiltered)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		clear(sh.filters)
		for k, ser := range sh.ips {
			f := byKey[k]
			if ser != nil {
				ser.filter = f
			} else if f.Level != 0 {
				sh.filters[k] = f
			}
		}
		sh.mu.Unlock()
	}
}

// Add counts one flow record received at now: as incoming (and maybe dropped) traffic of its
// destination and as outgoing traffic of its source, when they are tracked. The record is
// spread over the 10-second intervals it covers.
func (s *Series) Add(f *netguard.Flow, now time.Time) {
	if f.Packets == 0 && f.Bytes == 0 {
		return
	}
	dst, src := f.Dst.Unmap(), f.Src.Unmap()
	s.add(dst, f, now, sideIn)
	s.add(src, f, now, sideOut)
}

// The traffic series and the detector count the same inbound records: when the detector feeds
// a Series (detect.TrafficSink: AddSecond with the seconds of its hot cells as it flushes them,
// AddRecord with the records it counts in its rings), the collector's path gives each record to
// AddSide only, for what the detector does not count: the outgoing traffic of tracked sources
// and what the edge drops of filtered IPs. Add does all three, for a Series used alone.

// AddSecond counts the incoming traffic of ip in second sec (detect.TrafficSink). memo, what
// the previous call for ip returned (nil at first), spares the lookup of ip's series: the
// detector keeps it with the IP's counters.
func (s *Series) AddSecond(memo any, ip netip.Addr, sec int64, pkts, bytes uint64) any {
	if pkts == 0 && bytes == 0 {
		return memo
	}
	ser, sh := s.memoized(memo, ip)
	if ser == nil {
		return nil
	}
	defer sh.mu.Unlock()
	ser.put(sec/bucketSecs, bytes, pkts, sideInOnly)
	return ser
}

// AddRecord counts record f as incoming traffic of its destination, without what the edge
// drops of it (detect.TrafficSink); memo is AddSecond's.
func (s *Series) AddRecord(memo any, f *netguard.Flow, now time.Time) any {
	if f.Packets == 0 && f.Bytes == 0 {
		return memo
	}
	ser, sh := s.memoized(memo, f.Dst.Unmap())
	if ser == nil {
		return nil
	}
	defer sh.mu.Unlock()
	ser.count(f, now, sideInOnly)
	return ser
}

// memoized is lookup through a memo of AddSecond or AddRecord: the series it names while its
// shard keeps it, else ip's.
func (s *Series) memoized(memo any, ip netip.Addr) (*ipSeries, *seriesShardT) {
	if ser, ok := memo.(*ipSeries); ok {
		sh := ser.sh
		sh.mu.Lock()
		if !ser.gone {
			return ser, sh
		}
		sh.mu.Unlock()
	}
	if !ip.IsValid() {
		return nil, nil
	}
	return s.lookup(ip)
}

// AddSide counts what of record f the detector feeding s does not: the outgoing traffic of its
// source, and what the edge drops of it when its destination has a filter. A lock-free
// prefilter rejects the records that have neither, most of them.
func (s *Series) AddSide(f *netguard.Flow, now time.Time) {
	if f.Packets == 0 && f.Bytes == 0 {
		return
	}
	if s.anyFiltered.Load() {
		if dst := f.Dst.Unmap(); dst.IsValid() {
			if _, h := keyOf(dst); s.maybeFiltered(h) {
				s.add(dst, f, now, sideDropped)
			}
		}
	}
	s.add(f.Src.Unmap(), f, now, sideOut)
}

// side is what a record counts as for one of its addresses.
type side uint8

const (
	sideIn        side = iota // incoming, and dropped when the IP's filter drops it
	sideOut                   // outgoing
	sideInOnly                // incoming, without the drops
	sideDropped               // dropped only, when the IP's filter drops it
	sideInDropped             // incoming and dropped
)

// lookup locks the shard of ip and returns the IP's series (made on its first traffic) and the
// shard, which the caller unlocks; nil, with nothing locked, when ip is not tracked.
func (s *Series) lookup(ip netip.Addr) (*ipSeries, *seriesShardT) {
	if !s.maybeInTrackedNet(ip) {
		return nil, nil
	}
	k, h := keyOf(ip)
	if !s.maybeTracked(h) {
		return nil, nil
	}
	sh := s.shardOf(h)
	sh.mu.Lock()
	ser := sh.series(k)
	if ser == nil {
		sh.mu.Unlock()
		return nil, nil
	}
	return ser, sh
}

// series returns the series of the tracked k (made on its first traffic), or nil when k is not
// tracked; sh is locked.
func (sh *seriesShardT) series(k [16]byte) *ipSeries {
	ser, ok := sh.ips[k]
	if !ok {
		return nil
	}
	if ser == nil {
		ser = &ipSeries{filter: sh.filters[k], sh: sh}
		delete(sh.filters, k)
		sh.ips[k] = ser
	}
	return ser
}

func (s *Series) add(ip netip.Addr, f *netguard.Flow, now time.Time, sd side) {
	if !ip.IsValid() {
		return
	}
	ser, sh := s.lookup(ip)
	if ser == nil {
		return
	}
	defer sh.mu.Unlock()
	ser.count(f, now, sd)
}

// count counts record f, received at now, as sd; its shard is locked.
func (ser *ipSeries) count(f *netguard.Flow, now time.Time, sd side) {
	dropped := (sd == sideIn || sd == sideDropped) && ser.filter.Level != 0 && ser.filter.drops(f)
	switch {
	case sd == sideIn && dropped:
		sd = sideInDropped
	case sd == sideIn:
		sd = sideInOnly
	case sd == sideDropped && !dropped:
		return
	}
	end := f.End
	if end.IsZero() || end.After(now) {
		end = now
	}
	start := f.Start
	if start.IsZero() || start.After(end) {
		start = end
	}
	nowIdx := now.Unix() / bucketSecs
	first, last := start.Unix()/bucketSecs, end.Unix()/bucketSecs
	oldest := nowIdx - ringBuckets + 1
	if first == last {
		if first >= oldest {
			ser.put(first, f.Bytes, f.Packets, sd)
		}
		return
	}
	// Spread in proportion to the time covered in each interval.
	total := end.Sub(start)
	var doneB, doneP uint64
	for idx := first; idx <= last; idx++ {
		from, to := start, end
		if b := time.Unix(idx*bucketSecs, 0); b.After(from) {
			from = b
		}
		if e := time.Unix((idx+1)*bucketSecs, 0); e.Before(to) {
			to = e
		}
		var b, p uint64
		if idx == last {
			b, p = f.Bytes-doneB, f.Packets-doneP
		} else {
			share := float64(to.Sub(from)) / float64(total)
			b, p = uint64(float64(f.Bytes)*share), uint64(float64(f.Packets)*share)
		}
		doneB, doneP = doneB+b, doneP+p
		if idx >= oldest {
			ser.put(idx, b, p, sd)
		}
	}
}

func (ser *ipSeries) put(idx int64, b, p uint64, sd side) {
	if b == 0 && p == 0 {
		return
	}
	bk := &ser.buckets[idx&ringMask]
	if int64(bk.idx) != idx {
		if int64(bk.idx) > idx && bk.idx != 0 {
			return // older than the ring: its interval is long complete
		}
		*bk = bucket{idx: int32(idx)} // an older interval nobody flushed is overwritten
	}
	bk.dirty = true
	switch sd {
	case sideOut:
		bk.outB += b
		bk.outP = sat(bk.outP, p)
	case sideInDropped:
		bk.inB += b
		bk.inP = sat(bk.inP, p)
		bk.dropB += b
		bk.dropP = sat(bk.dropP, p)
	case sideDropped:
		bk.dropB += b
		bk.dropP = sat(bk.dropP, p)
	default:
		bk.inB += b
		bk.inP = sat(bk.inP, p)
	}
}

// Flush returns the points to write at now, once per interval end (LiveDelay after it; nil
// in between): the 10-second points of intervals that ended and were never handed out or
// changed since, the 1- and 5-minute points of roll-ups that ended (provisional until
// complete, written again when they changed), and, for the intervals that ended at least the
// delay before now, their complete points; sorted by IP, scale and time. IPs without traffic
// give no point.
func (s *Series) Flush(now time.Time) []netguard.TrafficPoint {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	w := window{finalTo: now.Add(-s.delay).Unix() / bucketSecs, liveTo: now.Add(-LiveDelay).Unix() / bucketSecs}
	if s.flushed == math.MinInt64 || s.flushed < w.finalTo-ringBuckets {
		s.flushed = w.finalTo - ringBuckets
	}
	if s.live < s.flushed {
		s.live = s.flushed
	}
	w.finalFrom, w.liveFrom = s.flushed, s.live
	w.finalTo, w.liveTo = max(w.finalTo, w.finalFrom), max(w.liveTo, w.liveFrom)
	if w.finalTo == w.finalFrom && w.liveTo == w.liveFrom {
		return nil
	}
	s.flushed, s.live = w.finalTo, w.liveTo
	var out []netguard.TrafficPoint
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, ser := range sh.ips {
			if ser == nil {
				continue
			}
			out = ser.flush(addrOf(k), w, out)
			if ser.idle(w.finalTo) {
				if ser.filter.Level != 0 {
					sh.filters[k] = ser.filter
				}
				ser.gone = true
				sh.ips[k] = nil
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b netguard.TrafficPoint) int {
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		if a.Scale != b.Scale {
			return int(a.Scale.Duration() - b.Scale.Duration())
		}
		return a.At.Compare(b.At)
	})
	return out
}

// window is what one Flush does, in 10-second interval numbers: [finalFrom, finalTo) become
// complete, [liveFrom, liveTo) end; intervals below liveTo and from finalFrom may be amended.
type window struct {
	finalFrom, finalTo, liveFrom, liveTo int64
}

// effective returns the counts of bk with what the rate limit drops.
func (ser *ipSeries) effective(bk *bucket) counts {
	c := bk.counts
	// Fed by a detector, the incoming traffic of a second arrives when the detector flushes its
	// cells (at its next Tick) and the drops with each record: for a moment a live point may
	// hold drops whose incoming traffic is still in the detector. Never more dropped than came
	// in; the point is written again once both are there.
	c.dropB, c.dropP = min(c.dropB, c.inB), min(c.dropP, c.inP)
	if ser.filter.Limited && ser.filter.RateLimit > 0 {
		// What the rest of the traffic carries beyond the rate limit is dropped too.
		restB, restP := c.inB-c.dropB, c.inP-c.dropP
		if allowed := ser.filter.RateLimit * bucketSecs; restB > allowed {
			exB := restB - allowed
			c.dropB += exB
			c.dropP = sat(c.dropP, uint64(float64(restP)*float64(exB)/float64(restB)))
		}
	}
	return c
}

// at returns the bucket of interval idx, or nil when the ring holds another.
func (ser *ipSeries) at(idx int64) *bucket {
	if bk := &ser.buckets[idx&ringMask]; int64(bk.idx) == idx {
		return bk
	}
	return nil
}

// flush appends the points of ser for w.
func (ser *ipSeries) flush(ip netip.Addr, w window, out []netguard.TrafficPoint) []netguard.TrafficPoint {
	// The roll-ups that ended but are not complete, and whether a record changed them.
	type pending struct {
		scale   netguard.Scale
		n, idx  int64 // 10-second intervals per roll-up, roll-up number
		changed bool
	}
	var pend [4]pending
	np := 0
	for _, r := range [...]struct {
		scale netguard.Scale
		n     int64
	}{{netguard.Scale1m, 6}, {netguard.Scale5m, 30}} {
		for idx := w.finalTo / r.n; (idx+1)*r.n <= w.liveTo && np < len(pend); idx++ {
			if (idx+1)*r.n <= w.finalTo {
				continue
			}
			p := pending{scale: r.scale, n: r.n, idx: idx, changed: (idx+1)*r.n > w.liveFrom}
			for i := max(idx*r.n, w.finalFrom, w.liveTo-ringBuckets); i < (idx+1)*r.n && !p.changed; i++ {
				if bk := ser.at(i); bk != nil && bk.dirty {
					p.changed = true
				}
			}
			pend[np] = p
			np++
		}
	}
	// Complete intervals: their last point, then their roll-ups.
	for idx := w.finalFrom; idx < w.finalTo; idx++ {
		bk := ser.at(idx)
		if bk == nil || bk.zero() {
			continue
		}
		c := ser.effective(bk)
		if bk.dirty || !bk.sent {
			out = append(out, point(ip, netguard.Scale10s, idx*bucketSecs, c))
		}
		*bk = bucket{}
		out = ser.m1.push(ip, netguard.Scale1m, idx/6, c, out)
		out = ser.m5.push(ip, netguard.Scale5m, idx/30, c, out)
	}
	// Roll-ups whose last 10-second interval is complete are complete.
	if ser.m1.idx != 0 && !ser.m1.zero() && (ser.m1.idx+1)*6 <= w.finalTo {
		out = append(out, point(ip, netguard.Scale1m, ser.m1.idx*60, ser.m1.counts))
		ser.m1 = rollup{}
	}
	if ser.m5.idx != 0 && !ser.m5.zero() && (ser.m5.idx+1)*30 <= w.finalTo {
		out = append(out, point(ip, netguard.Scale5m, ser.m5.idx*300, ser.m5.counts))
		ser.m5 = rollup{}
	}
	// Ended intervals, not complete yet: new or amended points.
	for idx := max(w.finalTo, w.liveTo-ringBuckets); idx < w.liveTo; idx++ {
		if bk := ser.at(idx); bk != nil && bk.dirty {
			if !bk.zero() {
				out = append(out, point(ip, netguard.Scale10s, idx*bucketSecs, ser.effective(bk)))
			}
			bk.dirty, bk.sent = false, true
		}
	}
	for _, p := range pend[:np] {
		if !p.changed {
			continue
		}
		var c counts
		r := &ser.m1
		if p.scale == netguard.Scale5m {
			r = &ser.m5
		}
		if r.idx == p.idx {
			c = r.counts
		}
		for i := max(p.idx*p.n, w.finalTo, w.liveTo-ringBuckets); i < (p.idx+1)*p.n; i++ {
			if bk := ser.at(i); bk != nil {
				c.add(ser.effective(bk))
			}
		}
		if !c.zero() {
			out = append(out, point(ip, p.scale, p.idx*p.n*bucketSecs, c))
		}
	}
	return out
}

// push adds c to the roll-up of interval idx, first handing out the previous interval's.
func (r *rollup) push(ip netip.Addr, scale netguard.Scale, idx int64, c counts, out []netguard.TrafficPoint) []netguard.TrafficPoint {
	if r.idx != idx {
		if !r.zero() {
			out = append(out, point(ip, scale, r.idx*int64(scale.Duration()/time.Second), r.counts))
		}
		*r = rollup{idx: idx}
	}
	r.add(c)
	return out
}

func (ser *ipSeries) idle(horizon int64) bool {
	if !ser.m1.zero() || !ser.m5.zero() {
		return false
	}
	for i := range ser.buckets {
		if int64(ser.buckets[i].idx) >= horizon && !ser.buckets[i].zero() {
			return false
		}
	}
	return true
}

func point(ip netip.Addr, scale netguard.Scale, unix int64, c counts) netguard.TrafficPoint {
	secs := uint64(scale.Duration() / time.Second)
	r := func(b uint64, p uint32) netguard.Rate { return netguard.Rate{BPS: b * 8 / secs, PPS: uint64(p) / secs} }
	return netguard.TrafficPoint{IP: ip, Scale: scale, At: time.Unix(unix, 0).UTC(),
		In: r(c.inB, c.inP), Dropped: r(c.dropB, c.dropP), Out: r(c.outB, c.outP)}
}
