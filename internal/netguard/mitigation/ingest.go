package mitigation

import (
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// Ingest is what itsgow serve's collector hands each flow record to (collector.LaneSink): the
// detector counts it and feeds the incoming traffic of the series (detect.TrafficSink: a second
// of an IP when its hot cell is flushed, and each record its rings take), and the series counts
// the rest (Series.AddSide: outgoing traffic of tracked sources, what filters drop), so that
// every record is looked up once. The Watch is one; the benchmark driver uses one alone.
type Ingest struct {
	det    *detect.Detector
	series *Series
}

// NewIngest makes det feed series; call it before det counts anything.
func NewIngest(det *detect.Detector, series *Series) Ingest {
	det.SetTrafficSink(series)
	return Ingest{det: det, series: series}
}

// Add counts one flow record. It is safe for concurrent use and allocates nothing once the IP's
// counters exist.
func (in Ingest) Add(f *netguard.Flow, now time.Time) {
	in.det.Add(f, now)
	in.series.AddSide(f, now)
}

// AddBatch counts flow records received at now, as Add on each.
func (in Ingest) AddBatch(flows []netguard.Flow, now time.Time) { in.AddBatchLane(0, flows, now) }

// AddBatchLane is AddBatch from the collector goroutine of the given lane: the detector keeps
// the counts nearly every record writes apart per lane.
func (in Ingest) AddBatchLane(lane int, flows []netguard.Flow, now time.Time) {
	in.det.AddBatchLane(lane, flows, now)
	for i := range flows {
		in.series.AddSide(&flows[i], now)
	}
}
