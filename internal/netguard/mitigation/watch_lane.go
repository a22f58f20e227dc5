package mitigation

import (
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// AddBatchLane is AddBatch from the collector goroutine of the given lane
// (collector.LaneSink): the detector keeps the counts nearly every record writes apart per lane.
func (w *Watch) AddBatchLane(lane int, flows []netguard.Flow, now time.Time) {
	w.det.AddBatchLane(lane, flows, now)
	for i := range flows {
		w.series.Add(&flows[i], now)
	}
}
