package netflow_test

import (
	"testing"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
)

// benchmarkDecode decodes one 30-record IPv4 datagram per iteration, templates known.
func benchmarkDecode(b *testing.B, format flowgen.Format) {
	pkts := encode(b, flowgen.EncoderConfig{Format: format, MaxDatagramSize: 9000}, t0, testFlows(false, 30, 100))
	pkt := pkts[0]
	d := netflow.NewDecoder(netflow.Config{})
	var records int
	emit := func(*netguard.Flow) { records++ }
	if err := d.Decode(exporterA, pkt, t0, emit); err != nil {
		b.Fatal(err)
	}
	records = 0
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(exporterA, pkt, t0, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkDecodeNetflowV5(b *testing.B) { benchmarkDecode(b, flowgen.NetflowV5) }
func BenchmarkDecodeNetflowV9(b *testing.B) { benchmarkDecode(b, flowgen.NetflowV9) }
func BenchmarkDecodeIPFIX(b *testing.B)     { benchmarkDecode(b, flowgen.IPFIX) }
