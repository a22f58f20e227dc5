package detect

import (
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// EventKind says where an attack stands.
type EventKind string

// The kinds of Event.
const (
	// EventStart: a class has been above its threshold for TriggerDelay.
	EventStart EventKind = "start"
	// EventUpdate: the attack goes on (a tick saw a second above threshold), or it just went
	// quiet (Quiet set; sent once per quiet spell).
	EventUpdate EventKind = "update"
	// EventEnd: the target has been quiet for Config.EndAfter; the attack is closed.
	EventEnd EventKind = "end"
)

// Rate is traffic per second.
type Rate struct {
	PPS uint64 // packets per second
	BPS uint64 // bits per second
	FPS uint64 // flow records per second
}

// Event reports an attack on one IP, or on a whole prefix (carpet bombing).
type Event struct {
	Kind EventKind
	// IP is the attacked address; zero for a prefix event.
	IP netip.Addr
	// Prefix is the carpet-bombed prefix; zero for an IP event.
	Prefix netip.Prefix
	// Profile names the thresholds that applied.
	Profile string
	// Vectors lists every vector seen above threshold since Started, in netguard.Vectors order.
	Vectors []netguard.Vector
	// Current is the total traffic of the latest second judged; Peak the highest per-second
	// total (PPS, BPS and FPS each at its own maximum) since Started.
	Current, Peak Rate
	// Severity is the highest ratio of a class to its effective threshold over the seconds this
	// tick judged (above 1: above threshold); PeakSeverity the highest since Started.
	Severity, PeakSeverity float64
	// TopSources are the heaviest sources by packets since the target first went above a
	// threshold (space-saving estimates), heaviest first.
	TopSources []Source
	// Started is the beginning of the first second of the run that triggered the attack.
	Started time.Time
	// LastAbove is the end of the latest second above a threshold; the target has been quiet
	// since then when Quiet is set.
	LastAbove time.Time
	// Quiet reports that the latest second judged was below every threshold.
	Quiet bool
}

// Target returns the attacked IP as a single-address prefix, or the carpet-bombed prefix.
func (e Event) Target() netip.Prefix {
	if e.IP.IsValid() {
		return netip.PrefixFrom(e.IP, e.IP.BitLen())
	}
	return e.Prefix
}
