package collector_test

import (
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// counter is a Sink that only counts.
type counter struct{ n atomic.Uint64 }

func (c *counter) Add(*netguard.Flow, time.Time) { c.n.Add(1) }

// BenchmarkReceive measures the collector alone (a counting sink) on NetFlow v5 datagrams of 30
// records sent over loopback: one op is one datagram.
func BenchmarkReceive(b *testing.B) {
	cfg := testConfig()
	cfg.SocketsPerPort = 1
	cfg.SocketBufferBytes = 32 << 20
	sink := &counter{}
	h := start(b, cfg, sink)
	flows := make([]netguard.Flow, 30)
	for i := range flows {
		flows[i] = udpFlows(netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}), 1)[0]
	}
	dg := encode(b, flowgen.EncoderConfig{Format: flowgen.NetflowV5}, flows)[0]
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(h.addr(b, "netflow", lo4)))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	sent := 0
	for b.Loop() {
		if _, err := conn.Write(dg); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	// Wait for the queue to drain: everything counted, or nothing new for 100 ms (the drops of
	// the last datagrams are reported only with later ones).
	last, still := uint64(0), 0
	waitFor(b, 10*time.Second, "the queue to drain", func() bool {
		st := h.c.Stats()
		if st.Datagrams == last {
			still++
		} else {
			last, still = st.Datagrams, 0
		}
		return st.Datagrams+st.SocketDrops >= uint64(sent) || still >= 20
	})
	b.ReportMetric(float64(sink.n.Load())/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(uint64(sent)-h.c.Stats().Datagrams), "lost")
}
