package netflow

import (
	"encoding/binary"
	"net/netip"
)

// Information elements read by the decoder. NetFlow v9 field types 1-127 and IPFIX information
// elements share their numbers; v9 exporters use the IPFIX numbers above 127.
const (
	ieOctetDelta          = 1   // IN_BYTES, octetDeltaCount
	iePacketDelta         = 2   // IN_PKTS, packetDeltaCount
	ieProtocol            = 4   // PROTOCOL, protocolIdentifier
	ieTCPFlags            = 6   // TCP_FLAGS, tcpControlBits (2 bytes in IPFIX)
	ieSrcPort             = 7   // L4_SRC_PORT, sourceTransportPort
	ieSrcIPv4             = 8   // IPV4_SRC_ADDR, sourceIPv4Address
	ieDstPort             = 11  // L4_DST_PORT, destinationTransportPort
	ieDstIPv4             = 12  // IPV4_DST_ADDR, destinationIPv4Address
	ieLastSwitched        = 21  // LAST_SWITCHED, flowEndSysUpTime
	ieFirstSwitched       = 22  // FIRST_SWITCHED, flowStartSysUpTime
	ieOutBytes            = 23  // OUT_BYTES, postOctetDeltaCount
	ieOutPkts             = 24  // OUT_PKTS, postPacketDeltaCount
	ieSrcIPv6             = 27  // IPV6_SRC_ADDR, sourceIPv6Address
	ieDstIPv6             = 28  // IPV6_DST_ADDR, destinationIPv6Address
	ieSamplingInterval    = 34  // SAMPLING_INTERVAL, samplingInterval
	ieSamplerID           = 48  // FLOW_SAMPLER_ID, samplerId
	ieSamplerRandomInt    = 50  // FLOW_SAMPLER_RANDOM_INTERVAL, samplerRandomInterval
	ieFragmentOffset      = 88  // FRAGMENT_OFFSET, fragmentOffset
	ieFlowStartSeconds    = 150 // flowStartSeconds
	ieFlowEndSeconds      = 151 // flowEndSeconds
	ieFlowStartMillis     = 152 // flowStartMilliseconds
	ieFlowEndMillis       = 153 // flowEndMilliseconds
	ieFlowStartMicros     = 154 // flowStartMicroseconds (NTP format)
	ieFlowEndMicros       = 155 // flowEndMicroseconds (NTP format)
	ieFlowStartNanos      = 156 // flowStartNanoseconds (NTP format)
	ieFlowEndNanos        = 157 // flowEndNanoseconds (NTP format)
	ieFlowStartDeltaMicro = 158 // flowStartDeltaMicroseconds, before the export time
	ieFlowEndDeltaMicro   = 159 // flowEndDeltaMicroseconds, before the export time
	ieSystemInitMillis    = 160 // systemInitTimeMilliseconds
	ieFragmentFlags       = 197 // fragmentFlags
	ieSelectorID          = 302 // selectorId
	iePacketInterval      = 305 // samplingPacketInterval
	iePacketSpace         = 306 // samplingPacketSpace
	ieSamplingSize        = 309 // samplingSize
	ieSamplingPopulation  = 310 // samplingPopulation
)

// fragmentFlags bit for More Fragments (bit 2 counted from the most significant bit).
const fragFlagMF = 0x20

// fieldKind is what the decoder does with one template field.
type fieldKind uint8

const (
	kSkip   fieldKind = iota // fixed-length field the decoder ignores
	kVarLen                  // IPFIX variable-length field, ignored
	kInBytes
	kInPkts
	kOutBytes
	kOutPkts
	kProto
	kTCPFlags
	kSrcPort
	kDstPort
	kSrc4
	kDst4
	kSrc6
	kDst6
	kFirst
	kLast
	kStartSec
	kEndSec
	kStartMilli
	kEndMilli
	kStartNTP
	kEndNTP
	kStartDelta
	kEndDelta
	kSysInit
	kSamplingInterval
	kSamplerRandom
	kPacketInterval
	kPacketSpace
	kSamplingSize
	kSamplingPopulation
	kSamplerID
	kFragOffset
	kFragFlags
	numKinds
)

// kindFor maps a field specifier to a kind, or kSkip when the decoder does not use the field or
// its length does not fit the kind. Enterprise-specific fields are always skipped.
func kindFor(id uint16, length int, enterprise bool) fieldKind {
	if enterprise {
		return kSkip
	}
	var k fieldKind
	switch id {
	case ieOctetDelta:
		k = kInBytes
	case iePacketDelta:
		k = kInPkts
	case ieOutBytes:
		k = kOutBytes
	case ieOutPkts:
		k = kOutPkts
	case ieProtocol:
		k = kProto
	case ieTCPFlags:
		k = kTCPFlags
	case ieSrcPort:
		k = kSrcPort
	case ieDstPort:
		k = kDstPort
	case ieSrcIPv4:
		return exact(kSrc4, length, 4)
	case ieDstIPv4:
		return exact(kDst4, length, 4)
	case ieSrcIPv6:
		return exact(kSrc6, length, 16)
	case ieDstIPv6:
		return exact(kDst6, length, 16)
	case ieFirstSwitched:
		k = kFirst
	case ieLastSwitched:
		k = kLast
	case ieFlowStartSeconds:
		k = kStartSec
	case ieFlowEndSeconds:
		k = kEndSec
	case ieFlowStartMillis:
		k = kStartMilli
	case ieFlowEndMillis:
		k = kEndMilli
	case ieFlowStartMicros, ieFlowStartNanos:
		return exact(kStartNTP, length, 8)
	case ieFlowEndMicros, ieFlowEndNanos:
		return exact(kEndNTP, length, 8)
	case ieFlowStartDeltaMicro:
		k = kStartDelta
	case ieFlowEndDeltaMicro:
		k = kEndDelta
	case ieSystemInitMillis:
		k = kSysInit
	case ieSamplingInterval:
		k = kSamplingInterval
	case ieSamplerRandomInt:
		k = kSamplerRandom
	case iePacketInterval:
		k = kPacketInterval
	case iePacketSpace:
		k = kPacketSpace
	case ieSamplingSize:
		k = kSamplingSize
	case ieSamplingPopulation:
		k = kSamplingPopulation
	case ieSamplerID, ieSelectorID:
		k = kSamplerID
	case ieFragmentOffset:
		k = kFragOffset
	case ieFragmentFlags:
		k = kFragFlags
	default:
		return kSkip
	}
	if length < 1 || length > 8 {
		return kSkip
	}
	return k
}

func exact(k fieldKind, length, want int) fieldKind {
	if length != want {
		return kSkip
	}
	return k
}

// record holds the fields of one data or options record while it is being read.
type record struct {
	have     uint64 // bit 1<<kind for each kind seen
	inBytes  uint64
	inPkts   uint64
	outBytes uint64
	outPkts  uint64
	src, dst netip.Addr
	srcPort  uint16
	dstPort  uint16
	proto    uint8
	tcpFlags uint8
	fragment bool

	first, last      uint32 // system uptime in ms
	startNs, endNs   int64  // absolute times
	startDt, endDt   uint64 // microseconds before the export time
	sysInitMs        uint64
	samplerID        uint64
	samplingInterval uint64 // from 34 or 50
	packetInterval   uint64
	packetSpace      uint64
	samplingSize     uint64
	samplingPop      uint64
}

func (r *record) has(k fieldKind) bool { return r.have&(1<<k) != 0 }

func (r *record) addr(k fieldKind) netip.Addr {
	if k == kSrc4 || k == kSrc6 {
		return r.src
	}
	return r.dst
}

// ntpUnixOffset is the number of seconds from 1900 (NTP era 0) to 1970.
const ntpUnixOffset = 2208988800

func ntpToUnixNano(v uint64) int64 {
	sec := int64(v>>32) - ntpUnixOffset
	frac := (v & 0xffffffff) * 1e9 >> 32
	return sec*1e9 + int64(frac)
}

// set stores one field value; the length of v was checked against the kind by kindFor.
func (r *record) set(k fieldKind, v []byte) {
	r.have |= 1 << k
	switch k {
	case kSrc4, kDst4, kSrc6, kDst6:
		// Templates that carry both families leave the unused one zero: keep the other.
		if cur := r.addr(k); cur.IsValid() && allZero(v) {
			return
		}
	}
	switch k {
	case kSrc4:
		r.src = netip.AddrFrom4([4]byte(v))
		return
	case kDst4:
		r.dst = netip.AddrFrom4([4]byte(v))
		return
	case kSrc6:
		r.src = netip.AddrFrom16([16]byte(v))
		return
	case kDst6:
		r.dst = netip.AddrFrom16([16]byte(v))
		return
	case kStartNTP:
		r.startNs = ntpToUnixNano(binary.BigEndian.Uint64(v))
		return
	case kEndNTP:
		r.endNs = ntpToUnixNano(binary.BigEndian.Uint64(v))
		return
	}
	n := uintN(v)
	switch k {
	case kInBytes:
		r.inBytes = n
	case kInPkts:
		r.inPkts = n
	case kOutBytes:
		r.outBytes = n
	case kOutPkts:
		r.outPkts = n
	case kProto:
		r.proto = uint8(n)
	case kTCPFlags:
		r.tcpFlags = uint8(n)
	case kSrcPort:
		r.srcPort = uint16(n)
	case kDstPort:
		r.dstPort = uint16(n)
	case kFirst:
		r.first = uint32(n)
	case kLast:
		r.last = uint32(n)
	case kStartSec:
		r.startNs = int64(uint32(n)) * 1e9
	case kEndSec:
		r.endNs = int64(uint32(n)) * 1e9
	case kStartMilli:
		r.startNs = int64(n) * 1e6
	case kEndMilli:
		r.endNs = int64(n) * 1e6
	case kStartDelta:
		r.startDt = n
	case kEndDelta:
		r.endDt = n
	case kSysInit:
		r.sysInitMs = n
	case kSamplingInterval, kSamplerRandom:
		r.samplingInterval = n
	case kPacketInterval:
		r.packetInterval = n
	case kPacketSpace:
		r.packetSpace = n
	case kSamplingSize:
		r.samplingSize = n
	case kSamplingPopulation:
		r.samplingPop = n
	case kSamplerID:
		r.samplerID = n
	case kFragOffset:
		if n&0x1fff != 0 {
			r.fragment = true
		}
	case kFragFlags:
		if n&fragFlagMF != 0 {
			r.fragment = true
		}
	}
}

// parse reads one record of template t from b into r and returns its length, or false when
// b ends inside the record.
func (r *record) parse(t *template, b []byte) (int, bool) {
	*r = record{}
	off := 0
	for _, o := range t.ops[:t.nops] {
		n := int(o.length)
		if o.kind == kVarLen {
			if off >= len(b) {
				return 0, false
			}
			n = int(b[off])
			off++
			if n == 255 {
				if off+2 > len(b) {
					return 0, false
				}
				n = int(binary.BigEndian.Uint16(b[off:]))
				off += 2
			}
			if off+n > len(b) {
				return 0, false
			}
			off += n
			continue
		}
		if off+n > len(b) {
			return 0, false
		}
		if o.kind != kSkip {
			r.set(o.kind, b[off:off+n])
		}
		off += n
	}
	return off, true
}

// announcedRate returns the 1-in-N rate carried by the record itself, or 0.
func (r *record) announcedRate() uint64 {
	switch {
	case r.packetInterval != 0 && r.has(kPacketSpace):
		// RFC 5477 systematic count-based sampling: interval packets taken, space skipped.
		total := addSat(r.packetInterval, r.packetSpace)
		return (total + r.packetInterval/2) / r.packetInterval
	case r.packetInterval != 0:
		// Without a space, exporters mean 1-in-interval.
		return r.packetInterval
	case r.samplingSize != 0 && r.samplingPop != 0:
		return (r.samplingPop + r.samplingSize/2) / r.samplingSize
	default:
		return r.samplingInterval
	}
}

// exportInfo is what the packet header says about time.
type exportInfo struct {
	exportNs  int64  // export time from the header
	uptimeMs  uint32 // system uptime at export (NetFlow v9)
	hasUptime bool
}

// times resolves the record's interval, falling back to the export time.
func (r *record) times(h *exportInfo, dom *domain) (start, end int64) {
	start, okS := r.time(h, dom, kStartSec, kStartMilli, kStartNTP, kStartDelta, kFirst, r.startNs, r.startDt, r.first)
	end, okE := r.time(h, dom, kEndSec, kEndMilli, kEndNTP, kEndDelta, kLast, r.endNs, r.endDt, r.last)
	switch {
	case okS && okE:
		return start, end
	case okS:
		return start, start
	case okE:
		return end, end
	default:
		return h.exportNs, h.exportNs
	}
}

func (r *record) time(h *exportInfo, dom *domain, sec, milli, ntp, delta, uptime fieldKind,
	abs int64, dt uint64, up uint32) (int64, bool) {
	switch {
	case r.has(sec) || r.has(milli) || r.has(ntp):
		return abs, true
	case r.has(delta):
		return h.exportNs - int64(dt)*1e3, true
	case r.has(uptime) && h.hasUptime:
		// Signed difference: survives the 49.7-day wrap of the uptime counter.
		return h.exportNs - int64(int32(h.uptimeMs-up))*1e6, true
	case r.has(uptime) && r.has(kSysInit):
		return int64(r.sysInitMs+uint64(up)) * 1e6, true
	case r.has(uptime) && dom != nil && dom.hasSysInit:
		return int64(dom.sysInitMs+uint64(up)) * 1e6, true
	}
	return 0, false
}
