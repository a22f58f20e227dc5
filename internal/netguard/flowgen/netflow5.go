package flowgen

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

const (
	v5HeaderLen  = 24
	v5RecordLen  = 48
	v5MaxRecords = 30
)

// encodeV5 writes datagrams of up to 30 records (fewer when MaxDatagramSize says so), one
// sampling rate each: the rate is in the header.
func (e *Encoder) encodeV5(now time.Time, flows []netguard.Flow) ([][]byte, error) {
	now = now.Truncate(time.Millisecond)
	perPacket := min(v5MaxRecords, (e.cfg.MaxDatagramSize-v5HeaderLen)/v5RecordLen)
	var out [][]byte
	flows = sortByRate(flows)
	for len(flows) > 0 {
		rate := rateOf(&flows[0])
		n := 1
		for n < len(flows) && n < perPacket && rateOf(&flows[n]) == rate {
			n++
		}
		pkt, err := e.v5Packet(now, rate, flows[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, pkt)
		flows = flows[n:]
	}
	return out, nil
}

func (e *Encoder) v5Packet(now time.Time, rate uint32, flows []netguard.Flow) ([]byte, error) {
	b := make([]byte, v5HeaderLen, v5HeaderLen+len(flows)*v5RecordLen)
	be := binary.BigEndian
	be.PutUint16(b[0:], 5)
	be.PutUint16(b[2:], uint16(len(flows)))
	be.PutUint32(b[4:], e.uptimeMs(now))
	be.PutUint32(b[8:], uint32(now.Unix()))
	be.PutUint32(b[12:], uint32(now.Nanosecond()))
	be.PutUint32(b[16:], e.seq)
	if rate > 1 {
		be.PutUint16(b[22:], 0x4000|uint16(rate)) // mode 01: deterministic 1-in-N
	}
	for i := range flows {
		f := &flows[i]
		pkts, bytes := sampled(f.Packets, rate), sampled(f.Bytes, rate)
		if pkts > math.MaxUint32 || bytes > math.MaxUint32 {
			return nil, fmt.Errorf("netflow v5 counts %d packets %d bytes above 32 bits: %w", pkts, bytes, ErrInvalid)
		}
		var r [v5RecordLen]byte
		src, dst := f.Src.As4(), f.Dst.As4()
		copy(r[0:], src[:])
		copy(r[4:], dst[:])
		be.PutUint32(r[16:], uint32(pkts))
		be.PutUint32(r[20:], uint32(bytes))
		be.PutUint32(r[24:], e.uptimeMs(f.Start))
		be.PutUint32(r[28:], e.uptimeMs(f.End))
		be.PutUint16(r[32:], f.SrcPort)
		be.PutUint16(r[34:], f.DstPort)
		r[37] = f.TCPFlags
		r[38] = f.Proto
		b = append(b, r[:]...)
	}
	e.seq += uint32(len(flows))
	e.packets++
	return b, nil
}
