package flowgen

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Format is a flow export protocol.
type Format string

// The formats the Encoder writes.
const (
	NetflowV5 Format = "netflow5"
	NetflowV9 Format = "netflow9"
	IPFIX     Format = "ipfix"
	SFlow     Format = "sflow"
)

// Formats lists every format.
func Formats() []Format { return []Format{NetflowV5, NetflowV9, IPFIX, SFlow} }

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("flowgen format %q (want netflow5, netflow9, ipfix or sflow): %w", s, ErrInvalid)
}

// ErrInvalid reports a configuration or flow the encoder cannot represent.
var ErrInvalid = errors.New("invalid input")

// Defaults of EncoderConfig.
const (
	DefaultMaxDatagramSize = 1400
	minDatagramSize        = 512
)

// defaultAgent is the sFlow agent address when EncoderConfig.Agent is not set (TEST-NET-1).
var defaultAgent = netip.AddrFrom4([4]byte{192, 0, 2, 1})

// EncoderConfig describes the exporter an Encoder imitates.
type EncoderConfig struct {
	Format Format `yaml:"format"`
	// SourceID is the NetFlow v9 source ID, the IPFIX observation domain or the sFlow sub-agent.
	SourceID uint32 `yaml:"source_id"`
	// Agent is the sFlow agent address (192.0.2.1 when unset).
	Agent netip.Addr `yaml:"agent"`
	// Boot is when the exporter booted, the origin of NetFlow uptimes. Zero means one hour
	// before the first Encode.
	Boot time.Time `yaml:"-"`
	// MaxDatagramSize bounds each datagram (1400 when zero).
	MaxDatagramSize int `yaml:"max_datagram_size"`
	// TemplateEvery sends the NetFlow v9 and IPFIX templates, options template and sampling
	// options in one datagram out of N (every datagram when 0 or 1).
	TemplateEvery int `yaml:"template_every"`
	// SFlowExpanded writes expanded flow samples instead of compact ones.
	SFlowExpanded bool `yaml:"sflow_expanded"`
	// SFlowSampledIP writes sampled_ipv4/sampled_ipv6 records instead of raw packet headers.
	SFlowSampledIP bool `yaml:"sflow_sampled_ip"`
	// SFlowCounters adds one counter sample to each sFlow datagram.
	SFlowCounters bool `yaml:"sflow_counters"`
	// SFlowVLAN, when not zero, puts an 802.1Q tag with this VLAN in raw packet headers.
	SFlowVLAN uint16 `yaml:"sflow_vlan"`
}

// Validate reports settings the Encoder cannot use.
func (c EncoderConfig) Validate() error {
	var errs []error
	if _, err := ParseFormat(string(c.Format)); err != nil {
		errs = append(errs, err)
	}
	if c.MaxDatagramSize != 0 && (c.MaxDatagramSize < minDatagramSize || c.MaxDatagramSize > math.MaxUint16) {
		errs = append(errs, fmt.Errorf("flowgen max_datagram_size %d outside [%d, %d]: %w",
			c.MaxDatagramSize, minDatagramSize, math.MaxUint16, ErrInvalid))
	}
	if c.TemplateEvery < 0 {
		errs = append(errs, fmt.Errorf("flowgen template_every %d is negative: %w", c.TemplateEvery, ErrInvalid))
	}
	if c.SFlowVLAN > 4095 {
		errs = append(errs, fmt.Errorf("flowgen sflow_vlan %d above 4095: %w", c.SFlowVLAN, ErrInvalid))
	}
	return errors.Join(errs...)
}

// Encoder turns flows into export datagrams of one format. It keeps the sequence numbers of
// the exporter it imitates, so use one Encoder per simulated exporter.
type Encoder struct {
	cfg      EncoderConfig
	boot     time.Time
	booted   bool
	seq      uint32 // v5 flows, v9 packets, IPFIX data records, sFlow datagrams
	samples  uint32 // sFlow sample sequence
	packets  uint64 // datagrams written, for TemplateEvery
	samplers []uint32
}

// NewEncoder validates cfg and returns an Encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxDatagramSize == 0 {
		cfg.MaxDatagramSize = DefaultMaxDatagramSize
	}
	if cfg.TemplateEvery == 0 {
		cfg.TemplateEvery = 1
	}
	if !cfg.Agent.IsValid() {
		cfg.Agent = defaultAgent
	}
	e := &Encoder{cfg: cfg}
	if !cfg.Boot.IsZero() {
		e.boot, e.booted = cfg.Boot, true
	}
	return e, nil
}

// Format returns the format the Encoder writes.
func (e *Encoder) Format() Format { return e.cfg.Format }

// Encode returns the datagrams exporting flows at time now.
//
// Each flow's Packets and Bytes are real traffic: the encoder divides them by SamplingRate
// (0 means 1), rounding to the nearest, and announces the rate the way the format does, so a
// decoder multiplies them back. Timestamps keep millisecond precision (NetFlow v9 export times
// are whole seconds). sFlow samples single packets: a flow becomes Packets/SamplingRate samples
// (at least one) of its average packet size, stamped with the receive time by the decoder.
func (e *Encoder) Encode(now time.Time, flows []netguard.Flow) ([][]byte, error) {
	if !e.booted {
		e.boot = now.Add(-time.Hour).Truncate(time.Second)
		e.booted = true
	}
	for i := range flows {
		if err := e.check(&flows[i]); err != nil {
			return nil, fmt.Errorf("flowgen %s flow %d: %w", e.cfg.Format, i, err)
		}
	}
	switch e.cfg.Format {
	case NetflowV5:
		return e.encodeV5(now, flows)
	case NetflowV9:
		return e.encodeTemplated(now, flows, false)
	case IPFIX:
		return e.encodeTemplated(now, flows, true)
	default:
		return e.encodeSFlow(now, flows)
	}
}

func (e *Encoder) check(f *netguard.Flow) error {
	if !f.Src.IsValid() || !f.Dst.IsValid() || f.Src.Is4() != f.Dst.Is4() {
		return fmt.Errorf("addresses %s and %s are not of one family: %w", f.Src, f.Dst, ErrInvalid)
	}
	if e.cfg.Format == NetflowV5 && !f.Src.Is4() {
		return fmt.Errorf("netflow v5 carries only IPv4: %w", ErrInvalid)
	}
	if e.cfg.Format == NetflowV5 && rateOf(f) > 0x3fff {
		return fmt.Errorf("netflow v5 sampling interval %d above 16383: %w", rateOf(f), ErrInvalid)
	}
	return nil
}

func rateOf(f *netguard.Flow) uint32 { return max(f.SamplingRate, 1) }

// sampled divides a real count by the sampling rate, rounding to the nearest.
func sampled(n uint64, rate uint32) uint64 {
	r := uint64(rate)
	return n/r + (n%r+r/2)/r
}

// samplerID returns the sampler number announced for a rate: stable across calls.
func (e *Encoder) samplerID(rate uint32) (uint8, error) {
	for i, r := range e.samplers {
		if r == rate {
			return uint8(i + 1), nil
		}
	}
	if len(e.samplers) == maxSamplers {
		return 0, fmt.Errorf("more than %d sampling rates on one exporter: %w", maxSamplers, ErrInvalid)
	}
	e.samplers = append(e.samplers, rate)
	return uint8(len(e.samplers)), nil
}

// maxSamplers is how many distinct rates one encoder announces (the decoder keeps 16).
const maxSamplers = 16

// uptimeMs is the exporter uptime at t in milliseconds, wrapping like the 32-bit counter.
func (e *Encoder) uptimeMs(t time.Time) uint32 {
	return uint32(t.Sub(e.boot).Milliseconds())
}

// sortByRate orders flows by sampling rate, keeping their order otherwise.
func sortByRate(flows []netguard.Flow) []netguard.Flow {
	out := make([]netguard.Flow, len(flows))
	copy(out, flows)
	slices.SortStableFunc(out, func(a, b netguard.Flow) int { return cmp.Compare(rateOf(&a), rateOf(&b)) })
	return out
}
