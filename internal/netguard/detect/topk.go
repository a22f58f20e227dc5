package detect

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// topCap is the number of sources a topK follows: counts are exact for the heaviest sources as
// long as fewer than topCap sources carry most of the traffic.
const (
	topCap   = 64
	topSlots = 2 * topCap // open-addressing index, load at most 1/2
)

// Source is a remote address and the packets it sent, as estimated by the heavy-hitter
// structure: an overestimate by at most the smallest count it keeps.
type Source struct {
	Addr    netip.Addr
	Packets uint64
}

// topK finds the heaviest sources of a stream with the space-saving algorithm (Metwally et al.):
// topCap counters; an unknown source replaces the smallest counter and inherits its count. It
// is a fixed-size value, so updates never allocate.
type topK struct {
	n      int
	addrs  [topCap]u128
	counts [topCap]uint64
	index  [topSlots]uint8 // 0: empty, else entry index + 1
}

func (t *topK) reset() { t.n = 0; t.index = [topSlots]uint8{} }

func home(k u128) int {
	h := (k.hi ^ k.lo*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	return int(h >> (64 - 7)) // topSlots = 128
}

// add counts pkts from src.
func (t *topK) add(src u128, pkts uint64) {
	i := home(src)
	for {
		e := t.index[i]
		if e == 0 {
			break
		}
		if t.addrs[e-1] == src {
			t.counts[e-1] += pkts
			return
		}
		i = (i + 1) & (topSlots - 1)
	}
	if t.n < topCap {
		t.addrs[t.n], t.counts[t.n] = src, pkts
		t.n++
		t.index[i] = uint8(t.n)
		return
	}
	m := 0
	for j := 1; j < topCap; j++ {
		if t.counts[j] < t.counts[m] {
			m = j
		}
	}
	t.unindex(m)
	t.addrs[m] = src
	t.counts[m] += pkts
	i = home(src)
	for t.index[i] != 0 {
		i = (i + 1) & (topSlots - 1)
	}
	t.index[i] = uint8(m + 1)
}

// unindex removes entry m from the index (linear probing, backward-shift deletion).
func (t *topK) unindex(m int) {
	i := home(t.addrs[m])
	for int(t.index[i]) != m+1 {
		i = (i + 1) & (topSlots - 1)
	}
	for j := i; ; {
		j = (j + 1) & (topSlots - 1)
		e := t.index[j]
		if e == 0 {
			break
		}
		h := home(t.addrs[e-1])
		// Move e back to i unless its home lies cyclically in (i, j].
		if (i <= j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
			t.index[i] = e
			i = j
		}
	}
	t.index[i] = 0
}

// top returns the n heaviest sources, heaviest first (ties by address).
func (t *topK) top(n int, v4 bool) []Source {
	out := make([]Source, 0, t.n)
	for i := range t.n {
		out = append(out, Source{Addr: t.addrs[i].addr(v4), Packets: t.counts[i]})
	}
	slices.SortFunc(out, func(a, b Source) int {
		if c := cmp.Compare(b.Packets, a.Packets); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return out[:min(n, len(out))]
}

// u128 is an address as a comparable 128-bit key; IPv4 is mapped into ::ffff:0:0/96.
type u128 struct{ hi, lo uint64 }

func keyOf(a netip.Addr) u128 {
	if a.Is4() { // ::ffff:a.b.c.d, without the 16-byte round trip
		b := a.As4()
		return u128{0, 0xffff<<32 | uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (k u128) addr(v4 bool) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.hi)
	binary.BigEndian.PutUint64(b[8:], k.lo)
	a := netip.AddrFrom16(b)
	if v4 {
		return a.Unmap()
	}
	return a
}

// mask keeps the first bits of k (bits counted on the 128-bit form).
func (k u128) mask(bits int) u128 {
	switch {
	case bits <= 0:
		return u128{}
	case bits < 64:
		return u128{k.hi &^ (^uint64(0) >> bits), 0}
	case bits < 128:
		return u128{k.hi, k.lo &^ (^uint64(0) >> (bits - 64))}
	}
	return k
}

// less orders keys as unsigned 128-bit numbers.
func (k u128) less(o u128) bool { return k.hi < o.hi || (k.hi == o.hi && k.lo < o.lo) }
