package netguard

import (
	"net/netip"
	"time"
)

// Scale is the resolution of a traffic series.
type Scale string

// The scales of the per-IP traffic series, kept policy traffic_series_retention (2 weeks).
const (
	Scale10s Scale = "10s"
	Scale1m  Scale = "1m"
	Scale5m  Scale = "5m"
)

// Scales lists the scales, finest first.
func Scales() []Scale { return []Scale{Scale10s, Scale1m, Scale5m} }

// Duration returns the length of one point of the scale, and 0 for an unknown scale.
func (s Scale) Duration() time.Duration {
	switch s {
	case Scale10s:
		return 10 * time.Second
	case Scale1m:
		return time.Minute
	case Scale5m:
		return 5 * time.Minute
	}
	return 0
}

// Rate is an average traffic rate.
type Rate struct {
	BPS uint64 // bits per second
	PPS uint64 // packets per second
}

// TrafficPoint is the average traffic of one IP over one interval [At, At+Scale).
type TrafficPoint struct {
	IP    netip.Addr
	Scale Scale
	At    time.Time
	// In is the traffic toward the IP as the edge saw it; Dropped the part that the mitigation
	// in place dropped (an estimate from its filters); Out the traffic from the IP.
	In, Dropped, Out Rate
}
