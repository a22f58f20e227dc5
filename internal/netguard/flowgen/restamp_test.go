package flowgen_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// Restamp reads the set headers of the datagram it is given: whatever the bytes and the format
// claimed, it neither panics nor changes the length.
func FuzzRestamp(f *testing.F) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	flows := []netguard.Flow{{Src: netip.MustParseAddr("203.0.113.1"), Dst: netip.MustParseAddr("198.18.0.10"), Proto: netguard.ProtoUDP,
		SrcPort: 123, DstPort: 4000, Packets: 10, Bytes: 4000, Start: now.Add(-time.Second), End: now, SamplingRate: 1},
		{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8:1::10"), Proto: netguard.ProtoTCP,
			SrcPort: 443, DstPort: 50000, Packets: 3, Bytes: 180, Start: now.Add(-2 * time.Second), End: now, SamplingRate: 1}}
	for i, format := range flowgen.Formats() {
		enc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: format, TemplateEvery: 1})
		if err != nil {
			f.Fatal(err)
		}
		in := flows
		if format == flowgen.NetflowV5 {
			in = flows[:1]
		}
		pkts, err := enc.Encode(now, in)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range pkts {
			f.Add(p, uint8(i), int64(1500))
		}
	}
	f.Add([]byte{0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2}, uint8(2), int64(-7))
	f.Fuzz(func(t *testing.T, b []byte, format uint8, ms int64) {
		formats := flowgen.Formats()
		fm := formats[int(format)%len(formats)]
		n := len(b)
		flowgen.Restamp(b, fm, time.Duration(ms)*time.Millisecond)
		if len(b) != n {
			t.Fatalf("length %d, was %d", len(b), n)
		}
	})
}
