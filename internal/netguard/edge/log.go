package edge

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/itsgow/itsgow/internal/logkey"
)

var _ Driver = (*LogDriver)(nil)

// Log attribute keys of this package that logkey does not have yet.
const (
	keyRule   = "rule"
	keyOrigin = "origin"
	keyCount  = "count"
)

// LogDriver is the driver of dry runs: it logs every rule it would add or remove and keeps the
// current set in memory. It is safe for concurrent use.
type LogDriver struct {
	log   *slog.Logger
	mu    sync.Mutex
	rules map[string]Rule
}

// NewLogDriver returns an empty LogDriver that logs to logger.
func NewLogDriver(logger *slog.Logger) *LogDriver {
	return &LogDriver{log: logger.With(logkey.Component, "netguard/edge"), rules: map[string]Rule{}}
}

// Apply logs and records the removals (by Key), then the additions.
func (d *LogDriver) Apply(ctx context.Context, add, remove []Rule) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.apply(ctx, add, remove)
	return nil
}

func (d *LogDriver) apply(ctx context.Context, add, remove []Rule) {
	for _, r := range remove {
		if cur, ok := d.rules[r.Key()]; ok {
			delete(d.rules, r.Key())
			r = cur
			d.log.LogAttrs(ctx, slog.LevelInfo, "edge rule removed",
				slog.String(keyRule, r.String()), slog.String(keyOrigin, r.Origin().String()))
		}
	}
	for _, r := range add {
		d.rules[r.Key()] = r
		d.log.LogAttrs(ctx, slog.LevelInfo, "edge rule added",
			slog.String(keyRule, r.String()), slog.String(keyOrigin, r.Origin().String()))
	}
}

// Resync logs the difference between the current set and full, and then holds full.
func (d *LogDriver) Resync(ctx context.Context, full RuleSet) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	add, remove := Diff(d.current(), full)
	d.apply(ctx, add, remove)
	d.log.LogAttrs(ctx, slog.LevelInfo, "edge rules resynced", slog.Int(keyCount, len(d.rules)))
	return nil
}

// Rules returns the current set, sorted.
func (d *LogDriver) Rules() RuleSet {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.current()
}

func (d *LogDriver) current() RuleSet {
	s := RuleSet(slices.Collect(maps.Values(d.rules)))
	s.Sort()
	return s
}

// Status reports one always-up pseudo peer named "log", whose Sent is the size of the set.
func (d *LogDriver) Status() []PeerStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return []PeerStatus{{Peer: "log", State: "established", Up: true, Sent: len(d.rules)}}
}
