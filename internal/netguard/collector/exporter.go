package collector

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Exporter is what the collector knows of one exporter, for the staff dashboard.
type Exporter struct {
	Addr netip.Addr
	// Format is the export format of its latest datagram: netflow5, netflow9, ipfix or sflow.
	Format string
	// LastSeen is when its latest datagram arrived.
	LastSeen time.Time
	// SamplingRate is the 1-in-N rate applied to its latest record (announced or overridden).
	SamplingRate uint32
	// FlowsPerSecond is its record rate over the last RateWindow.
	FlowsPerSecond float64
	// Datagrams and Flows count what it sent since the collector started.
	Datagrams, Flows uint64
	// ActiveTimeout estimates the exporter's active timeout: the longest record duration seen
	// in the last few minutes. Zero for sFlow, whose samples are instants.
	ActiveTimeout time.Duration
	// ExportLag is the longest delay seen in the same minutes between a record's end and its
	// arrival: export pacing, clock skew and the network.
	ExportLag time.Duration
	// Warning explains why the exporter cannot meet the reaction target; empty when it can.
	Warning string
}

// RateWindow is the span over which Exporter.FlowsPerSecond is measured.
const RateWindow = 10 * time.Second

// epoch is how long the longest record duration is remembered: the estimate is the longest of
// the current and the previous epoch.
const epoch = 2 * time.Minute

// maxExportersPerSocket bounds the per-exporter state of one socket, against an allow-list as
// wide as 0.0.0.0/0 and spoofed sources.
const maxExportersPerSocket = 4096

// exporterStat is one socket's view of one exporter. Its socket's goroutine writes it, under
// the worker's mutex.
type exporterStat struct {
	format    string
	lastSeen  time.Time
	rate      uint32
	datagrams uint64
	flows     uint64
	secs      [16]struct {
		sec   int64
		flows uint64
	}
	epoch           int64
	maxDur, prevDur time.Duration
	maxLag, prevLag time.Duration
}

// seen records a datagram at now and rolls the epochs.
func (e *exporterStat) seen(now time.Time, format string) {
	e.datagrams++
	e.lastSeen, e.format = now, format
	if ep := now.UnixNano() / int64(epoch); ep != e.epoch {
		if ep == e.epoch+1 {
			e.prevDur, e.prevLag = e.maxDur, e.maxLag
		} else {
			e.prevDur, e.prevLag = 0, 0
		}
		e.maxDur, e.maxLag, e.epoch = 0, 0, ep
	}
}

// counted adds n records received at now.
func (e *exporterStat) counted(now time.Time, n uint64) {
	e.flows += n
	sec := now.Unix()
	s := &e.secs[sec&15]
	if s.sec != sec {
		s.sec, s.flows = sec, 0
	}
	s.flows += n
}

// merge adds one socket's view of an exporter to out.
func (e *exporterStat) merge(out *Exporter, now time.Time) {
	if e.lastSeen.After(out.LastSeen) {
		out.LastSeen, out.Format, out.SamplingRate = e.lastSeen, e.format, e.rate
	}
	out.Datagrams += e.datagrams
	out.Flows += e.flows
	cur := now.Unix()
	w := int64(RateWindow / time.Second)
	var n uint64
	for _, s := range e.secs {
		if s.sec >= cur-w && s.sec < cur {
			n += s.flows
		}
	}
	out.FlowsPerSecond += float64(n) / float64(w)
	fresh := now.UnixNano()/int64(epoch) <= e.epoch+1
	if fresh {
		out.ActiveTimeout = max(out.ActiveTimeout, e.maxDur, e.prevDur)
		out.ExportLag = max(out.ExportLag, e.maxLag, e.prevLag)
	}
}

// Exporters returns the exporters heard from since the collector started, by address.
func (c *Collector) Exporters() []Exporter {
	now := c.clock.Now()
	byAddr := map[netip.Addr]*Exporter{}
	for _, w := range c.workerList() {
		w.mu.Lock()
		for a, e := range w.exporters {
			out := byAddr[a]
			if out == nil {
				out = &Exporter{Addr: a}
				byAddr[a] = out
			}
			e.merge(out, now)
		}
		w.mu.Unlock()
	}
	list := make([]Exporter, 0, len(byAddr))
	for _, e := range byAddr {
		if e.Format != "sflow" && e.ActiveTimeout.Round(100*time.Millisecond) > c.cfg.target {
			e.Warning = fmt.Sprintf("active timeout about %s exceeds the reaction target %s: attacks are seen at least %s late; set the exporter's active timeout to %s or less",
				e.ActiveTimeout.Round(100*time.Millisecond), c.cfg.target, e.ActiveTimeout.Round(100*time.Millisecond), c.cfg.target)
		}
		list = append(list, *e)
	}
	slices.SortFunc(list, func(a, b Exporter) int { return a.Addr.Compare(b.Addr) })
	return list
}
