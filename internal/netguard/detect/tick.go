package detect

import (
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"time"
)

// Tick judges the seconds completed since the previous Tick: every second that ended at least
// Config.ExportDelay before now, plus the earlier seconds that late records changed. Called again
// before a new second completes, it judges again only the subjects whose judged seconds late
// records changed since, so that a loop ticking several times a second sees an export's records
// as they arrive. It returns the attacks that started, went on, went quiet or ended, ordered by
// target. Call it at least once a second (a few times a second with ExportDelay 0), from one
// goroutine at a time (concurrent calls are serialised).
//
// A class is above its threshold in a second when one of its metrics is strictly greater than
// the effective limit (see Limit). An attack starts when one class (or the total) is above for
// TriggerDelay consecutive seconds; a prefix aggregate counts as above only in seconds where
// none of its tracked IPs is above its own threshold.
func (d *Detector) Tick(now time.Time) []Event {
	d.tickMu.Lock()
	defer d.tickMu.Unlock()
	c := floorDiv(now.Add(-d.exportDelay).UnixNano(), 1e9) - 1
	if d.evaluated == math.MinInt64 {
		d.evaluated = c - 1
	}
	if c < d.evaluated {
		return nil
	}
	// again: no new second, only the subjects whose judged seconds late records changed.
	again := c == d.evaluated
	t := tickRange{c: c, newFrom: max(d.evaluated+1, c-window+d.k), prev: max(d.evaluated, c-window)}
	var events []Event
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		if again {
			events = d.again(sh, sh.ips, sh.cells, &t, events)
			events = d.againPrefixes(sh, &t, events)
			sh.mu.Unlock()
			continue
		}
		for j := len(sh.ips) - 1; j >= 0; j-- {
			if (len(sh.ips)-1-j)%warmBlock == 0 {
				sh.warm(sh.ips[max(0, j-warmBlock+1) : j+1])
			}
			s := sh.ips[j]
			sh.settle(s, &sh.cells[j], c)
			events = d.judge(sh, s, &sh.cells[j], &t, events)
			if s.atk == nil && s.head <= c-window {
				d.releaseIP(sh, s)
			}
		}
		for j := len(sh.pfxs) - 1; j >= 0; j-- {
			s := sh.pfxs[j]
			sh.settleLanes(s, &sh.pcells[j], c)
			events = d.judge(sh, s, &sh.pcells[j][0], &t, events)
			if s.atk == nil && s.head <= c-window {
				sh.dropPrefix(s)
			}
		}
		sh.mu.Unlock()
	}
	d.evaluated = c
	slices.SortStableFunc(events, func(a, b Event) int {
		if c := a.Target().Addr().Compare(b.Target().Addr()); c != 0 {
			return c
		}
		return a.Target().Bits() - b.Target().Bits()
	})
	return events
}

// warmBlock is how many subjects Tick loads ahead of judging them.
const warmBlock = 16

// again is Tick called again before a new second completed: it judges again the subjects of
// list (cells: their cells) whose judged seconds changed since. A subject without an open
// attack or top sources whose rings did not change, and whose cells hold only late records that
// cannot put second t.c above any threshold (see calm), is left as it is, its cells unflushed:
// judging it would find nothing, and the next Tick flushes its cells and judges it anyway.
func (d *Detector) again(sh *shard, list []*subject, cells []cellPair, t *tickRange, events []Event) []Event {
	var (
		need [warmBlock]*subject
		at   [warmBlock]int32
	)
	for lo := 0; lo < len(list); lo += warmBlock {
		hi := min(lo+warmBlock, len(list))
		// Load the block's subjects first: independent loads, whose cache misses overlap.
		var sum int64
		for _, s := range list[lo:hi] {
			sum += s.dirty
		}
		sh.touch += uint64(sum)
		n := 0
		for j := lo; j < hi; j++ {
			s := list[j]
			if s.atk != nil || s.top != nil || s.dirty <= t.c || !d.calm(s.prof, &cells[j], t.c) {
				need[n], at[n] = s, int32(j)
				n++
			}
		}
		if n == 0 {
			continue
		}
		sh.warm(need[:n])
		for x, s := range need[:n] {
			cs := &cells[at[x]]
			sh.settle(s, cs, t.c)
			if s.dirty <= t.c {
				events = d.judge(sh, s, cs, t, events)
			}
		}
	}
	return events
}

// againPrefixes is again for the prefix aggregates of sh: few, and with their counts spread
// over lanes, they are settled every time rather than tested for calm.
func (d *Detector) againPrefixes(sh *shard, t *tickRange, events []Event) []Event {
	for j, s := range sh.pfxs {
		lc := &sh.pcells[j]
		sh.settleLanes(s, lc, t.c)
		if s.dirty <= t.c {
			events = d.judge(sh, s, &lc[0], t, events)
		}
	}
	return events
}

// settleLanes settles each lane's cells of prefix aggregate s.
func (sh *shard) settleLanes(s *subject, lc *laneCells, c int64) {
	for l := range lc {
		sh.settle(s, &lc[l], c)
	}
}

// calmMargin is how close to its lowest threshold a second may be and still be left alone by
// again: under 1, so that the rounding of the ratios kept in float32 cannot hide a second above.
const calmMargin = 0.99

// calm reports whether the cells cs of a subject with profile prof hold nothing that could put
// a judged second (c or before) above a threshold: for each such second, counts that, added to
// what its rings held when it was last judged (the cell's seen, as a share of the lowest
// limit), stay under every limit of the profile. The limits without the baseline
// bound the effective ones from below, so the test holds whatever the baseline.
func (d *Detector) calm(prof uint8, cs *cellPair, c int64) bool {
	p := &d.profiles[prof]
	if !p.calmable {
		return false
	}
	tot := d.layout.total
	for i := range cs {
		cl := &cs[i]
		if cl.mask == 0 {
			continue
		}
		sec := cl.second(c)
		if sec > c {
			continue
		}
		r := float64(cl.seen)
		if sec < c-window+d.k || r > calmMargin {
			return false
		}
		var sum [numMetrics]float64
		q := 0.0
		for m := cl.mask; m != 0; m &= m - 1 {
			k := bits.TrailingZeros8(m)
			v := [numMetrics]float64{float64(cl.pkts[k]), float64(cl.bytes[k]) * 8, float64(cl.flows[k])}
			inv := &p.inv[cl.counterOf(k)]
			q = max(q, v[mPkts]*inv[mPkts], v[mBits]*inv[mBits], v[mFlows]*inv[mFlows])
			if k <= hICMP { // TCP, UDP and ICMP are parts of the total
				sum[mPkts] += v[mPkts]
				sum[mBits] += v[mBits]
				sum[mFlows] += v[mFlows]
			}
		}
		inv := &p.inv[tot]
		q = max(q, sum[mPkts]*inv[mPkts], sum[mBits]*inv[mBits], sum[mFlows]*inv[mFlows])
		if r+q > calmMargin {
			return false
		}
	}
	return true
}

// warm loads the memory that settling and judging the subjects of list will read: their
// counters, then the rings' baselines and newest seconds. The loads of each pass are
// independent, so the processor overlaps their cache misses instead of taking them one after
// the other.
func (sh *shard) warm(list []*subject) {
	var t uint64
	for _, s := range list {
		t += uint64(s.used)
	}
	for _, s := range list {
		for used := s.used; used != 0; used &= used - 1 {
			if r := s.cnt[bits.TrailingZeros32(used)].r; r != nil {
				t += uint64(r.base[0])
			}
		}
	}
	for _, s := range list {
		for used := s.used; used != 0; used &= used - 1 {
			cn := &s.cnt[bits.TrailingZeros32(used)]
			if r := cn.r; r != nil {
				t += uint64(r.slots[cn.head&windowMask].pkts)
			}
		}
	}
	sh.touch += t
}

// tickRange is what one Tick judges: seconds newFrom..c are new (prev is the last second judged
// before), older ones are judged again when late records changed them.
type tickRange struct{ c, newFrom, prev int64 }

func (d *Detector) releaseIP(sh *shard, s *subject) {
	if e := sh.lookup(s.key, s.v4); e != nil && e.act == s.idx {
		if s.lastAbove > 0 {
			e.lastAbove = uint32(min(s.lastAbove, math.MaxUint32))
		}
		sh.dropIP(s)
		e.act = -1
		e.flags &^= fTop
	}
}

// measure is one second of a subject, judged against its profile.
type measure struct {
	v     [maxEval][numMetrics]uint64
	eff   [maxEval][numMetrics]float64
	above uint32  // counters strictly above their effective limit
	ratio float64 // highest value / effective limit
	raw   float64 // highest value / limit without the baseline
	// covered: a prefix aggregate above threshold while one of its IPs is above its own; the
	// second counts as neither above nor quiet.
	covered bool
}

// effective returns lim raised by the learned baseline, capped.
func (p *profile) effective(lim float64, base float32) float64 {
	if p.factor <= 0 {
		return lim
	}
	if b := float64(base) * p.factor; b > lim {
		return min(b, lim*p.cap)
	}
	return lim
}

func (d *Detector) measure(s *subject, sec int64, m *measure) {
	p := &d.profiles[s.prof]
	l := d.layout
	tot := l.total
	m.above, m.ratio, m.raw, m.covered = 0, 0, 0, false
	m.v[tot] = [numMetrics]uint64{}
	// Only the counters with a ring: the others are zero (m.v holds stale values for them).
	for used := s.used; used != 0; used &= used - 1 {
		i := bits.TrailingZeros32(used)
		cn := &s.cnt[i]
		pk, bi, fl := cn.at(sec)
		m.v[i] = [numMetrics]uint64{pk, bi, fl}
		if i <= cOther {
			m.v[tot][mPkts] += pk
			m.v[tot][mBits] += bi
			m.v[tot][mFlows] += fl
		}
		d.judgeCounter(p, i, cn.r.base, m)
	}
	d.judgeCounter(p, tot, s.base, m)
	if s.isPrefix && m.above != 0 && s.ipAboveAt(sec) {
		m.above, m.ratio, m.covered = 0, 0, true // the IP's own attack covers it
	}
}

func (d *Detector) judgeCounter(p *profile, i int, base [numMetrics]float32, m *measure) {
	for mt := range numMetrics {
		lim := p.lim[i][mt]
		if lim == 0 {
			m.eff[i][mt] = 0
			continue
		}
		eff := p.effective(lim, base[mt])
		m.eff[i][mt] = eff
		v := float64(m.v[i][mt])
		m.raw = max(m.raw, v*p.inv[i][mt])
		if v > eff {
			m.above |= 1 << i
		}
		if r := v / eff; r > m.ratio {
			m.ratio = r
		}
	}
}

// vectors classifies the counters above threshold in m: a wider class (TCP, UDP, the total) is
// reported only when what its narrower classes above threshold do not explain is itself above.
func (d *Detector) vectors(m *measure) uint32 {
	tot := d.layout.total
	a := m.above
	flags := a &^ (1<<cTCP | 1<<cUDP | 1<<tot)
	sub := func(res *[numMetrics]uint64, i int) {
		for mt := range numMetrics {
			res[mt] -= min(res[mt], m.v[i][mt])
		}
	}
	over := func(res *[numMetrics]uint64, i int) bool {
		for mt := range numMetrics {
			if e := m.eff[i][mt]; e > 0 && float64(res[mt]) > e {
				return true
			}
		}
		return false
	}
	if a&(1<<cTCP) != 0 {
		res := m.v[cTCP]
		if flags&(1<<cSYN) != 0 {
			sub(&res, cSYN)
		}
		if over(&res, cTCP) {
			flags |= 1 << cTCP
		}
	}
	if a&(1<<cUDP) != 0 {
		res := m.v[cUDP]
		for i := cAmp0; i < d.layout.n; i++ {
			if flags&(1<<i) != 0 {
				sub(&res, i)
			}
		}
		if flags&(1<<cFrag) != 0 {
			sub(&res, cFrag)
		}
		if over(&res, cUDP) {
			flags |= 1 << cUDP
		}
	}
	if a&(1<<tot) != 0 {
		res := m.v[tot]
		for _, i := range []int{cTCP, cUDP, cICMP} {
			if a&(1<<i) != 0 {
				sub(&res, i)
			}
		}
		if flags&(1<<cFrag) != 0 {
			sub(&res, cFrag)
		}
		if over(&res, tot) {
			flags |= 1 << tot
		}
	}
	return flags
}

func (s *subject) ipAboveAt(sec int64) bool {
	return sec <= s.ipAboveHead && sec > s.ipAboveHead-window && s.ipAbove&(1<<(sec&windowMask)) != 0
}

func (s *subject) setIPAbove(sec int64) {
	switch {
	case sec > s.ipAboveHead && sec-s.ipAboveHead >= window:
		s.ipAbove = 0
		s.ipAboveHead = sec
	case sec > s.ipAboveHead:
		for t := s.ipAboveHead + 1; t <= sec; t++ {
			s.ipAbove &^= 1 << (t & windowMask)
		}
		s.ipAboveHead = sec
	case sec <= s.ipAboveHead-window:
		return
	}
	s.ipAbove |= 1 << (sec & windowMask)
}

func (m *measure) total(tot int) Rate {
	return Rate{PPS: m.v[tot][mPkts], BPS: m.v[tot][mBits], FPS: m.v[tot][mFlows]}
}

func (a *attack) record(d *Detector, m *measure) {
	if m.above == 0 {
		return
	}
	r := m.total(d.layout.total)
	a.peak.PPS = max(a.peak.PPS, r.PPS)
	a.peak.BPS = max(a.peak.BPS, r.BPS)
	a.peak.FPS = max(a.peak.FPS, r.FPS)
	a.vectors |= d.vectors(m)
	a.peakSeverity = max(a.peakSeverity, m.ratio)
}

// judge evaluates the seconds of tick t for subject s, whose cells are cs, and appends its
// events.
func (d *Detector) judge(sh *shard, s *subject, cs *cellPair, t *tickRange, events []Event) []Event {
	from := min(t.newFrom, s.dirty)
	from = max(from, t.c-window+d.k)
	s.dirty = math.MaxInt64

	var m measure
	var runs [maxEval]uint8
	opened, anyAbove := false, false
	severity := 0.0
	// Seconds after the newest record are empty: quiet, nothing to measure.
	last := min(t.c, s.head)
	for sec := max(from-d.k+1, s.head-window+1); sec <= last; sec++ {
		d.measure(s, sec, &m)
		if cl := &cs[sec&1]; cl.stamp == uint32(sec) {
			cl.seen = float32(m.raw)
		}
		longest := uint8(0)
		for i := 0; i <= d.layout.total; i++ {
			if m.above&(1<<i) != 0 {
				runs[i] = min(runs[i]+1, math.MaxUint8)
			} else {
				runs[i] = 0
			}
			longest = max(longest, runs[i])
		}
		if sec < from {
			continue
		}
		severity = max(severity, m.ratio)
		if m.above != 0 {
			anyAbove = true
			s.lastAbove = max(s.lastAbove, sec)
			if !s.isPrefix && s.inNet {
				if p := sh.pfx[s.prefixKey]; p != nil {
					p.setIPAbove(sec)
				}
			}
		}
		if s.atk == nil {
			if int64(longest) >= d.k && sec-d.k+1 > s.noTrigger {
				start := max(sec-int64(longest)+1, s.noTrigger+1)
				s.atk = &attack{started: start}
				opened = true
				var r measure
				for u := start; u < sec; u++ {
					d.measure(s, u, &r)
					s.atk.record(d, &r)
				}
				s.atk.record(d, &m)
			}
		} else {
			s.atk.record(d, &m)
		}
	}
	if last < t.c {
		m = measure{} // second c is empty
	}
	for i := range cs {
		if sec := cs[i].second(t.c); sec > last && sec <= t.c {
			cs[i].seen = 0 // empty
		}
	}
	if m.above != 0 && s.top == nil {
		sh.setTop(s, true) // the sources of the coming seconds
	}
	d.learn(s, t)

	if s.atk != nil {
		a := s.atk
		quiet := m.above == 0
		switch {
		case opened:
			events = append(events, d.event(EventStart, s, &m, severity))
			a.quietSent = quiet
		case anyAbove || (quiet && !a.quietSent):
			events = append(events, d.event(EventUpdate, s, &m, severity))
			a.quietSent = quiet
		}
		if t.c-s.lastAbove >= d.endAfter {
			events = append(events, d.event(EventEnd, s, &m, severity))
			s.atk = nil
			s.noTrigger = t.c
		}
	}
	if s.atk == nil && s.top != nil && t.c-s.lastAbove >= d.k {
		sh.setTop(s, false)
	}
	return events
}

// learn feeds the baseline with the quiet seconds BaselineDelay behind the new seconds.
func (d *Detector) learn(s *subject, t *tickRange) {
	if s.atk != nil || d.profiles[s.prof].factor <= 0 {
		return
	}
	var m measure
	to := t.c - d.lag
	// Seconds after the newest record are quiet and empty: the baseline decays.
	empty := to - max(s.head, t.prev-d.lag)
	if empty > 0 {
		to = s.head
	}
	a := float32(d.alpha)
	for sec := t.prev + 1 - d.lag; sec <= to; sec++ {
		d.measure(s, sec, &m)
		if m.above != 0 || m.covered {
			continue
		}
		for i := range d.layout.n {
			if r := s.cnt[i].r; r != nil {
				for mt := range numMetrics {
					r.base[mt] += a * (float32(m.v[i][mt]) - r.base[mt])
				}
			}
		}
		for mt := range numMetrics {
			s.base[mt] += a * (float32(m.v[d.layout.total][mt]) - s.base[mt])
		}
	}
	if empty > 0 {
		keep := float32(math.Pow(1-d.alpha, float64(empty)))
		for i := range d.layout.n {
			if r := s.cnt[i].r; r != nil {
				for mt := range numMetrics {
					r.base[mt] *= keep
				}
			}
		}
		for mt := range numMetrics {
			s.base[mt] *= keep
		}
	}
}

func (d *Detector) event(kind EventKind, s *subject, m *measure, severity float64) Event {
	a := s.atk
	e := Event{
		Kind:         kind,
		Profile:      d.profiles[s.prof].name,
		Current:      m.total(d.layout.total),
		Peak:         a.peak,
		Severity:     severity,
		PeakSeverity: a.peakSeverity,
		Started:      time.Unix(a.started, 0).UTC(),
		LastAbove:    time.Unix(s.lastAbove+1, 0).UTC(),
		Quiet:        m.above == 0,
	}
	addr := s.key.addr(s.v4)
	if s.isPrefix {
		bits := d.pbits6
		if s.v4 {
			bits = d.pbits4
		}
		e.Prefix = netip.PrefixFrom(addr, bits)
	} else {
		e.IP = addr
	}
	for _, i := range d.layout.order {
		if a.vectors&(1<<i) != 0 {
			e.Vectors = append(e.Vectors, d.layout.vector[i])
		}
	}
	if s.top != nil {
		e.TopSources = s.top.top(d.topN, s.v4)
	}
	return e
}
