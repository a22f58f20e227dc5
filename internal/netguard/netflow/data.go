package netflow

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// dataSet decodes the records of one v9 data flowset or IPFIX data set.
func (d *Decoder) dataSet(name string, k tkey, body []byte, h *exportInfo, now time.Time,
	override uint32, emit func(*netguard.Flow)) error {
	t := d.cache.get(k, now)
	if t == nil {
		d.stats.UnknownTemplate++
		return fmt.Errorf("%s data set %d domain %d: %w", name, k.id, k.domain, ErrUnknownTemplate)
	}
	var err error
	rec := &d.rec
	for len(body) >= t.minLen {
		n, ok := rec.parse(t, body)
		if !ok {
			d.stats.Malformed++
			return fmt.Errorf("%s data set %d: record overruns the set: %w", name, k.id, ErrMalformed)
		}
		body = body[n:]
		if t.options {
			d.stats.OptionsRecords++
			d.options(t.dom, rec)
			continue
		}
		if !d.emitRecord(k.exporter, rec, t.dom, h, override, emit) && err == nil {
			err = fmt.Errorf("%s data set %d: %w", name, k.id, ErrSamplingRate)
		}
	}
	return err
}

// options keeps what an options record says about the domain.
func (d *Decoder) options(dom *domain, rec *record) {
	if r := rec.announcedRate(); r != 0 {
		dom.setRate(rec.samplerID, r)
	}
	if rec.has(kSysInit) {
		dom.sysInitMs = rec.sysInitMs
		dom.hasSysInit = true
	}
}

// emitRecord builds the flow of a data record and emits it; it reports false when the record
// was dropped for its sampling rate.
func (d *Decoder) emitRecord(exporter netip.Addr, rec *record, dom *domain, h *exportInfo,
	override uint32, emit func(*netguard.Flow)) bool {
	if !rec.src.IsValid() && !rec.dst.IsValid() {
		// Not a flow: a template without addresses (interface totals, for instance).
		d.stats.WithoutAddress++
		return true
	}
	announced := rec.announcedRate()
	if announced == 0 {
		announced = dom.rateFor(rec.samplerID, rec.has(kSamplerID))
	}
	rate, ok := d.rate(override, announced)
	if !ok {
		d.stats.Malformed++
		d.stats.SamplingRejected++
		return false
	}
	pkts, bytes := rec.inPkts, rec.inBytes
	if !rec.has(kInPkts) {
		pkts = rec.outPkts
	}
	if !rec.has(kInBytes) {
		bytes = rec.outBytes
	}
	start, end := rec.times(h, dom)
	// Field by field, every field: a composite literal zeroes the 152 bytes and copies them.
	f := &d.flow
	f.Exporter, f.Src, f.Dst = exporter, rec.src, rec.dst
	f.SrcPort, f.DstPort, f.Proto, f.TCPFlags, f.Fragment = rec.srcPort, rec.dstPort, rec.proto, rec.tcpFlags, rec.fragment
	f.Packets, f.Bytes, f.SamplingRate = mulSat(pkts, uint64(rate)), mulSat(bytes, uint64(rate)), rate
	f.Start, f.End = unixNano(start), unixNano(end)
	d.stats.Records++
	emit(f)
	return true
}

// compileField adds one field specifier to the scratch template.
func (d *Decoder) compileField(id uint16, length int, enterprise, ipfix bool) bool {
	k := kindFor(id, length, enterprise)
	if ipfix && length == ipfixVariableLength {
		k = kVarLen
	}
	return d.scratch.add(k, length)
}
