package detect

import (
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// numShards splits the detector's state by destination prefix: enough that the collector's
// goroutines rarely wait for each other, few enough that a batch has several records per shard
// whose cache misses AddBatch overlaps.
const (
	shardBits = 4
	numShards = 1 << shardBits
)

// Caps of the per-shard free lists, so that memory freed after an attack goes back to the Go
// heap while churn in steady state does not allocate.
const (
	freeRingsCap = 128
	freeSubsCap  = 64
	freeTopsCap  = 8
)

// Detector counts inbound traffic per tracked IP and per prefix, and reports attacks. Create it
// with New.
type Detector struct {
	layout   *layout
	profiles []profile
	byName   map[string]uint8
	carpet   uint8 // profile of the prefix aggregates
	nets     addrSet
	bits4    int // prefix aggregate length on the 128-bit key of an IPv4 address (96 + bits)
	bits6    int
	pbits4   int // the same, as an IPv4 prefix length
	pbits6   int

	k           int64 // TriggerDelay in seconds
	exportDelay time.Duration
	endAfter    int64 // seconds
	lag         int64 // BaselineDelay in seconds
	alpha       float64
	topN        int

	invalid atomic.Uint64 // flows without a usable destination
	noCells bool          // tests: count in the rings alone
	// betweenPasses, when set (tests), runs in AddBatch between the pass that finds the entries
	// and the one that counts, with no lock held.
	betweenPasses func()

	scratch sync.Pool // *batchScratch, AddBatch's working memory

	tickMu    sync.Mutex
	evaluated int64 // latest second Tick judged; math.MinInt64 before the first Tick

	shards [numShards]shard
}

type shard struct {
	mu     sync.Mutex
	ip4    index4
	ip6    map[u128]*entry
	pfx    map[u128]*subject
	ips    []*subject  // IPs with counters
	cells  []cellPair  // their hot cells, at the same positions
	pfxs   []*subject  // prefixes with counters
	pkeys  []u128      // their keys, at the same positions (prefix reads them without a pointer)
	pcells []laneCells // their hot cells, a pair per lane

	freeRings []*ring
	freeSubs  []*subject
	freeTops  []*topK

	flows, unknown, untracked, stale uint64
	sink                             TrafficSink // SetTrafficSink
	// gen changes whenever entries may move or go (an IP tracked or untracked), so that AddBatch
	// keeps the entries it found while it holds the lock briefly.
	gen   uint64
	touch uint64 // AddBatch's early loads, kept so they stay

	_ [64]byte // keep shards on separate cache lines
}

// numLanes is how many sets of hot cells each prefix aggregate has. The collector's goroutines
// count in different lanes (AddBatchLane), so that the few cells of the aggregates, which
// nearly every record writes, do not travel from one processor's cache to the other's at each
// record; Tick adds the lanes up.
const numLanes = 4

// laneCells are the hot cells of a prefix aggregate, a pair per lane.
type laneCells [numLanes]cellPair

func newLaneCells() laneCells {
	var lc laneCells
	for i := range lc {
		lc[i] = newCells()
	}
	return lc
}

// subject is an IP or a prefix aggregate with traffic in the window.
type subject struct {
	// The scalars Tick reads for every subject come first, on one cache line; Add's hot path
	// does not touch the subject at all.
	head      int64 // newest second with traffic
	dirty     int64 // oldest second written since the last Tick
	top       *topK
	atk       *attack
	lastAbove int64               // unix second of the latest second above a threshold; 0: never
	used      uint32              // counters with a ring
	idx       int32               // position in the shard's active list
	base      [numMetrics]float32 // baseline of the total
	prof      uint8
	v4        bool
	isPrefix  bool
	inNet     bool
	noTrigger int64 // no new attack from a run that starts at or before this second
	cnt       [maxCounters]counter
	key       u128 // address, or prefix address for an aggregate
	prefixKey u128 // IP inside Networks: key of its aggregate

	ipAbove     uint64 // aggregate: bit s&63 set when one of its IPs was above in second s
	ipAboveHead int64

	sinkMemo any // IP: what the traffic sink last returned for it
}

// attack is the state of an attack on a subject.
type attack struct {
	started      int64
	peak         Rate
	vectors      uint32 // counters reported as vectors
	peakSeverity float64
	quietSent    bool
}

// TrafficSink takes the incoming traffic of the tracked IPs as the detector counts it, so that
// a per-IP traffic series need not count every record a second time (mitigation.Series): a
// second of an IP when its hot cell is flushed into its rings, and, as received, each record
// the IP's rings take directly (its first, one over more seconds or of another protocol, one
// older than the window). Together they are every record toward a tracked IP, each once. The
// calls come with a lock of the detector held: they must be quick and must not call it back.
// Each returns a memo the detector keeps with the IP's counters and hands back at the IP's next
// call (nil at first, and for a record toward an IP without counters), so that the sink finds
// its own state for the IP without looking it up every second.
type TrafficSink interface {
	AddSecond(memo any, ip netip.Addr, sec int64, pkts, bytes uint64) any
	AddRecord(memo any, f *netguard.Flow, now time.Time) any
}

// SetTrafficSink makes d feed s (nil: none). Call it before the first Add.
func (d *Detector) SetTrafficSink(s TrafficSink) {
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		sh.sink = s
		sh.mu.Unlock()
	}
}

// New validates cfg and returns an empty Detector.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Detector{
		layout:      newLayout(),
		byName:      map[string]uint8{},
		nets:        newAddrSet(cfg.Networks),
		bits4:       96 + cfg.CarpetBitsV4,
		bits6:       cfg.CarpetBitsV6,
		pbits4:      cfg.CarpetBitsV4,
		pbits6:      cfg.CarpetBitsV6,
		k:           int64(cfg.TriggerDelay / time.Second),
		exportDelay: cfg.ExportDelay,
		endAfter:    int64((cfg.EndAfter + time.Second - 1) / time.Second),
		lag:         int64((cfg.BaselineDelay + time.Second - 1) / time.Second),
		alpha:       1 - math.Exp(-math.Ln2/cfg.BaselineHalfLife.Seconds()),
		topN:        cfg.TopSources,
		evaluated:   math.MinInt64,
	}
	all := mergeProfiles(cfg.Profiles)
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		d.byName[name] = uint8(len(d.profiles))
		d.profiles = append(d.profiles, compileProfile(name, all[name], d.layout))
	}
	d.carpet = d.byName[cfg.CarpetProfile]
	for i := range d.shards {
		sh := &d.shards[i]
		sh.ip6 = map[u128]*entry{}
		sh.pfx = map[u128]*subject{}
	}
	return d, nil
}

// locate returns the key of the prefix aggregate of k and the shard that holds both: an IP
// and its aggregate share a shard, so that Add takes one lock.
func (d *Detector) locate(k u128, v4 bool) (u128, *shard) {
	pk, i := d.shardOf(k, v4)
	return pk, &d.shards[i]
}

// shardOf is locate with the index of the shard.
func (d *Detector) shardOf(k u128, v4 bool) (u128, int) {
	var pk u128
	if v4 {
		pk = k.mask(d.bits4)
	} else {
		pk = k.mask(d.bits6)
	}
	h := (pk.hi ^ bits.RotateLeft64(pk.lo, 29)) * 0x9e3779b97f4a7c15
	return pk, int(h >> (64 - shardBits))
}

// lookup returns the entry of a tracked IP, or nil. The entry stays valid while the shard
// lock is held and no IP is tracked.
func (sh *shard) lookup(k u128, v4 bool) *entry {
	if v4 {
		return sh.ip4.find(uint32(k.lo))
	}
	return sh.ip6[k]
}

// tracked is the number of tracked IPs of the shard.
func (sh *shard) tracked() int { return sh.ip4.n + len(sh.ip6) }

// Track starts tracking ip with the named profile, or changes the profile of a tracked IP
// (keeping its counters).
func (d *Detector) Track(ip netip.Addr, profileName string) error {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return fmt.Errorf("detect track: %w", ErrInvalidAddr)
	}
	p, ok := d.byName[profileName]
	if !ok {
		return fmt.Errorf("detect track %s profile %q: %w", ip, profileName, ErrUnknownProfile)
	}
	k := keyOf(ip)
	_, sh := d.locate(k, ip.Is4())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var e *entry
	added := false
	sh.gen++
	if ip.Is4() {
		e, added = sh.ip4.insert(uint32(k.lo))
	} else if e = sh.ip6[k]; e == nil {
		e, added = &entry{act: -1}, true
		sh.ip6[k] = e
	}
	if added && d.nets.contains(k) {
		e.flags |= fInNet
	}
	e.prof = p
	if e.act >= 0 {
		sh.ips[e.act].prof = p
		cs := &sh.cells[e.act]
		cs[0].seen, cs[1].seen = math.MaxFloat32, math.MaxFloat32 // judged again at the next Tick
	}
	return nil
}

// Untrack stops tracking ip and forgets its counters and any open attack (no EventEnd). It
// reports whether ip was tracked.
func (d *Detector) Untrack(ip netip.Addr) bool {
	ip = ip.Unmap()
	k := keyOf(ip)
	_, sh := d.locate(k, ip.Is4())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(k, ip.Is4())
	if e == nil {
		return false
	}
	sh.gen++
	if e.act >= 0 {
		sh.dropIP(sh.ips[e.act])
	}
	if ip.Is4() {
		sh.ip4.remove(uint32(k.lo))
	} else {
		delete(sh.ip6, k)
	}
	return true
}

// Add counts one flow record received at now. The record is spread evenly over the seconds it
// covers; the part older than the window (64 s before now) is dropped, and a record ending after
// now (the exporter's clock is ahead) is moved back to end at now. Add never allocates once the
// destination's counters exist.
func (d *Detector) Add(f *netguard.Flow, now time.Time) {
	var p placed
	si := d.place(f, now.UnixNano(), &p)
	if si < 0 {
		return
	}
	sh := &d.shards[si]
	sh.mu.Lock()
	p.e = sh.lookup(p.k, p.v4)
	d.count(sh, f, &p, 0, now)
	sh.mu.Unlock()
}

// batchChunk is how many records AddBatch places at once.
const batchChunk = 256

// AddBatch counts flows received at now, with the same result as Add called on each of them in
// turn. It places 256 records at a time, then loads the index slots of all their destinations,
// then their cells, then counts them, shard by shard, so that their cache misses overlap
// instead of following each other. It never allocates once the destinations' counters exist.
func (d *Detector) AddBatch(flows []netguard.Flow, now time.Time) { d.AddBatchLane(0, flows, now) }

// AddBatchLane is AddBatch counting in the prefix aggregates' cells of the given lane (taken
// modulo the number of lanes): each of the collector's goroutines has its own, so that they do
// not write the same cache lines. The counts are the same whatever the lane.
func (d *Detector) AddBatchLane(lane int, flows []netguard.Flow, now time.Time) {
	sc, _ := d.scratch.Get().(*batchScratch)
	if sc == nil {
		sc = new(batchScratch)
	}
	lane = int(uint(lane) % numLanes)
	for len(flows) > 0 {
		n := min(len(flows), batchChunk)
		d.addChunk(flows[:n], now, sc, lane)
		flows = flows[n:]
	}
	d.scratch.Put(sc)
}

// batchScratch is the working memory of AddBatch, kept between batches rather than zeroed on
// the stack for each: every field a chunk reads, it writes first.
type batchScratch struct {
	pl    [batchChunk]placed
	shOf  [batchChunk]uint8
	order [batchChunk]uint16
}

func (d *Detector) addChunk(flows []netguard.Flow, now time.Time, sc *batchScratch, lane int) {
	nowNs := now.UnixNano()
	rot := lane * (numShards / numLanes) // goroutines of other lanes start their walks elsewhere
	var start [numShards + 1]uint16
	pl, shOf, order := &sc.pl, &sc.shOf, &sc.order
	// Place the records and sort them by shard (stably: the records of one destination keep
	// their order).
	for i := range flows {
		si := d.place(&flows[i], nowNs, &pl[i])
		if si < 0 {
			shOf[i] = numShards
			continue
		}
		shOf[i] = uint8(si)
		start[si+1]++
	}
	for s := 1; s <= numShards; s++ {
		start[s] += start[s-1]
	}
	next := start
	for i := range flows {
		if si := shOf[i]; si < numShards {
			order[next[si]] = uint16(i)
			next[si]++
		}
	}
	// Warm the caches in two passes over the whole chunk, each taking the lock of every shard
	// briefly: first the index slots of the destinations, then their cells. The loads of a pass
	// are independent of each other, so the processor overlaps the cache misses of the whole
	// chunk instead of those of one shard's few records at a time. The second pass keeps the
	// entries it finds; the counting pass looks them up again only when the shard's generation
	// says an IP was tracked or untracked in between (entries may have moved).
	var touch uint64
	for k := range numShards {
		si := (k + rot) & (numShards - 1)
		group := order[start[si]:start[si+1]]
		if len(group) == 0 {
			continue
		}
		sh := &d.shards[si]
		sh.mu.Lock()
		for _, i := range group {
			if p := &pl[i]; p.v4 {
				touch += uint64(sh.ip4.peek(uint32(p.k.lo)))
			}
		}
		sh.mu.Unlock()
	}
	var gens [numShards]uint64
	for k := range numShards {
		si := (k + rot) & (numShards - 1)
		group := order[start[si]:start[si+1]]
		if len(group) == 0 {
			continue
		}
		sh := &d.shards[si]
		sh.mu.Lock()
		gens[si] = sh.gen
		for _, i := range group {
			p := &pl[i]
			e := sh.lookup(p.k, p.v4)
			p.e = e
			if e != nil && e.act >= 0 && p.inWindow && p.sp.last-p.sp.first <= 1 {
				cs := &sh.cells[e.act]
				touch += uint64(cs[0].stamp + cs[1].stamp) // a record of two seconds writes both
			}
		}
		sh.mu.Unlock()
	}
	if d.betweenPasses != nil {
		d.betweenPasses()
	}
	for k := range numShards {
		si := (k + rot) & (numShards - 1)
		group := order[start[si]:start[si+1]]
		if len(group) == 0 {
			continue
		}
		sh := &d.shards[si]
		sh.mu.Lock()
		if sh.gen != gens[si] { // entries moved since the pass above: find them again
			for _, i := range group {
				p := &pl[i]
				p.e = sh.lookup(p.k, p.v4)
			}
		}
		// Touch what the records going to the rings, and those counting top sources, will
		// write, before counting any.
		cold := false
		for _, i := range group {
			p := &pl[i]
			if e := p.e; e != nil && e.act >= 0 && p.inWindow {
				if p.sp.last-p.sp.first > 1 {
					touch += uint64(sh.ips[e.act].used) // for the rings, below
					cold = true
					continue
				}
				if e.flags&fTop != 0 {
					touch += uint64(sh.ips[e.act].used) // its top sources
				}
			}
		}
		if cold {
			// The records of more seconds go to the rings: touch the slots of their newest
			// second.
			for _, i := range group {
				p := &pl[i]
				e := p.e
				if e == nil || e.act < 0 || !p.inWindow || p.sp.last-p.sp.first <= 1 {
					continue
				}
				sub := sh.ips[e.act]
				for j := range p.cl.n {
					if r := sub.cnt[p.cl.c[j]].r; r != nil {
						touch += uint64(r.slots[p.sp.last&windowMask].pkts)
					}
				}
			}
		}
		sh.touch = touch
		for _, i := range group {
			d.count(sh, &flows[i], &pl[i], lane, now)
		}
		sh.mu.Unlock()
	}
}

// placed is a flow record ready to count: its keys, span and classes, then the entry of its
// destination (nil: not tracked), read under the shard lock.
type placed struct {
	k, pk    u128
	sp       span
	cl       classes
	e        *entry
	v4       bool
	inWindow bool
	split    bool  // sh0 and sh1 hold the parts of a two-second record
	sh0, sh1 share // computed once for the IP and its prefix
}

// place fills p from f and returns the index of the shard of its destination, or -1 (counted
// as invalid) when it has none.
func (d *Detector) place(f *netguard.Flow, nowNs int64, p *placed) int {
	dst := f.Dst.Unmap()
	if !dst.IsValid() {
		d.invalid.Add(1)
		return -1
	}
	p.v4, p.split = dst.Is4(), false
	p.k = keyOf(dst)
	var si int
	p.pk, si = d.shardOf(p.k, p.v4)
	p.inWindow = spanOf(f, nowNs, &p.sp)
	p.cl = d.layout.classify(f)
	return si
}

// count adds the placed record f to sh, whose lock the caller holds, counting in the prefix
// aggregate's cells of lane; p.e was read under that lock.
func (d *Detector) count(sh *shard, f *netguard.Flow, p *placed, lane int, now time.Time) {
	var subs [2]*subject
	e := p.e
	k, pk, v4 := p.k, p.pk, p.v4
	var inNet bool
	if e != nil {
		inNet = e.flags&fInNet != 0
	} else {
		inNet = d.nets.contains(k)
		if !inNet {
			sh.unknown++
			return
		}
		sh.untracked++
	}
	if !p.inWindow {
		sh.stale++
		if e != nil && sh.sink != nil {
			if e.act >= 0 {
				s := sh.ips[e.act]
				s.sinkMemo = sh.sink.AddRecord(s.sinkMemo, f, now)
			} else {
				sh.sink.AddRecord(nil, f, now)
			}
		}
		return
	}
	sh.flows++
	// subs: the subjects whose rings take the record (the others' cells took it); tops: those
	// counting its source.
	var tops [2]*subject
	if e != nil {
		switch {
		case e.act < 0:
			s := sh.activate(k, v4, e.prof, false)
			s.lastAbove = int64(e.lastAbove)
			s.inNet, s.prefixKey = inNet, pk
			e.act = int32(len(sh.ips))
			s.idx = e.act
			sh.ips = append(sh.ips, s)
			sh.cells = append(sh.cells, newCells())
			subs[0] = s // its first record creates its rings
		case d.noCells || !sh.addHot(d.layout, sh.ips[e.act], &sh.cells[e.act], p):
			subs[0] = sh.ips[e.act]
		}
		if e.flags&fTop != 0 {
			tops[0] = sh.ips[e.act]
		}
	}
	if inNet {
		pf := sh.prefix(e, pk)
		if pf == nil {
			pf = sh.activate(pk, v4, d.carpet, true)
			sh.pfx[pk] = pf
			sh.pfxs = append(sh.pfxs, pf)
			sh.pkeys = append(sh.pkeys, pk)
			sh.pcells = append(sh.pcells, newLaneCells())
			pf.idx = int32(len(sh.pfxs) - 1)
			subs[1] = pf
		} else {
			if d.noCells || !sh.addHot(d.layout, pf, &sh.pcells[pf.idx][lane], p) {
				subs[1] = pf
			}
			if pf.top != nil {
				tops[1] = pf
			}
		}
	}
	if subs[0] != nil || subs[1] != nil { // not subs != [2]*subject{}: a call to memequal
		sh.spread(&subs, &p.sp, p.cl)
		if s := subs[0]; s != nil && sh.sink != nil {
			s.sinkMemo = sh.sink.AddRecord(s.sinkMemo, f, now)
		}
	}
	if tops[0] != nil || tops[1] != nil {
		src := keyOf(f.Src.Unmap())
		for _, s := range tops {
			if s != nil {
				s.top.add(src, f.Packets)
			}
		}
	}
}

// span is the part of a flow record inside the window.
type span struct {
	first, last      int64 // seconds to count, first clamped to the window
	startNs, endNs   int64
	pkts, bytes      uint64
	whole            bool // the record lies in second first alone
	startSec, endSec int64
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// spanOf places f in time, relative to now (unix nanoseconds), in sp, and reports whether it
// reaches into the window.
func spanOf(f *netguard.Flow, nowNs int64, sp *span) bool {
	endNs := nowNs
	if !f.End.IsZero() {
		endNs = f.End.UnixNano()
	}
	startNs := endNs
	if !f.Start.IsZero() {
		if s := f.Start.UnixNano(); s < endNs {
			startNs = s
		}
	}
	if endNs > nowNs { // the exporter's clock is ahead
		startNs -= endNs - nowNs
		endNs = nowNs
	}
	startSec := floorDiv(startNs, 1e9)
	endSec := startSec
	if endNs > startNs {
		endSec = floorDiv(endNs-1, 1e9)
	}
	*sp = span{startNs: startNs, endNs: endNs, pkts: f.Packets, bytes: f.Bytes, startSec: startSec, endSec: endSec}
	minSec := floorDiv(nowNs, 1e9) - window + 1
	if endSec < minSec {
		return false
	}
	sp.first, sp.last = max(startSec, minSec), endSec
	sp.whole = startSec == endSec
	return true
}

// spread adds the record to the subjects, second by second.
func (sh *shard) spread(subs *[2]*subject, sp *span, cl classes) {
	if sp.whole {
		sh.addSecond(subs, cl, sp.first, sp.pkts, sp.bytes)
		return
	}
	var shares [window]share
	n := sp.shares(&shares)
	for _, sub := range subs {
		if sub == nil {
			continue
		}
		for i := range cl.n {
			cn := &sub.cnt[cl.c[i]]
			if cn.r == nil {
				cn.r, cn.head = sh.newRing(), sp.last
				sub.used |= 1 << cl.c[i]
			}
			cn.addRange(sp.first, shares[:n])
		}
		sub.head = max(sub.head, sp.last)
		sub.dirty = min(sub.dirty, sp.first)
	}
}

// share is the part of a record in one second.
type share struct{ pkts, bytes uint64 }

// shares fills out with the record's part in each second from first to last, in proportion to
// the time it covers in each; the parts add up to the record exactly.
func (sp *span) shares(out *[window]share) int {
	dur := uint64(sp.endNs - sp.startNs)
	off := uint64(max(sp.startNs, sp.first*1e9) - sp.startNs)
	prevP, _ := mulDiv(sp.pkts, off, dur)
	prevB, _ := mulDiv(sp.bytes, off, dur)
	n := int(sp.last - sp.first + 1)
	if n > 1 {
		// Cumulative shares at the end of each second, stepped by one second at a time.
		endOff := uint64((sp.first+1)*1e9 - sp.startNs)
		cp := newStepper(sp.pkts, endOff, dur)
		cb := newStepper(sp.bytes, endOff, dur)
		for i := range n - 1 {
			out[i] = share{cp.c - prevP, cb.c - prevB}
			prevP, prevB = cp.c, cb.c
			cp.next()
			cb.next()
		}
	}
	out[n-1] = share{sp.pkts - prevP, sp.bytes - prevB}
	return n
}

// mulDiv returns a*b/d and its remainder; b <= d.
func mulDiv(a, b, d uint64) (uint64, uint64) {
	hi, lo := bits.Mul64(a, b)
	return bits.Div64(hi, lo, d)
}

// stepper walks floor(total*off/dur) as off grows by one second.
type stepper struct{ c, r, q, qr, d uint64 }

func newStepper(total, off, dur uint64) stepper {
	st := stepper{d: dur}
	st.c, st.r = mulDiv(total, off, dur)
	if dur > 1e9 {
		st.q, st.qr = mulDiv(total, 1e9, dur)
	}
	return st
}

func (st *stepper) next() {
	st.c += st.q
	st.r += st.qr
	if st.r >= st.d {
		st.r -= st.d
		st.c++
	}
}

func (sh *shard) addSecond(subs *[2]*subject, cl classes, s int64, pkts, bytes uint64) {
	for _, sub := range subs {
		if sub == nil {
			continue
		}
		for i := range cl.n {
			c := cl.c[i]
			cn := &sub.cnt[c]
			if cn.r == nil {
				cn.r, cn.head = sh.newRing(), s
				sub.used |= 1 << c
			}
			cn.add(s, pkts, bytes, 1)
		}
		sub.head = max(sub.head, s)
		sub.dirty = min(sub.dirty, s)
	}
}

func (sh *shard) newRing() *ring {
	if n := len(sh.freeRings); n > 0 {
		r := sh.freeRings[n-1]
		sh.freeRings = sh.freeRings[:n-1]
		*r = ring{}
		return r
	}
	return &ring{}
}

// activate returns an empty subject for key.
func (sh *shard) activate(key u128, v4 bool, prof uint8, isPrefix bool) *subject {
	var s *subject
	if n := len(sh.freeSubs); n > 0 {
		s = sh.freeSubs[n-1]
		sh.freeSubs = sh.freeSubs[:n-1]
		*s = subject{}
	} else {
		s = &subject{}
	}
	s.key, s.v4, s.prof, s.isPrefix = key, v4, prof, isPrefix
	s.head, s.dirty = math.MinInt64, math.MaxInt64
	return s
}

// prefix returns the aggregate of key pk, or nil; e, the entry of a tracked IP inside it or
// nil, remembers where the aggregate was last found, which spares the map lookup while the
// aggregates stay in place.
func (sh *shard) prefix(e *entry, pk u128) *subject {
	if e != nil {
		if i := int(e.pfx); i < len(sh.pkeys) && sh.pkeys[i] == pk {
			return sh.pfxs[i]
		}
	}
	pf := sh.pfx[pk]
	if pf != nil && e != nil && pf.idx <= math.MaxUint16 {
		e.pfx = uint16(pf.idx)
	}
	return pf
}

// dropPrefix drops the counters and cells of prefix aggregate s.
func (sh *shard) dropPrefix(s *subject) {
	delete(sh.pfx, s.key)
	last := len(sh.pfxs) - 1
	if j := s.idx; int(j) != last {
		moved := sh.pfxs[last]
		sh.pfxs[j], sh.pcells[j], sh.pkeys[j] = moved, sh.pcells[last], sh.pkeys[last]
		moved.idx = j
	}
	sh.pfxs[last] = nil
	sh.pfxs, sh.pcells, sh.pkeys = sh.pfxs[:last], sh.pcells[:last], sh.pkeys[:last]
	if last == 0 {
		sh.pcells = nil
	}
	sh.recycle(s)
}

// dropIP drops the counters and cells of active IP s; the caller updates or removes its
// entry. The last active IP takes its place.
func (sh *shard) dropIP(s *subject) {
	last := len(sh.ips) - 1
	if j := s.idx; int(j) != last {
		moved := sh.ips[last]
		sh.ips[j], sh.cells[j] = moved, sh.cells[last]
		moved.idx = j
		sh.lookup(moved.key, moved.v4).act = j
	}
	sh.ips[last] = nil
	sh.ips, sh.cells = sh.ips[:last], sh.cells[:last]
	// Give back the cells of a shard that went quiet.
	if c := cap(sh.cells); last == 0 {
		sh.cells = nil
	} else if c > 64 && last < c/4 {
		sh.cells = append(make([]cellPair, 0, 2*last), sh.cells...)
	}
	sh.recycle(s)
}

// recycle keeps the memory of a released subject in the free lists (up to their caps).
func (sh *shard) recycle(s *subject) {
	for i := range s.cnt {
		if r := s.cnt[i].r; r != nil && len(sh.freeRings) < freeRingsCap {
			sh.freeRings = append(sh.freeRings, r)
		}
		s.cnt[i].r = nil
	}
	sh.freeTop(s)
	if len(sh.freeSubs) < freeSubsCap {
		sh.freeSubs = append(sh.freeSubs, s)
	}
}

func (sh *shard) newTop() *topK {
	if n := len(sh.freeTops); n > 0 {
		t := sh.freeTops[n-1]
		sh.freeTops = sh.freeTops[:n-1]
		t.reset()
		return t
	}
	return &topK{}
}

func (sh *shard) freeTop(s *subject) {
	if s.top != nil && len(sh.freeTops) < freeTopsCap {
		sh.freeTops = append(sh.freeTops, s.top)
	}
	s.top = nil
}

// setTop gives s a top-sources counter, or takes it away, and notes it in the entry of an IP,
// so that the hot path touches the subject only when it counts sources.
func (sh *shard) setTop(s *subject, on bool) {
	if on {
		s.top = sh.newTop()
	} else {
		sh.freeTop(s)
	}
	if s.isPrefix {
		return
	}
	if e := sh.lookup(s.key, s.v4); e != nil && e.act == s.idx {
		if on {
			e.flags |= fTop
		} else {
			e.flags &^= fTop
		}
	}
}
