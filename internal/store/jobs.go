package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/jobs"
)

// InsertJob implements jobs.Tx.
func (q *Q) InsertJob(ctx context.Context, j jobs.Job) (int64, bool, error) {
	var key any
	if j.UniqueKey != "" {
		key = j.UniqueKey
	}
	var id int64
	err := q.row(ctx, `INSERT INTO jobs (kind, args, unique_key, state, attempt, max_attempts, run_at, created_at)
		VALUES (?, ?, ?, 'available', 0, ?, ?, ?)
		ON CONFLICT (unique_key) DO NOTHING RETURNING id`,
		j.Kind, string(j.Args), key, j.MaxAttempts, ts(j.RunAt), ts(j.CreatedAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert job %s: %w", j.Kind, q.db.mapErr(err))
	}
	return id, true, nil
}

// Jobs returns the queue store.
func (db *DB) Jobs() jobs.Store { return jobStore{db} }

type jobStore struct{ db *DB }

var _ jobs.Store = jobStore{}

func (s jobStore) InsertJob(ctx context.Context, j jobs.Job) (id int64, ok bool, err error) {
	err = s.db.WithTx(ctx, func(q *Q) error {
		id, ok, err = q.InsertJob(ctx, j)
		return err
	})
	return
}

const jobCols = `id, kind, args, COALESCE(unique_key, ''), state, attempt, max_attempts, run_at, created_at, locked_at, locked_by, finished_at, last_error`

func scanJob(sc interface{ Scan(...any) error }) (jobs.Job, error) {
	var j jobs.Job
	var args string
	err := sc.Scan(&j.ID, &j.Kind, &args, &j.UniqueKey, &j.State, &j.Attempt, &j.MaxAttempts,
		st(&j.RunAt), st(&j.CreatedAt), st(&j.LockedAt), &j.LockedBy, st(&j.FinishedAt), &j.LastError)
	j.Args = []byte(args)
	return j, err
}

func (s jobStore) ClaimJobs(ctx context.Context, now time.Time, worker string, kinds []string, limit int) ([]jobs.Job, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
	lock := ""
	if s.db.engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	args := []any{ts(now), worker, ts(now)}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, limit)
	var out []jobs.Job
	err := s.db.WithTx(ctx, func(q *Q) error {
		rows, err := q.query(ctx, `UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_at = ?, locked_by = ?
			WHERE id IN (SELECT id FROM jobs WHERE state = 'available' AND run_at <= ? AND kind IN (`+ph+`)
				ORDER BY run_at, id LIMIT ?`+lock+`)
			RETURNING `+jobCols, args...)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	return out, err
}

func (s jobStore) finish(ctx context.Context, query string, args ...any) error {
	return s.db.WithTx(ctx, func(q *Q) error {
		res, err := q.exec(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("job not running")
		}
		return nil
	})
}

func (s jobStore) CompleteJob(ctx context.Context, id int64, now time.Time) error {
	return s.finish(ctx, `UPDATE jobs SET state = 'completed', finished_at = ?, last_error = '' WHERE id = ? AND state = 'running'`, ts(now), id)
}

func (s jobStore) RetryJob(ctx context.Context, id int64, runAt time.Time, msg string) error {
	return s.finish(ctx, `UPDATE jobs SET state = 'available', run_at = ?, locked_at = NULL, locked_by = '', last_error = ? WHERE id = ? AND state = 'running'`, ts(runAt), truncate(msg, 2000), id)
}

func (s jobStore) DiscardJob(ctx context.Context, id int64, now time.Time, msg string) error {
	return s.finish(ctx, `UPDATE jobs SET state = 'discarded', finished_at = ?, last_error = ? WHERE id = ? AND state = 'running'`, ts(now), truncate(msg, 2000), id)
}

func (s jobStore) RescueJobs(ctx context.Context, lockedBefore, now time.Time) (int, error) {
	var n int64
	err := s.db.WithTx(ctx, func(q *Q) error {
		// a lost job that used its last attempt is discarded, not run again
		if _, err := q.exec(ctx, `UPDATE jobs SET state = 'discarded', finished_at = ?, locked_at = NULL, last_error = 'lease expired on the last attempt'
			WHERE state = 'running' AND locked_at < ? AND attempt >= max_attempts`, ts(now), ts(lockedBefore)); err != nil {
			return err
		}
		res, err := q.exec(ctx, `UPDATE jobs SET state = 'available', run_at = ?, locked_at = NULL, locked_by = '', last_error = 'lease expired'
			WHERE state = 'running' AND locked_at < ?`, ts(now), ts(lockedBefore))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

func (s jobStore) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.db.WithTx(ctx, func(q *Q) error {
		res, err := q.exec(ctx, `DELETE FROM jobs WHERE state IN ('completed', 'discarded', 'cancelled') AND finished_at < ?`, ts(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

func (s jobStore) ListJobs(ctx context.Context, state jobs.State, limit int) ([]jobs.Job, error) {
	rows, err := s.db.Read().query(ctx, `SELECT `+jobCols+` FROM jobs WHERE state = ? ORDER BY id DESC LIMIT ?`, string(state), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []jobs.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
