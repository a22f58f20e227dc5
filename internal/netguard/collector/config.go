package collector

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/netguard/netflow"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

// Defaults of Config.
const (
	DefaultNetFlow           = "127.0.0.1:2055"
	DefaultIPFIX             = "127.0.0.1:4739"
	DefaultSFlow             = "127.0.0.1:6343"
	DefaultSocketBufferBytes = 32 << 20
	DefaultBatch             = 64
	DefaultReactionTarget    = time.Second
	maxBatch                 = 1024
	maxSocketsPerPort        = 64
)

// Config sets the listeners. The keys netflow, ipfix, sflow and exporters are relied upon by
// operators and scripts: keep their names.
type Config struct {
	// NetFlow, IPFIX and SFlow are the listen addresses of each protocol: host:port, or several
	// separated by commas (an IPv4 and an IPv6 socket: "127.0.0.1:2055,[::1]:2055"). An empty
	// host listens on every address, IPv4 and IPv6; an empty value disables the listener. The
	// NetFlow port takes v5 and v9 (and IPFIX too).
	NetFlow string `yaml:"netflow"`
	IPFIX   string `yaml:"ipfix"`
	SFlow   string `yaml:"sflow"`
	// Exporters is the allow-list: addresses or prefixes whose datagrams are decoded. Datagrams
	// from any other source are counted and dropped before decoding.
	Exporters []string `yaml:"exporters"`
	// SamplingOverrides force the 1-in-N sampling rate of an exporter, whatever its packets
	// announce: "ADDRESS=RATE" items.
	SamplingOverrides []string `yaml:"sampling_overrides"`
	// SocketBufferBytes is the receive buffer of each socket (SO_RCVBUF, 32 MiB). When the
	// kernel caps it (net.core.rmem_max), SO_RCVBUFFORCE is tried, then the cap is reported.
	SocketBufferBytes int `yaml:"socket_buffer_bytes"`
	// SocketsPerPort binds this many sockets to each listen address with SO_REUSEPORT, each read
	// by its own goroutine (0: GOMAXPROCS). The kernel spreads exporters over them by source
	// address and port; one exporter always reaches the same socket.
	SocketsPerPort int `yaml:"sockets_per_port"`
	// Batch is how many datagrams one recvmmsg call may return (64).
	Batch int `yaml:"batch"`
	// TemplateTTL drops a NetFlow v9 or IPFIX template not refreshed for this long (1h).
	TemplateTTL time.Duration `yaml:"template_ttl"`
	// MaxTemplates caps the templates one socket's decoder keeps, all exporters together (8192);
	// one exporter keeps at most a sixteenth of it.
	MaxTemplates int `yaml:"max_templates"`
	// MaxSamplingRate is the largest believable sampling rate (1,000,000): records announcing
	// more are counted and dropped instead of multiplied into huge false counts.
	MaxSamplingRate uint32 `yaml:"max_sampling_rate"`
	// ReactionTarget is the detection delay the exporters must allow (1s): an exporter whose
	// estimated active timeout exceeds it gets a warning, since its attacks are seen that late.
	ReactionTarget time.Duration `yaml:"reaction_target"`
}

// DefaultConfig returns the loopback listeners of the demo and the tests' defaults.
func DefaultConfig() Config {
	return Config{
		NetFlow:           DefaultNetFlow,
		IPFIX:             DefaultIPFIX,
		SFlow:             DefaultSFlow,
		Exporters:         []string{"127.0.0.1"},
		SamplingOverrides: []string{},
		SocketBufferBytes: DefaultSocketBufferBytes,
		Batch:             DefaultBatch,
		TemplateTTL:       netflow.DefaultTemplateTTL,
		MaxTemplates:      netflow.DefaultMaxTemplates,
		MaxSamplingRate:   netflow.DefaultMaxSamplingRate,
		ReactionTarget:    DefaultReactionTarget,
	}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// Listener names a kind of listener, used as the listener label of the metrics.
type Listener string

// The listeners.
const (
	ListenerNetFlow Listener = "netflow"
	ListenerIPFIX   Listener = "ipfix"
	ListenerSFlow   Listener = "sflow"
)

// Listeners lists every listener kind.
func Listeners() []Listener { return []Listener{ListenerNetFlow, ListenerIPFIX, ListenerSFlow} }

// compiled is a validated Config in the form the collector uses.
type compiled struct {
	listen    map[Listener][]netip.AddrPort // an invalid Addr means every address
	exporters []netip.Prefix
	netflow   netflow.Config
	sflow     sflow.Config
	sockets   int
	batch     int
	rcvbuf    int
	target    time.Duration
}

func (c Config) compile() (compiled, error) {
	out := compiled{listen: map[Listener][]netip.AddrPort{}}
	var errs []error
	for _, l := range []struct {
		kind  Listener
		value string
	}{{ListenerNetFlow, c.NetFlow}, {ListenerIPFIX, c.IPFIX}, {ListenerSFlow, c.SFlow}} {
		for _, s := range strings.Split(l.value, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			ap, err := parseListen(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("collector %s: %w", l.kind, err))
				continue
			}
			out.listen[l.kind] = append(out.listen[l.kind], ap)
		}
	}
	for _, s := range c.Exporters {
		p, err := parseExporter(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.exporters = append(out.exporters, p)
	}
	if len(out.listen) > 0 && len(out.exporters) == 0 {
		errs = append(errs, errors.New("collector exporters is empty: every datagram would be dropped (list the routers, or 0.0.0.0/0 and ::/0)"))
	}
	maxRate := c.MaxSamplingRate
	if maxRate == 0 {
		maxRate = netflow.DefaultMaxSamplingRate
	}
	overrides := map[netip.Addr]uint32{}
	for _, s := range c.SamplingOverrides {
		a, r, err := parseOverride(s, maxRate)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		overrides[a] = r
	}
	switch {
	case c.SocketBufferBytes < 0:
		errs = append(errs, fmt.Errorf("collector socket_buffer_bytes %d is negative", c.SocketBufferBytes))
	case c.SocketBufferBytes == 0:
		out.rcvbuf = DefaultSocketBufferBytes
	default:
		out.rcvbuf = c.SocketBufferBytes
	}
	switch {
	case c.SocketsPerPort < 0 || c.SocketsPerPort > maxSocketsPerPort:
		errs = append(errs, fmt.Errorf("collector sockets_per_port %d outside [0, %d]", c.SocketsPerPort, maxSocketsPerPort))
	case c.SocketsPerPort == 0:
		out.sockets = min(runtime.GOMAXPROCS(0), maxSocketsPerPort)
	default:
		out.sockets = c.SocketsPerPort
	}
	switch {
	case c.Batch < 0 || c.Batch > maxBatch:
		errs = append(errs, fmt.Errorf("collector batch %d outside [0, %d]", c.Batch, maxBatch))
	case c.Batch == 0:
		out.batch = DefaultBatch
	default:
		out.batch = c.Batch
	}
	if c.ReactionTarget < 0 {
		errs = append(errs, fmt.Errorf("collector reaction_target %s is negative", c.ReactionTarget))
	}
	out.target = c.ReactionTarget
	if out.target == 0 {
		out.target = DefaultReactionTarget
	}
	if c.MaxTemplates < 0 {
		errs = append(errs, fmt.Errorf("collector max_templates %d is negative", c.MaxTemplates))
	}
	out.netflow = netflow.Config{
		TemplateTTL:       c.TemplateTTL,
		MaxTemplates:      c.MaxTemplates,
		MaxSamplingRate:   c.MaxSamplingRate,
		SamplingOverrides: overrides,
	}
	if c.MaxTemplates > 0 {
		out.netflow.MaxTemplatesPerExporter = max(c.MaxTemplates/16, 1)
	}
	if err := out.netflow.Validate(); err != nil {
		errs = append(errs, err)
	}
	out.sflow = sflow.Config{MaxSamplingRate: c.MaxSamplingRate, SamplingOverrides: overrides}
	return out, errors.Join(errs...)
}

// parseListen reads host:port; an empty host is every address.
func parseListen(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("listen address %q: %w", s, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("listen address %q: port %q is not a number", s, port)
	}
	if host == "" {
		return netip.AddrPortFrom(netip.Addr{}, uint16(p)), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("listen address %q: host is not an IP address", s)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

func parseExporter(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("collector exporter %q is not an address or prefix", s)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("collector exporter %q is not an address or prefix", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parseOverride(s string, maxRate uint32) (netip.Addr, uint32, error) {
	addr, rate, ok := strings.Cut(s, "=")
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("collector sampling override %q: want ADDRESS=RATE", s)
	}
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("collector sampling override %q: %q is not an address", s, addr)
	}
	r, err := strconv.ParseUint(strings.TrimSpace(rate), 10, 32)
	if err != nil || r == 0 || r > uint64(maxRate) {
		return netip.Addr{}, 0, fmt.Errorf("collector sampling override %q: rate must be in [1, %d]", s, maxRate)
	}
	return a.Unmap(), uint32(r), nil
}
