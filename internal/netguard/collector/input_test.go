package collector_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// udpFlows returns n UDP flows of 10 real packets at rate 1 toward dst, covering the second
// before t0.
func udpFlows(dst netip.Addr, n int) []netguard.Flow {
	flows := make([]netguard.Flow, n)
	for i := range flows {
		src := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		if dst.Is6() {
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 15: byte(i)})
		}
		flows[i] = netguard.Flow{Src: src, Dst: dst, SrcPort: 4000, DstPort: uint16(1000 + i), Proto: netguard.ProtoUDP,
			Packets: 10, Bytes: 1000, SamplingRate: 1, Start: t0.Add(-time.Second), End: t0}
	}
	return flows
}

var target = netip.MustParseAddr("198.18.0.10")

// Datagrams from outside the allow-list are counted and dropped before decoding.
func TestAllowList(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Exporters = []string{"::1/128"}
	rec := &recorder{}
	h := start(t, cfg, rec)
	sent := 0
	for _, format := range flowgen.Formats() {
		dgs := encode(t, flowgen.EncoderConfig{Format: format}, udpFlows(target, 3))
		send(t, lo4, h.addr(t, listenerOf(format), lo4), dgs)
		sent += len(dgs)
	}
	waitFor(t, 5*time.Second, "the datagrams of 127.0.0.1", func() bool { return h.c.Stats().UnknownExporters == uint64(sent) })
	if n := len(rec.taken()); n != 0 {
		t.Fatalf("%d flows from an exporter outside the allow-list", n)
	}
	if v := metric(t, h.reg, "itsgow_netguard_collector_unknown_exporter_datagrams_total"); v != float64(sent) {
		t.Errorf("unknown_exporter_datagrams_total = %g, want %d", v, sent)
	}
	send(t, lo6, h.addr(t, collector.ListenerNetFlow, lo6), encode(t, flowgen.EncoderConfig{Format: flowgen.NetflowV9}, udpFlows(target, 3)))
	waitFor(t, 5*time.Second, "the flows of ::1", func() bool { return len(rec.taken()) == 3 })
	if ex := h.c.Exporters(); len(ex) != 1 || ex[0].Addr != lo6 {
		t.Errorf("exporters %+v, want ::1 alone", ex)
	}
	if st := h.c.Stats(); st.Malformed != 0 || st.DecodeErrors["version"] != 0 || st.Datagrams != uint64(sent)+1 {
		t.Errorf("stats %+v: the unknown exporter's datagrams must not be decoded", st)
	}
}

// Garbage, truncated and oversized datagrams and wrong versions are counted, never crash the
// collector, and produce no flow.
func TestBadDatagrams(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SocketsPerPort = 1
	rec := &recorder{}
	h := start(t, cfg, rec)
	valid := map[flowgen.Format][]byte{}
	for _, format := range flowgen.Formats() {
		valid[format] = encode(t, flowgen.EncoderConfig{Format: format}, udpFlows(target, 5))[0]
	}
	sent := 0
	for _, format := range flowgen.Formats() {
		to := h.addr(t, listenerOf(format), lo4)
		var dgs [][]byte
		for _, bad := range [][]byte{{}, {0}, {0, 5}, {0, 9, 0}, {0, 10}, {0, 0, 0, 5}, {0, 7, 0, 1}, {0, 0, 0, 4, 0, 0, 0, 1}} {
			dgs = append(dgs, bad)
		}
		v := valid[format]
		for n := 1; n < len(v); n += 3 { // every truncation, by steps
			dgs = append(dgs, v[:n])
		}
		dgs = append(dgs, make([]byte, 10_000)) // larger than a jumbo frame
		send(t, lo4, to, dgs)
		sent += len(dgs)
	}
	waitFor(t, 5*time.Second, "every bad datagram", func() bool { return h.c.Stats().Datagrams == uint64(sent) })
	st := h.c.Stats()
	for _, kind := range []string{"truncated", "version", "oversize"} {
		if st.DecodeErrors[kind] == 0 {
			t.Errorf("no %s decode error counted: %v", kind, st.DecodeErrors)
		}
	}
	if st.Malformed == 0 || metric(t, h.reg, "itsgow_netguard_collector_malformed_total") != float64(st.Malformed) {
		t.Errorf("malformed %d, metric %g", st.Malformed, metric(t, h.reg, "itsgow_netguard_collector_malformed_total"))
	}
	if metric(t, h.reg, "itsgow_netguard_collector_decode_errors_total", "kind=oversize") != 4 {
		t.Errorf("decode_errors_total{kind=oversize} = %g, want 4", metric(t, h.reg, "itsgow_netguard_collector_decode_errors_total", "kind=oversize"))
	}
	// Truncated v9 and IPFIX datagrams may carry a whole template and some records; nothing
	// else may come out, and the collector still decodes valid datagrams.
	before := len(rec.taken())
	for _, format := range flowgen.Formats() {
		send(t, lo4, h.addr(t, listenerOf(format), lo4), [][]byte{valid[format]})
	}
	waitFor(t, 5*time.Second, "the valid datagrams", func() bool { return len(rec.taken()) >= before+20 })
}

// A flood of templates costs bounded memory: the decoders keep at most max_templates, and one
// exporter at most a sixteenth of it.
func TestTemplateFlood(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SocketsPerPort = 1
	cfg.MaxTemplates = 64
	h := start(t, cfg, &recorder{})
	var dgs [][]byte
	for i := range 100 {
		dgs = append(dgs, ipfixTemplates(uint16(256+i*50), 50)) // 5,000 templates
	}
	send(t, lo4, h.addr(t, collector.ListenerIPFIX, lo4), dgs)
	send(t, lo6, h.addr(t, collector.ListenerIPFIX, lo6), dgs)
	waitFor(t, 5*time.Second, "the template flood", func() bool { return h.c.Stats().Datagrams == 200 })
	if st := h.c.Stats(); st.Templates != 2*4 { // two exporters on two sockets, 64/16 each
		t.Errorf("%d templates held after a flood of 5,000 per exporter, want 8", st.Templates)
	}
	if v := metric(t, h.reg, "itsgow_netguard_collector_templates"); v != 8 {
		t.Errorf("templates gauge %g, want 8", v)
	}
}

// Records announcing an absurd sampling rate are dropped and counted; a configured override
// replaces what the exporter announces.
func TestSamplingRates(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxSamplingRate = 100_000
	cfg.SamplingOverrides = []string{"::1=100"}
	rec := &recorder{}
	h := start(t, cfg, rec)
	absurd := udpFlows(target, 4)
	for i := range absurd {
		absurd[i].SamplingRate = 5_000_000
		absurd[i].Packets, absurd[i].Bytes = 5_000_000, 500_000_000
	}
	for _, format := range []flowgen.Format{flowgen.NetflowV9, flowgen.IPFIX, flowgen.SFlow} {
		send(t, lo4, h.addr(t, listenerOf(format), lo4), encode(t, flowgen.EncoderConfig{Format: format}, absurd))
	}
	waitFor(t, 5*time.Second, "the absurd records", func() bool { return h.c.Stats().Datagrams == 3 })
	st := h.c.Stats()
	if n := len(rec.taken()); n != 0 || st.SamplingRejected != 12 || st.DecodeErrors["sampling_rate"] != 3 {
		t.Errorf("%d flows, stats %+v: want the 12 records dropped and counted", n, st)
	}
	// ::1 is overridden to 1-in-100: its unsampled v5 records count 100 times.
	send(t, lo6, h.addr(t, collector.ListenerNetFlow, lo6), encode(t, flowgen.EncoderConfig{Format: flowgen.NetflowV5}, udpFlows(target, 2)))
	waitFor(t, 5*time.Second, "the overridden records", func() bool { return len(rec.taken()) == 2 })
	for _, f := range rec.taken() {
		if f.SamplingRate != 100 || f.Packets != 1000 {
			t.Errorf("overridden record: rate %d, %d packets; want 100 and 1000", f.SamplingRate, f.Packets)
		}
	}
	if ex := h.c.Exporters(); len(ex) != 2 || ex[1].Addr != lo6 || ex[1].SamplingRate != 100 || ex[0].Flows != 0 {
		t.Errorf("exporters %+v, want 127.0.0.1 without flows and ::1 at 1-in-100", ex)
	}
}

// A receive buffer overflow is read from SO_RXQ_OVFL and counted as socket drops.
func TestSocketDrops(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SocketsPerPort = 1
	cfg.SocketBufferBytes = 4096
	h := listen(t, cfg, &recorder{})
	to := h.addr(t, collector.ListenerSFlow, lo4)
	dg := encode(t, flowgen.EncoderConfig{Format: flowgen.SFlow}, udpFlows(target, 1))[0]
	burst := make([][]byte, 200)
	for i := range burst {
		burst[i] = dg
	}
	send(t, lo4, to, burst) // nobody reads yet: most are dropped
	h.run(t)
	// The kernel reports the drop count with the datagrams queued after the drops.
	waitFor(t, 5*time.Second, "socket drops", func() bool {
		send(t, lo4, to, [][]byte{dg})
		return h.c.Stats().SocketDrops > 0
	})
	st := h.c.Stats()
	if st.SocketDrops < 100 {
		t.Errorf("%d socket drops, want most of the 200-datagram burst", st.SocketDrops)
	}
	if v := metric(t, h.reg, "itsgow_netguard_collector_socket_drops_total"); v != float64(st.SocketDrops) {
		t.Errorf("socket_drops_total = %g, want %d", v, st.SocketDrops)
	}
	if v := metric(t, h.reg, "itsgow_netguard_collector_socket_buffer_bytes", "listener=sflow"); v < 4096 {
		t.Errorf("socket_buffer_bytes = %g, want at least the 4096 asked", v)
	}
}

// Randomly damaged datagrams of every format (bit flips, cuts, splices, random bytes) never
// crash the collector, and every flow that comes out is usable: a destination or a source
// (templates may lack one), both of one family, a believable sampling rate.
func TestRandomDatagrams(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SocketsPerPort = 1
	rec := &recorder{}
	rec.check = func(f *netguard.Flow) {
		both := f.Dst.IsValid() && f.Src.IsValid()
		if (!f.Dst.IsValid() && !f.Src.IsValid()) || (both && f.Src.Is4() != f.Dst.Is4()) || f.SamplingRate == 0 || f.SamplingRate > 1_000_000 {
			t.Errorf("bad flow out of a damaged datagram: %+v", f)
		}
	}
	h := start(t, cfg, rec)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	sent := 0
	for _, format := range flowgen.Formats() {
		var seeds [][]byte
		for _, dst := range []netip.Addr{target, netip.MustParseAddr("2001:db8:18::10")} {
			if format == flowgen.NetflowV5 && dst.Is6() {
				continue
			}
			for _, cfg := range []flowgen.EncoderConfig{{Format: format}, {Format: format, SFlowExpanded: true, SFlowSampledIP: true, SFlowVLAN: 7}} {
				seeds = append(seeds, encode(t, cfg, udpFlows(dst, 10))...)
			}
		}
		var dgs [][]byte
		for range 400 {
			b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
			switch rng.IntN(4) {
			case 0: // flip bits
				for range 1 + rng.IntN(8) {
					i := rng.IntN(len(b))
					b[i] ^= 1 << rng.IntN(8)
				}
			case 1: // cut
				b = b[:rng.IntN(len(b))]
			case 2: // splice two datagrams
				o := seeds[rng.IntN(len(seeds))]
				b = append(b[:rng.IntN(len(b))], o[rng.IntN(len(o)):]...)
			default: // random bytes after a valid header
				for i := 4 + rng.IntN(20); i < len(b); i++ {
					b[i] = byte(rng.Uint32())
				}
			}
			dgs = append(dgs, b)
		}
		from := lo4
		if rng.IntN(2) == 0 {
			from = lo6
		}
		send(t, from, h.addr(t, listenerOf(format), from), dgs)
		sent += len(dgs)
	}
	waitFor(t, 10*time.Second, "every damaged datagram", func() bool {
		st := h.c.Stats()
		return st.Datagrams+st.SocketDrops >= uint64(sent)
	})
	before := len(rec.taken())
	send(t, lo4, h.addr(t, collector.ListenerNetFlow, lo4), encode(t, flowgen.EncoderConfig{Format: flowgen.NetflowV5}, udpFlows(target, 3)))
	waitFor(t, 5*time.Second, "a valid datagram after the damaged ones", func() bool { return len(rec.taken()) >= before+3 })
	t.Logf("stats %+v", h.c.Stats())
}
