package store

import (
	"context"
	"fmt"
	"time"
)

// RuntimeSnapshot is the latest runtime status one process published for one kind of netguard
// state ("exporters" from the collector role, "edge" from the edge role), so that a process
// without the role can show it. Body is opaque to the store (JSON written by the publisher).
type RuntimeSnapshot struct {
	Kind      string
	Node      string
	UpdatedAt time.Time
	Body      []byte
}

// PutNetguardRuntime replaces the snapshot of (s.Kind, s.Node).
func (db *DB) PutNetguardRuntime(ctx context.Context, s RuntimeSnapshot) error {
	return db.WithTx(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO netguard_runtime (kind, node, updated_at, body) VALUES (?, ?, ?, ?)
			ON CONFLICT (kind, node) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body`,
			s.Kind, s.Node, ts(s.UpdatedAt), string(s.Body))
		if err != nil {
			return fmt.Errorf("put netguard runtime %s %s: %w", s.Kind, s.Node, err)
		}
		return nil
	})
}

// DeleteNetguardRuntime deletes the snapshots of node (a process that stops).
func (db *DB) DeleteNetguardRuntime(ctx context.Context, node string) error {
	return db.WithTx(ctx, func(q *Q) error {
		if _, err := q.exec(ctx, `DELETE FROM netguard_runtime WHERE node = ?`, node); err != nil {
			return fmt.Errorf("delete netguard runtime of %s: %w", node, err)
		}
		return nil
	})
}

// NetguardRuntime returns the snapshots of kind updated at or after since, by node.
func (db *DB) NetguardRuntime(ctx context.Context, kind string, since time.Time) ([]RuntimeSnapshot, error) {
	q := db.Read()
	rows, err := q.query(ctx, `SELECT kind, node, updated_at, body FROM netguard_runtime WHERE kind = ? AND updated_at >= ?
		ORDER BY node`, kind, ts(since))
	out, err := fleetRows(rows, err, func(sc fleetScanner) (RuntimeSnapshot, error) {
		var s RuntimeSnapshot
		var body string
		err := sc.Scan(&s.Kind, &s.Node, st(&s.UpdatedAt), &body)
		s.Body = []byte(body)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("netguard runtime %s: %w", kind, err)
	}
	return out, nil
}

// PruneNetguardRuntime deletes the snapshots updated before before (processes that stopped)
// and returns how many.
func (db *DB) PruneNetguardRuntime(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.WithTx(ctx, func(q *Q) error {
		res, err := q.exec(ctx, `DELETE FROM netguard_runtime WHERE updated_at < ?`, ts(before))
		if err != nil {
			return fmt.Errorf("prune netguard runtime: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
