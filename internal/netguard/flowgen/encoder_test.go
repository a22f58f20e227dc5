package flowgen_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

func flow(src, dst string, rate uint32) netguard.Flow {
	return netguard.Flow{
		Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: netguard.ProtoUDP,
		Packets: uint64(rate), Bytes: 100 * uint64(rate), SamplingRate: rate,
		Start: t0.Add(-time.Second), End: t0,
	}
}

func TestEncodeRejects(t *testing.T) {
	t.Parallel()
	manyRates := make([]netguard.Flow, 17)
	for i := range manyRates {
		manyRates[i] = flow("192.0.2.1", "192.0.2.2", uint32(i+1))
	}
	tests := []struct {
		name   string
		format flowgen.Format
		flows  []netguard.Flow
	}{
		{"v5 ipv6", flowgen.NetflowV5, []netguard.Flow{flow("2001:db8::1", "2001:db8::2", 1)}},
		{"v5 rate above 14 bits", flowgen.NetflowV5, []netguard.Flow{flow("192.0.2.1", "192.0.2.2", 20000)}},
		{"v5 count above 32 bits", flowgen.NetflowV5, []netguard.Flow{{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Packets: 1 << 33}}},
		{"mixed families", flowgen.NetflowV9, []netguard.Flow{flow("192.0.2.1", "2001:db8::2", 1)}},
		{"no address", flowgen.IPFIX, []netguard.Flow{{}}},
		{"17 sampling rates", flowgen.IPFIX, manyRates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := enc.Encode(t0, tt.flows); !errors.Is(err, flowgen.ErrInvalid) {
				t.Errorf("Encode = %v, want ErrInvalid", err)
			}
		})
	}
	for _, cfg := range []flowgen.EncoderConfig{
		{Format: "netflow7"},
		{Format: flowgen.SFlow, MaxDatagramSize: 100},
		{Format: flowgen.SFlow, SFlowVLAN: 5000},
		{Format: flowgen.IPFIX, TemplateEvery: -1},
	} {
		if _, err := flowgen.NewEncoder(cfg); !errors.Is(err, flowgen.ErrInvalid) {
			t.Errorf("NewEncoder(%+v) = %v, want ErrInvalid", cfg, err)
		}
	}
}

// Datagrams respect the size limit, and sequence numbers advance as each format counts them.
func TestDatagrams(t *testing.T) {
	t.Parallel()
	g := newGenerator(t, flowgen.ScenarioConfig{
		Scenario: flowgen.UDPFlood, Target: netip.MustParsePrefix("192.0.2.10/32"),
		PPS: 100_000, SamplingRate: 100, Sources: 500,
	})
	flows := g.Records(nil, t0)
	for _, format := range flowgen.Formats() {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			enc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: format, MaxDatagramSize: 1200})
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint32
			for range 2 {
				pkts, err := enc.Encode(t0, flows)
				if err != nil {
					t.Fatal(err)
				}
				if len(pkts) < 2 {
					t.Fatalf("%d datagrams for %d flows", len(pkts), len(flows))
				}
				for _, p := range pkts {
					if len(p) > 1200 {
						t.Fatalf("datagram of %d bytes", len(p))
					}
					switch format {
					case flowgen.NetflowV5:
						seqs = append(seqs, binary.BigEndian.Uint32(p[16:]))
					case flowgen.NetflowV9:
						seqs = append(seqs, binary.BigEndian.Uint32(p[12:]))
					case flowgen.IPFIX:
						seqs = append(seqs, binary.BigEndian.Uint32(p[8:]))
					case flowgen.SFlow:
						seqs = append(seqs, binary.BigEndian.Uint32(p[16:]))
					}
				}
			}
			for i := 1; i < len(seqs); i++ {
				if seqs[i] <= seqs[i-1] {
					t.Fatalf("sequence numbers %v do not increase", seqs)
				}
			}
		})
	}
}
