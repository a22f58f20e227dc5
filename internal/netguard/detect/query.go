package detect

import (
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// LastAboveThreshold returns the end of the latest complete second in which ip was above one of
// its thresholds, as judged by Tick; false when ip is not tracked or never was above. Mitigation
// applies its quiet rule (policy mitigation_quiet_period) to it. It survives the release of the
// IP's counters, not Untrack.
func (d *Detector) LastAboveThreshold(ip netip.Addr) (time.Time, bool) {
	ip = ip.Unmap()
	k := keyOf(ip)
	_, sh := d.locate(k, ip.Is4())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(k, ip.Is4())
	if e == nil {
		return time.Time{}, false
	}
	last := int64(e.lastAbove)
	if e.act >= 0 {
		last = sh.ips[e.act].lastAbove
	}
	if last <= 0 {
		return time.Time{}, false
	}
	return time.Unix(last+1, 0).UTC(), true
}

// Traffic is what a tracked IP received in one second.
type Traffic struct {
	// Total is all traffic.
	Total Rate
	// Classes holds the traffic of each class that had some, keyed by the vector that names
	// it; a wider class holds all of its traffic (udp-flood: all UDP, tcp-flood: all TCP).
	Classes map[netguard.Vector]Rate
}

// Traffic returns what ip received in the second that contains sec, and false when ip is not
// tracked. Seconds out of the window (64 s behind the newest record) read as zero.
func (d *Detector) Traffic(ip netip.Addr, sec time.Time) (Traffic, bool) {
	ip = ip.Unmap()
	k := keyOf(ip)
	_, sh := d.locate(k, ip.Is4())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(k, ip.Is4())
	if e == nil {
		return Traffic{}, false
	}
	tr := Traffic{Classes: map[netguard.Vector]Rate{}}
	if e.act < 0 {
		return tr, true
	}
	s := sh.ips[e.act]
	sh.flushAll(s, &sh.cells[e.act])
	var m measure
	d.measure(s, floorDiv(sec.UnixNano(), 1e9), &m)
	tr.Total = m.total(d.layout.total)
	for i := range d.layout.n {
		if v := d.layout.vector[i]; v != "" && s.used&(1<<i) != 0 && m.v[i] != [numMetrics]uint64{} {
			tr.Classes[v] = Rate{PPS: m.v[i][mPkts], BPS: m.v[i][mBits], FPS: m.v[i][mFlows]}
		}
	}
	return tr, true
}

// Threshold returns the effective limit of ip for the class named by v (ip-flood for the
// total): its profile's limit raised by the learned baseline. False when ip is not tracked or v
// is unknown.
func (d *Detector) Threshold(ip netip.Addr, v netguard.Vector) (Limit, bool) {
	i := d.layout.index(v)
	if i < 0 {
		return Limit{}, false
	}
	ip = ip.Unmap()
	k := keyOf(ip)
	_, sh := d.locate(k, ip.Is4())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(k, ip.Is4())
	if e == nil {
		return Limit{}, false
	}
	var base [numMetrics]float32
	if e.act >= 0 {
		s := sh.ips[e.act]
		if i == d.layout.total {
			base = s.base
		} else if r := s.cnt[i].r; r != nil {
			base = r.base
		}
	}
	p := &d.profiles[e.prof]
	var eff [numMetrics]uint64
	for mt := range numMetrics {
		if lim := p.lim[i][mt]; lim > 0 {
			eff[mt] = uint64(p.effective(lim, base[mt]))
		}
	}
	return Limit{PPS: eff[mPkts], BPS: eff[mBits], FPS: eff[mFlows]}, true
}

// Profile returns the profile name of ip, and false when ip is not tracked.
func (d *Detector) Profile(ip netip.Addr) (string, bool) {
	ip = ip.Unmap()
	k := keyOf(ip)
	_, sh := d.locate(k, ip.Is4())
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(k, ip.Is4())
	if e == nil {
		return "", false
	}
	return d.profiles[e.prof].name, true
}

// Stats are the detector's counters, for metrics.
type Stats struct {
	// Flows counts the records added to an IP or a prefix aggregate.
	Flows uint64
	// Unknown counts the records dropped because their destination is neither tracked nor in
	// Config.Networks (or is not an address at all).
	Unknown uint64
	// Untracked counts the records to an untracked address of Config.Networks, which count only
	// in its prefix aggregate.
	Untracked uint64
	// Stale counts the records dropped because they ended before the window.
	Stale uint64
	// Tracked is the number of tracked IPs; ActiveIPs and ActivePrefixes those with counters.
	Tracked, ActiveIPs, ActivePrefixes int
	// Attacks is the number of open attacks.
	Attacks int
}

// Stats sums the counters of every shard.
func (d *Detector) Stats() Stats {
	st := Stats{Unknown: d.invalid.Load()}
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		st.Flows += sh.flows
		st.Unknown += sh.unknown
		st.Untracked += sh.untracked
		st.Stale += sh.stale
		st.Tracked += sh.tracked()
		st.ActiveIPs += len(sh.ips)
		st.ActivePrefixes += len(sh.pfxs)
		for _, s := range sh.ips {
			if s.atk != nil {
				st.Attacks++
			}
		}
		for _, s := range sh.pfxs {
			if s.atk != nil {
				st.Attacks++
			}
		}
		sh.mu.Unlock()
	}
	return st
}
