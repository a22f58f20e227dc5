package collector

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsgow/itsgow/internal/netguard/netflow"
	"github.com/itsgow/itsgow/internal/netguard/sflow"
)

// counter indexes the per-socket counters; each maps to one Prometheus series.
type counter int

const (
	cDatagrams counter = iota
	cUnknownExporter
	cMalformed
	cUnknownTemplate
	cSamplingRejected
	cSocketDrops
	cReadErrors
	cFlowsNetflow5
	cFlowsNetflow9
	cFlowsIPFIX
	cFlowsSFlow
	cErrTruncated
	cErrVersion
	cErrMalformed
	cErrUnknownTemplate
	cErrSamplingRate
	cErrOversize
	cErrOther
	numCounters
)

// Decode error kinds, the kind label of itsgow_netguard_collector_decode_errors_total.
var errorKinds = map[counter]string{
	cErrTruncated:       "truncated",
	cErrVersion:         "version",
	cErrMalformed:       "malformed",
	cErrUnknownTemplate: "unknown_template",
	cErrSamplingRate:    "sampling_rate",
	cErrOversize:        "oversize",
	cErrOther:           "other",
}

// Formats of the flows_total series.
var flowFormats = map[counter]string{
	cFlowsNetflow5: "netflow5",
	cFlowsNetflow9: "netflow9",
	cFlowsIPFIX:    "ipfix",
	cFlowsSFlow:    "sflow",
}

// errorKind maps a decoder error to its counter.
func errorKind(err error) counter {
	switch {
	case errors.Is(err, netflow.ErrUnknownTemplate):
		return cErrUnknownTemplate
	case errors.Is(err, netflow.ErrTruncated), errors.Is(err, sflow.ErrTruncated):
		return cErrTruncated
	case errors.Is(err, netflow.ErrVersion), errors.Is(err, sflow.ErrVersion):
		return cErrVersion
	case errors.Is(err, netflow.ErrSamplingRate), errors.Is(err, sflow.ErrSamplingRate):
		return cErrSamplingRate
	case errors.Is(err, netflow.ErrMalformed), errors.Is(err, sflow.ErrMalformed):
		return cErrMalformed
	}
	return cErrOther
}

// metrics are the collector's Prometheus series.
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector

	datagrams, unknownExporter, malformed, unknownTemplate, samplingRejected *prometheus.CounterVec
	socketDrops, readErrors, flows, decodeErrors                             *prometheus.CounterVec
	rcvbuf                                                                   *prometheus.GaugeVec
}

const ns, sub = "itsgow", "netguard_collector"

func newMetrics(reg prometheus.Registerer, c *Collector) (*metrics, error) {
	m := &metrics{reg: reg}
	cv := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help}, labels)
		m.collectors = append(m.collectors, v)
		return v
	}
	m.datagrams = cv("datagrams_total", "UDP datagrams received, from any source.", "listener")
	m.unknownExporter = cv("unknown_exporter_datagrams_total", "Datagrams dropped before decoding because their source is not an allow-listed exporter.", "listener")
	m.malformed = cv("malformed_total", "Datagrams, sets or samples the decoders rejected as malformed or truncated, and records dropped for an absurd sampling rate.", "listener")
	m.unknownTemplate = cv("unknown_templates_total", "NetFlow v9 and IPFIX data sets skipped for lack of a template.", "listener")
	m.samplingRejected = cv("sampling_rejected_total", "Records dropped because their sampling rate exceeds max_sampling_rate.", "listener")
	m.socketDrops = cv("socket_drops_total", "Datagrams the kernel dropped because a socket's receive buffer was full (SO_RXQ_OVFL).", "listener")
	m.readErrors = cv("read_errors_total", "Failed receive calls.", "listener")
	m.flows = cv("flows_total", "Flow records decoded and handed to the detector, by export format.", "listener", "format")
	m.decodeErrors = cv("decode_errors_total", "Datagrams whose decoding reported an error, by the kind of the first error.", "listener", "kind")
	m.rcvbuf = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "socket_buffer_bytes",
		Help: "Receive buffer the kernel granted to each socket of a listener (smallest)."}, []string{"listener"})
	m.collectors = append(m.collectors, m.rcvbuf,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "templates",
			Help: "NetFlow v9 and IPFIX templates held by the decoders."}, func() float64 { return float64(c.Stats().Templates) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "exporters",
			Help: "Allow-listed exporters heard from."}, func() float64 { return float64(len(c.Exporters())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "exporters_too_slow",
			Help: "Exporters whose active timeout exceeds the reaction target."}, func() float64 {
			n := 0
			for _, e := range c.Exporters() {
				if e.Warning != "" {
					n++
				}
			}
			return float64(n)
		}),
	)
	for i, col := range m.collectors {
		if err := reg.Register(col); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) unregister() {
	for _, col := range m.collectors {
		m.reg.Unregister(col)
	}
}

// series returns the Prometheus counter of each per-socket counter of listener l.
func (m *metrics) series(l Listener) [numCounters]prometheus.Counter {
	var s [numCounters]prometheus.Counter
	name := string(l)
	s[cDatagrams] = m.datagrams.WithLabelValues(name)
	s[cUnknownExporter] = m.unknownExporter.WithLabelValues(name)
	s[cMalformed] = m.malformed.WithLabelValues(name)
	s[cUnknownTemplate] = m.unknownTemplate.WithLabelValues(name)
	s[cSamplingRejected] = m.samplingRejected.WithLabelValues(name)
	s[cSocketDrops] = m.socketDrops.WithLabelValues(name)
	s[cReadErrors] = m.readErrors.WithLabelValues(name)
	for c, f := range flowFormats {
		s[c] = m.flows.WithLabelValues(name, f)
	}
	for c, k := range errorKinds {
		s[c] = m.decodeErrors.WithLabelValues(name, k)
	}
	return s
}
