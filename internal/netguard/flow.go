package netguard

import (
	"net/netip"
	"time"
)

// Flow is one flow record as an edge router exported it, after the decoder applied the sampling
// rate: Packets and Bytes estimate the real traffic, not the sampled traffic.
//
// A record covers the interval [Start, End]. NetFlow and IPFIX records can span many seconds (an
// active timeout of 30 s or more), so a rate is Packets divided by the covered interval, never
// Packets per export. sFlow samples are instants: Start and End are both the receive time.
type Flow struct {
	// Exporter is the address the datagram came from (the router).
	Exporter netip.Addr
	// Src and Dst are the IP addresses of the flow; both IPv4 or both IPv6.
	Src, Dst netip.Addr
	// SrcPort and DstPort are the TCP or UDP ports; zero for other protocols and for
	// non-first fragments.
	SrcPort, DstPort uint16
	// Proto is the IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
	Proto uint8
	// TCPFlags is the OR of the TCP flags seen (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
	TCPFlags uint8
	// Fragment reports a fragmented packet: first fragment (MF set) or later (offset != 0).
	Fragment bool
	// Packets and Bytes are already multiplied by SamplingRate.
	Packets, Bytes uint64
	// SamplingRate is the 1-in-N rate applied by the exporter; 1 when unsampled.
	SamplingRate uint32
	// Start and End bound the interval the record covers (sFlow: both are the receive time).
	Start, End time.Time
}

// TCP flag bits as they appear in Flow.TCPFlags.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
	TCPUrg uint8 = 0x20
)

// IANA protocol numbers used by the detectors and generators.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoGRE    uint8 = 47
	ProtoICMPv6 uint8 = 58
)

// Duration returns End-Start, or zero when End is before Start.
func (f Flow) Duration() time.Duration {
	if d := f.End.Sub(f.Start); d > 0 {
		return d
	}
	return 0
}
