package netflow

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

const (
	ipfixHeaderLen       = 16
	ipfixTemplateSet     = 2
	ipfixOptionsSet      = 3
	ipfixEnterpriseBit   = 0x8000
	ipfixVariableLength  = 0xffff
	ipfixMinDataSetID    = 256
	ipfixSetHeaderLength = 4
)

// DecodeIPFIX decodes an IPFIX message; see Decode.
func (d *Decoder) DecodeIPFIX(exporter netip.Addr, pkt []byte, now time.Time, emit func(*netguard.Flow)) error {
	d.stats.Packets++
	if len(pkt) < ipfixHeaderLen {
		d.stats.Malformed++
		return fmt.Errorf("ipfix header: %w", ErrTruncated)
	}
	if v := binary.BigEndian.Uint16(pkt); v != 10 {
		d.stats.Malformed++
		return fmt.Errorf("ipfix version %d: %w", v, ErrVersion)
	}
	length := int(binary.BigEndian.Uint16(pkt[2:]))
	if length < ipfixHeaderLen {
		d.stats.Malformed++
		return fmt.Errorf("ipfix message length %d: %w", length, ErrMalformed)
	}
	if length > len(pkt) {
		d.stats.Malformed++
		return fmt.Errorf("ipfix message length %d, have %d: %w", length, len(pkt), ErrTruncated)
	}
	pkt = pkt[:length]
	exporter = exporter.Unmap()
	d.cache.expire(now)
	h := exportInfo{exportNs: exportTime(binary.BigEndian.Uint32(pkt[4:]), now)}
	domainID := binary.BigEndian.Uint32(pkt[12:])
	override := d.overrides[exporter]
	var first error
	for b := pkt[ipfixHeaderLen:]; len(b) > 0; {
		if len(b) < ipfixSetHeaderLength {
			d.stats.Malformed++
			return firstOf(first, fmt.Errorf("ipfix set header: %w", ErrTruncated))
		}
		id := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < ipfixSetHeaderLength {
			d.stats.Malformed++
			return firstOf(first, fmt.Errorf("ipfix set %d length %d: %w", id, n, ErrMalformed))
		}
		if n > len(b) {
			d.stats.Malformed++
			return firstOf(first, fmt.Errorf("ipfix set %d length %d, have %d: %w", id, n, len(b), ErrTruncated))
		}
		body := b[4:n]
		b = b[n:]
		var err error
		switch {
		case id == ipfixTemplateSet || id == ipfixOptionsSet:
			err = d.ipfixTemplates(exporter, domainID, id == ipfixOptionsSet, body, now)
		case id < ipfixMinDataSetID:
			// Reserved set IDs: skip.
		default:
			k := tkey{exporter: exporter, domain: domainID, id: id, ipfix: true}
			err = d.dataSet("ipfix", k, body, &h, now, override, emit)
		}
		first = firstOf(first, err)
	}
	return first
}

// ipfixTemplates reads a template set or an options template set, with withdrawals.
func (d *Decoder) ipfixTemplates(exporter netip.Addr, domainID uint32, options bool, b []byte, now time.Time) error {
	setID := uint16(ipfixTemplateSet)
	if options {
		setID = ipfixOptionsSet
	}
	for len(b) >= 4 {
		id := binary.BigEndian.Uint16(b)
		count := int(binary.BigEndian.Uint16(b[2:]))
		if count == 0 && id == setID {
			// Withdraw every template of this kind in the domain (RFC 7011 8.1).
			d.cache.withdrawAll(dkey{exporter, domainID, true}, options)
			b = b[4:]
			continue
		}
		if id < ipfixMinDataSetID {
			if allZero(b) {
				return nil // padding
			}
			d.stats.Malformed++
			return fmt.Errorf("ipfix template id %d: %w", id, ErrMalformed)
		}
		k := tkey{exporter: exporter, domain: domainID, id: id, ipfix: true}
		if count == 0 {
			d.cache.withdraw(k)
			b = b[4:]
			continue
		}
		off := 4
		scope := 0
		if options {
			if len(b) < 6 {
				d.stats.Malformed++
				return fmt.Errorf("ipfix options template %d: %w", id, ErrTruncated)
			}
			scope = int(binary.BigEndian.Uint16(b[4:]))
			if scope == 0 || scope > count {
				d.stats.Malformed++
				return fmt.Errorf("ipfix options template %d scope count %d of %d: %w", id, scope, count, ErrMalformed)
			}
			off = 6
		}
		d.scratch.reset(options)
		ok := true
		for range count {
			if len(b) < off+4 {
				d.stats.Malformed++
				return fmt.Errorf("ipfix template %d with %d fields: %w", id, count, ErrTruncated)
			}
			ie := binary.BigEndian.Uint16(b[off:])
			length := int(binary.BigEndian.Uint16(b[off+2:]))
			off += 4
			enterprise := ie&ipfixEnterpriseBit != 0
			if enterprise {
				if len(b) < off+4 {
					d.stats.Malformed++
					return fmt.Errorf("ipfix template %d enterprise field: %w", id, ErrTruncated)
				}
				off += 4
			}
			if ok {
				ok = d.compileField(ie&^ipfixEnterpriseBit, length, enterprise, true)
			}
		}
		b = b[off:]
		if !ok || d.scratch.minLen == 0 {
			d.stats.Malformed++
			return fmt.Errorf("ipfix template %d: unusable layout: %w", id, ErrMalformed)
		}
		d.cache.put(k, &d.scratch, now)
	}
	return nil
}
