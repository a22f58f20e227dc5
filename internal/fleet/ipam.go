package fleet

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"net/netip"
	"time"
)

// Pool is a prefix the host hands addresses from: IPv4 prefixes give single addresses, IPv6
// prefixes give one /64 per server.
type Pool struct {
	ID         int64
	Prefix     netip.Prefix
	Datacenter string // "" serves every datacenter
	// ReservedHead is how many addresses (IPv4) or /64s (IPv6) at the start of the prefix are
	// kept for the network (network address, gateway, routers).
	ReservedHead int64
	CreatedAt    time.Time
}

// DefaultReservedHead keeps .0 to .9 of an IPv4 pool for the network (gateway at .1) and the
// first /64 of an IPv6 pool for the routers.
const (
	DefaultReservedHead4 = 10
	DefaultReservedHead6 = 1
)

// IPv4 reports whether the pool gives IPv4 addresses.
func (p Pool) IPv4() bool { return p.Prefix.Addr().Is4() }

// Range is the first and last index an allocation may use.
func (p Pool) Range() (first, last int64) {
	if p.IPv4() {
		size := int64(1) << (32 - p.Prefix.Bits())
		last = size - 1
		if size > 2 {
			last = size - 2 // the broadcast address
		}
		return p.ReservedHead, last
	}
	bits := 64 - p.Prefix.Bits()
	if bits > 40 {
		bits = 40 // a /24 of /64s is more than any pool will hand out
	}
	return p.ReservedHead, int64(1)<<bits - 1
}

// At returns the n-th address (IPv4, as a /32) or /64 (IPv6) of the pool.
func (p Pool) At(n int64) (netip.Prefix, error) {
	first, last := int64(0), int64(0)
	_, last = p.Range()
	if n < first || n > last {
		return netip.Prefix{}, fmt.Errorf("index %d outside pool %s", n, p.Prefix)
	}
	if p.IPv4() {
		b := p.Prefix.Masked().Addr().As4()
		v := binary.BigEndian.Uint32(b[:]) + uint32(n)
		binary.BigEndian.PutUint32(b[:], v)
		return netip.PrefixFrom(netip.AddrFrom4(b), 32), nil
	}
	b := p.Prefix.Masked().Addr().As16()
	hi := new(big.Int).SetBytes(b[:8])
	hi.Add(hi, big.NewInt(n))
	var out [16]byte
	hi.FillBytes(out[:8])
	return netip.PrefixFrom(netip.AddrFrom16(out), 64), nil
}

// Validate checks a pool: IPv4 prefixes between /8 and /30, IPv6 prefixes between /32 and /63.
func (p Pool) Validate() error {
	if !p.Prefix.IsValid() || p.Prefix != p.Prefix.Masked() {
		return fmt.Errorf("pool %s: not a network prefix", p.Prefix)
	}
	if p.IPv4() && (p.Prefix.Bits() < 8 || p.Prefix.Bits() > 30) {
		return fmt.Errorf("pool %s: IPv4 pools are /8 to /30", p.Prefix)
	}
	if !p.IPv4() && (p.Prefix.Bits() < 32 || p.Prefix.Bits() > 63) {
		return fmt.Errorf("pool %s: IPv6 pools are /32 to /63 (each server gets a /64)", p.Prefix)
	}
	first, last := p.Range()
	if p.ReservedHead < 0 || first > last {
		return fmt.Errorf("pool %s: reserved head %d leaves no address", p.Prefix, p.ReservedHead)
	}
	return nil
}

// ParsePool reads "PREFIX" or "PREFIX@DC" (a pool for one datacenter) with the default
// reserved head.
func ParsePool(s string) (Pool, error) {
	prefix, dc := s, ""
	for i := range s {
		if s[i] == '@' {
			prefix, dc = s[:i], s[i+1:]
			break
		}
	}
	pf, err := netip.ParsePrefix(prefix)
	if err != nil {
		return Pool{}, fmt.Errorf("pool %q: %w", s, err)
	}
	p := Pool{Prefix: pf, Datacenter: dc, ReservedHead: DefaultReservedHead4}
	if !pf.Addr().Is4() {
		p.ReservedHead = DefaultReservedHead6
	}
	return p, p.Validate()
}

// Contains reports whether addr is the address or inside the block.
func (ip IP) Contains(addr netip.Addr) bool { return ip.Prefix.Contains(addr) }
