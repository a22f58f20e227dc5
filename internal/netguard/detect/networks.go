package detect

import (
	"net/netip"
	"slices"
)

// addrSet is a set of prefixes as sorted, merged ranges of 128-bit keys.
type addrSet []addrRange

type addrRange struct{ from, to u128 }

func newAddrSet(prefixes []netip.Prefix) addrSet {
	var s addrSet
	for _, p := range prefixes {
		p = p.Masked()
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		from := keyOf(p.Addr())
		to := from
		switch {
		case bits < 64:
			to = u128{from.hi | ^uint64(0)>>bits, ^uint64(0)}
		case bits < 128:
			to.lo |= ^uint64(0) >> (bits - 64)
		}
		s = append(s, addrRange{from, to})
	}
	slices.SortFunc(s, func(a, b addrRange) int {
		if a.from.less(b.from) {
			return -1
		}
		if b.from.less(a.from) {
			return 1
		}
		return 0
	})
	out := s[:0]
	for _, r := range s {
		if n := len(out); n > 0 && !out[n-1].to.less(r.from) {
			if out[n-1].to.less(r.to) {
				out[n-1].to = r.to
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func (s addrSet) contains(k u128) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k.less(s[m].from) {
			hi = m
		} else if s[m].to.less(k) {
			lo = m + 1
		} else {
			return true
		}
	}
	return false
}
