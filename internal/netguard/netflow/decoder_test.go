package netflow_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	mixed := slices.Concat(testFlows(false, 20, 1), testFlows(true, 20, 1000), testFlows(false, 7, 64))
	tests := []struct {
		name   string
		format flowgen.Format
		flows  []netguard.Flow
	}{
		{"v5 ipv4 unsampled", flowgen.NetflowV5, testFlows(false, 30, 1)},
		{"v5 ipv4 sampled", flowgen.NetflowV5, testFlows(false, 75, 512)},
		{"v5 two rates", flowgen.NetflowV5, slices.Concat(testFlows(false, 12, 1), testFlows(false, 40, 100))},
		{"v9 ipv4", flowgen.NetflowV9, testFlows(false, 30, 1)},
		{"v9 ipv6 sampled", flowgen.NetflowV9, testFlows(true, 50, 2048)},
		{"v9 mixed families and rates", flowgen.NetflowV9, mixed},
		{"ipfix ipv4", flowgen.IPFIX, testFlows(false, 30, 1)},
		{"ipfix ipv6 sampled", flowgen.IPFIX, testFlows(true, 50, 4096)},
		{"ipfix mixed families and rates", flowgen.IPFIX, mixed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pkts := encode(t, flowgen.EncoderConfig{Format: tt.format, SourceID: 7}, t0, tt.flows)
			d := netflow.NewDecoder(netflow.Config{})
			got, err := decodeAll(d, exporterB, pkts, t0)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			want := slices.Clone(tt.flows)
			for i := range want {
				want[i].Exporter = exporterB
				if tt.format == flowgen.NetflowV5 {
					want[i].Fragment = false // v5 has no fragment field
				}
			}
			if diff := flowgen.Diff(want, got); diff != "" {
				t.Errorf("round trip:\n%s", diff)
			}
			st := d.Stats()
			if st.Packets != uint64(len(pkts)) || st.Records != uint64(len(want)) || st.Malformed != 0 {
				t.Errorf("stats %+v, want %d packets, %d records, no malformed", st, len(pkts), len(want))
			}
		})
	}
}

// The decoder must not take an interval for a rate: one 30-second record of 2,000 pps is
// 60,000 packets between Start and End, not 60,000 packets in one second.
func TestLongRecordKeepsInterval(t *testing.T) {
	t.Parallel()
	g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{
		Scenario: flowgen.UDPFlood, Target: netip.MustParsePrefix("192.0.2.10/32"),
		PPS: 2000, Sources: 1, ActiveTimeout: 30 * time.Second, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	flows := g.Records(nil, t0.Add(-30*time.Second))
	for _, format := range []flowgen.Format{flowgen.NetflowV5, flowgen.NetflowV9, flowgen.IPFIX} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA,
				encode(t, flowgen.EncoderConfig{Format: format}, t0, flows), t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d flows, want 1", len(got))
			}
			f := got[0]
			if f.Packets != 60000 || f.Duration() != 30*time.Second {
				t.Fatalf("got %d packets over %s, want 60000 over 30s", f.Packets, f.Duration())
			}
			if pps := float64(f.Packets) / f.Duration().Seconds(); pps != 2000 {
				t.Errorf("rate %v pps, want 2000", pps)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tmpl := set(0, templateRecord(300, v4Fields...))
	tests := []struct {
		name string
		pkt  []byte
		want error
	}{
		{"empty", nil, netflow.ErrTruncated},
		{"one byte", []byte{0}, netflow.ErrTruncated},
		{"version 7", cat(u16(7), make([]byte, 30)), netflow.ErrVersion},
		{"v5 short header", cat(u16(5), u16(1), make([]byte, 10)), netflow.ErrTruncated},
		{"v5 count beyond data", cat(u16(5), u16(30), make([]byte, 20+48)), netflow.ErrTruncated},
		{"v9 short header", cat(u16(9), make([]byte, 10)), netflow.ErrTruncated},
		{"v9 flowset length 2", v9Packet(1, 1, 0, cat(u16(300), u16(2))), netflow.ErrMalformed},
		{"v9 flowset beyond data", v9Packet(1, 1, 0, cat(u16(300), u16(100), make([]byte, 8))), netflow.ErrTruncated},
		{"v9 dangling bytes", cat(v9Packet(1, 1, 0), []byte{1, 2}), netflow.ErrTruncated},
		{"v9 data before template", v9Packet(1, 1, 0, set(300, v4Record(1, 1))), netflow.ErrUnknownTemplate},
		{"v9 template id 5", v9Packet(1, 1, 0, set(0, templateRecord(5, v4Fields...))), netflow.ErrMalformed},
		{"v9 template fields beyond set", v9Packet(1, 1, 0, set(0, cat(u16(300), u16(40), u32(0)))), netflow.ErrTruncated},
		{"v9 template of empty fields", v9Packet(1, 1, 0, set(0, templateRecord(300, fieldSpec{1, 0}))), netflow.ErrMalformed},
		{"v9 options lengths not multiple of 4", v9Packet(1, 1, 0, set(1, cat(u16(300), u16(3), u16(4), make([]byte, 8)))), netflow.ErrMalformed},
		{"v9 good template then short record", v9Packet(1, 1, 0, tmpl, set(300, []byte{1, 2, 3})), nil},
		{"ipfix short header", cat(u16(10), u16(16)), netflow.ErrTruncated},
		{"ipfix length beyond data", cat(u16(10), u16(400), make([]byte, 30)), netflow.ErrTruncated},
		{"ipfix length below header", cat(u16(10), u16(8), make([]byte, 30)), netflow.ErrMalformed},
		{"ipfix data before template", ipfixPacket(1, 0, set(300, v4Record(1, 1))), netflow.ErrUnknownTemplate},
		{"ipfix enterprise field cut", ipfixPacket(1, 0, set(2, cat(u16(300), u16(1), u16(0x8001), u16(4), u16(0)))), netflow.ErrTruncated},
		{"ipfix options scope count 0", ipfixPacket(1, 0, set(3, cat(u16(300), u16(1), u16(0), u16(34), u16(4)))), netflow.ErrMalformed},
		{"ipfix variable-length overrun", ipfixPacket(1, 0,
			set(2, templateRecord(300, fieldSpec{1, 4}, fieldSpec{82, 0xffff})),
			set(300, u32(9), []byte{200, 1})), netflow.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := netflow.NewDecoder(netflow.Config{})
			err := d.Decode(exporterA, tt.pkt, t0, func(*netguard.Flow) {})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			if tt.want != nil && tt.want != netflow.ErrUnknownTemplate && d.Stats().Malformed == 0 {
				t.Errorf("malformed not counted: %+v", d.Stats())
			}
		})
	}
}

// knownError reports whether err wraps one of the package's sentinels.
func knownError(err error) bool {
	for _, s := range []error{netflow.ErrTruncated, netflow.ErrVersion, netflow.ErrMalformed,
		netflow.ErrUnknownTemplate, netflow.ErrSamplingRate} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// Every prefix and every single-byte corruption of valid packets is decoded without panic,
// and any error is one of the sentinels.
func TestTruncatedAndCorrupted(t *testing.T) {
	t.Parallel()
	for _, format := range []flowgen.Format{flowgen.NetflowV5, flowgen.NetflowV9, flowgen.IPFIX} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			flows := testFlows(false, 10, 10)
			if format != flowgen.NetflowV5 {
				flows = append(flows, testFlows(true, 5, 10)...)
			}
			pkt := encode(t, flowgen.EncoderConfig{Format: format}, t0, flows)[0]
			for n := range len(pkt) {
				d := netflow.NewDecoder(netflow.Config{})
				err := d.Decode(exporterA, pkt[:n], t0, func(*netguard.Flow) {})
				if err == nil && format != flowgen.NetflowV9 {
					// v9 has no packet length: a prefix ending on a flowset boundary is valid.
					t.Fatalf("prefix of %d bytes: no error", n)
				}
				if err != nil && !knownError(err) {
					t.Fatalf("prefix of %d bytes: unexpected error %v", n, err)
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			d := netflow.NewDecoder(netflow.Config{})
			for range 5000 {
				bad := slices.Clone(pkt)
				for range 1 + rng.IntN(3) {
					bad[rng.IntN(len(bad))] = byte(rng.Uint32())
				}
				err := d.Decode(exporterA, bad, t0, func(f *netguard.Flow) {
					if f.SamplingRate == 0 || f.SamplingRate > netflow.DefaultMaxSamplingRate {
						t.Fatalf("sampling rate %d emitted", f.SamplingRate)
					}
				})
				if err != nil && !knownError(err) {
					t.Fatalf("unexpected error %v", err)
				}
			}
		})
	}
}

func TestGarbage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	d := netflow.NewDecoder(netflow.Config{MaxTemplates: 64, MaxTemplatesPerExporter: 8})
	for i := range 20000 {
		b := make([]byte, rng.IntN(200))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if len(b) >= 2 {
			b[0], b[1] = 0, []byte{5, 9, 10}[i%3]
		}
		if len(b) >= 4 && i%3 == 2 {
			b[2], b[3] = 0, byte(len(b))
		}
		if err := d.Decode(exporterA, b, t0, func(*netguard.Flow) {}); err != nil && !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
	}
	if st := d.Stats(); st.Templates > 64 {
		t.Fatalf("%d templates held, cap 64", st.Templates)
	}
}

func TestSampling(t *testing.T) {
	t.Parallel()
	secs := uint32(t0.Unix())
	v9Opts := func(rateField fieldSpec, rate []byte) []byte {
		return v9Packet(1000, secs, 1,
			set(0, templateRecord(300, v4Fields...)),
			set(1, cat(v9OptionsTemplate(301, rateField), []byte{0, 0})),
			set(301, u32(0), rate),
			set(300, v4Record(1000, 10)))
	}
	ipfixOpts := func(fields []fieldSpec, values ...[]byte) []byte {
		return ipfixPacket(secs, 1,
			set(2, templateRecord(300, v4Fields...)),
			set(3, ipfixOptionsTemplate(301, fields...)),
			set(301, u32(1), cat(values...)),
			set(300, v4Record(1000, 10)))
	}
	v5 := func(interval uint16) []byte {
		return encodeV5Raw(interval, 10, 1000)
	}
	tests := []struct {
		name      string
		cfg       netflow.Config
		pkt       []byte
		wantRate  uint32 // 0: record dropped
		wantError error
	}{
		{"v5 header interval", netflow.Config{}, v5(0x4000 | 100), 100, nil},
		{"v5 interval 0 is unsampled", netflow.Config{}, v5(0), 1, nil},
		{"v5 interval 0 takes default", netflow.Config{DefaultSamplingRate: 8}, v5(0), 8, nil},
		{"v5 override", netflow.Config{SamplingOverrides: map[netip.Addr]uint32{exporterA: 2000}}, v5(100), 2000, nil},
		{"v5 override of other exporter", netflow.Config{SamplingOverrides: map[netip.Addr]uint32{exporterB: 2000}}, v5(100), 100, nil},
		{"v5 above max", netflow.Config{MaxSamplingRate: 50}, v5(100), 0, netflow.ErrSamplingRate},
		{"v9 options SAMPLING_INTERVAL", netflow.Config{}, v9Opts(fieldSpec{34, 4}, u32(256)), 256, nil},
		{"v9 options FLOW_SAMPLER_RANDOM_INTERVAL", netflow.Config{}, v9Opts(fieldSpec{50, 2}, u16(512)), 512, nil},
		{"v9 options absurd rate dropped", netflow.Config{}, v9Opts(fieldSpec{34, 4}, u32(4_000_000_000)), 0, netflow.ErrSamplingRate},
		{"v9 options zero rate is 1", netflow.Config{}, v9Opts(fieldSpec{34, 4}, u32(0)), 1, nil},
		{"v9 rate in data record", netflow.Config{}, v9Packet(1000, secs, 1,
			set(0, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{34, 4})...)),
			set(300, v4Record(1000, 10), u32(32))), 32, nil},
		{"v9 override beats options", netflow.Config{SamplingOverrides: map[netip.Addr]uint32{exporterA: 3}},
			v9Opts(fieldSpec{34, 4}, u32(256)), 3, nil},
		{"ipfix samplingInterval", netflow.Config{}, ipfixOpts([]fieldSpec{{34, 4}}, u32(100)), 100, nil},
		{"ipfix samplingPacketInterval alone", netflow.Config{}, ipfixOpts([]fieldSpec{{305, 4}}, u32(1000)), 1000, nil},
		{"ipfix packet interval and space", netflow.Config{}, ipfixOpts([]fieldSpec{{305, 4}, {306, 4}}, u32(1), u32(1999)), 2000, nil},
		{"ipfix samplerRandomInterval", netflow.Config{}, ipfixOpts([]fieldSpec{{50, 4}}, u32(64)), 64, nil},
		{"ipfix size and population", netflow.Config{}, ipfixOpts([]fieldSpec{{309, 4}, {310, 4}}, u32(1), u32(50)), 50, nil},
		{"ipfix above configured max", netflow.Config{MaxSamplingRate: 10_000}, ipfixOpts([]fieldSpec{{305, 4}}, u32(20_000)), 0, netflow.ErrSamplingRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := netflow.NewDecoder(tt.cfg)
			got, err := decodeAll(d, exporterA, [][]byte{tt.pkt}, t0)
			if !errors.Is(err, tt.wantError) || (tt.wantError == nil && err != nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.wantError)
			}
			if tt.wantRate == 0 {
				if len(got) != 0 {
					t.Fatalf("got %d flows, want the record dropped", len(got))
				}
				if st := d.Stats(); st.SamplingRejected != 1 || st.Malformed != 1 {
					t.Fatalf("stats %+v: want 1 sampling rejection counted as malformed", st)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d flows, want 1", len(got))
			}
			f := got[0]
			r := uint64(tt.wantRate)
			if f.SamplingRate != tt.wantRate || f.Packets != 10*r || f.Bytes != 1000*r {
				t.Errorf("got rate %d, %d packets, %d bytes; want rate %d, %d packets, %d bytes",
					f.SamplingRate, f.Packets, f.Bytes, r, 10*r, 1000*r)
			}
		})
	}
}

// encodeV5Raw builds a one-record v5 packet with any sampling field.
func encodeV5Raw(sampling uint16, pkts, bytes uint32) []byte {
	rec := make([]byte, 48)
	copy(rec, []byte{203, 0, 113, 1, 192, 0, 2, 1})
	copy(rec[16:], cat(u32(pkts), u32(bytes), u32(1000), u32(2000)))
	rec[38] = 17
	return cat(u16(5), u16(1), u32(5000), u32(uint32(t0.Unix())), u32(0), u32(0), []byte{0, 0}, u16(sampling), rec)
}

func TestSamplerIDs(t *testing.T) {
	t.Parallel()
	// Two samplers announced by options; data records name theirs with FLOW_SAMPLER_ID.
	secs := uint32(t0.Unix())
	fields := append(slices.Clone(v4Fields), fieldSpec{48, 1})
	pkt := v9Packet(1000, secs, 1,
		set(0, templateRecord(300, fields...)),
		set(1, v9OptionsTemplate(301, fieldSpec{48, 1}, fieldSpec{50, 4})),
		set(301, u32(0), []byte{1}, u32(100), u32(0), []byte{2}, u32(1000), []byte{0, 0}),
		set(300, v4Record(100, 1), []byte{2}, v4Record(100, 1), []byte{1}, v4Record(100, 1), []byte{9}))
	got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, [][]byte{pkt}, t0)
	if err != nil {
		t.Fatal(err)
	}
	var rates []uint32
	for _, f := range got {
		rates = append(rates, f.SamplingRate)
	}
	// Sampler 9 is unknown: the domain's last announced rate applies.
	if want := []uint32{1000, 100, 1000}; !slices.Equal(rates, want) {
		t.Errorf("rates %v, want %v", rates, want)
	}
}

func TestTimes(t *testing.T) {
	t.Parallel()
	secs := uint32(t0.Unix())
	ms := func(t time.Time) uint64 { return uint64(t.UnixMilli()) }
	ntp := func(t time.Time) uint64 {
		return uint64(t.Unix()+2208988800)<<32 | uint64(t.Nanosecond())<<32/1e9
	}
	start, end := t0.Add(-20*time.Second), t0.Add(-2*time.Second)
	sysInit := t0.Add(-10 * time.Hour)
	tests := []struct {
		name       string
		pkt        []byte
		start, end time.Time
	}{
		{"v9 switched times", v9Packet(20_000, secs, 0,
			set(0, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{22, 4}, fieldSpec{21, 4})...)),
			set(300, v4Record(1, 1), u32(0), u32(18_000))), start, end},
		{"v9 uptime wrapped between first and export", v9Packet(5_000, secs, 0,
			set(0, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{22, 4}, fieldSpec{21, 4})...)),
			set(300, v4Record(1, 1), u32(0xffffffff-14_999), u32(3_000))), start, end},
		{"v9 no times", v9Packet(1, secs, 0,
			set(0, templateRecord(300, v4Fields...)), set(300, v4Record(1, 1))), t0, t0},
		{"ipfix seconds", ipfixPacket(secs, 0,
			set(2, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{150, 4}, fieldSpec{151, 4})...)),
			set(300, v4Record(1, 1), u32(uint32(start.Unix())), u32(uint32(end.Unix())))), start, end},
		{"ipfix milliseconds", ipfixPacket(secs, 0,
			set(2, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{152, 8}, fieldSpec{153, 8})...)),
			set(300, v4Record(1, 1), u64(ms(start.Add(7*time.Millisecond))), u64(ms(end)))), start.Add(7 * time.Millisecond), end},
		{"ipfix nanoseconds", ipfixPacket(secs, 0,
			set(2, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{156, 8}, fieldSpec{157, 8})...)),
			set(300, v4Record(1, 1), u64(ntp(start.Add(500*time.Millisecond))), u64(ntp(end)))), start.Add(500 * time.Millisecond), end},
		{"ipfix deltas", ipfixPacket(secs, 0,
			set(2, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{158, 4}, fieldSpec{159, 4})...)),
			set(300, v4Record(1, 1), u32(20_000_000), u32(2_000_000))), start, end},
		{"ipfix sysuptime with init time in options", ipfixPacket(secs, 0,
			set(2, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{22, 4}, fieldSpec{21, 4})...)),
			set(3, ipfixOptionsTemplate(301, fieldSpec{160, 8})),
			set(301, u32(0), u64(ms(sysInit))),
			set(300, v4Record(1, 1), u32(uint32(start.Sub(sysInit).Milliseconds())), u32(uint32(end.Sub(sysInit).Milliseconds())))), start, end},
		{"ipfix start only", ipfixPacket(secs, 0,
			set(2, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{152, 8})...)),
			set(300, v4Record(1, 1), u64(ms(start)))), start, start},
		{"ipfix export time zero uses now", ipfixPacket(0, 0,
			set(2, templateRecord(300, v4Fields...)), set(300, v4Record(1, 1))), t0.Add(time.Second), t0.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, [][]byte{tt.pkt}, t0.Add(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d flows, want 1", len(got))
			}
			if !got[0].Start.Equal(tt.start) || !got[0].End.Equal(tt.end) {
				t.Errorf("interval [%s, %s], want [%s, %s]", got[0].Start, got[0].End, tt.start, tt.end)
			}
		})
	}
}

func TestFragmentFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field fieldSpec
		value []byte
		want  bool
	}{
		{"fragmentFlags MF", fieldSpec{197, 1}, []byte{0x20}, true},
		{"fragmentFlags DF only", fieldSpec{197, 1}, []byte{0x40}, false},
		{"fragmentOffset nonzero", fieldSpec{88, 2}, u16(185), true},
		{"fragmentOffset zero", fieldSpec{88, 2}, u16(0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pkt := ipfixPacket(uint32(t0.Unix()), 0,
				set(2, templateRecord(300, append(slices.Clone(v4Fields), tt.field)...)),
				set(300, v4Record(1, 1), tt.value))
			got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, [][]byte{pkt}, t0)
			if err != nil || len(got) != 1 {
				t.Fatalf("got %d flows, err %v", len(got), err)
			}
			if got[0].Fragment != tt.want {
				t.Errorf("Fragment %v, want %v", got[0].Fragment, tt.want)
			}
		})
	}
}

// Enterprise fields, variable-length fields and reduced-size counters are read or skipped by
// their lengths.
func TestIPFIXFieldEncodings(t *testing.T) {
	t.Parallel()
	tmpl := cat(u16(300), u16(7),
		u16(0x8000|1), u16(4), u32(29305), // enterprise field numbered like octetDeltaCount
		u16(82), u16(0xffff), // interfaceName, variable length
		u16(1), u16(2), // octetDeltaCount in 2 bytes
		u16(2), u16(1), // packetDeltaCount in 1 byte
		u16(4), u16(1), u16(8), u16(4), u16(12), u16(4))
	rec := func(name string) []byte {
		v := []byte{byte(len(name))}
		if len(name) >= 255 {
			v = cat([]byte{255}, u16(uint16(len(name))))
		}
		return cat(u32(0xdeadbeef), v, []byte(name), u16(1500), []byte{3}, []byte{6}, []byte{203, 0, 113, 9}, []byte{192, 0, 2, 9})
	}
	long := string(make([]byte, 300))
	pkt := ipfixPacket(uint32(t0.Unix()), 0, set(2, tmpl), set(300, rec("eth0"), rec(long), rec("")))
	got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, [][]byte{pkt}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d flows, want 3", len(got))
	}
	for _, f := range got {
		if f.Bytes != 1500 || f.Packets != 3 || f.Proto != 6 || f.Src != netip.MustParseAddr("203.0.113.9") {
			t.Errorf("flow %+v", f)
		}
	}
}

// Templates with both address families leave one of them zero.
func TestDualFamilyTemplate(t *testing.T) {
	t.Parallel()
	v6 := netip.MustParseAddr("2001:db8::7").As16()
	pkt := ipfixPacket(uint32(t0.Unix()), 0,
		set(2, templateRecord(300, fieldSpec{2, 4}, fieldSpec{8, 4}, fieldSpec{27, 16}, fieldSpec{12, 4}, fieldSpec{28, 16})),
		set(300, u32(1), []byte{203, 0, 113, 1}, make([]byte, 16), []byte{192, 0, 2, 1}, make([]byte, 16)),
		set(300, u32(1), make([]byte, 4), v6[:], make([]byte, 4), v6[:]))
	got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, [][]byte{pkt}, t0)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d flows, %v", len(got), err)
	}
	if got[0].Src != netip.MustParseAddr("203.0.113.1") || got[0].Dst != netip.MustParseAddr("192.0.2.1") ||
		got[1].Src != netip.AddrFrom16(v6) || got[1].Dst != netip.AddrFrom16(v6) {
		t.Errorf("addresses %s>%s and %s>%s", got[0].Src, got[0].Dst, got[1].Src, got[1].Dst)
	}
}

func TestRecordWithoutAddressIsSkipped(t *testing.T) {
	t.Parallel()
	pkt := ipfixPacket(uint32(t0.Unix()), 0,
		set(2, templateRecord(300, fieldSpec{1, 8}, fieldSpec{10, 4})),
		set(300, u64(1e9), u32(3)))
	d := netflow.NewDecoder(netflow.Config{})
	got, err := decodeAll(d, exporterA, [][]byte{pkt}, t0)
	if err != nil || len(got) != 0 || d.Stats().WithoutAddress != 1 {
		t.Fatalf("got %d flows, %v, stats %+v: want the record skipped", len(got), err, d.Stats())
	}
}

func TestTemplateWithdrawal(t *testing.T) {
	t.Parallel()
	secs := uint32(t0.Unix())
	d := netflow.NewDecoder(netflow.Config{})
	emit := func(*netguard.Flow) {}
	learn := ipfixPacket(secs, 0, set(2, templateRecord(300, v4Fields...), templateRecord(301, v4Fields...)))
	if err := d.Decode(exporterA, learn, t0, emit); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode(exporterA, ipfixPacket(secs, 0, set(2, u16(300), u16(0))), t0, emit); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode(exporterA, ipfixPacket(secs, 0, set(300, v4Record(1, 1))), t0, emit); !errors.Is(err, netflow.ErrUnknownTemplate) {
		t.Fatalf("withdrawn template: got %v", err)
	}
	if err := d.Decode(exporterA, ipfixPacket(secs, 0, set(301, v4Record(1, 1))), t0, emit); err != nil {
		t.Fatalf("other template: %v", err)
	}
	if err := d.Decode(exporterA, ipfixPacket(secs, 0, set(2, u16(2), u16(0))), t0, emit); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st.Templates != 0 || st.TemplatesWithdrawn != 2 {
		t.Fatalf("stats %+v: want all withdrawn", st)
	}
}

func TestTemplateExpiry(t *testing.T) {
	t.Parallel()
	for _, format := range []flowgen.Format{flowgen.NetflowV9, flowgen.IPFIX} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			// One datagram in 100 carries templates: the first only.
			cfg := flowgen.EncoderConfig{Format: format, TemplateEvery: 100, Boot: boot}
			enc, err := flowgen.NewEncoder(cfg)
			if err != nil {
				t.Fatal(err)
			}
			flows := testFlows(false, 3, 10)
			withTemplates, _ := enc.Encode(t0, flows)
			dataOnly, _ := enc.Encode(t0, flows)
			if len(dataOnly[0]) >= len(withTemplates[0]) {
				t.Fatal("second datagram still carries templates")
			}
			d := netflow.NewDecoder(netflow.Config{TemplateTTL: 10 * time.Minute})
			if _, err := decodeAll(d, exporterA, dataOnly, t0); !errors.Is(err, netflow.ErrUnknownTemplate) {
				t.Fatalf("data before templates: %v", err)
			}
			if st := d.Stats(); st.UnknownTemplate != 1 || st.Records != 0 {
				t.Fatalf("stats %+v", st)
			}
			if got, err := decodeAll(d, exporterA, withTemplates, t0); err != nil || len(got) != 3 {
				t.Fatalf("with templates: %d flows, %v", len(got), err)
			}
			steps := []struct {
				at      time.Duration
				want    int
				wantErr error
			}{
				{10 * time.Minute, 3, nil},                                    // exactly the TTL: still valid
				{10*time.Minute + time.Second, 0, netflow.ErrUnknownTemplate}, // expired
			}
			for _, s := range steps {
				got, err := decodeAll(d, exporterA, dataOnly, t0.Add(s.at))
				if len(got) != s.want || !errors.Is(err, s.wantErr) {
					t.Fatalf("at +%s: %d flows, %v; want %d, %v", s.at, len(got), err, s.want, s.wantErr)
				}
			}
			if st := d.Stats(); st.TemplatesExpired != 3 || st.Templates != 0 {
				t.Fatalf("stats %+v: want the 3 templates expired", st)
			}
		})
	}
}

func TestTemplateFloodIsCapped(t *testing.T) {
	t.Parallel()
	secs := uint32(t0.Unix())
	d := netflow.NewDecoder(netflow.Config{MaxTemplatesPerExporter: 8, MaxTemplates: 20})
	emit := func(*netguard.Flow) {}
	// A legitimate exporter's template.
	if err := d.Decode(exporterB, v9Packet(1, secs, 0, set(0, templateRecord(300, v4Fields...))), t0, emit); err != nil {
		t.Fatal(err)
	}
	// One exporter floods 1,000 template IDs across source IDs: it keeps at most 8.
	for i := range 1000 {
		pkt := v9Packet(1, secs, uint32(i%7), set(0, templateRecord(uint16(256+i), v4Fields...)))
		if err := d.Decode(exporterA, pkt, t0.Add(time.Duration(i)*time.Millisecond), emit); err != nil {
			t.Fatal(err)
		}
	}
	st := d.Stats()
	if st.Templates != 9 || st.TemplatesEvicted != 992 {
		t.Fatalf("stats %+v: want 9 templates, 992 evicted", st)
	}
	// The legitimate exporter's template survived the flood.
	if err := d.Decode(exporterB, v9Packet(1, secs, 0, set(300, v4Record(1, 1))), t0, emit); err != nil {
		t.Fatalf("legitimate template lost: %v", err)
	}
	// The newest flooded template works, the oldest was evicted.
	if err := d.Decode(exporterA, v9Packet(1, secs, 999%7, set(256+999, v4Record(1, 1))), t0.Add(time.Second), emit); err != nil {
		t.Fatalf("newest template: %v", err)
	}
	if err := d.Decode(exporterA, v9Packet(1, secs, 0, set(256, v4Record(1, 1))), t0.Add(time.Second), emit); !errors.Is(err, netflow.ErrUnknownTemplate) {
		t.Fatalf("oldest template: %v", err)
	}
	// Many spoofed exporters: the total cap holds.
	for i := range 500 {
		exp := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		pkt := ipfixPacket(secs, 0, set(2, templateRecord(256, v4Fields...), templateRecord(257, v4Fields...)))
		if err := d.Decode(exp, pkt, t0.Add(2*time.Second), emit); err != nil {
			t.Fatal(err)
		}
	}
	if st := d.Stats(); st.Templates != 20 {
		t.Fatalf("stats %+v: want 20 templates", st)
	}
}

// Refreshing a template with a new layout replaces it.
func TestTemplateRedefinition(t *testing.T) {
	t.Parallel()
	secs := uint32(t0.Unix())
	d := netflow.NewDecoder(netflow.Config{})
	first := v9Packet(1, secs, 0, set(0, templateRecord(300, v4Fields...)), set(300, v4Record(100, 2)))
	swapped := []fieldSpec{{2, 4}, {1, 4}, {4, 1}, {8, 4}, {12, 4}}
	second := v9Packet(1, secs, 0, set(0, templateRecord(300, swapped...)), set(300, v4Record(100, 2)))
	got, err := decodeAll(d, exporterA, [][]byte{first, second}, t0)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d flows, %v", len(got), err)
	}
	if got[0].Bytes != 100 || got[1].Bytes != 2 || d.Stats().Templates != 1 {
		t.Errorf("bytes %d then %d, want 100 then 2; %+v", got[0].Bytes, got[1].Bytes, d.Stats())
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  netflow.Config
		ok   bool
	}{
		{"zero", netflow.Config{}, true},
		{"defaults", netflow.DefaultConfig(), true},
		{"negative ttl", netflow.Config{TemplateTTL: -time.Second}, false},
		{"per exporter above total", netflow.Config{MaxTemplates: 10, MaxTemplatesPerExporter: 20}, false},
		{"override above max", netflow.Config{MaxSamplingRate: 10, SamplingOverrides: map[netip.Addr]uint32{exporterA: 11}}, false},
		{"default above max", netflow.Config{DefaultSamplingRate: 2_000_000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// Steady-state decoding allocates nothing: 30 records, templates known (v9 and IPFIX packets
// that carry their templates again refresh them in place).
func TestDecodeAllocations(t *testing.T) {
	// Not parallel: AllocsPerRun counts the allocations of the whole process.
	for _, format := range []flowgen.Format{flowgen.NetflowV5, flowgen.NetflowV9, flowgen.IPFIX} {
		t.Run(string(format), func(t *testing.T) {
			pkts := encode(t, flowgen.EncoderConfig{Format: format, MaxDatagramSize: 9000}, t0, testFlows(false, 30, 100))
			if len(pkts) != 1 {
				t.Fatalf("%d datagrams, want 1", len(pkts))
			}
			pkt := pkts[0]
			d := netflow.NewDecoder(netflow.Config{})
			var n int
			emit := func(f *netguard.Flow) { n += int(f.Packets & 1) }
			if err := d.Decode(exporterA, pkt, t0, emit); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(100, func() {
				if err := d.Decode(exporterA, pkt, t0, emit); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
			// One warm-up call, one call inside AllocsPerRun before counting, then 100.
			if st := d.Stats(); st.Records != 102*30 {
				t.Errorf("%d records, want %d", st.Records, 102*30)
			}
		})
	}
}
