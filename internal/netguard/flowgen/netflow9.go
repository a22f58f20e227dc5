package flowgen

import (
	"encoding/binary"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Template IDs the encoder announces, for NetFlow v9 and IPFIX alike.
const (
	templateIPv4    = 256
	templateIPv6    = 257
	templateOptions = 258
)

type field struct{ id, length uint16 }

// The data templates. NetFlow v9 uses FIRST/LAST_SWITCHED relative to the uptime and
// FLOW_SAMPLER_ID; IPFIX uses absolute milliseconds and selectorId. Both mark fragments with
// fragmentFlags (197).
func dataTemplate(ipfix, v6 bool) []field {
	src, dst := uint16(8), uint16(12)
	addr := uint16(4)
	if v6 {
		src, dst, addr = 27, 28, 16
	}
	if ipfix {
		return []field{{1, 8}, {2, 8}, {4, 1}, {6, 2}, {7, 2}, {src, addr}, {11, 2}, {dst, addr},
			{152, 8}, {153, 8}, {302, 4}, {197, 1}}
	}
	return []field{{1, 8}, {2, 8}, {4, 1}, {6, 1}, {7, 2}, {src, addr}, {11, 2}, {dst, addr},
		{21, 4}, {22, 4}, {48, 1}, {197, 1}}
}

// The options templates announce one sampler per record. NetFlow v9: scope System, then
// FLOW_SAMPLER_ID, FLOW_SAMPLER_MODE and FLOW_SAMPLER_RANDOM_INTERVAL. IPFIX: scope selectorId,
// then samplingPacketInterval (1) and samplingPacketSpace (rate-1), per RFC 5477.
var (
	v9OptionScope  = []field{{1, 4}}
	v9Options      = []field{{48, 1}, {49, 1}, {50, 4}}
	ipfixOptScope  = []field{{302, 4}}
	ipfixOptFields = []field{{305, 4}, {306, 4}}
)

func recordLen(fs []field) int {
	n := 0
	for _, f := range fs {
		n += int(f.length)
	}
	return n
}

// datagram assembles one NetFlow v9 or IPFIX packet.
type datagram struct {
	b        []byte
	ipfix    bool
	setStart int // offset of the open set, -1 when none
	setID    uint16
	records  int // v9 header count: template and data records
	data     int // IPFIX data records, for the sequence number
}

func (d *datagram) openSet(id uint16) {
	d.closeSet()
	d.setStart = len(d.b)
	d.setID = id
	d.b = binary.BigEndian.AppendUint16(d.b, id)
	d.b = append(d.b, 0, 0)
}

func (d *datagram) closeSet() {
	if d.setStart < 0 {
		return
	}
	if !d.ipfix {
		for (len(d.b)-d.setStart)%4 != 0 {
			d.b = append(d.b, 0)
		}
	}
	binary.BigEndian.PutUint16(d.b[d.setStart+2:], uint16(len(d.b)-d.setStart))
	d.setStart = -1
}

// room reports whether a record of n bytes fits, with a new set header when needed and the
// v9 padding.
func (d *datagram) room(n, maxSize int, setID uint16) bool {
	if d.setStart < 0 || d.setID != setID {
		n += 4
	}
	return len(d.b)+n+3 <= maxSize
}

func (d *datagram) appendTemplate(id uint16, fs []field) {
	d.b = binary.BigEndian.AppendUint16(d.b, id)
	d.b = binary.BigEndian.AppendUint16(d.b, uint16(len(fs)))
	d.b = appendFields(d.b, fs)
	d.records++
}

func appendFields(b []byte, fs []field) []byte {
	for _, f := range fs {
		b = binary.BigEndian.AppendUint16(b, f.id)
		b = binary.BigEndian.AppendUint16(b, f.length)
	}
	return b
}

// encodeTemplated writes NetFlow v9 (ipfix false) or IPFIX datagrams.
func (e *Encoder) encodeTemplated(now time.Time, flows []netguard.Flow, ipfix bool) ([][]byte, error) {
	ids := make([]uint8, len(flows))
	known := len(e.samplers)
	for i := range flows {
		id, err := e.samplerID(rateOf(&flows[i]))
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	forceTemplates := len(e.samplers) != known
	maxSize := e.cfg.MaxDatagramSize
	var out [][]byte
	var d *datagram
	for i := range flows {
		f := &flows[i]
		fs := dataTemplate(ipfix, f.Src.Is6())
		setID := uint16(templateIPv4)
		if f.Src.Is6() {
			setID = templateIPv6
		}
		n := recordLen(fs)
		if d != nil && !d.room(n, maxSize, setID) {
			out = append(out, e.finish(d, now))
			d = nil
		}
		if d == nil {
			d = e.start(now, ipfix, forceTemplates)
			forceTemplates = false
		}
		if d.setStart < 0 || d.setID != setID {
			d.openSet(setID)
		}
		for _, fl := range fs {
			d.b = appendValue(d.b, fl, f, ids[i], e)
		}
		d.records++
		d.data++
	}
	if d == nil && forceTemplates {
		d = e.start(now, ipfix, true)
	}
	if d != nil {
		out = append(out, e.finish(d, now))
	}
	return out, nil
}

// start opens a datagram, with the templates and sampling options when they are due.
func (e *Encoder) start(now time.Time, ipfix, force bool) *datagram {
	header := 20
	if ipfix {
		header = 16
	}
	d := &datagram{b: make([]byte, header, e.cfg.MaxDatagramSize), ipfix: ipfix, setStart: -1}
	if !force && e.packets%uint64(e.cfg.TemplateEvery) != 0 {
		return d
	}
	tset, oset := uint16(0), uint16(1)
	if ipfix {
		tset, oset = 2, 3
	}
	d.openSet(tset)
	d.appendTemplate(templateIPv4, dataTemplate(ipfix, false))
	d.appendTemplate(templateIPv6, dataTemplate(ipfix, true))
	d.openSet(oset)
	be := binary.BigEndian
	if ipfix {
		d.b = be.AppendUint16(d.b, templateOptions)
		d.b = be.AppendUint16(d.b, uint16(len(ipfixOptScope)+len(ipfixOptFields)))
		d.b = be.AppendUint16(d.b, uint16(len(ipfixOptScope)))
		d.b = appendFields(d.b, ipfixOptScope)
		d.b = appendFields(d.b, ipfixOptFields)
	} else {
		d.b = be.AppendUint16(d.b, templateOptions)
		d.b = be.AppendUint16(d.b, uint16(4*len(v9OptionScope)))
		d.b = be.AppendUint16(d.b, uint16(4*len(v9Options)))
		d.b = appendFields(d.b, v9OptionScope)
		d.b = appendFields(d.b, v9Options)
	}
	d.records++
	if len(e.samplers) == 0 {
		d.closeSet()
		return d
	}
	d.openSet(templateOptions)
	for i, rate := range e.samplers {
		id := uint32(i + 1)
		if ipfix {
			d.b = be.AppendUint32(d.b, id)
			d.b = be.AppendUint32(d.b, 1)
			d.b = be.AppendUint32(d.b, rate-1)
		} else {
			d.b = be.AppendUint32(d.b, e.cfg.SourceID)
			d.b = append(d.b, uint8(id), 2) // mode 2: random sampling
			d.b = be.AppendUint32(d.b, rate)
		}
		d.records++
		d.data++
	}
	d.closeSet()
	return d
}

// finish closes the last set and writes the header.
func (e *Encoder) finish(d *datagram, now time.Time) []byte {
	d.closeSet()
	be := binary.BigEndian
	b := d.b
	if d.ipfix {
		be.PutUint16(b[0:], 10)
		be.PutUint16(b[2:], uint16(len(b)))
		be.PutUint32(b[4:], uint32(now.Unix()))
		be.PutUint32(b[8:], e.seq)
		be.PutUint32(b[12:], e.cfg.SourceID)
		e.seq += uint32(d.data)
	} else {
		now = now.Truncate(time.Second)
		be.PutUint16(b[0:], 9)
		be.PutUint16(b[2:], uint16(d.records))
		be.PutUint32(b[4:], e.uptimeMs(now))
		be.PutUint32(b[8:], uint32(now.Unix()))
		be.PutUint32(b[12:], e.seq)
		be.PutUint32(b[16:], e.cfg.SourceID)
		e.seq++
	}
	e.packets++
	return b
}

// appendValue writes the value of one template field for flow f.
func appendValue(b []byte, fl field, f *netguard.Flow, sampler uint8, e *Encoder) []byte {
	be := binary.BigEndian
	rate := rateOf(f)
	switch fl.id {
	case 1:
		return be.AppendUint64(b, sampled(f.Bytes, rate))
	case 2:
		return be.AppendUint64(b, sampled(f.Packets, rate))
	case 4:
		return append(b, f.Proto)
	case 6:
		if fl.length == 2 {
			return be.AppendUint16(b, uint16(f.TCPFlags))
		}
		return append(b, f.TCPFlags)
	case 7:
		return be.AppendUint16(b, f.SrcPort)
	case 11:
		return be.AppendUint16(b, f.DstPort)
	case 8, 27:
		return append(b, f.Src.AsSlice()...)
	case 12, 28:
		return append(b, f.Dst.AsSlice()...)
	case 21:
		return be.AppendUint32(b, e.uptimeMs(f.End))
	case 22:
		return be.AppendUint32(b, e.uptimeMs(f.Start))
	case 152:
		return be.AppendUint64(b, uint64(f.Start.UnixMilli()))
	case 153:
		return be.AppendUint64(b, uint64(f.End.UnixMilli()))
	case 48:
		return append(b, sampler)
	case 302:
		return be.AppendUint32(b, uint32(sampler))
	case 197:
		if f.Fragment {
			return append(b, 0x20) // MF
		}
		return append(b, 0)
	}
	return append(b, make([]byte, fl.length)...)
}
