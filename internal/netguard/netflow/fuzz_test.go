package netflow_test

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed files under testdata/fuzz")

// seeds returns valid packets per fuzz target, built by flowgen and by hand.
func seeds(tb testing.TB) map[string]map[string][]byte {
	tb.Helper()
	first := func(pkts [][]byte) []byte { return pkts[0] }
	mixed := slices.Concat(testFlows(false, 6, 1), testFlows(true, 4, 100))
	ipfixEnc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: flowgen.IPFIX, Boot: boot, TemplateEvery: 10})
	if err != nil {
		tb.Fatal(err)
	}
	ipfixFirst, _ := ipfixEnc.Encode(t0, testFlows(false, 3, 10))
	ipfixData, _ := ipfixEnc.Encode(t0, testFlows(false, 3, 10))
	secs := uint32(t0.Unix())
	return map[string]map[string][]byte{
		"FuzzNetflowV5": {
			"v5-unsampled-30": first(encode(tb, flowgen.EncoderConfig{Format: flowgen.NetflowV5, MaxDatagramSize: 1500}, t0, testFlows(false, 30, 1))),
			"v5-sampled-3":    first(encode(tb, flowgen.EncoderConfig{Format: flowgen.NetflowV5}, t0, testFlows(false, 3, 1000))),
		},
		"FuzzNetflowV9": {
			"v9-mixed":   first(encode(tb, flowgen.EncoderConfig{Format: flowgen.NetflowV9}, t0, mixed)),
			"v9-ipv6-30": first(encode(tb, flowgen.EncoderConfig{Format: flowgen.NetflowV9, MaxDatagramSize: 9000}, t0, testFlows(true, 30, 1))),
			"v9-options-sampling-interval": v9Packet(1000, secs, 1,
				set(0, templateRecord(300, append(slices.Clone(v4Fields), fieldSpec{22, 4}, fieldSpec{21, 4})...)),
				set(1, cat(v9OptionsTemplate(301, fieldSpec{34, 4}), []byte{0, 0})),
				set(301, u32(0), u32(256)),
				set(300, v4Record(1000, 10), u32(500), u32(900))),
		},
		"FuzzIPFIX": {
			"ipfix-mixed":     first(encode(tb, flowgen.EncoderConfig{Format: flowgen.IPFIX}, t0, mixed)),
			"ipfix-templates": ipfixFirst[0],
			"ipfix-data-only": ipfixData[0],
			"ipfix-varlen-enterprise": ipfixPacket(secs, 3,
				set(2, cat(u16(300), u16(4), u16(0x8000|1), u16(4), u32(29305), u16(82), u16(0xffff), u16(8), u16(4), u16(12), u16(4))),
				set(3, ipfixOptionsTemplate(301, fieldSpec{305, 4}, fieldSpec{306, 4}, fieldSpec{160, 8})),
				set(301, u32(3), u32(1), u32(99), u64(uint64(t0.Add(-time.Hour).UnixMilli()))),
				set(300, u32(1), []byte{4}, []byte("eth0"), []byte{203, 0, 113, 1}, []byte{192, 0, 2, 1})),
		},
	}
}

func fuzzDecode(f *testing.F, decode func(*netflow.Decoder, netip.Addr, []byte, time.Time, func(*netguard.Flow)) error) {
	for _, pkt := range seeds(f)[f.Name()] {
		f.Add(pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		d := netflow.NewDecoder(netflow.Config{MaxTemplates: 16, MaxTemplatesPerExporter: 4, MaxSamplingRate: 1 << 20})
		check := func(fl *netguard.Flow) {
			if fl.SamplingRate == 0 || fl.SamplingRate > 1<<20 {
				t.Fatalf("sampling rate %d", fl.SamplingRate)
			}
			if fl.Exporter != exporterA {
				t.Fatalf("exporter %s", fl.Exporter)
			}
		}
		// Twice: the second pass decodes data sets with the templates of the first.
		for range 2 {
			if err := decode(d, exporterA, pkt, t0, check); err != nil && !knownError(err) {
				t.Fatalf("unexpected error %v", err)
			}
		}
		if st := d.Stats(); st.Templates > 16 {
			t.Fatalf("%d templates, cap 16", st.Templates)
		}
	})
}

func FuzzNetflowV5(f *testing.F) { fuzzDecode(f, (*netflow.Decoder).DecodeV5) }
func FuzzNetflowV9(f *testing.F) { fuzzDecode(f, (*netflow.Decoder).DecodeV9) }
func FuzzIPFIX(f *testing.F)     { fuzzDecode(f, (*netflow.Decoder).DecodeIPFIX) }

// TestFuzzSeedFiles keeps testdata/fuzz in step with the seeds; go test -update rewrites it.
func TestFuzzSeedFiles(t *testing.T) {
	t.Parallel()
	for target, pkts := range seeds(t) {
		for name, pkt := range pkts {
			path := filepath.Join("testdata", "fuzz", target, name)
			want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", pkt)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != want {
				t.Errorf("%s is missing or stale (err %v); run go test -run TestFuzzSeedFiles -update", path, err)
			}
		}
	}
}
