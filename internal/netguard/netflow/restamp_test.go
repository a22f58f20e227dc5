package netflow_test

import (
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
)

// flowgen.Restamp moves the times a collector decodes from a datagram by the shift, to the
// millisecond, and nothing else: the benchmark sends pre-encoded datagrams for seconds, as if
// each were encoded when sent.
func TestRestampMovesDecodedTimes(t *testing.T) {
	flows := testFlows(false, 40, 1)
	flows = append(flows, testFlows(true, 10, 1)...)
	for _, f := range []flowgen.Format{flowgen.NetflowV5, flowgen.NetflowV9, flowgen.IPFIX} {
		for _, shift := range []time.Duration{0, 250 * time.Millisecond, 999 * time.Millisecond, time.Second, 3700 * time.Millisecond, 61 * time.Second} {
			in := flows
			if f == flowgen.NetflowV5 {
				in = testFlows(false, 40, 1) // IPv4 only
			}
			pkts := encode(t, flowgen.EncoderConfig{Format: f, TemplateEvery: 1}, t0, in)
			want, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, pkts, t0)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, p := range pkts {
				flowgen.Restamp(p, f, shift)
			}
			got, err := decodeAll(netflow.NewDecoder(netflow.Config{}), exporterA, pkts, t0.Add(shift))
			if err != nil {
				t.Fatalf("%s shift %s: %v", f, shift, err)
			}
			if len(got) != len(want) || len(got) != len(in) {
				t.Fatalf("%s shift %s: %d records, want %d", f, shift, len(got), len(want))
			}
			for i := range got {
				w := want[i]
				w.Start, w.End = w.Start.Add(shift), w.End.Add(shift)
				g := got[i]
				if !g.Start.Equal(w.Start) || !g.End.Equal(w.End) {
					t.Fatalf("%s shift %s record %d: %v - %v, want %v - %v", f, shift, i, g.Start, g.End, w.Start, w.End)
				}
				g.Start, g.End = w.Start, w.End
				if g != w {
					t.Fatalf("%s shift %s record %d changed beyond its times:\n%+v\nwant\n%+v", f, shift, i, g, w)
				}
			}
		}
	}
}
