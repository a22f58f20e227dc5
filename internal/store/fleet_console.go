package store

import (
	"context"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
)

const consoleCols = `id, server_id, customer_id, machine_id, kind, connect_types, url, username, ref, opened_at, expires_at,
	closed_at, close_reason, revoked_at, revoke_error`

func scanConsole(sc fleetScanner) (fleet.ConsoleSession, error) {
	var c fleet.ConsoleSession
	var types string
	err := sc.Scan(&c.ID, &c.ServerID, &c.CustomerID, &c.MachineID, &c.Kind, &types, &c.URL, &c.Username, &c.Ref, st(&c.OpenedAt),
		st(&c.ExpiresAt), st(&c.ClosedAt), &c.CloseReason, st(&c.RevokedAt), &c.RevokeError)
	if types != "" {
		c.ConnectTypes = strings.Split(types, ",")
	}
	return c, err
}

func (q *Q) GetConsole(ctx context.Context, id fleet.ConsoleID) (fleet.ConsoleSession, error) {
	c, err := scanConsole(q.row(ctx, `SELECT `+consoleCols+` FROM console_sessions WHERE id = ?`, id))
	return c, q.scanErr(err, "console session")
}

func (q *Q) ConsolesOf(ctx context.Context, id fleet.ServerID, limit int) ([]fleet.ConsoleSession, error) {
	rows, err := q.query(ctx, `SELECT `+consoleCols+` FROM console_sessions WHERE server_id = ? ORDER BY id DESC`+fleetLimit(limit), id)
	return fleetRows(rows, err, scanConsole)
}

func (q *Q) ConsolesToRevoke(ctx context.Context, now time.Time, limit int) ([]fleet.ConsoleSession, error) {
	rows, err := q.query(ctx, `SELECT `+consoleCols+` FROM console_sessions WHERE revoked_at IS NULL
		AND (closed_at IS NOT NULL OR expires_at <= ?) ORDER BY id`+fleetLimit(limit), ts(now))
	return fleetRows(rows, err, scanConsole)
}

func (q *Q) InsertConsole(ctx context.Context, c *fleet.ConsoleSession) error {
	return q.row(ctx, `INSERT INTO console_sessions (server_id, customer_id, machine_id, kind, connect_types, url, username, ref,
		opened_at, expires_at, closed_at, close_reason, revoked_at, revoke_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.ServerID, c.CustomerID, c.MachineID, string(c.Kind), strings.Join(c.ConnectTypes, ","), truncate(c.URL, 2000), c.Username,
		truncate(c.Ref, 2000), ts(c.OpenedAt), ts(c.ExpiresAt), tsp(c.ClosedAt), c.CloseReason, tsp(c.RevokedAt),
		truncate(c.RevokeError, 4000)).Scan(&c.ID)
}

func (q *Q) UpdateConsole(ctx context.Context, c fleet.ConsoleSession) error {
	return q.update1(ctx, "console session", `UPDATE console_sessions SET kind = ?, connect_types = ?, url = ?, username = ?, ref = ?,
		closed_at = ?, close_reason = ?, revoked_at = ?, revoke_error = ? WHERE id = ?`,
		string(c.Kind), strings.Join(c.ConnectTypes, ","), truncate(c.URL, 2000), c.Username, truncate(c.Ref, 2000),
		tsp(c.ClosedAt), truncate(c.CloseReason, 500), tsp(c.RevokedAt), truncate(c.RevokeError, 4000), c.ID)
}
