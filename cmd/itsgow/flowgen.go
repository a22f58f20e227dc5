package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

const flowgenUsage = `itsgow flowgen: send synthetic flow telemetry to a loopback collector

  itsgow flowgen [--to 127.0.0.1:2055] [--format netflow5|netflow9|ipfix|sflow]
                 [--scenario udp-flood|syn-flood|dns-amplification|ntp-amplification|fragments|carpet-bombing|benign]
                 [--target 198.18.0.10 | 198.18.0.0/24] [--pps N] [--sampling N] [--active-timeout 1s]
                 [--background-pps N] [--duration 30s] [--count N] [--exporter-id N] [--from ADDR]

Destinations: loopback (127.0.0.0/8, ::1) or 198.18.0.0/15 (test namespaces) only.
The traffic stops after --duration, or after --count datagrams when that comes first.
`

// maxFlowgenDuration bounds one run.
const maxFlowgenDuration = 24 * time.Hour

// benchmarkingNet is where test namespaces live (RFC 2544).
var benchmarkingNet = netip.MustParsePrefix("198.18.0.0/15")

// flowgenOptions are the parsed flags.
type flowgenOptions struct {
	to, from   netip.AddrPort
	sender     flowgen.SenderConfig
	attack     flowgen.ScenarioConfig
	background uint64
}

func parseFlowgen(args []string, stderr io.Writer) (flowgenOptions, error) {
	fs := flag.NewFlagSet("flowgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, flowgenUsage) }
	to := fs.String("to", "127.0.0.1:2055", "collector address (loopback or 198.18.0.0/15)")
	from := fs.String("from", "", "local source address: the exporter address the collector sees (default: chosen by the system)")
	format := fs.String("format", "netflow9", "netflow5, netflow9, ipfix or sflow")
	scenario := fs.String("scenario", "udp-flood", "traffic pattern")
	target := fs.String("target", "198.18.0.10", "attacked address, or prefix (carpet bombing spreads over it; an address widens to its /24)")
	pps := fs.Uint64("pps", 100_000, "real packets per second of the scenario, before sampling")
	sampling := fs.Uint("sampling", 1, "the exporter's 1-in-N sampling rate")
	active := fs.Duration("active-timeout", flowgen.DefaultActiveTimeout, "interval each flow record covers, like a router's active timeout")
	background := fs.Uint64("background-pps", 0, "real packets per second of benign traffic to the target, besides the scenario")
	duration := fs.Duration("duration", 30*time.Second, "stop exporting after this long")
	count := fs.Int("count", 0, "stop after this many datagrams (0: no limit)")
	exporterID := fs.Uint("exporter-id", 0, "NetFlow v9 source ID, IPFIX observation domain or sFlow sub-agent")
	sources := fs.Int("sources", 0, "number of attacking sources (0: the scenario's default)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed sends the same flows")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flowgenOptions{}, err
		}
		return flowgenOptions{}, usageError{"flowgen: " + err.Error()}
	}
	if fs.NArg() > 0 {
		return flowgenOptions{}, usageError{"flowgen: unexpected argument " + fs.Arg(0)}
	}
	var o flowgenOptions
	var err error
	if o.to, err = parseDestination(*to); err != nil {
		return o, usageError{err.Error()}
	}
	if *from != "" {
		a, err := netip.ParseAddr(*from)
		if err != nil {
			return o, usageError{fmt.Sprintf("flowgen --from %q is not an IP address", *from)}
		}
		o.from = netip.AddrPortFrom(a, 0)
	}
	f, err := flowgen.ParseFormat(*format)
	if err != nil {
		return o, usageError{err.Error()}
	}
	sc, err := flowgen.ParseScenario(*scenario)
	if err != nil {
		return o, usageError{fmt.Sprintf("%v (want one of %s)", err, scenarioNames())}
	}
	prefix, err := parseTarget(*target)
	if err != nil {
		return o, usageError{err.Error()}
	}
	if *duration <= 0 && *count <= 0 {
		return o, usageError{"flowgen: give a positive --duration or --count: the traffic must stop by itself"}
	}
	if *duration > maxFlowgenDuration {
		return o, usageError{fmt.Sprintf("flowgen: --duration %s above %s", *duration, maxFlowgenDuration)}
	}
	if *duration <= 0 {
		*duration = maxFlowgenDuration
	}
	if *sampling == 0 || *sampling > 1<<24 {
		return o, usageError{fmt.Sprintf("flowgen: --sampling %d outside [1, %d]", *sampling, 1<<24)}
	}
	if f == flowgen.NetflowV5 && (prefix.Addr().Is6() || *sampling > 0x3fff) {
		return o, usageError{"flowgen: netflow5 carries IPv4 only, with a sampling rate up to 16383"}
	}
	if *exporterID > 1<<32-1 {
		return o, usageError{"flowgen: --exporter-id above 32 bits"}
	}
	exporter := o.from.Addr()
	if !exporter.IsValid() {
		exporter = netip.MustParseAddr("127.0.0.1")
	}
	o.attack = flowgen.ScenarioConfig{
		Scenario: sc, Target: prefix, PPS: *pps, SamplingRate: uint32(*sampling),
		ActiveTimeout: *active, Sources: *sources, Exporter: exporter, Seed: *seed,
	}
	o.sender = flowgen.SenderConfig{
		Encoder:   flowgen.EncoderConfig{Format: f, SourceID: uint32(*exporterID)},
		Scenarios: []flowgen.ScenarioConfig{o.attack},
		Duration:  *duration,
		Count:     *count,
	}
	if o.background = *background; o.background > 0 {
		bg := o.attack
		bg.Scenario, bg.PPS, bg.Sources, bg.Seed = flowgen.Benign, o.background, 0, *seed+1
		bg.Target = netip.PrefixFrom(prefix.Addr(), prefix.Addr().BitLen())
		o.sender.Scenarios = append(o.sender.Scenarios, bg)
	}
	if err := o.sender.Validate(); err != nil {
		return o, usageError{err.Error()}
	}
	return o, nil
}

func scenarioNames() string {
	var names []string
	for _, s := range flowgen.Scenarios() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// parseDestination accepts a loopback address or one in 198.18.0.0/15, with a port: flowgen
// never sends to anything else.
func parseDestination(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("flowgen --to %q: want HOST:PORT", s)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(host, port))
	if err != nil || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("flowgen --to %q: want an IP address and a port", s)
	}
	a := ap.Addr().Unmap()
	if !a.IsLoopback() && !benchmarkingNet.Contains(a) {
		return netip.AddrPort{}, fmt.Errorf("flowgen --to %s: only loopback and 198.18.0.0/15 (test namespaces) are allowed", a)
	}
	return netip.AddrPortFrom(a, ap.Port()), nil
}

func parseTarget(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("flowgen --target %q is not an address or prefix", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("flowgen --target %q is not an address or prefix", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// cmdFlowgen: itsgow flowgen.
func cmdFlowgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlowgen(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var laddr *net.UDPAddr
	if o.from.Addr().IsValid() {
		laddr = net.UDPAddrFromAddrPort(o.from)
	}
	conn, err := net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(o.to))
	if err != nil {
		return fmt.Errorf("flowgen: %w", err)
	}
	defer conn.Close()
	clk := clock.Real()
	s, err := flowgen.NewSender(o.sender, flowgen.SenderDeps{Clock: clk, Writer: conn})
	if err != nil {
		return err
	}
	start := clk.Now()
	if err := s.Run(ctx); err != nil {
		return err
	}
	took := clk.Since(start)
	st := s.Stats()
	a := o.attack
	fmt.Fprintf(stdout, "flowgen: %s to %s from %s, %s\n", o.sender.Encoder.Format, o.to, conn.LocalAddr(), took.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %s -> %s: %d packets/s real, 1-in-%d sampling, %s records\n",
		a.Scenario, a.Target, a.PPS, max(a.SamplingRate, 1), a.ActiveTimeout)
	if o.background > 0 {
		fmt.Fprintf(stdout, "  benign background -> %s: %d packets/s real\n", a.Target.Addr(), o.background)
	}
	fmt.Fprintf(stdout, "  sent %d datagrams, %d bytes, %d flow records; %d write errors\n",
		st.Datagrams, st.Bytes, st.Flows, st.WriteErrors)
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "  interrupted")
	}
	return nil
}
