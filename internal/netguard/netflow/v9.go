package netflow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

const v9HeaderLen = 20

// DecodeV9 decodes a NetFlow v9 packet; see Decode.
func (d *Decoder) DecodeV9(exporter netip.Addr, pkt []byte, now time.Time, emit func(*netguard.Flow)) error {
	d.stats.Packets++
	if len(pkt) < v9HeaderLen {
		d.stats.Malformed++
		return fmt.Errorf("netflow v9 header: %w", ErrTruncated)
	}
	if v := binary.BigEndian.Uint16(pkt); v != 9 {
		d.stats.Malformed++
		return fmt.Errorf("netflow v9 version %d: %w", v, ErrVersion)
	}
	exporter = exporter.Unmap()
	d.cache.expire(now)
	h := exportInfo{
		exportNs:  exportTime(binary.BigEndian.Uint32(pkt[8:]), now),
		uptimeMs:  binary.BigEndian.Uint32(pkt[4:]),
		hasUptime: true,
	}
	source := binary.BigEndian.Uint32(pkt[16:])
	override := d.overrides[exporter]
	var first error
	for b := pkt[v9HeaderLen:]; len(b) > 0; {
		if len(b) < 4 {
			d.stats.Malformed++
			return firstOf(first, fmt.Errorf("netflow v9 flowset header: %w", ErrTruncated))
		}
		id := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < 4 {
			d.stats.Malformed++
			return firstOf(first, fmt.Errorf("netflow v9 flowset %d length %d: %w", id, n, ErrMalformed))
		}
		if n > len(b) {
			d.stats.Malformed++
			return firstOf(first, fmt.Errorf("netflow v9 flowset %d length %d, have %d: %w", id, n, len(b), ErrTruncated))
		}
		body := b[4:n]
		b = b[n:]
		var err error
		switch {
		case id == 0:
			err = d.v9Templates(exporter, source, body, now)
		case id == 1:
			err = d.v9OptionsTemplates(exporter, source, body, now)
		case id < 256:
			// Reserved flowset IDs: skip.
		default:
			k := tkey{exporter: exporter, domain: source, id: id}
			err = d.dataSet("netflow v9", k, body, &h, now, override, emit)
		}
		first = firstOf(first, err)
	}
	return first
}

func (d *Decoder) v9Templates(exporter netip.Addr, source uint32, b []byte, now time.Time) error {
	for len(b) >= 4 {
		id := binary.BigEndian.Uint16(b)
		count := int(binary.BigEndian.Uint16(b[2:]))
		if id < 256 {
			if allZero(b) {
				return nil // padding
			}
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 template id %d: %w", id, ErrMalformed)
		}
		need := 4 + 4*count
		if len(b) < need {
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 template %d with %d fields: %w", id, count, ErrTruncated)
		}
		fields := b[4:need]
		b = b[need:]
		d.scratch.reset(false)
		if !d.v9Fields(fields, false) || d.scratch.minLen == 0 {
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 template %d: unusable layout: %w", id, ErrMalformed)
		}
		d.cache.put(tkey{exporter: exporter, domain: source, id: id}, &d.scratch, now)
	}
	return nil
}

// v9Fields compiles (type, length) pairs; scope fields are skipped, since v9 scope types are
// not field types.
func (d *Decoder) v9Fields(b []byte, scope bool) bool {
	for ; len(b) >= 4; b = b[4:] {
		typ := binary.BigEndian.Uint16(b)
		length := int(binary.BigEndian.Uint16(b[2:]))
		if scope {
			if !d.scratch.add(kSkip, length) {
				return false
			}
			continue
		}
		if !d.compileField(typ, length, false, false) {
			return false
		}
	}
	return true
}

func (d *Decoder) v9OptionsTemplates(exporter netip.Addr, source uint32, b []byte, now time.Time) error {
	for len(b) >= 6 {
		id := binary.BigEndian.Uint16(b)
		scopeLen := int(binary.BigEndian.Uint16(b[2:]))
		optLen := int(binary.BigEndian.Uint16(b[4:]))
		if id < 256 {
			if allZero(b) {
				return nil // padding
			}
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 options template id %d: %w", id, ErrMalformed)
		}
		if scopeLen%4 != 0 || optLen%4 != 0 {
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 options template %d lengths %d and %d: %w", id, scopeLen, optLen, ErrMalformed)
		}
		need := 6 + scopeLen + optLen
		if len(b) < need {
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 options template %d: %w", id, ErrTruncated)
		}
		d.scratch.reset(true)
		ok := d.v9Fields(b[6:6+scopeLen], true) && d.v9Fields(b[6+scopeLen:need], false)
		b = b[need:]
		if !ok || d.scratch.minLen == 0 {
			d.stats.Malformed++
			return fmt.Errorf("netflow v9 options template %d: unusable layout: %w", id, ErrMalformed)
		}
		d.cache.put(tkey{exporter: exporter, domain: source, id: id}, &d.scratch, now)
	}
	return nil
}

// exportTime converts header seconds, or now when the exporter left them zero.
func exportTime(secs uint32, now time.Time) int64 {
	if secs == 0 {
		return now.UnixNano()
	}
	return int64(secs) * 1e9
}

func firstOf(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
