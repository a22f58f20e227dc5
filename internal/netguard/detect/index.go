package detect

import "math/bits"

// entry is what a tracked IP costs while idle: 16 bytes without pointers, held in place by
// the shard's index (IPv4) or map (IPv6), so that Add finds it with one probe and the garbage
// collector never scans it.
type entry struct {
	key       uint32 // the IPv4 address (index4 only)
	lastAbove uint32 // unix second of the latest second above threshold, 0: never
	act       int32  // position in the shard's active lists (ips, cells); -1 while idle
	pfx       uint16 // probable position of its prefix aggregate in the shard's list (checked)
	prof      uint8
	flags     uint8
}

// Entry flags.
const (
	fUsed  = 1 << iota // index4: the slot holds an entry
	fInNet             // inside Config.Networks: counts in its prefix aggregate
	fTop               // its subject counts top sources
)

// index4 maps the IPv4 addresses of a shard to their entries: open addressing with linear
// probing on a power-of-two array kept at most 3/4 full, Fibonacci hashing, and deletion by
// backward shift (no tombstones). An *entry it returns is valid until the next insert.
type index4 struct {
	slots []entry
	n     int
	shift uint8 // 32 - log2(len(slots))
}

func (x *index4) home(k uint32) uint32 { return (k * 0x9e3779b1) >> x.shift }

// find returns the entry of k, or nil.
func (x *index4) find(k uint32) *entry {
	if i, ok := x.pos(k); ok {
		return &x.slots[i]
	}
	return nil
}

// peek loads the first slot find(k) reads, so that find later hits the cache.
func (x *index4) peek(k uint32) uint32 {
	if len(x.slots) == 0 {
		return 0
	}
	return x.slots[x.home(k)].key
}

// pos returns the slot of k.
func (x *index4) pos(k uint32) (uint32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := uint32(len(x.slots) - 1)
	for i := x.home(k); ; i = (i + 1) & mask {
		e := &x.slots[i]
		if e.flags&fUsed == 0 {
			return 0, false
		}
		if e.key == k {
			return i, true
		}
	}
}

// insert returns the entry of k, adding an idle one (act -1) when k is new.
func (x *index4) insert(k uint32) (*entry, bool) {
	if e := x.find(k); e != nil {
		return e, false
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	mask := uint32(len(x.slots) - 1)
	i := x.home(k)
	for x.slots[i].flags&fUsed != 0 {
		i = (i + 1) & mask
	}
	x.n++
	x.slots[i] = entry{key: k, act: -1, flags: fUsed}
	return &x.slots[i], true
}

func (x *index4) grow() {
	old := x.slots
	size := max(16, 2*len(old))
	x.slots = make([]entry, size)
	x.shift = uint8(32 - bits.TrailingZeros(uint(size)))
	mask := uint32(size - 1)
	for _, e := range old {
		if e.flags&fUsed == 0 {
			continue
		}
		i := x.home(e.key)
		for x.slots[i].flags&fUsed != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = e
	}
}

// remove deletes k and reports whether it was there.
func (x *index4) remove(k uint32) bool {
	i, ok := x.pos(k)
	if !ok {
		return false
	}
	mask := uint32(len(x.slots) - 1)
	// Backward shift: move up each following entry of the run that may live in the hole.
	for j := (i + 1) & mask; x.slots[j].flags&fUsed != 0; j = (j + 1) & mask {
		h := x.home(x.slots[j].key)
		if (j-h)&mask >= (j-i)&mask {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = entry{}
	x.n--
	return true
}
