package mitigation

import (
	"net/netip"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// The per-class history of attacks: while the detector reports an attack on an IP, Watch
// writes each second of the IP's per-class traffic (what detect.Detector.Traffic returns) to the
// store, so that a profile test can replay a past attack (Art. 9 Pro). The traffic series keep
// totals only.
const (
	// HistoryPreRoll is how long before the start of an attack its recording begins: the
	// legitimate traffic the attack hit.
	HistoryPreRoll = 60 * time.Second
	// HistoryCap bounds one recording: the seconds from the attack's start to 6 hours after it
	// (plus the pre-roll), at most 21,660 rows per attack; a longer attack keeps its first
	// 6 hours.
	HistoryCap = 6 * time.Hour
	// HistorySettle is how long after a second ends it is written: flow records arrive late
	// (a 30-second NetFlow active timeout spreads its record over the 30 seconds before), and
	// the detector keeps 64 s. A second is written once, replaced only when an overlapping
	// recording (a new attack's pre-roll) writes it again.
	HistorySettle = 35 * time.Second
)

// AttackSecond is one second of an IP's traffic per class, as recorded around an attack.
type AttackSecond struct {
	IP netip.Addr
	// At is the start of the second.
	At      time.Time
	Traffic detect.Traffic
	// Above lists the classes the IP's own thresholds (its profile, raised by its learned
	// baseline) found above in that second (ip-flood for the total): the attack traffic.
	Above []netguard.Vector
}

// AttackTestRange is the range of a profile test on a: from HistoryPreRoll before its start to
// its end, or to now while it goes on.
func AttackTestRange(a netguard.Attack, now time.Time) (from, to time.Time) {
	from = a.StartedAt.Truncate(time.Second).Add(-HistoryPreRoll)
	to = now.Truncate(time.Second)
	if !a.Ongoing() {
		// The end of the attack's last second (LastAbove), a whole second.
		to = earlier(to, a.EndedAt.Add(time.Second-1).Truncate(time.Second))
	}
	return from.UTC(), to.UTC()
}

// recording is an IP whose seconds are being written.
type recording struct {
	next  time.Time // the next second to write
	limit time.Time // the seconds before it are written (the cap, then the attack's end)
	ended bool      // the detector ended the attack: drop the recording once next reaches limit
}

// recorder follows the detector's attacks on IPs and collects their settled seconds. It is
// used under Watch.mu.
type recorder struct {
	open map[netip.Addr]*recording
}

// observe starts, extends or ends recordings from the events of one detector tick at now.
func (r *recorder) observe(events []detect.Event, now time.Time) {
	sec := now.Truncate(time.Second)
	for _, e := range events {
		if !e.IP.IsValid() {
			continue // a prefix: carpet bombing is not replayed
		}
		ip := e.IP.Unmap()
		rec := r.open[ip]
		switch e.Kind {
		case detect.EventStart:
			// The detector keeps 64 s behind its newest record: the pre-roll starts at most
			// 62 s ago (the seconds older than HistorySettle are read at once, below).
			from := later(e.Started.Truncate(time.Second).Add(-HistoryPreRoll), sec.Add(-62*time.Second))
			limit := e.Started.Truncate(time.Second).Add(HistoryCap)
			if rec == nil {
				r.open[ip] = &recording{next: from, limit: limit}
				continue
			}
			// An attack starting again while the previous one's end is still being written:
			// one recording, going on.
			rec.limit, rec.ended = later(rec.limit, limit), false
		case detect.EventEnd:
			if rec != nil {
				rec.limit, rec.ended = earlier(rec.limit, sec), true
			}
		}
	}
}

// seconds returns the settled seconds of every recording at now, read from det, oldest first
// per IP, and drops the recordings that are complete (or whose IP is no longer tracked).
func (r *recorder) seconds(det *detect.Detector, now time.Time) []AttackSecond {
	settled := now.Add(-HistorySettle).Truncate(time.Second) // seconds before it are settled
	var out []AttackSecond
	for ip, rec := range r.open {
		end := earlier(settled, rec.limit)
		for ; rec.next.Before(end); rec.next = rec.next.Add(time.Second) {
			tr, ok := det.Traffic(ip, rec.next)
			if !ok {
				rec.ended, rec.limit = true, rec.next
				break
			}
			out = append(out, AttackSecond{IP: ip, At: rec.next.UTC(), Traffic: tr, Above: aboveOf(det, ip, tr)})
		}
		if rec.ended && !rec.next.Before(rec.limit) {
			delete(r.open, ip)
		}
	}
	slices.SortFunc(out, func(a, b AttackSecond) int {
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	return out
}

// aboveOf lists the classes of tr above the IP's own thresholds in det, sorted.
func aboveOf(det *detect.Detector, ip netip.Addr, tr detect.Traffic) []netguard.Vector {
	var out []netguard.Vector
	for v, r := range classes(tr) {
		if lim, ok := det.Threshold(ip, v); ok && above(r, lim) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
