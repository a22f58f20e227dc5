package detect

import (
	"math"
	"math/bits"
)

// Hot cells. The rings of an active IP take a kilobyte per class, so that with a hundred
// thousand IPs every record would miss the processor's caches three times (index, subject, ring
// slot). Each active IP (and each prefix aggregate) therefore also has two cells, one per
// parity of the second, in a dense per-shard array (128 bytes per IP, a cache line per cell:
// 100,000 IPs fit in the L3 cache). A record of one or two seconds toward an IP whose cells
// hold those seconds, or are empty or older, is counted in the cells alone; everything else
// (records over more seconds, other protocols, seconds older than the cell's, counts a cell
// cannot hold, an IP's first record) goes to the rings as before. Top sources are counted on
// the subject either way. A cell is flushed into the rings when a newer second takes it over,
// when it would overflow, and before anything reads the IP's seconds: Tick flushes the cells of
// the seconds it judges, the queries flush both. A ring sums what it is given whatever the
// order, as long as a second newer than its window is not read before it is flushed, so the
// counts read are those the rings alone would hold.

// Cell slots: the classes a cell holds. Other protocols go to the rings.
const (
	hTCP = iota
	hUDP
	hICMP
	hSYN
	hFrag
	hAmp // one amplification vector, named by cell.amp
	numHot
)

// cell is one second of an IP's traffic not yet in its rings: 64 bytes.
type cell struct {
	stamp uint32 // the second, modulo 2^32
	amp   uint8  // counter of slot hAmp while it holds traffic
	mask  uint8  // slots holding traffic
	flows [numHot]uint8
	pkts  [numHot]uint32
	bytes [numHot]uint32
	// seen: the highest share of a limit (without the baseline) the subject's rings held for
	// second stamp when Tick last judged it (math.MaxFloat32: not known); Tick called again
	// before a new second reads it to leave the calm subjects alone. A flush keeps it, a new
	// second resets it.
	seen float32
}

// cellPair holds the even and the odd second.
type cellPair [2]cell

// newCells returns the cell pair of a new subject.
func newCells() cellPair { return cellPair{{seen: math.MaxFloat32}, {seen: math.MaxFloat32}} }

// second returns the second c holds, near ref (within 68 years).
func (c *cell) second(ref int64) int64 { return ref + int64(int32(c.stamp-uint32(ref))) }

// hotSlots maps counters to cell slots; -1: rings only.
func hotSlots(n int) [maxCounters]int8 {
	var h [maxCounters]int8
	for i := range h {
		h[i] = -1
	}
	h[cTCP], h[cUDP], h[cICMP], h[cSYN], h[cFrag] = hTCP, hUDP, hICMP, hSYN, hFrag
	for i := cAmp0; i < n; i++ {
		h[i] = hAmp
	}
	return h
}

// counterOf is the counter of slot k of c.
func (c *cell) counterOf(k int) int {
	switch k {
	case hTCP:
		return cTCP
	case hUDP:
		return cUDP
	case hICMP:
		return cICMP
	case hSYN:
		return cSYN
	case hFrag:
		return cFrag
	}
	return int(c.amp)
}

// flushCell adds c, which holds second sec, to the rings of s and empties it; the second of an
// IP goes to the traffic sink too.
func (sh *shard) flushCell(s *subject, c *cell, sec int64) {
	if sh.sink != nil && !s.isPrefix && c.mask != 0 {
		var pkts, bytes uint64
		for k := hTCP; k <= hICMP; k++ { // the protocol slots: their sum is the total
			if c.mask&(1<<k) != 0 {
				pkts += uint64(c.pkts[k])
				bytes += uint64(c.bytes[k])
			}
		}
		s.sinkMemo = sh.sink.AddSecond(s.sinkMemo, s.key.addr(s.v4), sec, pkts, bytes)
	}
	for m := c.mask; m != 0; m &= m - 1 {
		k := bits.TrailingZeros8(m)
		i := c.counterOf(k)
		cn := &s.cnt[i]
		if cn.r == nil {
			cn.r, cn.head = sh.newRing(), sec
			s.used |= 1 << i
		}
		cn.add(sec, uint64(c.pkts[k]), uint64(c.bytes[k]), uint32(c.flows[k]))
		c.pkts[k], c.bytes[k], c.flows[k] = 0, 0, 0
	}
	c.mask, c.amp = 0, 0
	s.head = max(s.head, sec)
	s.dirty = min(s.dirty, sec)
}

// settle flushes the cells cs of subject s that hold seconds up to c, which Tick is about to
// judge, and raises the subject's newest second to the cells it keeps.
func (sh *shard) settle(s *subject, cs *cellPair, c int64) {
	for i := range cs {
		cl := &cs[i]
		if cl.mask == 0 {
			continue
		}
		if sec := cl.second(c); sec <= c {
			sh.flushCell(s, cl, sec)
		} else {
			s.head = max(s.head, sec)
		}
	}
}

// flushAll flushes both cells cs of subject s.
func (sh *shard) flushAll(s *subject, cs *cellPair) {
	for i := range cs {
		if cl := &cs[i]; cl.mask != 0 {
			sh.flushCell(s, cl, cl.second(s.head))
		}
	}
}

// addHot counts the placed record p in the cells cs of subject sub, and reports false, having
// changed nothing, when it must go to the rings instead.
func (sh *shard) addHot(l *layout, sub *subject, cs *cellPair, p *placed) bool {
	sp := &p.sp
	if sp.pkts > math.MaxUint32 || sp.bytes > math.MaxUint32 {
		return false
	}
	var slot [3]int8
	for i := range p.cl.n {
		if slot[i] = l.hot[p.cl.c[i]]; slot[i] < 0 {
			return false
		}
	}
	var sh0, sh1 share
	n := 1
	switch {
	case sp.whole:
		sh0 = share{sp.pkts, sp.bytes}
	case sp.last == sp.first+1 && sp.first == sp.startSec:
		if !p.split {
			p.sh0, p.sh1 = sp.split2()
			p.split = true
		}
		sh0, sh1 = p.sh0, p.sh1
		n = 2
	default:
		return false
	}
	// A cell holding a newer second refuses the record; one holding an older second, another
	// amplification vector or counts near their limit is flushed first.
	var roll [2]bool
	for t := range n {
		s := sp.first + int64(t)
		c := &cs[s&1]
		if c.mask == 0 {
			roll[t] = c.stamp != uint32(s)
			continue
		}
		if c.stamp != uint32(s) {
			if int32(uint32(s)-c.stamp) < 0 {
				return false
			}
			roll[t] = true
			continue
		}
		part := sh0
		if t == 1 {
			part = sh1
		}
		for i := range p.cl.n {
			k := slot[i]
			if c.flows[k] == math.MaxUint8 ||
				uint64(c.pkts[k])+part.pkts > math.MaxUint32 ||
				uint64(c.bytes[k])+part.bytes > math.MaxUint32 ||
				(k == hAmp && c.mask&(1<<hAmp) != 0 && c.amp != p.cl.c[i]) {
				roll[t] = true
			}
		}
	}
	for t := range n {
		s := sp.first + int64(t)
		c := &cs[s&1]
		if roll[t] {
			if c.mask != 0 {
				sh.flushCell(sub, c, c.second(s))
			}
			if c.stamp != uint32(s) {
				c.stamp, c.seen = uint32(s), math.MaxFloat32
			}
		}
		part := sh0
		if t == 1 {
			part = sh1
		}
		for i := range p.cl.n {
			k := slot[i]
			c.mask |= 1 << k
			c.flows[k]++
			c.pkts[k] += uint32(part.pkts)
			c.bytes[k] += uint32(part.bytes)
			if k == hAmp {
				c.amp = p.cl.c[i]
			}
		}
	}
	return true
}

// split2 returns the parts of a record that covers seconds first and first+1 from its start:
// what shares computes for two seconds.
func (sp *span) split2() (share, share) {
	dur := uint64(sp.endNs - sp.startNs)
	off := uint64((sp.first+1)*1e9 - sp.startNs)
	if dur == 1e9 && sp.pkts < 1<<34 && sp.bytes < 1<<34 {
		// A record of exactly one second, the usual case: the same quotients, without a
		// 128-bit division (off < 1e9 < 2^30, so the products fit in 64 bits).
		p, b := sp.pkts*off/1e9, sp.bytes*off/1e9
		return share{p, b}, share{sp.pkts - p, sp.bytes - b}
	}
	p, _ := mulDiv(sp.pkts, off, dur)
	b, _ := mulDiv(sp.bytes, off, dur)
	return share{p, b}, share{sp.pkts - p, sp.bytes - b}
}
