package netflow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Errors returned by Decode, always wrapped with the version and the part that failed.
var (
	// ErrTruncated reports a packet or set shorter than its headers or lengths announce.
	ErrTruncated = errors.New("truncated packet")
	// ErrVersion reports a packet that is not NetFlow v5, NetFlow v9 or IPFIX.
	ErrVersion = errors.New("unsupported version")
	// ErrMalformed reports inconsistent lengths, reserved IDs or an unusable template.
	ErrMalformed = errors.New("malformed packet")
	// ErrUnknownTemplate reports a data set whose template has not been received (or expired).
	// It is expected for a while after the collector starts; the other sets were decoded.
	ErrUnknownTemplate = errors.New("unknown template")
	// ErrSamplingRate reports records dropped because their sampling rate exceeds
	// Config.MaxSamplingRate.
	ErrSamplingRate = errors.New("sampling rate out of range")
)

// Defaults of Config.
const (
	DefaultTemplateTTL             = time.Hour
	DefaultMaxTemplatesPerExporter = 512
	DefaultMaxTemplates            = 8192
	DefaultMaxSamplingRate         = 1_000_000
)

// Config tunes a Decoder. Zero fields take the defaults.
type Config struct {
	// TemplateTTL drops a template not refreshed for this long. Exporters resend templates every
	// few seconds to 30 minutes, so keep it above the slowest exporter's refresh.
	TemplateTTL time.Duration `yaml:"template_ttl"`
	// MaxTemplatesPerExporter caps the templates of one exporter address, all domains together.
	// Past it the exporter's least recently refreshed template is evicted.
	MaxTemplatesPerExporter int `yaml:"max_templates_per_exporter"`
	// MaxTemplates caps the templates of all exporters. Past it the least recently refreshed
	// template of any exporter is evicted.
	MaxTemplates int `yaml:"max_templates"`
	// MaxSamplingRate is the largest believable 1-in-N rate; records above it are dropped and
	// counted as malformed rather than multiplied into huge false counts.
	MaxSamplingRate uint32 `yaml:"max_sampling_rate"`
	// DefaultSamplingRate applies when an exporter announces no rate (1 when zero).
	DefaultSamplingRate uint32 `yaml:"default_sampling_rate"`
	// SamplingOverrides forces the rate of an exporter, whatever it announces. The map is copied
	// by NewDecoder.
	SamplingOverrides map[netip.Addr]uint32 `yaml:"sampling_overrides"`
}

// DefaultConfig returns the configuration used for zero fields.
func DefaultConfig() Config {
	return Config{
		TemplateTTL:             DefaultTemplateTTL,
		MaxTemplatesPerExporter: DefaultMaxTemplatesPerExporter,
		MaxTemplates:            DefaultMaxTemplates,
		MaxSamplingRate:         DefaultMaxSamplingRate,
		DefaultSamplingRate:     1,
	}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.TemplateTTL < 0 {
		errs = append(errs, fmt.Errorf("netflow template_ttl %s is negative", c.TemplateTTL))
	}
	if c.MaxTemplatesPerExporter < 0 || c.MaxTemplates < 0 {
		errs = append(errs, errors.New("netflow template caps must not be negative"))
	}
	if c.MaxTemplates > 0 && c.MaxTemplatesPerExporter > c.MaxTemplates {
		errs = append(errs, fmt.Errorf("netflow max_templates_per_exporter %d exceeds max_templates %d",
			c.MaxTemplatesPerExporter, c.MaxTemplates))
	}
	maxRate := c.MaxSamplingRate
	if maxRate == 0 {
		maxRate = DefaultMaxSamplingRate
	}
	if c.DefaultSamplingRate > maxRate {
		errs = append(errs, fmt.Errorf("netflow default_sampling_rate %d exceeds max_sampling_rate %d",
			c.DefaultSamplingRate, maxRate))
	}
	for a, r := range c.SamplingOverrides {
		if r > maxRate {
			errs = append(errs, fmt.Errorf("netflow sampling override %d for %s exceeds max_sampling_rate %d",
				r, a, maxRate))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.TemplateTTL <= 0 {
		c.TemplateTTL = def.TemplateTTL
	}
	if c.MaxTemplates <= 0 {
		c.MaxTemplates = def.MaxTemplates
	}
	if c.MaxTemplatesPerExporter <= 0 {
		c.MaxTemplatesPerExporter = min(def.MaxTemplatesPerExporter, c.MaxTemplates)
	}
	if c.MaxTemplatesPerExporter > c.MaxTemplates {
		c.MaxTemplatesPerExporter = c.MaxTemplates
	}
	if c.MaxSamplingRate == 0 {
		c.MaxSamplingRate = def.MaxSamplingRate
	}
	if c.DefaultSamplingRate == 0 {
		c.DefaultSamplingRate = 1
	}
	return c
}

// Stats counts what a Decoder saw since it was made.
type Stats struct {
	Packets        uint64 // packets given to Decode
	Records        uint64 // flows emitted
	OptionsRecords uint64 // options data records read (sampling, system init time)
	// Malformed counts rejected units: packets or sets that failed to parse, and records
	// dropped for their sampling rate.
	Malformed          uint64
	SamplingRejected   uint64 // records dropped because the rate exceeded MaxSamplingRate
	UnknownTemplate    uint64 // data sets skipped for lack of a template
	WithoutAddress     uint64 // data records skipped for carrying no IP address
	TemplatesEvicted   uint64 // templates dropped by the per-exporter or total cap
	TemplatesExpired   uint64 // templates dropped after TemplateTTL of silence
	TemplatesWithdrawn uint64 // templates withdrawn by the exporter (IPFIX)
	Templates          int    // templates held now
}

// Decoder decodes NetFlow v5, v9 and IPFIX packets. It is not safe for concurrent use.
type Decoder struct {
	cfg       Config
	overrides map[netip.Addr]uint32
	cache     cache
	scratch   template
	rec       record
	flow      netguard.Flow
	stats     Stats
}

// NewDecoder returns a Decoder with no templates. Zero Config fields take their defaults;
// call Config.Validate first to reject bad settings.
func NewDecoder(cfg Config) *Decoder {
	cfg = cfg.withDefaults()
	d := &Decoder{cfg: cfg}
	if len(cfg.SamplingOverrides) > 0 {
		d.overrides = make(map[netip.Addr]uint32, len(cfg.SamplingOverrides))
		for a, r := range cfg.SamplingOverrides {
			d.overrides[a.Unmap()] = r
		}
	}
	d.cache.init(cfg.TemplateTTL, cfg.MaxTemplatesPerExporter, cfg.MaxTemplates)
	return d
}

// Stats returns the counters.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.TemplatesEvicted = d.cache.evicted
	s.TemplatesExpired = d.cache.expired
	s.TemplatesWithdrawn = d.cache.withdrawn
	s.Templates = d.cache.n
	return s
}

// Decode decodes one NetFlow v5, v9 or IPFIX packet received from exporter at now, and calls
// emit for each flow record. It returns the first error met; the records before it, and for
// v9 and IPFIX the records of the other sets, were emitted. An error wrapping
// ErrUnknownTemplate is routine while the exporter has not yet sent its templates.
func (d *Decoder) Decode(exporter netip.Addr, pkt []byte, now time.Time, emit func(*netguard.Flow)) error {
	if len(pkt) < 2 {
		d.stats.Packets++
		d.stats.Malformed++
		return fmt.Errorf("netflow header: %w", ErrTruncated)
	}
	switch v := binary.BigEndian.Uint16(pkt); v {
	case 5:
		return d.DecodeV5(exporter, pkt, now, emit)
	case 9:
		return d.DecodeV9(exporter, pkt, now, emit)
	case 10:
		return d.DecodeIPFIX(exporter, pkt, now, emit)
	default:
		d.stats.Packets++
		d.stats.Malformed++
		return fmt.Errorf("netflow version %d: %w", v, ErrVersion)
	}
}

// rate returns the effective 1-in-N sampling rate: the override, else the announced rate,
// else the default. It reports false when the result exceeds MaxSamplingRate.
func (d *Decoder) rate(override uint32, announced uint64) (uint32, bool) {
	r := announced
	if override != 0 {
		r = uint64(override)
	}
	if r == 0 {
		r = uint64(d.cfg.DefaultSamplingRate)
	}
	if r > uint64(d.cfg.MaxSamplingRate) {
		return 0, false
	}
	return uint32(r), true
}

// mulSat multiplies and saturates instead of wrapping.
func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

// uintN reads a big-endian unsigned integer of 1 to 8 bytes (IPFIX reduced-size encoding).
func uintN(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// unixNano converts Unix nanoseconds to a UTC time.
func unixNano(ns int64) time.Time { return time.Unix(0, ns).UTC() }
