// Command benchdriver drives `make bench-netguard` (scripts/bench-netguard.sh), which compares
// itsgow's collector and detector with FastNetMon on the same flows and thresholds:
//
//	benchdriver receive  itsgow's side: collector + detector tracking N IPs, stats and events in files
//	benchdriver send     ingest load: pre-encoded datagrams toward the tracked IPs at a paced record rate
//	benchdriver latency  attack runs: first attack datagram to the detection line in a watched file,
//	                     or (--bird) to the FlowSpec route of the target in BIRD's flowtab4
//
// It is a benchmark tool, not part of the itsgow binary: like cmd/itsgow it builds adapters (the
// collector) and reads flags and the wall clock. It sends only to loopback, for a bounded time.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchdriver receive|send|latency [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "receive":
		err = receive(ctx, os.Args[2:])
	case "send":
		err = send(ctx, os.Args[2:])
	case "latency":
		err = latency(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchdriver:", err)
		os.Exit(1)
	}
}

// base is the first tracked address: the N tracked IPs are base, base+1, ... (198.18.0.0/15
// holds 131,072).
var base = netip.MustParseAddr("198.18.0.0")

func nth(i int) netip.Addr {
	b := base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// receive runs itsgow's collector and detector until killed.
func receive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("receive", flag.ExitOnError)
	nf := fs.String("netflow", "127.0.0.1:2055", "NetFlow listen address")
	ipfix := fs.String("ipfix", "127.0.0.1:4739", "IPFIX listen address")
	sf := fs.String("sflow", "127.0.0.1:6343", "sFlow listen address")
	tracked := fs.Int("tracked", 100_000, "tracked IPs, from 198.18.0.0 on")
	thresholdPPS := fs.Uint64("threshold-pps", 20_000, "total packets/s threshold of every tracked IP")
	trigger := fs.Duration("trigger-delay", time.Second, "detector trigger delay (whole seconds)")
	fast := fs.Float64("fast-severity", 5, "confirm at the first second above threshold from this severity (mitigation fast_severity)")
	confirm := fs.Duration("confirm-after", time.Second, "otherwise confirm once above threshold this long (policy attack_trigger_delay)")
	notQuiet := fs.Bool("confirm-not-quiet", false, "the slow confirmation also needs the latest judged second above threshold (the former mitigation rule)")
	exportDelay := fs.Duration("export-delay", 0, "detector export delay")
	tick := fs.Duration("tick", 250*time.Millisecond, "detector Tick period")
	sockets := fs.Int("sockets", 0, "sockets per port (0: GOMAXPROCS)")
	statsPath := fs.String("stats", "", "file rewritten with JSON counters every 200 ms")
	eventsPath := fs.String("events", "", "file appended with \"unix_seconds ip confirmed\" per confirmed attack")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile here")
	noSeries := fs.Bool("no-series", false, "feed the detector alone, without the per-IP traffic series itsgow serve keeps")
	noDetector := fs.Bool("no-detector", false, "decode only, counting nothing: the floor of receive and decode")
	_ = fs.Parse(args)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	det, err := detect.New(detect.Config{
		Networks:     []netip.Prefix{netip.MustParsePrefix("198.18.0.0/15")},
		TriggerDelay: *trigger,
		ExportDelay:  *exportDelay,
		Profiles:     map[string]detect.Profile{"bench": {Total: detect.Limit{PPS: *thresholdPPS}}},
	})
	if err != nil {
		return err
	}
	ips := make([]netip.Addr, *tracked)
	for i := range *tracked {
		ips[i] = nth(i)
		if err := det.Track(ips[i], "bench"); err != nil {
			return err
		}
	}
	// What itsgow serve's collector feeds (mitigation.Watch): the detector, which feeds the
	// incoming traffic of the per-IP traffic series, and the series for the rest.
	var series *mitigation.Series
	var sink collector.Sink = det
	if !*noSeries {
		series = mitigation.NewSeries(mitigation.DefaultConfig().TrafficDelay)
		series.Track(ips)
		sink = mitigation.NewIngest(det, series)
	}
	if *noDetector {
		sink = discard{}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	perIP := float64(after.HeapAlloc-before.HeapAlloc) / float64(max(*tracked, 1))

	cfg := collector.DefaultConfig()
	cfg.NetFlow, cfg.IPFIX, cfg.SFlow = *nf, *ipfix, *sf
	cfg.Exporters = []string{"127.0.0.0/8"}
	cfg.SocketsPerPort = *sockets
	clk := clock.Real()
	c, err := collector.New(cfg, collector.Deps{Clock: clk, Sink: sink})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(ctx); err != nil {
		return err
	}
	var events io.Writer = io.Discard
	if *eventsPath != "" {
		f, err := os.OpenFile(*eventsPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		events = f
	}
	fmt.Fprintf(os.Stderr, "benchdriver receive: %d tracked IPs, %.1f bytes of heap per idle tracked IP\n", *tracked, perIP)
	go func() {
		t := time.NewTicker(*tick)
		defer t.Stop()
		last := time.Time{}
		confirmed := map[netip.Addr]bool{}
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				evs := det.Tick(now)
				if series != nil {
					_ = series.Flush(now) // the points itsgow serve writes to its store
				}
				for _, ev := range evs {
					// The mitigation service's rule (internal/netguard/mitigation): a heavy
					// attack is confirmed at its first second above threshold, a lighter one
					// once it has lasted attack_trigger_delay.
					if !ev.IP.IsValid() || ev.Kind == detect.EventEnd || confirmed[ev.IP] {
						continue
					}
					if ev.PeakSeverity >= *fast || ((!ev.Quiet || !*notQuiet) && ev.LastAbove.Sub(ev.Started) >= *confirm) {
						confirmed[ev.IP] = true
						fmt.Fprintf(events, "%.6f %s confirmed %.1f\n", float64(time.Now().UnixNano())/1e9, ev.IP, ev.PeakSeverity)
					}
				}
				if *statsPath != "" && now.Sub(last) >= 200*time.Millisecond {
					last = now
					writeStats(*statsPath, c.Stats(), det.Stats(), perIP)
				}
			}
		}
	}()
	return c.Run(ctx)
}

// discard is a sink that takes records and does nothing with them (--no-detector).
type discard struct{}

func (discard) Add(*netguard.Flow, time.Time)                {}
func (discard) AddBatch([]netguard.Flow, time.Time)          {}
func (discard) AddBatchLane(int, []netguard.Flow, time.Time) {}

func writeStats(path string, cs collector.Stats, ds detect.Stats, perIP float64) {
	b, _ := json.Marshal(map[string]any{
		"datagrams": cs.Datagrams, "flows": cs.Flows, "socket_drops": cs.SocketDrops, "malformed": cs.Malformed,
		"unknown_templates": cs.UnknownTemplates, "detector_flows": ds.Flows, "detector_stale": ds.Stale,
		"tracked": ds.Tracked, "heap_bytes_per_idle_ip": perIP,
	})
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, path)
	}
}

// loopbackOnly refuses anything but a loopback destination.
func loopbackOnly(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil || !ap.Addr().IsLoopback() {
		return ap, fmt.Errorf("destination %q: loopback only", s)
	}
	return ap, nil
}

// send paces pre-encoded datagrams of benign flows toward the tracked IPs.
func send(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	to := fs.String("to", "127.0.0.1:2055", "collector (loopback)")
	format := fs.String("format", "netflow5", "netflow5, netflow9, ipfix or sflow")
	rate := fs.Float64("rate", 1e6, "flow records (sFlow samples) per second")
	duration := fs.Duration("duration", 5*time.Second, "how long to send")
	tracked := fs.Int("tracked", 100_000, "destinations: 198.18.0.0 + [0, tracked)")
	conns := fs.Int("conns", 2, "source sockets (exporters seen on distinct ports)")
	_ = fs.Parse(args)
	dst, err := loopbackOnly(*to)
	if err != nil {
		return err
	}
	if *duration <= 0 || *duration > 10*time.Minute {
		return errors.New("duration outside (0, 10m]")
	}
	f, err := flowgen.ParseFormat(*format)
	if err != nil {
		return err
	}
	encoded := time.Now()
	pool, perDatagram, err := datagramPool(f, *tracked, encoded)
	if err != nil {
		return err
	}
	// The pool's records end when it was encoded; each datagram is restamped to the time it is
	// sent (to the millisecond), as an exporter's records end about when it sends them: sent
	// as encoded, the records of a 5-second step would all be of one second, more and more
	// late, which no exporter does and which makes a collector that spreads records over the
	// seconds they cover judge that second again and again.
	// Each is restamped from its encoded bytes with the whole shift: shifts added up, NetFlow
	// v9's header clock would run ahead by the second each remainder takes.
	orig := make([][]byte, len(pool))
	for i := range pool {
		orig[i] = slices.Clone(pool[i].data)
	}
	restamp := func(i int) {
		copy(pool[i].data, orig[i])
		flowgen.Restamp(pool[i].data, f, time.Since(encoded).Truncate(time.Millisecond))
	}
	type sock struct {
		pc   *ipv4.PacketConn
		conn *net.UDPConn
	}
	var socks []sock
	for range max(*conns, 1) {
		conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetWriteBuffer(4 << 20)
		socks = append(socks, sock{ipv4.NewPacketConn(conn), conn})
	}
	const batch = 32
	msgs := make([]ipv4.Message, batch)
	start := time.Now()
	var sent, records, errs uint64
	// Each socket is an exporter of its own to the collector (its own source port): each sends
	// the pool's first datagram, which carries the templates, before its share of the rest,
	// whose later templates may fall to the other socket.
	for _, s := range socks {
		restamp(0)
		if _, err := s.conn.Write(pool[0].data); err != nil {
			errs++
			continue
		}
		sent++
		records += uint64(pool[0].records)
	}
	next := 0
	for {
		el := time.Since(start)
		if el >= *duration || ctx.Err() != nil {
			break
		}
		due := uint64(rate2(*rate, el) / float64(perDatagram))
		if sent >= due {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		n := int(min(due-sent, batch))
		for i := range n {
			j := (next + i) % len(pool)
			restamp(j)
			msgs[i].Buffers = [][]byte{pool[j].data}
		}
		s := socks[(next/batch)%len(socks)]
		w, err := s.pc.WriteBatch(msgs[:n], 0)
		if err != nil {
			errs++
		}
		for i := range w {
			records += uint64(pool[(next+i)%len(pool)].records)
		}
		sent += uint64(max(w, 0))
		next += max(w, 0)
	}
	el := time.Since(start).Seconds()
	out, _ := json.Marshal(map[string]any{"datagrams": sent, "records": records, "seconds": el,
		"records_per_second": float64(records) / el, "write_errors": errs, "format": f})
	fmt.Println(string(out))
	return nil
}

func rate2(rate float64, el time.Duration) float64 { return rate * el.Seconds() }

type pooled struct {
	data    []byte
	records int
}

// datagramPool encodes 4,096 datagrams' worth of benign records (1-second, 10 packets, uniform
// over the tracked IPs), templates included, and returns them with the average records per
// datagram.
func datagramPool(f flowgen.Format, tracked int, now time.Time) ([]pooled, float64, error) {
	enc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: f, TemplateEvery: 64})
	if err != nil {
		return nil, 0, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var pool []pooled
	total := 0
	for len(pool) < 4096 {
		flows := make([]netguard.Flow, 512)
		for i := range flows {
			fl := netguard.Flow{
				Src: netip.AddrFrom4([4]byte{100, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))}),
				Dst: nth(rng.IntN(tracked)), SrcPort: uint16(1024 + rng.IntN(60000)), DstPort: 443,
				Proto: netguard.ProtoTCP, TCPFlags: netguard.TCPAck, Packets: 10, Bytes: 10 * 800, SamplingRate: 1,
				Start: now.Add(-time.Second), End: now,
			}
			switch rng.IntN(4) {
			case 0:
				fl.Proto, fl.SrcPort, fl.TCPFlags = netguard.ProtoUDP, 53, 0
			case 1:
				fl.Proto, fl.TCPFlags = netguard.ProtoUDP, 0
			}
			if f == flowgen.SFlow {
				fl.Packets, fl.Bytes = 1, 800 // one sample each
			}
			flows[i] = fl
		}
		dgs, err := enc.Encode(now, flows)
		if err != nil {
			return nil, 0, err
		}
		per := len(flows) / len(dgs) // near enough: the encoders fill datagrams evenly
		for j, d := range dgs {
			n := per
			if j == len(dgs)-1 {
				n = len(flows) - per*(len(dgs)-1)
			}
			pool = append(pool, pooled{d, n})
			total += n
		}
	}
	exact, err := countRecords(f, pool)
	if err != nil {
		return nil, 0, err
	}
	return pool, float64(exact) / float64(len(pool)), nil
}

// countRecords decodes the pool to know exactly how many records each datagram holds.
func countRecords(f flowgen.Format, pool []pooled) (int, error) {
	total := 0
	nf, sf := netflow.NewDecoder(netflow.Config{}), sflow.NewDecoder(sflow.Config{})
	for i := range pool {
		n, err := recordsIn(f, nf, sf, pool[i].data)
		if err != nil {
			return 0, err
		}
		pool[i].records = n
		total += n
	}
	return total, nil
}

// latency runs attacks one after the other and times each from its first datagram to the line
// naming its target in the watched file.
func latency(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	to := fs.String("to", "127.0.0.1:2055", "collector (loopback)")
	format := fs.String("format", "netflow5", "export format")
	watch := fs.String("watch", "", "file where the tool under test appends \"unix_seconds ip ...\" on detection")
	runs := fs.Int("runs", 20, "attacks")
	threshold := fs.Uint64("threshold-pps", 20_000, "the detection threshold, packets/s")
	factor := fs.Float64("factor", 10, "attack rate as a multiple of the threshold")
	first := fs.Int("first", 60_000, "index of the first attacked IP among the tracked ones")
	timeout := fs.Duration("timeout", 10*time.Second, "give up on a run after this long")
	label := fs.String("label", "", "name printed with the result")
	birdSock := fs.String("bird", "", "BIRD control socket: time each run to the target's FlowSpec route in table flowtab4 instead of --watch")
	poll := fs.Duration("poll", 5*time.Millisecond, "with --bird, how often BIRD's table is read")
	jitter := fs.Duration("jitter", 0, "add a random pause in [0, jitter) to the 500 ms between runs, so that runs do not lock onto the phase of the tool's periodic loops")
	targets := fs.String("targets", "", "comma-separated target IPs, one per run (default: the tracked IPs from --first on)")
	_ = fs.Parse(args)
	var ips []netip.Addr
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		a, err := netip.ParseAddr(t)
		if err != nil || !a.Is4() {
			return fmt.Errorf("--targets: %q is not an IPv4 address", t)
		}
		ips = append(ips, a)
	}
	if len(ips) > 0 && len(ips) < *runs {
		return fmt.Errorf("--targets: %d addresses for %d runs", len(ips), *runs)
	}
	if *poll <= 0 || *poll > 100*time.Millisecond {
		return errors.New("--poll outside (0, 100ms]")
	}
	var seen detectedFunc
	if *birdSock != "" {
		b, err := dialBird(*birdSock)
		if err != nil {
			return err
		}
		defer b.Close()
		seen = b.waitRoute(*poll)
	} else {
		seen = watchFile(*watch)
	}
	dst, err := loopbackOnly(*to)
	if err != nil {
		return err
	}
	f, err := flowgen.ParseFormat(*format)
	if err != nil {
		return err
	}
	var lat []time.Duration
	missed := 0
	for r := range *runs {
		if ctx.Err() != nil {
			break
		}
		ip := nth(*first + r)
		if len(ips) > 0 {
			ip = ips[r]
		}
		d, ok, err := attackOnce(ctx, dst, f, ip, uint64(float64(*threshold)**factor), seen, *timeout, uint64(r))
		if err != nil {
			return err
		}
		if !ok {
			missed++
			fmt.Fprintf(os.Stderr, "%s run %d %s: missed\n", *label, r, ip)
			continue
		}
		lat = append(lat, d)
		fmt.Fprintf(os.Stderr, "%s run %d %s: %s\n", *label, r, ip, d.Round(time.Millisecond))
		pause := 500 * time.Millisecond
		if *jitter > 0 {
			pause += rand.N(*jitter)
		}
		sleep(ctx, pause)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(float64(len(lat))*p+0.999999) - 1 // nearest rank
		return lat[min(max(i, 0), len(lat)-1)].Seconds()
	}
	var all []float64
	for _, d := range lat {
		all = append(all, d.Seconds())
	}
	out, _ := json.Marshal(map[string]any{"label": *label, "format": f, "factor": *factor, "runs": len(lat), "missed": missed,
		"p50": pct(0.5), "p99": pct(0.99), "min": pct(0), "max": pct(1), "all": all})
	fmt.Println(string(out))
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// firstWrite records when the first datagram left.
type firstWrite struct {
	conn  *net.UDPConn
	mu    sync.Mutex
	first time.Time
}

func (w *firstWrite) Write(p []byte) (int, error) {
	n, err := w.conn.Write(p)
	w.mu.Lock()
	if w.first.IsZero() && err == nil {
		w.first = time.Now()
	}
	w.mu.Unlock()
	return n, err
}

func (w *firstWrite) when() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first
}

// detectedFunc waits, until deadline, for the tool under test to act on ip and returns when
// it did. It is called once per run, before the run's first datagram.
type detectedFunc func(ctx context.Context, ip netip.Addr) (wait func(deadline time.Time) (time.Time, bool, error), err error)

// watchFile reads lines "unix_seconds ip ..." appended to path after the run starts.
func watchFile(path string) detectedFunc {
	return func(ctx context.Context, ip netip.Addr) (func(time.Time) (time.Time, bool, error), error) {
		watched, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if _, err := watched.Seek(0, io.SeekEnd); err != nil {
			watched.Close()
			return nil, err
		}
		return func(deadline time.Time) (time.Time, bool, error) {
			defer watched.Close()
			rd := bufio.NewReader(watched)
			var pending string
			for time.Now().Before(deadline) && ctx.Err() == nil {
				line, err := rd.ReadString('\n')
				if err == nil {
					line = pending + line
					pending = ""
					fields := strings.Fields(line)
					if len(fields) >= 2 && fields[1] == ip.String() && (len(fields) < 3 || fields[2] != "unban") {
						if ts, perr := strconv.ParseFloat(fields[0], 64); perr == nil {
							return time.Unix(0, int64(ts*1e9)), true, nil
						}
					}
					continue
				}
				pending += line
				time.Sleep(2 * time.Millisecond)
			}
			return time.Time{}, false, nil
		}, nil
	}
}

// birdCtl speaks BIRD's control-socket protocol (what birdc does): a command line, then reply
// lines "NNNN-text" or "NNNN text", continuation lines starting with a space, ending with the
// code 0000 (done) or an 8xxx/9xxx error.
type birdCtl struct {
	conn net.Conn
	rd   *bufio.Reader
}

func dialBird(sock string) (*birdCtl, error) {
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("bird control socket: %w", err)
	}
	b := &birdCtl{conn: conn, rd: bufio.NewReader(conn)}
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	hello, err := b.rd.ReadString('\n') // "0001 BIRD 2.x ready."
	if err != nil || !strings.HasPrefix(hello, "0001 ") {
		conn.Close()
		return nil, fmt.Errorf("bird control socket: greeting %q: %v", hello, err)
	}
	return b, nil
}

func (b *birdCtl) Close() error { return b.conn.Close() }

// cmd sends one command and returns its reply lines.
func (b *birdCtl) cmd(c string) ([]string, error) {
	_ = b.conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(b.conn, c+"\n"); err != nil {
		return nil, err
	}
	var out []string
	for {
		line, err := b.rd.ReadString('\n')
		if err != nil {
			return out, err
		}
		line = strings.TrimRight(line, "\n")
		out = append(out, line)
		if len(line) >= 5 && line[4] == ' ' && (line[:4] == "0000" || line[0] == '8' || line[0] == '9') {
			if line[0] != '0' {
				return out, fmt.Errorf("bird: %s: %s", c, line)
			}
			return out, nil
		}
	}
}

// waitRoute polls BIRD's flowtab4 every poll for a FlowSpec route whose destination is ip/32.
func (b *birdCtl) waitRoute(poll time.Duration) detectedFunc {
	return func(ctx context.Context, ip netip.Addr) (func(time.Time) (time.Time, bool, error), error) {
		want := "dst " + ip.String() + "/32;"
		has := func() (bool, error) {
			lines, err := b.cmd("show route table flowtab4")
			if err != nil {
				return false, err
			}
			for _, l := range lines {
				if strings.Contains(l, want) {
					return true, nil
				}
			}
			return false, nil
		}
		if ok, err := has(); err != nil || ok {
			if err == nil {
				err = fmt.Errorf("%s already has a FlowSpec route in BIRD before its run", ip)
			}
			return nil, err
		}
		return func(deadline time.Time) (time.Time, bool, error) {
			t := time.NewTicker(poll)
			defer t.Stop()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				<-t.C
				ok, err := has()
				if err != nil {
					return time.Time{}, false, err
				}
				if ok {
					return time.Now(), true, nil
				}
			}
			return time.Time{}, false, nil
		}, nil
	}
}

// attackOnce sends a UDP flood of pps toward ip in 1-second records until seen reports ip,
// and returns the delay from the first datagram.
func attackOnce(ctx context.Context, dst netip.AddrPort, f flowgen.Format, ip netip.Addr, pps uint64, seen detectedFunc,
	timeout time.Duration, seed uint64) (time.Duration, bool, error) {
	wait, err := seen(ctx, ip)
	if err != nil {
		return 0, false, err
	}
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	w := &firstWrite{conn: conn}
	s, err := flowgen.NewSender(flowgen.SenderConfig{
		Encoder: flowgen.EncoderConfig{Format: f, SourceID: uint32(seed)},
		Scenarios: []flowgen.ScenarioConfig{{Scenario: flowgen.UDPFlood, Target: netip.PrefixFrom(ip, 32), PPS: pps,
			SamplingRate: 1, ActiveTimeout: time.Second, Sources: 256, Exporter: netip.MustParseAddr("127.0.0.1"), Seed: seed + 1}},
		Duration: timeout,
	}, flowgen.SenderDeps{Clock: clock.Real(), Writer: w})
	if err != nil {
		return 0, false, err
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { _ = s.Run(actx); close(done) }()
	defer func() { cancel(); <-done }()
	at, ok, err := wait(time.Now().Add(timeout + time.Second))
	first := w.when()
	if err != nil || !ok || first.IsZero() {
		return 0, false, err
	}
	return at.Sub(first), true, nil
}

// recordsIn decodes one datagram and returns how many records it holds.
func recordsIn(f flowgen.Format, nf *netflow.Decoder, sf *sflow.Decoder, pkt []byte) (int, error) {
	n := 0
	emit := func(*netguard.Flow) { n++ }
	var err error
	if f == flowgen.SFlow {
		err = sf.Decode(netip.MustParseAddr("127.0.0.1"), pkt, time.Now(), emit)
	} else {
		err = nf.Decode(netip.MustParseAddr("127.0.0.1"), pkt, time.Now(), emit)
	}
	return n, err
}
