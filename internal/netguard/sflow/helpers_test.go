package sflow_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

var (
	exporterA = netip.MustParseAddr("198.51.100.1")
	exporterB = netip.MustParseAddr("198.51.100.2")
	t0        = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// testFlows returns flows that survive an sFlow round trip: one sampled packet each (Packets
// equal to the rate), whole packet sizes, no ports for ICMP and later fragments.
func testFlows(v6 bool, n int, rate uint32) []netguard.Flow {
	flows := make([]netguard.Flow, n)
	for i := range flows {
		src := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		dst := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i%3)})
		icmp := netguard.ProtoICMP
		if v6 {
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 14: byte(i >> 8), 15: byte(i)})
			dst = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, 15: byte(10 + i%3)})
			icmp = netguard.ProtoICMPv6
		}
		f := netguard.Flow{
			Src:          src,
			Dst:          dst,
			SrcPort:      uint16(1024 + i),
			DstPort:      53,
			Proto:        netguard.ProtoUDP,
			Packets:      uint64(rate),
			Bytes:        uint64(rate) * uint64(64+i*10),
			SamplingRate: rate,
			Start:        t0.Add(-time.Second),
			End:          t0,
		}
		switch i % 5 {
		case 1:
			f.Proto, f.TCPFlags, f.DstPort = netguard.ProtoTCP, netguard.TCPSyn, 443
		case 2:
			f.Proto, f.SrcPort, f.DstPort = icmp, 0, 0
		case 3:
			f.Fragment = true // first fragment: MF, ports present
		case 4:
			f.Fragment, f.SrcPort, f.DstPort = true, 0, 0 // later fragment
		}
		flows[i] = f
	}
	return flows
}

func encode(tb testing.TB, cfg flowgen.EncoderConfig, flows []netguard.Flow) [][]byte {
	tb.Helper()
	cfg.Format = flowgen.SFlow
	enc, err := flowgen.NewEncoder(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	pkts, err := enc.Encode(t0, flows)
	if err != nil {
		tb.Fatal(err)
	}
	return pkts
}

func decodeAll(d *sflow.Decoder, exporter netip.Addr, pkts [][]byte, now time.Time) ([]netguard.Flow, error) {
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

func knownError(err error) bool {
	for _, s := range []error{sflow.ErrTruncated, sflow.ErrVersion, sflow.ErrMalformed, sflow.ErrSamplingRate} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// Hand-built datagrams.

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func datagram(samples ...[]byte) []byte {
	return cat(u32(5), u32(1), []byte{192, 0, 2, 1}, u32(0), u32(1), u32(1000), u32(uint32(len(samples))), cat(samples...))
}

// element frames a sample or a record: format, length, body.
func element(format uint32, body ...[]byte) []byte {
	b := cat(body...)
	return cat(u32(format), u32(uint32(len(b))), b)
}

func flowSample(rate uint32, records ...[]byte) []byte {
	return element(1, u32(1), u32(1), u32(rate), u32(rate), u32(0), u32(1), u32(2), u32(uint32(len(records))), cat(records...))
}

func rawHeader(proto, frameLen uint32, header []byte) []byte {
	return element(1, u32(proto), u32(frameLen), u32(4), u32(uint32(len(header))), pad4(slices.Clone(header)))
}

func ethernet(etherType uint16, payload ...[]byte) []byte {
	return cat([]byte{0, 0, 0x5e, 0, 0x53, 1, 0, 0, 0x5e, 0, 0x53, 2}, u16(etherType), cat(payload...))
}

func ipv4Header(proto uint8, frag uint16) []byte {
	return cat([]byte{0x45, 0}, u16(60), u16(1), u16(frag), []byte{64, proto, 0, 0}, []byte{203, 0, 113, 5}, []byte{192, 0, 2, 5})
}

func ipv6Header(next uint8) []byte {
	src := netip.MustParseAddr("2001:db8::5").As16()
	dst := netip.MustParseAddr("2001:db8::6").As16()
	return cat(u32(6<<28), u16(40), []byte{next, 64}, src[:], dst[:])
}

func tcpHeader(sport, dport uint16, flags uint8) []byte {
	return cat(u16(sport), u16(dport), u32(1), u32(0), []byte{0x50, flags}, u16(1000), u32(0))
}
