package sflow_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed files under testdata/fuzz")

func seeds(tb testing.TB) map[string][]byte {
	tb.Helper()
	mixed := slices.Concat(testFlows(false, 5, 1), testFlows(true, 5, 512))
	return map[string][]byte{
		"raw-headers":          encode(tb, flowgen.EncoderConfig{}, mixed)[0],
		"expanded-vlan-counts": encode(tb, flowgen.EncoderConfig{SFlowExpanded: true, SFlowVLAN: 100, SFlowCounters: true}, mixed)[0],
		"sampled-ip":           encode(tb, flowgen.EncoderConfig{SFlowSampledIP: true}, mixed)[0],
		"ipv6-extension-headers": datagram(flowSample(10,
			rawHeader(12, 200, cat(ipv6Header(0), []byte{44, 0, 0, 0, 0, 0, 0, 0}, []byte{6, 0}, u16(1), u32(9), tcpHeader(1, 2, 2))))),
	}
}

func FuzzSFlow(f *testing.F) {
	for _, pkt := range seeds(f) {
		f.Add(pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		d := sflow.NewDecoder(sflow.Config{MaxSamplingRate: 1 << 20})
		err := d.Decode(exporterA, pkt, t0, func(fl *netguard.Flow) {
			if fl.SamplingRate == 0 || fl.SamplingRate > 1<<20 || fl.Packets != uint64(fl.SamplingRate) {
				t.Fatalf("sampling rate %d, %d packets", fl.SamplingRate, fl.Packets)
			}
		})
		if err != nil && !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// TestFuzzSeedFiles keeps testdata/fuzz in step with the seeds; go test -update rewrites it.
func TestFuzzSeedFiles(t *testing.T) {
	t.Parallel()
	for name, pkt := range seeds(t) {
		path := filepath.Join("testdata", "fuzz", "FuzzSFlow", name)
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
