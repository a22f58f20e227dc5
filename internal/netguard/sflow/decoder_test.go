package sflow_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  flowgen.EncoderConfig
		v6   bool
	}{
		{"ipv4 raw header", flowgen.EncoderConfig{}, false},
		{"ipv6 raw header", flowgen.EncoderConfig{}, true},
		{"ipv4 expanded with vlan", flowgen.EncoderConfig{SFlowExpanded: true, SFlowVLAN: 42}, false},
		{"ipv6 expanded with counters", flowgen.EncoderConfig{SFlowExpanded: true, SFlowCounters: true}, true},
		{"ipv4 sampled_ipv4", flowgen.EncoderConfig{SFlowSampledIP: true}, false},
		{"ipv6 sampled_ipv6 with ipv6 agent", flowgen.EncoderConfig{SFlowSampledIP: true, Agent: netip.MustParseAddr("2001:db8::1")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flows := slices.Concat(testFlows(tt.v6, 25, 1), testFlows(tt.v6, 25, 4096))
			pkts := encode(t, tt.cfg, flows)
			d := sflow.NewDecoder(sflow.Config{})
			got, err := decodeAll(d, exporterB, pkts, t0)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(flows)
			for i := range want {
				want[i].Exporter = exporterB
				want[i].Start, want[i].End = t0, t0 // sFlow samples are instants
				if tt.cfg.SFlowSampledIP {
					want[i].Fragment = false // sampled_ip records carry no fragment bits
				}
			}
			if diff := flowgen.Diff(want, got); diff != "" {
				t.Errorf("round trip:\n%s", diff)
			}
			st := d.Stats()
			if st.Records != uint64(len(want)) || st.FlowSamples != uint64(len(want)) || st.Malformed != 0 {
				t.Errorf("stats %+v", st)
			}
			if tt.cfg.SFlowCounters && st.CounterSamples != uint64(len(pkts)) {
				t.Errorf("%d counter samples, want %d", st.CounterSamples, len(pkts))
			}
		})
	}
}

// A flow of k sampled packets is sent as k samples, each scaled back to the rate.
func TestSampleScaling(t *testing.T) {
	t.Parallel()
	f := testFlows(false, 1, 1)[0]
	f.SamplingRate, f.Packets, f.Bytes = 1000, 5000, 5000*512
	got, err := decodeAll(sflow.NewDecoder(sflow.Config{}), exporterA, encode(t, flowgen.EncoderConfig{}, []netguard.Flow{f}), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d samples, want 5", len(got))
	}
	var pkts, bytes uint64
	for _, g := range got {
		pkts += g.Packets
		bytes += g.Bytes
		if g.Packets != 1000 || g.Bytes != 512_000 || g.SamplingRate != 1000 {
			t.Errorf("sample %+v: want 1000 packets of 512 bytes", g)
		}
	}
	if pkts != f.Packets || bytes != f.Bytes {
		t.Errorf("total %d packets %d bytes, want %d and %d", pkts, bytes, f.Packets, f.Bytes)
	}
}

func TestSampling(t *testing.T) {
	t.Parallel()
	hdr := rawHeader(1, 100, ethernet(0x0800, ipv4Header(17, 0), cat(u16(53), u16(4000), u32(0))))
	tests := []struct {
		name    string
		cfg     sflow.Config
		rate    uint32
		want    uint32 // 0: dropped
		wantErr error
	}{
		{"announced", sflow.Config{}, 2048, 2048, nil},
		{"zero is one", sflow.Config{}, 0, 1, nil},
		{"override", sflow.Config{SamplingOverrides: map[netip.Addr]uint32{exporterA: 10}}, 2048, 10, nil},
		{"override of another exporter", sflow.Config{SamplingOverrides: map[netip.Addr]uint32{exporterB: 10}}, 2048, 2048, nil},
		{"above default max", sflow.Config{}, 4_000_000_000, 0, sflow.ErrSamplingRate},
		{"above configured max", sflow.Config{MaxSamplingRate: 1000}, 1001, 0, sflow.ErrSamplingRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := sflow.NewDecoder(tt.cfg)
			got, err := decodeAll(d, exporterA, [][]byte{datagram(flowSample(tt.rate, hdr))}, t0)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.wantErr)
			}
			if tt.want == 0 {
				if st := d.Stats(); len(got) != 0 || st.Malformed != 1 || st.SamplingRejected != 1 {
					t.Fatalf("%d flows, stats %+v: want the sample dropped and counted", len(got), st)
				}
				return
			}
			if len(got) != 1 || got[0].SamplingRate != tt.want || got[0].Packets != uint64(tt.want) || got[0].Bytes != 100*uint64(tt.want) {
				t.Fatalf("got %+v, want rate %d", got, tt.want)
			}
		})
	}
}

func TestRawHeaders(t *testing.T) {
	t.Parallel()
	udp := cat(u16(123), u16(5555), u32(0))
	v4 := netguard.Flow{
		Src: netip.MustParseAddr("203.0.113.5"), Dst: netip.MustParseAddr("192.0.2.5"),
		SrcPort: 123, DstPort: 5555, Proto: 17,
	}
	v6tcp := netguard.Flow{
		Src: netip.MustParseAddr("2001:db8::5"), Dst: netip.MustParseAddr("2001:db8::6"),
		SrcPort: 80, DstPort: 999, Proto: 6, TCPFlags: 0x12,
	}
	with := func(f netguard.Flow, edit func(*netguard.Flow)) netguard.Flow { edit(&f); return f }
	tests := []struct {
		name   string
		proto  uint32
		header []byte
		want   netguard.Flow
		ok     bool
	}{
		{"ethernet ipv4 udp", 1, ethernet(0x0800, ipv4Header(17, 0), udp), v4, true},
		{"802.1Q", 1, ethernet(0x8100, u16(7), u16(0x0800), ipv4Header(17, 0), udp), v4, true},
		{"QinQ", 1, ethernet(0x88a8, u16(7), u16(0x8100), u16(8), u16(0x0800), ipv4Header(17, 0), udp), v4, true},
		{"bare ipv4", 11, cat(ipv4Header(17, 0), udp), v4, true},
		{"ipv4 first fragment", 1, ethernet(0x0800, ipv4Header(17, 0x2000), udp),
			with(v4, func(f *netguard.Flow) { f.Fragment = true }), true},
		{"ipv4 later fragment", 1, ethernet(0x0800, ipv4Header(17, 185), udp),
			with(v4, func(f *netguard.Flow) { f.Fragment, f.SrcPort, f.DstPort = true, 0, 0 }), true},
		{"ipv4 header cut in transport", 11, cat(ipv4Header(17, 0), udp[:2]),
			with(v4, func(f *netguard.Flow) { f.SrcPort, f.DstPort = 0, 0 }), true},
		{"ipv6 tcp", 1, ethernet(0x86dd, ipv6Header(6), tcpHeader(80, 999, 0x12)), v6tcp, true},
		{"ipv6 hop-by-hop then tcp", 12, cat(ipv6Header(0), []byte{6, 0, 0, 0, 0, 0, 0, 0}, tcpHeader(80, 999, 0x12)), v6tcp, true},
		{"ipv6 later fragment", 12, cat(ipv6Header(44), []byte{6, 0}, u16(185<<3), u32(1), tcpHeader(80, 999, 0x12)),
			with(v6tcp, func(f *netguard.Flow) { f.Fragment, f.SrcPort, f.DstPort, f.TCPFlags = true, 0, 0, 0 }), true},
		{"ipv6 first fragment", 12, cat(ipv6Header(44), []byte{6, 0}, u16(1), u32(1), tcpHeader(80, 999, 0x12)),
			with(v6tcp, func(f *netguard.Flow) { f.Fragment = true }), true},
		{"arp", 1, ethernet(0x0806, make([]byte, 28)), netguard.Flow{}, false},
		{"short ipv4", 11, ipv4Header(17, 0)[:19], netguard.Flow{}, false},
		{"unknown header protocol", 7, make([]byte, 64), netguard.Flow{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := sflow.NewDecoder(sflow.Config{})
			got, err := decodeAll(d, exporterA, [][]byte{datagram(flowSample(1, rawHeader(tt.proto, 100, tt.header)))}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok {
				if len(got) != 0 || d.Stats().Unusable != 1 {
					t.Fatalf("got %+v, stats %+v: want an unusable sample", got, d.Stats())
				}
				return
			}
			want := tt.want
			want.Exporter, want.Packets, want.Bytes, want.SamplingRate, want.Start, want.End = exporterA, 1, 100, 1, t0, t0
			if diff := flowgen.Diff([]netguard.Flow{want}, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// The raw header wins over a sampled_ipv4 record in the same sample; records of other
// enterprises and formats are skipped.
func TestRecordChoice(t *testing.T) {
	t.Parallel()
	sampledV4 := element(3, u32(1000), u32(6), []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}, u32(1), u32(2), u32(2), u32(0))
	raw := rawHeader(11, 60, cat(ipv4Header(17, 0), u16(53), u16(54), u32(0)))
	d := sflow.NewDecoder(sflow.Config{})
	pkt := datagram(
		flowSample(1, element(1001, make([]byte, 16)), sampledV4, raw),
		flowSample(1, element(5<<12|1, make([]byte, 8)), sampledV4),
		element(9<<12|1, make([]byte, 12)),
		element(2, make([]byte, 12)),
	)
	got, err := decodeAll(d, exporterA, [][]byte{pkt}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Proto != 17 || got[0].Bytes != 60 || got[1].Proto != 6 || got[1].Bytes != 1000 {
		t.Fatalf("got %+v", got)
	}
	if st := d.Stats(); st.OtherSamples != 1 || st.CounterSamples != 1 || st.FlowSamples != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good := flowSample(1, rawHeader(11, 60, cat(ipv4Header(17, 0), u32(0), u32(0))))
	tests := []struct {
		name string
		pkt  []byte
		want error
	}{
		{"empty", nil, sflow.ErrTruncated},
		{"version 4", cat(u32(4), make([]byte, 40)), sflow.ErrVersion},
		{"agent type 3", cat(u32(5), u32(3), make([]byte, 40)), sflow.ErrMalformed},
		{"header cut", cat(u32(5), u32(2), make([]byte, 20)), sflow.ErrTruncated},
		{"more samples than data", cat(datagram(good)[:24], u32(2), good), sflow.ErrTruncated},
		{"sample length beyond data", datagram(cat(u32(1), u32(500), good[8:])), sflow.ErrTruncated},
		{"flow sample header cut", datagram(element(1, make([]byte, 20))), sflow.ErrTruncated},
		{"expanded sample header cut", datagram(element(3, make([]byte, 40))), sflow.ErrTruncated},
		{"record length beyond sample", datagram(element(1, u32(1), u32(1), u32(1), u32(1), u32(0), u32(1), u32(2), u32(1), u32(1), u32(100))), sflow.ErrTruncated},
		{"more records than data", datagram(element(1, u32(1), u32(1), u32(1), u32(1), u32(0), u32(1), u32(2), u32(3))), sflow.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := sflow.NewDecoder(sflow.Config{})
			if err := d.Decode(exporterA, tt.pkt, t0, func(*netguard.Flow) {}); !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			if d.Stats().Malformed == 0 {
				t.Errorf("malformed not counted")
			}
		})
	}
}

func TestTruncatedAndCorrupted(t *testing.T) {
	t.Parallel()
	pkt := encode(t, flowgen.EncoderConfig{SFlowCounters: true, SFlowVLAN: 3}, slices.Concat(testFlows(false, 4, 10), testFlows(true, 4, 10)))[0]
	for n := range len(pkt) {
		err := sflow.NewDecoder(sflow.Config{}).Decode(exporterA, pkt[:n], t0, func(*netguard.Flow) {})
		if !knownError(err) {
			t.Fatalf("prefix of %d bytes: error %v, want a sentinel", n, err)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	d := sflow.NewDecoder(sflow.Config{})
	for range 20000 {
		bad := slices.Clone(pkt)
		for range 1 + rng.IntN(3) {
			bad[rng.IntN(len(bad))] = byte(rng.Uint32())
		}
		err := d.Decode(exporterA, bad, t0, func(f *netguard.Flow) {
			if f.SamplingRate == 0 || f.SamplingRate > sflow.DefaultMaxSamplingRate {
				t.Fatalf("sampling rate %d emitted", f.SamplingRate)
			}
		})
		if err != nil && !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (sflow.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	bad := sflow.Config{MaxSamplingRate: 100, SamplingOverrides: map[netip.Addr]uint32{exporterA: 200}}
	if err := bad.Validate(); err == nil {
		t.Error("override above max accepted")
	}
}

func TestDecodeAllocations(t *testing.T) {
	// Not parallel: AllocsPerRun counts the allocations of the whole process.
	for _, cfg := range []flowgen.EncoderConfig{{}, {SFlowExpanded: true, SFlowSampledIP: true}} {
		pkts := encode(t, flowgen.EncoderConfig{MaxDatagramSize: 9000, SFlowExpanded: cfg.SFlowExpanded, SFlowSampledIP: cfg.SFlowSampledIP},
			slices.Concat(testFlows(false, 15, 100), testFlows(true, 15, 100)))
		if len(pkts) != 1 {
			t.Fatalf("%d datagrams, want 1", len(pkts))
		}
		d := sflow.NewDecoder(sflow.Config{})
		var n uint64
		emit := func(f *netguard.Flow) { n += f.Packets }
		allocs := testing.AllocsPerRun(100, func() {
			if err := d.Decode(exporterA, pkts[0], t0, emit); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%+v: %v allocations per datagram, want 0", cfg, allocs)
		}
		if st := d.Stats(); st.Records != 101*30 {
			t.Errorf("%d records, want %d", st.Records, 101*30)
		}
	}
}
