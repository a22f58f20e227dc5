package netflow_test

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/netflow"
)

var (
	exporterA = netip.MustParseAddr("198.51.100.1")
	exporterB = netip.MustParseAddr("198.51.100.2")
	// t0 is the export time of the test packets.
	t0   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	boot = t0.Add(-36 * time.Hour)
)

// testFlows returns n flows of one family and sampling rate, with millisecond timestamps and
// counts divisible by the rate, so that they survive an encode-decode round trip.
func testFlows(v6 bool, n int, rate uint32) []netguard.Flow {
	flows := make([]netguard.Flow, n)
	for i := range flows {
		src := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		dst := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i%3)})
		if v6 {
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 14: byte(i >> 8), 15: byte(i)})
			dst = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, 15: byte(10 + i%3)})
		}
		proto, flags := netguard.ProtoUDP, uint8(0)
		if i%2 == 0 {
			proto, flags = netguard.ProtoTCP, netguard.TCPSyn|netguard.TCPAck
		}
		pkts := uint64(i+1) * uint64(rate)
		start := t0.Add(-30*time.Second + time.Duration(i)*time.Millisecond)
		flows[i] = netguard.Flow{
			Exporter:     exporterA,
			Src:          src,
			Dst:          dst,
			SrcPort:      uint16(1024 + i),
			DstPort:      uint16(53 + i%2*390),
			Proto:        proto,
			TCPFlags:     flags,
			Fragment:     i%5 == 4,
			Packets:      pkts,
			Bytes:        pkts * uint64(60+i),
			SamplingRate: rate,
			Start:        start,
			End:          start.Add(time.Duration(i%30) * time.Second),
		}
	}
	return flows
}

func encode(tb testing.TB, cfg flowgen.EncoderConfig, now time.Time, flows []netguard.Flow) [][]byte {
	tb.Helper()
	if cfg.Boot.IsZero() {
		cfg.Boot = boot
	}
	enc, err := flowgen.NewEncoder(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	pkts, err := enc.Encode(now, flows)
	if err != nil {
		tb.Fatal(err)
	}
	return pkts
}

// decodeAll decodes pkts and returns copies of the emitted flows and the errors.
func decodeAll(d *netflow.Decoder, exporter netip.Addr, pkts [][]byte, now time.Time) ([]netguard.Flow, error) {
	var out []netguard.Flow
	var first error
	for _, p := range pkts {
		err := d.Decode(exporter, p, now, func(f *netguard.Flow) { out = append(out, *f) })
		if first == nil {
			first = err
		}
	}
	return out, first
}

// Hand-built packets for cases flowgen does not produce.

type fieldSpec struct{ id, length uint16 }

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// set frames a v9 flowset or IPFIX set.
func set(id uint16, body ...[]byte) []byte {
	b := cat(body...)
	return cat(u16(id), u16(uint16(4+len(b))), b)
}

func templateRecord(id uint16, fields ...fieldSpec) []byte {
	b := cat(u16(id), u16(uint16(len(fields))))
	for _, f := range fields {
		b = cat(b, u16(f.id), u16(f.length))
	}
	return b
}

// v9OptionsTemplate has scope System (4 bytes) and the given option fields.
func v9OptionsTemplate(id uint16, fields ...fieldSpec) []byte {
	b := cat(u16(id), u16(4), u16(uint16(4*len(fields))), u16(1), u16(4))
	for _, f := range fields {
		b = cat(b, u16(f.id), u16(f.length))
	}
	return b
}

// ipfixOptionsTemplate has scope observationDomainId (149, 4 bytes) and the given fields.
func ipfixOptionsTemplate(id uint16, fields ...fieldSpec) []byte {
	b := cat(u16(id), u16(uint16(1+len(fields))), u16(1), u16(149), u16(4))
	for _, f := range fields {
		b = cat(b, u16(f.id), u16(f.length))
	}
	return b
}

func v9Packet(uptime uint32, secs uint32, source uint32, sets ...[]byte) []byte {
	return cat(u16(9), u16(uint16(len(sets))), u32(uptime), u32(secs), u32(1), u32(source), cat(sets...))
}

func ipfixPacket(secs uint32, domain uint32, sets ...[]byte) []byte {
	body := cat(sets...)
	return cat(u16(10), u16(uint16(16+len(body))), u32(secs), u32(1), u32(domain), body)
}

// v4Fields is a minimal IPv4 data template: bytes, packets, proto, addresses.
var v4Fields = []fieldSpec{{1, 4}, {2, 4}, {4, 1}, {8, 4}, {12, 4}}

func v4Record(bytes, pkts uint32) []byte {
	return cat(u32(bytes), u32(pkts), []byte{17}, []byte{203, 0, 113, 1}, []byte{192, 0, 2, 1})
}
