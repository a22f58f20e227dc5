package mitigation

// TrafficBacklog is the state of a Watch's traffic writer: the points (the live charts) waiting
// for the store, the batch being written included, and those dropped since the Watch started
// because the store fell more than maxQueuedPoints behind or refused a batch maxWriteAttempts
// times in a row (the charts have gaps there).
type TrafficBacklog struct {
	Queued  int
	Dropped uint64
}

// TrafficBacklog reports the traffic writer's backlog (TrafficQueue).
func (w *Watch) TrafficBacklog() TrafficBacklog {
	q, d := w.TrafficQueue()
	return TrafficBacklog{Queued: q, Dropped: d}
}
