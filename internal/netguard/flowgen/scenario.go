package flowgen

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Scenario names a traffic pattern toward a target.
type Scenario string

// The scenarios. Amplification and flood sources are spoofed or reflectors; benign traffic is
// long-lived client flows to common services.
const (
	Benign           Scenario = "benign"
	UDPFlood         Scenario = "udp-flood"
	SYNFlood         Scenario = "syn-flood"
	DNSAmplification Scenario = "dns-amplification"
	NTPAmplification Scenario = "ntp-amplification"
	Fragments        Scenario = "fragments"
	CarpetBombing    Scenario = "carpet-bombing"
)

// Scenarios lists every scenario.
func Scenarios() []Scenario {
	return []Scenario{Benign, UDPFlood, SYNFlood, DNSAmplification, NTPAmplification, Fragments, CarpetBombing}
}

// ParseScenario checks a scenario name.
func ParseScenario(s string) (Scenario, error) {
	for _, sc := range Scenarios() {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("flowgen scenario %q: %w", s, ErrInvalid)
}

// DefaultActiveTimeout is ScenarioConfig.ActiveTimeout when zero: attack tests want records
// that cover one second.
const DefaultActiveTimeout = time.Second

// ScenarioConfig describes the traffic of one Generator.
type ScenarioConfig struct {
	Scenario Scenario `yaml:"scenario"`
	// Target receives the traffic. A single address is a /32 or /128 prefix; carpet bombing
	// spreads over the whole prefix, and widens a single address to its /24 (IPv4) or /120.
	Target netip.Prefix `yaml:"target"`
	// PPS is the real packet rate toward the target, before sampling.
	PPS uint64 `yaml:"pps"`
	// SamplingRate is the exporter's 1-in-N rate (1 when zero).
	SamplingRate uint32 `yaml:"sampling_rate"`
	// ActiveTimeout is the interval each record covers, like a router's active timeout.
	ActiveTimeout time.Duration `yaml:"active_timeout"`
	// Sources is the number of remote addresses (a scenario default when zero).
	Sources int `yaml:"sources"`
	// Exporter is copied into Flow.Exporter.
	Exporter netip.Addr `yaml:"exporter"`
	// Seed makes the generator deterministic.
	Seed uint64 `yaml:"seed"`
}

// Validate reports settings the Generator cannot use.
func (c ScenarioConfig) Validate() error {
	var errs []error
	if _, err := ParseScenario(string(c.Scenario)); err != nil {
		errs = append(errs, err)
	}
	if !c.Target.IsValid() {
		errs = append(errs, fmt.Errorf("flowgen target %s is not a prefix: %w", c.Target, ErrInvalid))
	}
	if c.ActiveTimeout < 0 || (c.ActiveTimeout > 0 && c.ActiveTimeout < time.Millisecond) || c.ActiveTimeout > maxActiveTimeout {
		errs = append(errs, fmt.Errorf("flowgen active_timeout %s outside [1ms, %s]: %w", c.ActiveTimeout, maxActiveTimeout, ErrInvalid))
	}
	if c.PPS > maxPPS {
		errs = append(errs, fmt.Errorf("flowgen pps %d above %d: %w", c.PPS, uint64(maxPPS), ErrInvalid))
	}
	if c.Sources < 0 || c.Sources > maxSources {
		errs = append(errs, fmt.Errorf("flowgen sources %d outside [0, %d]: %w", c.Sources, maxSources, ErrInvalid))
	}
	return errors.Join(errs...)
}

// Bounds that keep the packet arithmetic in 64 bits.
const (
	maxSources       = 1 << 20
	maxPPS           = 1e12
	maxActiveTimeout = time.Hour
)

// flowShape is the fixed part of one source's flow.
type flowShape struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
	proto, tcpFlags  uint8
	fragment         bool
	size             uint64 // bytes per packet
}

// Generator produces the flow records of a scenario, interval by interval. The same config
// and seed give the same records.
type Generator struct {
	cfg     ScenarioConfig
	rng     *rand.Rand
	shapes  []flowShape
	acc     uint64 // real packets owed, times 1e9 (sub-packet remainder)
	carried uint64 // real packets not yet accounted for in a sample
}

// NewGenerator validates cfg and prepares the sources of the scenario.
func NewGenerator(cfg ScenarioConfig) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ActiveTimeout == 0 {
		cfg.ActiveTimeout = DefaultActiveTimeout
	}
	cfg.SamplingRate = max(cfg.SamplingRate, 1)
	cfg.Target = cfg.Target.Masked()
	if cfg.Scenario == CarpetBombing && cfg.Target.IsSingleIP() {
		width := 24
		if cfg.Target.Addr().Is6() {
			width = 120
		}
		cfg.Target = netip.PrefixFrom(cfg.Target.Addr(), width).Masked()
	}
	if cfg.Sources == 0 {
		cfg.Sources = defaultSources(cfg.Scenario)
	}
	g := &Generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))}
	g.shapes = make([]flowShape, cfg.Sources)
	for i := range g.shapes {
		g.shapes[i] = g.shape(i)
	}
	return g, nil
}

// Config returns the effective configuration, defaults applied.
func (g *Generator) Config() ScenarioConfig { return g.cfg }

func defaultSources(s Scenario) int {
	switch s {
	case Benign:
		return 64
	case DNSAmplification:
		return 256
	case NTPAmplification:
		return 128
	default:
		return 1024
	}
}

// shape draws the fixed attributes of source i.
func (g *Generator) shape(i int) flowShape {
	r := g.rng
	dst := g.cfg.Target.Addr()
	sh := flowShape{src: g.source(), dst: dst, proto: netguard.ProtoUDP}
	ephemeral := func() uint16 { return uint16(1024 + r.IntN(64512)) }
	switch g.cfg.Scenario {
	case Benign:
		switch n := r.IntN(100); {
		case n < 70:
			sh.proto, sh.srcPort = netguard.ProtoTCP, ephemeral()
			sh.dstPort = []uint16{443, 443, 443, 80, 22}[r.IntN(5)]
			sh.tcpFlags = netguard.TCPAck | netguard.TCPPsh
			if r.IntN(4) == 0 {
				sh.tcpFlags |= netguard.TCPSyn | netguard.TCPFin
			}
			sh.size = uint64(200 + r.IntN(1300))
		case n < 85:
			sh.srcPort, sh.dstPort = ephemeral(), 443 // QUIC
			sh.size = uint64(100 + r.IntN(1250))
		case n < 95:
			sh.srcPort, sh.dstPort = 53, ephemeral() // answers to the target's queries
			sh.size = uint64(80 + r.IntN(400))
		default:
			sh.proto = netguard.ProtoICMP
			if dst.Is6() {
				sh.proto = netguard.ProtoICMPv6
			}
			sh.size = 84
		}
	case UDPFlood:
		sh.srcPort, sh.dstPort = ephemeral(), uint16(1+r.IntN(65535))
		sh.size = uint64(64 + r.IntN(1408))
	case SYNFlood:
		sh.proto, sh.srcPort = netguard.ProtoTCP, ephemeral()
		sh.dstPort = []uint16{80, 443}[r.IntN(2)]
		sh.tcpFlags = netguard.TCPSyn
		sh.size = uint64(40 + 4*r.IntN(6))
	case DNSAmplification:
		sh.srcPort, sh.dstPort = 53, ephemeral()
		sh.size = uint64(1200 + r.IntN(273))
	case NTPAmplification:
		sh.srcPort, sh.dstPort = 123, ephemeral()
		sh.size = 468 // monlist response
	case Fragments:
		sh.fragment = true // later fragments: no ports
		sh.size = uint64(1280 + r.IntN(221))
	case CarpetBombing:
		sh.dst = g.host(i)
		sh.srcPort, sh.dstPort = []uint16{53, 123, 389, 1900}[r.IntN(4)], ephemeral()
		sh.size = uint64(400 + r.IntN(1073))
	}
	return sh
}

// host returns the i-th address of the target prefix, round robin, skipping the network
// address of IPv4 prefixes wider than /31 and their broadcast address.
func (g *Generator) host(i int) netip.Addr {
	p := g.cfg.Target
	hostBits := p.Addr().BitLen() - p.Bits()
	n := uint64(1) << min(hostBits, 30)
	first := uint64(0)
	if p.Addr().Is4() && hostBits >= 2 {
		first, n = 1, n-2
	}
	idx := first + uint64(i)%n
	b := p.Addr().AsSlice()
	for j := len(b) - 1; j >= 0 && idx != 0; j-- {
		sum := uint64(b[j]) + idx&0xff
		b[j] = byte(sum)
		idx = idx>>8 + sum>>8
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// source draws a remote address of the target's family outside the target prefix.
func (g *Generator) source() netip.Addr {
	for {
		var a netip.Addr
		if g.cfg.Target.Addr().Is4() {
			v := g.rng.Uint32()
			first := byte(v >> 24)
			if first == 0 || first == 10 || first == 127 || first >= 224 {
				continue
			}
			a = netip.AddrFrom4([4]byte{first, byte(v >> 16), byte(v >> 8), byte(v)})
		} else {
			var b [16]byte
			b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8 // 2001:db8::/32
			hi, lo := g.rng.Uint64(), g.rng.Uint64()
			for j := range 4 {
				b[4+j] = byte(hi >> (8 * j))
			}
			for j := range 8 {
				b[8+j] = byte(lo >> (8 * j))
			}
			a = netip.AddrFrom16(b)
		}
		if !g.cfg.Target.Contains(a) {
			return a
		}
	}
}

// Records appends the records of the interval [start, start+ActiveTimeout) to dst: one record
// per source that had at least one sampled packet, each covering the whole interval.
func (g *Generator) Records(dst []netguard.Flow, start time.Time) []netguard.Flow {
	cfg := &g.cfg
	// Real packets in the interval, carrying the fractions over to the next interval.
	hi, lo := bits.Mul64(cfg.PPS, uint64(cfg.ActiveTimeout))
	lo, c := bits.Add64(lo, g.acc, 0)
	hi += c
	total, rem := bits.Div64(hi, lo, 1e9) // hi < 1e9: Validate bounds PPS and ActiveTimeout
	g.acc = rem
	total += g.carried
	rate := uint64(cfg.SamplingRate)
	samples := total / rate
	g.carried = total % rate
	if samples == 0 {
		return dst
	}
	n := uint64(len(g.shapes))
	base, extra := samples/n, samples%n
	offset := g.rng.Uint64N(n)
	end := start.Add(cfg.ActiveTimeout)
	for i := range n {
		k := base
		if (i+n-offset)%n < extra {
			k++
		}
		if k == 0 {
			continue
		}
		sh := &g.shapes[i]
		pkts := k * rate
		dst = append(dst, netguard.Flow{
			Exporter:     cfg.Exporter,
			Src:          sh.src,
			Dst:          sh.dst,
			SrcPort:      sh.srcPort,
			DstPort:      sh.dstPort,
			Proto:        sh.proto,
			TCPFlags:     sh.tcpFlags,
			Fragment:     sh.fragment,
			Packets:      pkts,
			Bytes:        pkts * sh.size,
			SamplingRate: cfg.SamplingRate,
			Start:        start,
			End:          end,
		})
	}
	return dst
}

// Flows returns the records of the consecutive intervals that cover [start, start+d).
func (g *Generator) Flows(start time.Time, d time.Duration) []netguard.Flow {
	var out []netguard.Flow
	for t := start; t.Before(start.Add(d)); t = t.Add(g.cfg.ActiveTimeout) {
		out = g.Records(out, t)
	}
	return out
}
