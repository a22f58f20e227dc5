package bgp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// PeerFamily is an address family negotiated with a peer, named as in the configuration.
type PeerFamily string

// The families a peer can receive.
const (
	IPv4FlowSpec PeerFamily = "ipv4-flowspec" // FlowSpec rules for IPv4 (RFC 8955)
	IPv6FlowSpec PeerFamily = "ipv6-flowspec" // FlowSpec rules for IPv6 (RFC 8956)
	IPv4Unicast  PeerFamily = "ipv4-unicast"  // IPv4 RTBH blackholes (RFC 7999)
	IPv6Unicast  PeerFamily = "ipv6-unicast"  // IPv6 RTBH blackholes
)

// AllFamilies lists the families, the default of a peer that names none.
func AllFamilies() []PeerFamily {
	return []PeerFamily{IPv4FlowSpec, IPv6FlowSpec, IPv4Unicast, IPv6Unicast}
}

// Config is section netguard.bgp of the configuration file:
//
//	netguard:
//	  bgp:
//	    asn: 65010
//	    router_id: 127.0.0.10
//	    listen: 127.0.0.10:10179    # empty: do not listen, only dial out
//	    peers:
//	      - {address: 127.0.0.20, port: 11179, asn: 65020, families: [ipv4-flowspec, ipv6-flowspec, ipv4-unicast]}
//
// A Config without asn, listen and peers is disabled (Enabled is false).
type Config struct {
	ASN      uint32     `yaml:"asn"`
	RouterID netip.Addr `yaml:"router_id"` // an IPv4 address
	// Listen is host:port to accept sessions on; empty means only dial out to the peers. The
	// host is also the source address of the sessions we dial.
	Listen string       `yaml:"listen"`
	Peers  []PeerConfig `yaml:"peers"`
	// NextHop is the discard next hop of RTBH routes, per family.
	NextHop NextHop `yaml:"next_hop"`
	// HoldTime is the BGP hold time we offer (keepalives every third of it).
	HoldTime time.Duration `yaml:"hold_time"`
	// ConnectRetry is the wait between two connection attempts to a peer.
	ConnectRetry time.Duration `yaml:"connect_retry"`
}

// PeerConfig is one router that receives the rules.
type PeerConfig struct {
	Address netip.Addr `yaml:"address"`
	// Port is the peer's BGP port; zero means 179.
	Port uint16 `yaml:"port"`
	ASN  uint32 `yaml:"asn"`
	// Families are sent to the peer; empty means AllFamilies.
	Families []PeerFamily `yaml:"families"`
	// Multihop is the TTL of an eBGP session with a peer that is not directly connected;
	// zero means directly connected (TTL 1).
	Multihop uint8 `yaml:"multihop"`
	// PasswordFile holds the TCP MD5 password (RFC 2385); cmd/itsgow reads it and passes the
	// content in Deps.Passwords.
	PasswordFile string `yaml:"password_file"`
}

// NextHop is the next hop of RTBH routes, usually an address routed to a discard interface on
// every edge router.
type NextHop struct {
	IPv4 netip.Addr `yaml:"ipv4"`
	IPv6 netip.Addr `yaml:"ipv6"`
}

// DefaultConfig returns a disabled speaker with the usual discard next hops (192.0.2.1 from
// TEST-NET-1, 100::1 from the IPv6 discard prefix of RFC 6666), a 90 s hold time and a 5 s
// connect retry.
func DefaultConfig() Config {
	return Config{
		NextHop:      NextHop{IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("100::1")},
		HoldTime:     90 * time.Second,
		ConnectRetry: 5 * time.Second,
	}
}

// Enabled reports whether the configuration asks for a speaker at all.
func (c Config) Enabled() bool { return c.ASN != 0 || c.Listen != "" || len(c.Peers) > 0 }

// Validate reports every invalid field of an enabled configuration.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var problems []error
	if c.ASN == 0 {
		problems = append(problems, errors.New("asn: required"))
	}
	if !c.RouterID.Is4() {
		problems = append(problems, fmt.Errorf("router_id %q: want an IPv4 address", c.RouterID))
	}
	if c.Listen != "" {
		if _, _, err := splitListen(c.Listen); err != nil {
			problems = append(problems, fmt.Errorf("listen %q: %w", c.Listen, err))
		}
	}
	if c.NextHop.IPv4.IsValid() && !c.NextHop.IPv4.Is4() {
		problems = append(problems, fmt.Errorf("next_hop.ipv4 %s: not IPv4", c.NextHop.IPv4))
	}
	if c.NextHop.IPv6.IsValid() && (!c.NextHop.IPv6.Is6() || c.NextHop.IPv6.Is4In6()) {
		problems = append(problems, fmt.Errorf("next_hop.ipv6 %s: not IPv6", c.NextHop.IPv6))
	}
	if c.HoldTime != 0 && (c.HoldTime < 3*time.Second || c.HoldTime > 65535*time.Second) {
		problems = append(problems, fmt.Errorf("hold_time %v: want 3s to 65535s", c.HoldTime))
	}
	if c.ConnectRetry < 0 {
		problems = append(problems, fmt.Errorf("connect_retry %v: negative", c.ConnectRetry))
	}
	seen := map[netip.Addr]bool{}
	for i, p := range c.Peers {
		if !p.Address.IsValid() {
			problems = append(problems, fmt.Errorf("peers[%d].address: required", i))
		} else if seen[p.Address] {
			problems = append(problems, fmt.Errorf("peers[%d].address %s: listed twice", i, p.Address))
		}
		seen[p.Address] = true
		if p.ASN == 0 {
			problems = append(problems, fmt.Errorf("peers[%d].asn: required", i))
		}
		for _, f := range p.Families {
			switch f {
			case IPv4FlowSpec, IPv6FlowSpec, IPv4Unicast, IPv6Unicast:
			default:
				problems = append(problems, fmt.Errorf("peers[%d].families: unknown %q (want ipv4-flowspec, ipv6-flowspec, ipv4-unicast or ipv6-unicast)", i, f))
			}
		}
		if p.Families != nil && len(p.Families) == 0 {
			problems = append(problems, fmt.Errorf("peers[%d].families: empty", i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("netguard.bgp config: %w", errors.Join(problems...))
	}
	return nil
}

// splitListen parses "host:port" with an IP address host.
func splitListen(s string) (netip.Addr, uint16, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("host: want an IP address: %w", err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.Addr{}, 0, errors.New("port must be 1 to 65535")
	}
	return a.Unmap(), uint16(n), nil
}

// families returns the peer's families, AllFamilies when it names none.
func (p PeerConfig) families() []PeerFamily {
	if len(p.Families) == 0 {
		return AllFamilies()
	}
	return p.Families
}

// port returns the peer's port, 179 when unset.
func (p PeerConfig) port() uint16 {
	if p.Port == 0 {
		return 179
	}
	return p.Port
}
