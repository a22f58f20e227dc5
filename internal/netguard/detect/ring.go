package detect

import "math"

// window is the number of seconds a ring holds: records may add to any second still in it.
const (
	window     = 64
	windowMask = window - 1
)

// counter is one traffic class of an IP or a prefix: a ring of per-second counters for the
// seconds (head-window, head]. head sits next to the pointer, in the subject, so that Add
// touches the ring only at the slot it writes.
type counter struct {
	r    *ring
	head int64 // unix second of the newest slot
}

// ring holds the seconds of a counter; the counters of one second share a cache line. Packets
// saturate at 2^32-1 per second (about 2 Tbit/s of small packets toward one address).
type ring struct {
	base  [3]float32 // learned baseline (EWMA of quiet seconds): pps, bps, fps
	slots [window]slot
}

type slot struct {
	pkts, flows uint32
	bytes       uint64
}

// add adds to second s, advancing the ring when s is newer than head. Seconds already out of
// the ring are ignored.
func (c *counter) add(s int64, pkts, bytes uint64, flows uint32) {
	if s > c.head {
		c.advance(s)
	} else if s <= c.head-window {
		return
	}
	sl := &c.r.slots[s&windowMask]
	if p := uint64(sl.pkts) + pkts; p <= math.MaxUint32 {
		sl.pkts = uint32(p)
	} else {
		sl.pkts = math.MaxUint32
	}
	sl.bytes += bytes
	sl.flows += flows
}

// addRange adds shares to the seconds from first on, one flow record to each.
func (c *counter) addRange(first int64, shares []share) {
	if last := first + int64(len(shares)) - 1; last > c.head {
		c.advance(last)
	}
	if skip := c.head - window + 1 - first; skip > 0 {
		if skip >= int64(len(shares)) {
			return
		}
		first, shares = first+skip, shares[skip:]
	}
	for i, sh := range shares {
		sl := &c.r.slots[(first+int64(i))&windowMask]
		if p := uint64(sl.pkts) + sh.pkts; p <= math.MaxUint32 {
			sl.pkts = uint32(p)
		} else {
			sl.pkts = math.MaxUint32
		}
		sl.bytes += sh.bytes
		sl.flows++
	}
}

// advance makes s the newest second, zeroing the slots of the seconds it skips.
func (c *counter) advance(s int64) {
	if s-c.head >= window {
		c.r.slots = [window]slot{}
	} else {
		for t := c.head + 1; t <= s; t++ {
			c.r.slots[t&windowMask] = slot{}
		}
	}
	c.head = s
}

// at returns the packets, bits and flows of second s (zero outside the ring).
func (c *counter) at(s int64) (pkts, bits, flows uint64) {
	if s > c.head || s <= c.head-window {
		return 0, 0, 0
	}
	sl := &c.r.slots[s&windowMask]
	return uint64(sl.pkts), sl.bytes * 8, uint64(sl.flows)
}
