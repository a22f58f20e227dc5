package mitigation

import (
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
)

// AddBatchLane is AddBatch from the collector goroutine of the given lane
// (collector.LaneSink): the detector keeps the counts nearly every record writes apart per lane.
func (w *Watch) AddBatchLane(lane int, flows []netguard.Flow, now time.Time) {
	FeedBatch(w.det, w.series, lane, flows, now)
}
