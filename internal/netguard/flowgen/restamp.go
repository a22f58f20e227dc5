package flowgen

import (
	"encoding/binary"
	"time"
)

// Restamp moves every timestamp of a datagram this package encoded by shift (at millisecond
// precision), in place, so that a datagram encoded once can be sent again later as if encoded
// then: the benchmark sends a pool of pre-encoded datagrams for seconds, and an exporter's
// records end about when they are sent. NetFlow v5 and v9 move the header's wall clock, which
// their records' uptimes are relative to; IPFIX moves the header's export time and the
// absolute start and end of each data record; sFlow carries no time (a collector uses the
// arrival). A datagram too short for its header is left alone.
func Restamp(b []byte, f Format, shift time.Duration) {
	be := binary.BigEndian
	ms := shift.Milliseconds()
	switch f {
	case NetflowV5:
		if len(b) < v5HeaderLen {
			return
		}
		t := time.Unix(int64(be.Uint32(b[8:])), int64(be.Uint32(b[12:]))).Add(time.Duration(ms) * time.Millisecond)
		be.PutUint32(b[8:], uint32(t.Unix()))
		be.PutUint32(b[12:], uint32(t.Nanosecond()))
	case NetflowV9:
		if len(b) < 20 {
			return
		}
		// Record time = header seconds - (uptime - record uptime): whole seconds go to the
		// header's clock; a remainder r takes one second more there and 1000 - r ms more of
		// uptime (never less, so no record ends after the uptime).
		secs, rest := floorDivMod(ms, 1000)
		if rest > 0 {
			secs++
			be.PutUint32(b[4:], be.Uint32(b[4:])+uint32(1000-rest))
		}
		be.PutUint32(b[8:], uint32(int64(be.Uint32(b[8:]))+secs))
	case IPFIX:
		if len(b) < 16 {
			return
		}
		secs, _ := floorDivMod(ms, 1000)
		be.PutUint32(b[4:], uint32(int64(be.Uint32(b[4:]))+secs))
		restampIPFIXRecords(b, ms)
	}
}

// ipfixTimes are, per data template (IPv4, IPv6), the record length and the offsets of
// flowStartMilliseconds and flowEndMilliseconds in a record.
var ipfixTimes = [2]struct{ size, start, end int }{ipfixTimesOf(false), ipfixTimesOf(true)}

func ipfixTimesOf(v6 bool) (t struct{ size, start, end int }) {
	for _, fl := range dataTemplate(true, v6) {
		switch fl.id {
		case 152:
			t.start = t.size
		case 153:
			t.end = t.size
		}
		t.size += int(fl.length)
	}
	return t
}

// restampIPFIXRecords adds ms to flowStartMilliseconds and flowEndMilliseconds of each record
// of the data sets of b.
func restampIPFIXRecords(b []byte, ms int64) {
	be := binary.BigEndian
	for off := 16; off+4 <= len(b); {
		id, n := be.Uint16(b[off:]), int(be.Uint16(b[off+2:]))
		if n < 4 || off+n > len(b) {
			return
		}
		if id == templateIPv4 || id == templateIPv6 {
			lt := ipfixTimes[id-templateIPv4]
			for r := off + 4; r+lt.size <= off+n; r += lt.size {
				for _, p := range [2]int{r + lt.start, r + lt.end} {
					be.PutUint64(b[p:], uint64(int64(be.Uint64(b[p:]))+ms))
				}
			}
		}
		off += n
	}
}

// floorDivMod returns q and r with a = q*b + r and 0 <= r < b (b > 0).
func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}
