package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/notify"
)

var _ notify.Tx = (*Q)(nil)

// Notices returns the notice store.
func (db *DB) Notices() notify.Store { return noticeStore{db} }

type noticeStore struct{ db *DB }

const noticeCols = `id, account_id, kind, language, recipient, subject, body, body_sha256, message_id, COALESCE(dedup_key, ''),
	status, attempts, last_error, created_at, sent_at`

func scanNotice(sc interface{ Scan(...any) error }) (notify.Notice, error) {
	var n notify.Notice
	err := sc.Scan(&n.ID, &n.AccountID, &n.Kind, &n.Language, &n.Recipient, &n.Subject, &n.Body, &n.BodySHA256,
		&n.MessageID, &n.DedupKey, &n.Status, &n.Attempts, &n.LastError, st(&n.CreatedAt), st(&n.SentAt))
	return n, err
}

// InsertNotice implements notify.Tx.
func (q *Q) InsertNotice(ctx context.Context, n *notify.Notice) (bool, error) {
	var key any
	if n.DedupKey != "" {
		key = n.DedupKey
	}
	err := q.row(ctx, `INSERT INTO notices (account_id, kind, language, recipient, subject, body, body_sha256, message_id,
		dedup_key, status, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
		ON CONFLICT (dedup_key) DO NOTHING RETURNING id`, n.AccountID, n.Kind, n.Language, n.Recipient, n.Subject, n.Body,
		n.BodySHA256, n.MessageID, key, string(n.Status), ts(n.CreatedAt)).Scan(&n.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert notice: %w", q.db.mapErr(err))
	}
	return true, nil
}

func (s noticeStore) GetNotice(ctx context.Context, id notify.NoticeID) (notify.Notice, error) {
	q := s.db.Read()
	n, err := scanNotice(q.row(ctx, `SELECT `+noticeCols+` FROM notices WHERE id = ?`, id))
	return n, q.scanErr(err, "notice")
}

func (s noticeStore) ListNotices(ctx context.Context, f notify.Filter) ([]notify.Notice, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.AccountID != 0 {
		where = append(where, "account_id = ?")
		args = append(args, f.AccountID)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Statuses)), ", ")+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := s.db.Read().query(ctx, `SELECT `+noticeCols+` FROM notices WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notify.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s noticeStore) RecordDelivery(ctx context.Context, id notify.NoticeID, status notify.Status, errMsg string, sentAt time.Time) error {
	return s.db.WithTx(ctx, func(q *Q) error {
		return q.update1(ctx, "notice", `UPDATE notices SET status = ?, attempts = attempts + 1, last_error = ?, sent_at = ? WHERE id = ?`,
			string(status), truncate(errMsg, 2000), tsp(sentAt), id)
	})
}
