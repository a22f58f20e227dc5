package collector_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// t0 is the receive time of the tests' fake clock: a whole second.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	lo4 = netip.MustParseAddr("127.0.0.1")
	lo6 = netip.MustParseAddr("::1")
)

// testConfig listens on ephemeral loopback ports, IPv4 and IPv6, two sockets per port.
func testConfig() collector.Config {
	cfg := collector.DefaultConfig()
	cfg.NetFlow = "127.0.0.1:0,[::1]:0"
	cfg.IPFIX = "127.0.0.1:0,[::1]:0"
	cfg.SFlow = "127.0.0.1:0,[::1]:0"
	cfg.Exporters = []string{"127.0.0.1", "::1"}
	cfg.SocketsPerPort = 2
	cfg.SocketBufferBytes = 1 << 20
	return cfg
}

// recorder is a Sink that keeps copies of the flows.
type recorder struct {
	mu    sync.Mutex
	flows []netguard.Flow
	check func(f *netguard.Flow)
}

func (r *recorder) Add(f *netguard.Flow, now time.Time) {
	if r.check != nil {
		r.check(f)
	}
	r.mu.Lock()
	r.flows = append(r.flows, *f)
	r.mu.Unlock()
}

func (r *recorder) taken() []netguard.Flow {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]netguard.Flow(nil), r.flows...)
}

// harness is a running collector.
type harness struct {
	c     *collector.Collector
	reg   *prometheus.Registry
	clock *clocktest.Fake
}

// start runs a collector until the test ends.
func start(tb testing.TB, cfg collector.Config, sink collector.Sink) *harness {
	tb.Helper()
	h := listen(tb, cfg, sink)
	h.run(tb)
	return h
}

// listen binds a collector without reading its sockets.
func listen(tb testing.TB, cfg collector.Config, sink collector.Sink) *harness {
	tb.Helper()
	h := &harness{reg: prometheus.NewRegistry(), clock: clocktest.New(t0)}
	c, err := collector.New(cfg, collector.Deps{Clock: h.clock, Registry: h.reg, Sink: sink})
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Listen(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	h.c = c
	return h
}

func (h *harness) run(tb testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run = %v", err)
		}
	})
}

// addr returns the listener's bound address of the family of from.
func (h *harness) addr(tb testing.TB, kind collector.Listener, from netip.Addr) netip.AddrPort {
	tb.Helper()
	for _, ap := range h.c.Addrs(kind) {
		if ap.Addr().Is4() == from.Is4() {
			return ap
		}
	}
	tb.Fatalf("no %s listener for %s in %v", kind, from, h.c.Addrs(kind))
	return netip.AddrPort{}
}

// send writes datagrams from a new socket bound to from.
func send(tb testing.TB, from netip.Addr, to netip.AddrPort, dgs [][]byte) {
	tb.Helper()
	conn, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)), net.UDPAddrFromAddrPort(to))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	for _, d := range dgs {
		if _, err := conn.Write(d); err != nil {
			tb.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %v, still waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// encode returns the datagrams of flows in format, exported at t0.
func encode(tb testing.TB, cfg flowgen.EncoderConfig, flows []netguard.Flow) [][]byte {
	tb.Helper()
	enc, err := flowgen.NewEncoder(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	dgs, err := enc.Encode(t0, flows)
	if err != nil {
		tb.Fatal(err)
	}
	return dgs
}

// listenerOf is where a format is sent.
func listenerOf(f flowgen.Format) collector.Listener {
	switch f {
	case flowgen.IPFIX:
		return collector.ListenerIPFIX
	case flowgen.SFlow:
		return collector.ListenerSFlow
	}
	return collector.ListenerNetFlow
}

// metric returns the value of a series of the registry: name with the labels given as
// "key=value" pairs; 0 when absent.
func metric(tb testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for _, kv := range labels {
				k, v, _ := strings.Cut(kv, "=")
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// ipfixTemplates returns an IPFIX datagram defining templates first..first+n-1, each with the
// source and destination IPv4 address and the octet count.
func ipfixTemplates(first uint16, n int) []byte {
	be := binary.BigEndian
	b := make([]byte, 16, 16+4+n*16)
	be.PutUint16(b, 10)
	be.PutUint32(b[4:], uint32(t0.Unix()))
	b = be.AppendUint16(b, 2) // template set
	b = be.AppendUint16(b, 0)
	for i := range n {
		b = be.AppendUint16(b, first+uint16(i))
		b = be.AppendUint16(b, 3)
		for _, f := range [][2]uint16{{8, 4}, {12, 4}, {1, 8}} {
			b = be.AppendUint16(b, f[0])
			b = be.AppendUint16(b, f[1])
		}
	}
	be.PutUint16(b[18:], uint16(len(b)-16))
	be.PutUint16(b[2:], uint16(len(b)))
	return b
}
