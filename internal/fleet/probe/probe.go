// Package probe checks that delivered servers answer on their main address: a TCP connection
// to a port (the default, SSH), or an ICMP echo (raw socket, needs root or CAP_NET_RAW). It
// implements fleet.Prober.
//
// It is an adapter: it imports internal/fleet, golang.org/x/net/icmp and the standard library.
// A *Prober is safe for concurrent use.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/itsgow/itsgow/internal/fleet"
)

var _ fleet.Prober = (*Prober)(nil)

// Modes.
const (
	TCP  = "tcp"
	ICMP = "icmp"
)

// Config tunes the probes.
type Config struct {
	Mode    string        `yaml:"mode"` // tcp or icmp
	Port    int           `yaml:"port"` // tcp: the port that must accept a connection
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig probes TCP port 22 with a 3 s timeout.
func DefaultConfig() Config { return Config{Mode: TCP, Port: 22, Timeout: 3 * time.Second} }

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Mode != TCP && c.Mode != ICMP {
		return fmt.Errorf("probe.mode: %q is neither tcp nor icmp", c.Mode)
	}
	if c.Mode == TCP && (c.Port < 1 || c.Port > 65535) {
		return errors.New("probe.port: between 1 and 65535")
	}
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		return errors.New("probe.timeout: between 0 and 1m")
	}
	return nil
}

// Prober probes addresses.
type Prober struct {
	cfg Config
	seq atomic.Uint32
}

// New returns a prober.
func New(cfg Config) (*Prober, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Prober{cfg: cfg}, nil
}

// Probe reports whether the target answers.
func (p *Prober) Probe(ctx context.Context, t fleet.Target) bool {
	if !t.Addr.IsValid() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if p.cfg.Mode == ICMP {
		ok, _ := p.Echo(ctx, t.Addr)
		return ok
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(t.Addr.String(), strconv.Itoa(p.cfg.Port)))
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// Echo sends one ICMP echo request to an IPv4 address and waits for its reply until ctx ends.
func (p *Prober) Echo(ctx context.Context, addr netip.Addr) (bool, error) {
	if !addr.Is4() {
		return false, errors.New("icmp probe: IPv4 only")
	}
	conn, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return false, fmt.Errorf("icmp probe: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	id, seq := int(p.seq.Add(1)&0xffff), 1
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("itsgow-probe")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return false, err
	}
	dst := &net.IPAddr{IP: net.IP(addr.AsSlice())}
	if _, err := conn.WriteTo(b, dst); err != nil {
		return false, err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return false, err
		}
		if from.String() != addr.String() {
			continue
		}
		rm, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || rm.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		if e, ok := rm.Body.(*icmp.Echo); ok && e.Seq == seq && string(e.Data) == "itsgow-probe" {
			return true, nil
		}
	}
}
