package flowgen

import (
	"encoding/binary"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// sFlow v5 structure numbers (enterprise 0).
const (
	sflowFlowSample        = 1
	sflowCounterSample     = 2
	sflowExpandedFlow      = 3
	sflowRawHeader         = 1
	sflowSampledIPv4       = 3
	sflowSampledIPv6       = 4
	sflowGenericIfCounters = 1
	sflowHeaderEthernet    = 1
)

// encodeSFlow writes flow samples, one per sampled packet, packed into datagrams.
func (e *Encoder) encodeSFlow(now time.Time, flows []netguard.Flow) ([][]byte, error) {
	var out [][]byte
	var d []byte
	var n int
	flush := func() {
		if d == nil {
			return
		}
		binary.BigEndian.PutUint32(d[e.sflowHeaderLen()-4:], uint32(n))
		out = append(out, d)
		e.packets++
		d, n = nil, 0
	}
	open := func() {
		d = e.sflowHeader(now)
		if e.cfg.SFlowCounters {
			d = e.appendCounterSample(d)
			n++
		}
	}
	poolOff := 20
	if e.cfg.SFlowExpanded {
		poolOff = 24
	}
	var sample []byte
	for i := range flows {
		f := &flows[i]
		rate := rateOf(f)
		count := max(sampled(f.Packets, rate), 1)
		size := 64
		if f.Packets > 0 {
			size = int(sampled(f.Bytes, uint32(min(f.Packets, 1<<32-1))))
		}
		sample = e.appendFlowSample(sample[:0], f, rate, size)
		for range count {
			if d != nil && len(d)+len(sample) > e.cfg.MaxDatagramSize {
				flush()
			}
			if d == nil {
				open()
			}
			e.samples++
			at := len(d)
			d = append(d, sample...)
			binary.BigEndian.PutUint32(d[at+8:], e.samples)
			binary.BigEndian.PutUint32(d[at+poolOff:], uint32(uint64(e.samples)*uint64(rate)))
			n++
		}
	}
	if d == nil && e.cfg.SFlowCounters {
		open()
	}
	flush()
	return out, nil
}

func (e *Encoder) sflowHeaderLen() int {
	if e.cfg.Agent.Is4() {
		return 28
	}
	return 40
}

func (e *Encoder) sflowHeader(now time.Time) []byte {
	be := binary.BigEndian
	b := make([]byte, 0, e.cfg.MaxDatagramSize)
	b = be.AppendUint32(b, 5)
	if e.cfg.Agent.Is4() {
		b = be.AppendUint32(b, 1)
	} else {
		b = be.AppendUint32(b, 2)
	}
	b = append(b, e.cfg.Agent.AsSlice()...)
	b = be.AppendUint32(b, e.cfg.SourceID)
	e.seq++
	b = be.AppendUint32(b, e.seq)
	b = be.AppendUint32(b, e.uptimeMs(now))
	return be.AppendUint32(b, 0) // sample count, set by flush
}

// appendFlowSample writes one flow sample; the caller patches the sequence number (offset 8)
// and the sample pool (offset 20, or 24 in the expanded layout).
func (e *Encoder) appendFlowSample(b []byte, f *netguard.Flow, rate uint32, size int) []byte {
	be := binary.BigEndian
	start := len(b)
	if e.cfg.SFlowExpanded {
		b = be.AppendUint32(b, sflowExpandedFlow)
		b = be.AppendUint32(b, 0) // length
		b = be.AppendUint32(b, 0) // sequence
		b = be.AppendUint32(b, 0) // source id type
		b = be.AppendUint32(b, 1) // source id index
		b = be.AppendUint32(b, rate)
		b = be.AppendUint32(b, 0) // pool
		b = be.AppendUint32(b, 0) // drops
		b = be.AppendUint32(b, 0) // input format
		b = be.AppendUint32(b, 1) // input
		b = be.AppendUint32(b, 0) // output format
		b = be.AppendUint32(b, 2) // output
	} else {
		b = be.AppendUint32(b, sflowFlowSample)
		b = be.AppendUint32(b, 0) // length
		b = be.AppendUint32(b, 0) // sequence
		b = be.AppendUint32(b, 1) // source id: type 0, index 1
		b = be.AppendUint32(b, rate)
		b = be.AppendUint32(b, 0) // pool
		b = be.AppendUint32(b, 0) // drops
		b = be.AppendUint32(b, 1) // input
		b = be.AppendUint32(b, 2) // output
	}
	b = be.AppendUint32(b, 1) // one record
	rec := len(b)
	if e.cfg.SFlowSampledIP {
		if f.Src.Is4() {
			b = be.AppendUint32(b, sflowSampledIPv4)
		} else {
			b = be.AppendUint32(b, sflowSampledIPv6)
		}
		b = be.AppendUint32(b, 0)
		b = be.AppendUint32(b, uint32(size))
		b = be.AppendUint32(b, uint32(f.Proto))
		b = append(b, f.Src.AsSlice()...)
		b = append(b, f.Dst.AsSlice()...)
		b = be.AppendUint32(b, uint32(f.SrcPort))
		b = be.AppendUint32(b, uint32(f.DstPort))
		b = be.AppendUint32(b, uint32(f.TCPFlags))
		b = be.AppendUint32(b, 0) // tos or priority
	} else {
		b = be.AppendUint32(b, sflowRawHeader)
		b = be.AppendUint32(b, 0)
		b = be.AppendUint32(b, sflowHeaderEthernet)
		b = be.AppendUint32(b, uint32(size))
		b = be.AppendUint32(b, fcsLen) // stripped
		hl := len(b)
		b = be.AppendUint32(b, 0)
		b = appendFrame(b, f, size, e.cfg.SFlowVLAN)
		be.PutUint32(b[hl:], uint32(len(b)-hl-4))
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	be.PutUint32(b[rec+4:], uint32(len(b)-rec-8))
	be.PutUint32(b[start+4:], uint32(len(b)-start-8))
	return b
}

// appendCounterSample writes a counter sample with zeroed generic interface counters; decoders
// skip it.
func (e *Encoder) appendCounterSample(b []byte) []byte {
	be := binary.BigEndian
	e.samples++
	b = be.AppendUint32(b, sflowCounterSample)
	b = be.AppendUint32(b, 4+4+4+8+88)
	b = be.AppendUint32(b, e.samples)
	b = be.AppendUint32(b, 1) // source id
	b = be.AppendUint32(b, 1) // one record
	b = be.AppendUint32(b, sflowGenericIfCounters)
	b = be.AppendUint32(b, 88)
	return append(b, make([]byte, 88)...)
}
