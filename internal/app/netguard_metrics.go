package app

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

// netguardMetrics exports network protection in /metrics, besides the collector's own series
// (itsgow_netguard_collector_*: datagrams, malformed packets, unknown templates, socket drops):
// the mitigation changes and decision latency of this process, and, read at each scrape, the
// active mitigations (from the store, in the process running the edge role), the edge rules
// announced and the BGP sessions (edge role), the exporters and their warnings and the detector
// (collector role).
type netguardMetrics struct {
	a        *App
	changes  *prometheus.CounterVec
	decision prometheus.Histogram

	active, rules, refusals, synced, peerUp, peerState, peerFlaps, peerRoutes *prometheus.Desc
	exporterWarning, exporterTimeout, exporterFlows                           *prometheus.Desc
	tracked, openAttacks, detFlows, detUnknown, trafficQueued, trafficDropped *prometheus.Desc
}

func newNetguardMetrics(a *App) *netguardMetrics {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("itsgow_netguard_"+name, help, labels, nil)
	}
	return &netguardMetrics{a: a,
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "itsgow_netguard_mitigation_changes_total",
			Help: "Committed mitigation changes by kind (activated, raised, held, ended), state after the change and level."},
			[]string{"kind", "state", "level"}),
		decision: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "itsgow_netguard_mitigation_decision_seconds",
			Help:    "Time from the start of a detected attack's first second above threshold to its committed mitigation decision.",
			Buckets: []float64{0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60}}),
		active:          d("mitigations", "Active mitigations by state and level (from the store).", "state", "level"),
		rules:           d("edge_rules", "Edge rules applied to the driver by kind (flowspec, rtbh).", "kind"),
		refusals:        d("edge_refusals", "Rules the guard rails refused at the last compile."),
		synced:          d("edge_synced", "1 when the driver holds the desired rule set, 0 after a failed apply."),
		peerUp:          d("bgp_session_up", "1 when the BGP session with the peer is established.", "peer", "asn"),
		peerState:       d("bgp_session_state", "1 for the current state of the BGP session with the peer.", "peer", "state"),
		peerFlaps:       d("bgp_session_flaps_total", "Times the established BGP session went down.", "peer"),
		peerRoutes:      d("bgp_routes_sent", "Routes currently advertised to the peer.", "peer"),
		exporterWarning: d("exporter_warning", "1 when the exporter's active timeout makes the reaction target impossible.", "exporter", "format"),
		exporterTimeout: d("exporter_active_timeout_seconds", "Estimated active timeout of the exporter.", "exporter", "format"),
		exporterFlows:   d("exporter_flows_per_second", "Flow records per second received from the exporter.", "exporter", "format"),
		tracked:         d("detect_tracked_ips", "IPs the detector tracks."),
		openAttacks:     d("detect_open_attacks", "Attacks the detector follows now."),
		detFlows:        d("detect_flows_total", "Flow records counted by the detector."),
		detUnknown:      d("detect_unknown_flows_total", "Flow records dropped by the detector: destination neither tracked nor in the host's networks."),
		trafficQueued:   d("traffic_points_queued", "Traffic points (the per-IP charts) waiting to be written to the store."),
		trafficDropped:  d("traffic_points_dropped_total", "Traffic points dropped because the store fell too far behind."),
	}
}

// observe is mitigation.Deps.Changed.
func (m *netguardMetrics) observe(c mitigation.Change) {
	m.changes.WithLabelValues(c.Kind, string(c.State), strconv.Itoa(c.Level)).Inc()
	if c.Decision > 0 {
		m.decision.Observe(c.Decision.Seconds())
	}
}

// Describe sends nothing for the series read at scrape time (an unchecked collector: their
// labels depend on the peers and exporters).
func (m *netguardMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.changes.Describe(ch)
	m.decision.Describe(ch)
}

func (m *netguardMetrics) Collect(ch chan<- prometheus.Metric) {
	m.changes.Collect(ch)
	m.decision.Collect(ch)
	p := &m.a.Netguard
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if m.a.Cfg.Has("edge") && p.Edge != nil {
		m.collectActive(gauge)
		st := p.Edge.State()
		kinds := map[string]int{"flowspec": 0, "rtbh": 0}
		for _, r := range st.Applied {
			if r.Kind == edge.KindBlackhole {
				kinds["rtbh"]++
			} else {
				kinds["flowspec"]++
			}
		}
		for k, n := range kinds {
			gauge(m.rules, float64(n), k)
		}
		gauge(m.refusals, float64(len(st.Refusals)))
		gauge(m.synced, b2f(st.Synced))
		if p.Speaker != nil {
			for _, ps := range st.Peers {
				gauge(m.peerUp, b2f(ps.Up), ps.Peer, strconv.FormatUint(uint64(ps.ASN), 10))
				states := []string{"idle", "connect", "active", "opensent", "openconfirm", "established"}
				for _, s := range states {
					gauge(m.peerState, b2f(ps.State == s), ps.Peer, s)
				}
				if !slices.Contains(states, ps.State) {
					gauge(m.peerState, 1, ps.Peer, ps.State)
				}
				counter(m.peerFlaps, float64(ps.Flaps), ps.Peer)
				gauge(m.peerRoutes, float64(ps.Sent), ps.Peer)
			}
		}
	}
	if p.Collector != nil {
		for _, e := range p.Collector.Exporters() {
			addr := e.Addr.String()
			gauge(m.exporterWarning, b2f(e.Warning != ""), addr, e.Format)
			gauge(m.exporterTimeout, e.ActiveTimeout.Seconds(), addr, e.Format)
			gauge(m.exporterFlows, e.FlowsPerSecond, addr, e.Format)
		}
		st := p.Watch.Stats()
		gauge(m.tracked, float64(st.Tracked))
		gauge(m.openAttacks, float64(st.Attacks))
		counter(m.detFlows, float64(st.Flows))
		counter(m.detUnknown, float64(st.Unknown))
		b := p.Watch.TrafficBacklog()
		gauge(m.trafficQueued, float64(b.Queued))
		counter(m.trafficDropped, float64(b.Dropped))
	}
}

// collectActive reads the active mitigations from the store: every state and level 0 to 3 is
// reported, zeros included, so that a mitigation that ends brings its series to 0.
func (m *netguardMetrics) collectActive(gauge func(*prometheus.Desc, float64, ...string)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	views, err := m.a.Netguard.Service.Active(ctx)
	if err != nil {
		return // the scrape goes on without them; the store's health is /healthz's business
	}
	type key struct {
		state netguard.MitigationState
		level int
	}
	n := map[key]int{}
	for _, v := range views {
		n[key{v.State, v.Level}]++
	}
	for _, s := range []netguard.MitigationState{netguard.MitigationAuto, netguard.MitigationPermanent, netguard.MitigationForced} {
		for l := netguard.LevelNone; l <= netguard.LevelBlackhole; l++ {
			gauge(m.active, float64(n[key{s, l}]), string(s), strconv.Itoa(l))
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
