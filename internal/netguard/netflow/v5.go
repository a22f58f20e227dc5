package netflow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

const (
	v5HeaderLen = 24
	v5RecordLen = 48
)

// DecodeV5 decodes a NetFlow v5 packet; see Decode.
func (d *Decoder) DecodeV5(exporter netip.Addr, pkt []byte, now time.Time, emit func(*netguard.Flow)) error {
	d.stats.Packets++
	if len(pkt) < v5HeaderLen {
		d.stats.Malformed++
		return fmt.Errorf("netflow v5 header: %w", ErrTruncated)
	}
	if v := binary.BigEndian.Uint16(pkt); v != 5 {
		d.stats.Malformed++
		return fmt.Errorf("netflow v5 version %d: %w", v, ErrVersion)
	}
	count := int(binary.BigEndian.Uint16(pkt[2:]))
	if need := v5HeaderLen + count*v5RecordLen; len(pkt) < need {
		d.stats.Malformed++
		return fmt.Errorf("netflow v5 %d records need %d bytes, have %d: %w", count, need, len(pkt), ErrTruncated)
	}
	exporter = exporter.Unmap()
	uptime := binary.BigEndian.Uint32(pkt[4:])
	exportNs := int64(binary.BigEndian.Uint32(pkt[8:]))*1e9 + int64(binary.BigEndian.Uint32(pkt[12:]))
	interval := binary.BigEndian.Uint16(pkt[22:]) & 0x3fff // the top 2 bits are the mode
	rate, ok := d.rate(d.overrides[exporter], uint64(interval))
	if !ok {
		d.stats.Malformed += uint64(count)
		d.stats.SamplingRejected += uint64(count)
		return fmt.Errorf("netflow v5 sampling interval %d: %w", interval, ErrSamplingRate)
	}
	f := &d.flow
	for i := range count {
		r := pkt[v5HeaderLen+i*v5RecordLen : v5HeaderLen+(i+1)*v5RecordLen]
		first := binary.BigEndian.Uint32(r[24:])
		last := binary.BigEndian.Uint32(r[28:])
		// Field by field, every field: a composite literal zeroes the 152 bytes and copies them.
		f.Exporter = exporter
		f.Src, f.Dst = netip.AddrFrom4([4]byte(r[0:4])), netip.AddrFrom4([4]byte(r[4:8]))
		f.SrcPort, f.DstPort = binary.BigEndian.Uint16(r[32:]), binary.BigEndian.Uint16(r[34:])
		f.TCPFlags, f.Proto, f.Fragment = r[37], r[38], false
		f.Packets = uint64(binary.BigEndian.Uint32(r[16:])) * uint64(rate)
		f.Bytes = uint64(binary.BigEndian.Uint32(r[20:])) * uint64(rate)
		f.SamplingRate = rate
		// Signed differences survive the 49.7-day wrap of the uptime counter.
		f.Start = unixNano(exportNs - int64(int32(uptime-first))*1e6)
		f.End = unixNano(exportNs - int64(int32(uptime-last))*1e6)
		d.stats.Records++
		emit(f)
	}
	return nil
}
