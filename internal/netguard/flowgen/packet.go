package flowgen

import (
	"encoding/binary"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Sizes of the synthetic headers.
const (
	ethernetLen = 14
	vlanTagLen  = 4
	fcsLen      = 4
	ipv4Len     = 20
	ipv6Len     = 40
	ipv6FragLen = 8
	tcpLen      = 20
	udpLen      = 8
	icmpLen     = 8
)

// nonFirstOffset is the fragment offset (in 8-byte units) of synthetic later fragments: the
// second fragment of a 1500-byte MTU.
const nonFirstOffset = 185

// appendFrame appends the Ethernet, IP and transport headers of one packet of flow f whose
// frame is frameLen bytes long. Fragments with ports are first fragments (MF, offset 0, with the
// transport header); fragments without ports are later fragments (offset 1480, no transport
// header).
func appendFrame(b []byte, f *netguard.Flow, frameLen int, vlan uint16) []byte {
	be := binary.BigEndian
	b = append(b, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x02)
	l2 := ethernetLen + fcsLen
	if vlan != 0 {
		b = be.AppendUint16(b, 0x8100)
		b = be.AppendUint16(b, vlan)
		l2 += vlanTagLen
	}
	later := f.Fragment && f.SrcPort == 0 && f.DstPort == 0
	l4 := transportLen(f.Proto)
	if later {
		l4 = 0
	}
	if f.Src.Is4() {
		b = be.AppendUint16(b, 0x0800)
		total := max(frameLen-l2, ipv4Len+l4)
		h := len(b)
		b = append(b, 0x45, 0)
		b = be.AppendUint16(b, uint16(total))
		b = be.AppendUint16(b, 0x1234) // identification
		var frag uint16
		switch {
		case later:
			frag = 0x2000 | nonFirstOffset
		case f.Fragment:
			frag = 0x2000
		}
		b = be.AppendUint16(b, frag)
		b = append(b, 64, f.Proto, 0, 0)
		b = append(b, f.Src.AsSlice()...)
		b = append(b, f.Dst.AsSlice()...)
		be.PutUint16(b[h+10:], checksum(b[h:h+ipv4Len]))
	} else {
		b = be.AppendUint16(b, 0x86dd)
		next := f.Proto
		ext := 0
		if f.Fragment {
			next, ext = 44, ipv6FragLen
		}
		payload := max(frameLen-l2-ipv6Len, ext+l4)
		b = be.AppendUint32(b, 6<<28)
		b = be.AppendUint16(b, uint16(payload))
		b = append(b, next, 64)
		b = append(b, f.Src.AsSlice()...)
		b = append(b, f.Dst.AsSlice()...)
		if f.Fragment {
			var off uint16 = 1 // M: more fragments
			if later {
				off = nonFirstOffset << 3
			}
			b = append(b, f.Proto, 0)
			b = be.AppendUint16(b, off)
			b = be.AppendUint32(b, 0x1234)
		}
	}
	if later {
		return b
	}
	switch f.Proto {
	case netguard.ProtoTCP:
		b = be.AppendUint16(b, f.SrcPort)
		b = be.AppendUint16(b, f.DstPort)
		b = be.AppendUint32(b, 1) // sequence
		b = be.AppendUint32(b, 0) // acknowledgment
		b = append(b, 0x50, f.TCPFlags)
		b = be.AppendUint16(b, 65535)
		b = append(b, 0, 0, 0, 0)
	case netguard.ProtoUDP:
		b = be.AppendUint16(b, f.SrcPort)
		b = be.AppendUint16(b, f.DstPort)
		b = be.AppendUint16(b, udpLen)
		b = append(b, 0, 0)
	case netguard.ProtoICMP:
		b = append(b, 8, 0, 0, 0, 0, 1, 0, 1) // echo request
	case netguard.ProtoICMPv6:
		b = append(b, 128, 0, 0, 0, 0, 1, 0, 1)
	}
	return b
}

func transportLen(proto uint8) int {
	switch proto {
	case netguard.ProtoTCP:
		return tcpLen
	case netguard.ProtoUDP:
		return udpLen
	case netguard.ProtoICMP, netguard.ProtoICMPv6:
		return icmpLen
	}
	return 0
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
