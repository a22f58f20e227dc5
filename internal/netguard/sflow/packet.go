package sflow

import (
	"encoding/binary"
	"net/netip"
)

// packet is what the decoder learns about one sampled packet.
type packet struct {
	ok       bool // addresses were read
	src, dst netip.Addr
	srcPort  uint16
	dstPort  uint16
	proto    uint8
	tcpFlags uint8
	fragment bool
	length   uint32 // frame length (raw header) or IP length (sampled IP)
}

const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	maxVLANs   = 2
	maxIPv6Ext = 8
)

// parseRawHeader reads a raw packet header record.
func parseRawHeader(rec []byte) packet {
	be := binary.BigEndian
	if len(rec) < 16 {
		return packet{}
	}
	proto := be.Uint32(rec)
	frameLen := be.Uint32(rec[4:])
	hlen := be.Uint32(rec[12:])
	if uint64(hlen) > uint64(len(rec)-16) {
		return packet{}
	}
	h := rec[16 : 16+hlen]
	var p packet
	switch proto {
	case headerEthernet:
		if len(h) < 14 {
			return packet{}
		}
		et := be.Uint16(h[12:])
		off := 14
		for range maxVLANs {
			if et != etherVLAN && et != etherQinQ {
				break
			}
			if len(h) < off+4 {
				return packet{}
			}
			et = be.Uint16(h[off+2:])
			off += 4
		}
		switch et {
		case etherIPv4:
			p = parseIPv4(h[off:])
		case etherIPv6:
			p = parseIPv6(h[off:])
		}
	case headerIPv4:
		p = parseIPv4(h)
	case headerIPv6:
		p = parseIPv6(h)
	}
	p.length = frameLen
	return p
}

func parseIPv4(h []byte) packet {
	if len(h) < 20 || h[0]>>4 != 4 {
		return packet{}
	}
	ihl := int(h[0]&0x0f) * 4
	if ihl < 20 {
		return packet{}
	}
	frag := binary.BigEndian.Uint16(h[6:])
	p := packet{
		ok:       true,
		src:      netip.AddrFrom4([4]byte(h[12:16])),
		dst:      netip.AddrFrom4([4]byte(h[16:20])),
		proto:    h[9],
		fragment: frag&0x3fff != 0, // MF or an offset
	}
	if frag&0x1fff == 0 && ihl <= len(h) {
		p.transport(h[ihl:])
	}
	return p
}

func parseIPv6(h []byte) packet {
	if len(h) < 40 || h[0]>>4 != 6 {
		return packet{}
	}
	p := packet{
		ok:  true,
		src: netip.AddrFrom16([16]byte(h[8:24])),
		dst: netip.AddrFrom16([16]byte(h[24:40])),
	}
	next := h[6]
	off := 40
	for range maxIPv6Ext {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(h) < off+2 {
				p.proto = next
				return p
			}
			next, off = h[off], off+(int(h[off+1])+1)*8
			continue
		case 51: // authentication header
			if len(h) < off+2 {
				p.proto = next
				return p
			}
			next, off = h[off], off+(int(h[off+1])+2)*4
			continue
		case 44: // fragment
			if len(h) < off+8 {
				p.proto = next
				return p
			}
			fo := binary.BigEndian.Uint16(h[off+2:])
			p.fragment = fo&0xfff9 != 0 // offset or M
			next, off = h[off], off+8
			if fo>>3 != 0 {
				p.proto = next
				return p // later fragment: no transport header
			}
			continue
		}
		break
	}
	p.proto = next
	if off <= len(h) {
		p.transport(h[off:])
	}
	return p
}

// transport reads ports and TCP flags when the header holds them.
func (p *packet) transport(b []byte) {
	switch p.proto {
	case 6, 17, 132: // TCP, UDP, SCTP
		if len(b) >= 4 {
			p.srcPort = binary.BigEndian.Uint16(b)
			p.dstPort = binary.BigEndian.Uint16(b[2:])
		}
		if p.proto == 6 && len(b) >= 14 {
			p.tcpFlags = b[13]
		}
	}
}

// parseSampledIPv4 reads a sampled_ipv4 record.
func parseSampledIPv4(rec []byte) packet {
	if len(rec) < 32 {
		return packet{}
	}
	be := binary.BigEndian
	return packet{
		ok:       true,
		length:   be.Uint32(rec),
		proto:    uint8(be.Uint32(rec[4:])),
		src:      netip.AddrFrom4([4]byte(rec[8:12])),
		dst:      netip.AddrFrom4([4]byte(rec[12:16])),
		srcPort:  uint16(be.Uint32(rec[16:])),
		dstPort:  uint16(be.Uint32(rec[20:])),
		tcpFlags: uint8(be.Uint32(rec[24:])),
	}
}

// parseSampledIPv6 reads a sampled_ipv6 record.
func parseSampledIPv6(rec []byte) packet {
	if len(rec) < 56 {
		return packet{}
	}
	be := binary.BigEndian
	return packet{
		ok:       true,
		length:   be.Uint32(rec),
		proto:    uint8(be.Uint32(rec[4:])),
		src:      netip.AddrFrom16([16]byte(rec[8:24])),
		dst:      netip.AddrFrom16([16]byte(rec[24:40])),
		srcPort:  uint16(be.Uint32(rec[40:])),
		dstPort:  uint16(be.Uint32(rec[44:])),
		tcpFlags: uint8(be.Uint32(rec[48:])),
	}
}
