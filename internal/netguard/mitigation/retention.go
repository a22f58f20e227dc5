package mitigation

import (
	"context"
	"log/slog"

	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
)

// JobPrune is the periodic job that deletes traffic points and the per-class seconds of
// attacks (profile tests) older than policy traffic_series_retention (2 weeks), and attack reports that ended more than policy
// attack_report_retention (1 year) ago.
const JobPrune = "netguard.prune"

// HandlePrune is the handler of JobPrune.
func (s *Service) HandlePrune(ctx context.Context, _ jobs.Job) error {
	now := s.Now()
	pts, err := s.deps.Store.PruneTraffic(ctx, now.Add(-s.deps.Policy.TrafficSeriesRetention))
	if err != nil {
		return err
	}
	secs, err := s.deps.Store.PruneAttackSeconds(ctx, now.Add(-s.deps.Policy.TrafficSeriesRetention))
	if err != nil {
		return err
	}
	atks, err := s.deps.Store.PruneAttacks(ctx, now.Add(-s.deps.Policy.AttackReportRetention))
	if err != nil {
		return err
	}
	if pts > 0 || secs > 0 || atks > 0 {
		s.log.LogAttrs(ctx, slog.LevelInfo, "netguard history pruned", slog.Int("traffic_points", pts), slog.Int("attack_seconds", secs),
			slog.Int("attacks", atks),
			slog.String(logkey.JobKind, JobPrune))
	}
	return nil
}
