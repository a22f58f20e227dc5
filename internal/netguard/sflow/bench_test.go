package sflow_test

import (
	"slices"
	"testing"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

// BenchmarkDecodeSFlow decodes one datagram of 30 raw-header flow samples per iteration.
func BenchmarkDecodeSFlow(b *testing.B) {
	pkts := encode(b, flowgen.EncoderConfig{MaxDatagramSize: 9000}, slices.Concat(testFlows(false, 15, 100), testFlows(true, 15, 100)))
	pkt := pkts[0]
	d := sflow.NewDecoder(sflow.Config{})
	var records int
	emit := func(*netguard.Flow) { records++ }
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(exporterA, pkt, t0, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
