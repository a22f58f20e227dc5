package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
)

// Accounts returns the account store.
func (db *DB) Accounts() account.Store { return accountStore{db.Read()} }

type accountStore struct{ *Q }

var _ account.Store = accountStore{}
var _ account.Tx = (*Q)(nil)

func (s accountStore) InTx(ctx context.Context, fn func(account.Tx) error) error {
	return s.db.WithTx(ctx, func(q *Q) error { return fn(q) })
}

const accountCols = `a.id, a.kind, a.email, a.name, a.language, a.password_hash, a.totp_secret, a.totp_enabled,
	a.totp_last_step, a.failed_logins, a.locked_until, a.disabled, a.created_at, a.updated_at,
	c.type, c.company_name, c.address, c.postal_code, c.city, c.country, c.siren, c.vat_number, c.phone`

const accountFrom = ` FROM accounts a LEFT JOIN customers c ON c.account_id = a.id`

func scanAccount(sc interface{ Scan(...any) error }) (account.Account, error) {
	var a account.Account
	var ctype, cname, addr, pc, city, country, siren, vat, phone *string
	err := sc.Scan(&a.ID, &a.Kind, &a.Email, &a.Name, &a.Language, &a.PasswordHash, &a.TOTPSecret, &a.TOTPEnabled,
		&a.TOTPLastStep, &a.FailedLogins, st(&a.LockedUntil), &a.Disabled, st(&a.CreatedAt), st(&a.UpdatedAt),
		&ctype, &cname, &addr, &pc, &city, &country, &siren, &vat, &phone)
	if err != nil {
		return a, err
	}
	if ctype != nil {
		a.Customer = &account.Customer{Type: account.CustomerType(*ctype), CompanyName: *cname, Address: *addr,
			PostalCode: *pc, City: *city, Country: *country, SIREN: *siren, VATNumber: *vat, Phone: *phone}
	}
	return a, nil
}

func (q *Q) loadRoles(ctx context.Context, a *account.Account) error {
	if a.Kind != account.KindStaff {
		return nil
	}
	rows, err := q.query(ctx, `SELECT role FROM staff_roles WHERE account_id = ? ORDER BY role`, a.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r account.Role
		if err := rows.Scan(&r); err != nil {
			return err
		}
		a.Roles = append(a.Roles, r)
	}
	return rows.Err()
}

func (q *Q) accountWhere(ctx context.Context, where string, arg any) (account.Account, error) {
	a, err := scanAccount(q.row(ctx, `SELECT `+accountCols+accountFrom+` WHERE `+where, arg))
	if err != nil {
		return a, q.scanErr(err, "account")
	}
	return a, q.loadRoles(ctx, &a)
}

// AccountByID implements account.Reader.
func (q *Q) AccountByID(ctx context.Context, id account.ID) (account.Account, error) {
	return q.accountWhere(ctx, `a.id = ?`, id)
}

// AccountByEmail implements account.Reader.
func (q *Q) AccountByEmail(ctx context.Context, email string) (account.Account, error) {
	return q.accountWhere(ctx, `a.email = ?`, email)
}

// ListAccounts implements account.Reader.
func (q *Q) ListAccounts(ctx context.Context, f account.ListFilter) ([]account.Account, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Kind != "" {
		where = append(where, "a.kind = ?")
		args = append(args, string(f.Kind))
	}
	if f.Query != "" {
		where = append(where, "(LOWER(a.email) LIKE ? OR LOWER(a.name) LIKE ? OR LOWER(COALESCE(c.company_name, '')) LIKE ?)")
		like := "%" + strings.ToLower(f.Query) + "%"
		args = append(args, like, like, like)
	}
	if f.BeforeID > 0 {
		where = append(where, "a.id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := q.query(ctx, `SELECT `+accountCols+accountFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY a.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	var out []account.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := q.loadRoles(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertAccount implements account.Tx.
func (q *Q) InsertAccount(ctx context.Context, a *account.Account) error {
	err := q.row(ctx, `INSERT INTO accounts (kind, email, name, language, password_hash, totp_secret, totp_enabled,
		totp_last_step, failed_logins, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', ?, 0, 0, ?, ?, ?) RETURNING id`,
		string(a.Kind), a.Email, a.Name, a.Language, a.PasswordHash, false, a.Disabled, ts(a.CreatedAt), ts(a.UpdatedAt)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("insert account: %w", q.db.mapErr(err))
	}
	if c := a.Customer; c != nil {
		if _, err := q.exec(ctx, `INSERT INTO customers (account_id, type, company_name, address, postal_code, city, country, siren, vat_number, phone)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, string(c.Type), c.CompanyName, c.Address, c.PostalCode, c.City,
			c.Country, c.SIREN, c.VATNumber, c.Phone); err != nil {
			return fmt.Errorf("insert customer: %w", err)
		}
	}
	for _, r := range a.Roles {
		if _, err := q.exec(ctx, `INSERT INTO staff_roles (account_id, role) VALUES (?, ?)`, a.ID, string(r)); err != nil {
			return fmt.Errorf("insert role: %w", err)
		}
	}
	return nil
}

func (q *Q) update1(ctx context.Context, what, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, what+" not found", nil)
	}
	return nil
}

// UpdateLoginState implements account.Tx.
func (q *Q) UpdateLoginState(ctx context.Context, id account.ID, failed int, lockedUntil time.Time) error {
	return q.update1(ctx, "account", `UPDATE accounts SET failed_logins = ?, locked_until = ? WHERE id = ?`, failed, tsp(lockedUntil), id)
}

// RecordFailedLogin implements account.Tx.
func (q *Q) RecordFailedLogin(ctx context.Context, id account.ID) (int, error) {
	var n int
	err := q.row(ctx, `UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, id).Scan(&n)
	return n, q.scanErr(err, "account")
}

// SetTOTP implements account.Tx.
func (q *Q) SetTOTP(ctx context.Context, id account.ID, secret string, enabled bool, lastStep int64) error {
	return q.update1(ctx, "account", `UPDATE accounts SET totp_secret = ?, totp_enabled = ?, totp_last_step = ? WHERE id = ?`, secret, enabled, lastStep, id)
}

// SetLanguage implements account.Tx.
func (q *Q) SetLanguage(ctx context.Context, id account.ID, lang string) error {
	return q.update1(ctx, "account", `UPDATE accounts SET language = ? WHERE id = ?`, lang, id)
}

// SetPassword implements account.Tx.
func (q *Q) SetPassword(ctx context.Context, id account.ID, hash string) error {
	return q.update1(ctx, "account", `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash, id)
}

const sessionCols = `id_hash, account_id, csrf_secret, second_factor_ok, created_at, expires_at, last_seen_at, ip, user_agent`

// SessionByHash implements account.Reader.
func (q *Q) SessionByHash(ctx context.Context, hash string) (account.Session, error) {
	var s account.Session
	err := q.row(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id_hash = ?`, hash).Scan(&s.IDHash, &s.AccountID, &s.CSRFSecret,
		&s.SecondFactorOK, st(&s.CreatedAt), st(&s.ExpiresAt), st(&s.LastSeenAt), &s.IP, &s.UserAgent)
	return s, q.scanErr(err, "session")
}

// InsertSession implements account.Tx.
func (q *Q) InsertSession(ctx context.Context, s account.Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.IDHash, s.AccountID,
		s.CSRFSecret, s.SecondFactorOK, ts(s.CreatedAt), ts(s.ExpiresAt), ts(s.LastSeenAt), s.IP, s.UserAgent)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// MarkSecondFactor implements account.Tx.
func (q *Q) MarkSecondFactor(ctx context.Context, hash string) error {
	return q.update1(ctx, "session", `UPDATE sessions SET second_factor_ok = ? WHERE id_hash = ?`, true, hash)
}

// TouchSession implements account.Tx.
func (q *Q) TouchSession(ctx context.Context, hash string, seen, expires time.Time) error {
	return q.update1(ctx, "session", `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?`, ts(seen), ts(expires), hash)
}

// DeleteSession implements account.Tx.
func (q *Q) DeleteSession(ctx context.Context, hash string) error {
	_, err := q.exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hash)
	return err
}

// DeleteSessionsOf implements account.Tx.
func (q *Q) DeleteSessionsOf(ctx context.Context, id account.ID) error {
	_, err := q.exec(ctx, `DELETE FROM sessions WHERE account_id = ?`, id)
	return err
}

// DeleteExpiredSessions implements account.Tx.
func (q *Q) DeleteExpiredSessions(ctx context.Context, expiredBefore, idleBefore time.Time) (int, error) {
	res, err := q.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`, ts(expiredBefore), ts(idleBefore))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

const tokenCols = `id, account_id, name, prefix, hash, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (account.Token, error) {
	var t account.Token
	var scopes string
	err := sc.Scan(&t.ID, &t.AccountID, &t.Name, &t.Prefix, &t.Hash, &scopes, st(&t.CreatedAt), st(&t.ExpiresAt),
		st(&t.LastUsedAt), st(&t.RevokedAt))
	t.Scopes = account.SplitScopes(scopes)
	return t, err
}

// TokenByHash implements account.Reader.
func (q *Q) TokenByHash(ctx context.Context, hash string) (account.Token, error) {
	t, err := scanToken(q.row(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash))
	return t, q.scanErr(err, "token")
}

// TokensOf implements account.Reader.
func (q *Q) TokensOf(ctx context.Context, id account.ID) ([]account.Token, error) {
	rows, err := q.query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE account_id = ? ORDER BY id DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// InsertToken implements account.Tx.
func (q *Q) InsertToken(ctx context.Context, t *account.Token) error {
	err := q.row(ctx, `INSERT INTO api_tokens (account_id, name, prefix, hash, scopes, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, t.AccountID, t.Name, t.Prefix, t.Hash, account.JoinScopes(t.Scopes),
		ts(t.CreatedAt), tsp(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("insert token: %w", q.db.mapErr(err))
	}
	return nil
}

// RevokeToken implements account.Tx.
func (q *Q) RevokeToken(ctx context.Context, owner account.ID, id account.TokenID, at time.Time) error {
	return q.update1(ctx, "token", `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND account_id = ?`, ts(at), id, owner)
}

// TouchToken implements account.Tx.
func (q *Q) TouchToken(ctx context.Context, id account.TokenID, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ts(at), id)
	return err
}

// Audit implements account.Tx.
func (q *Q) Audit(ctx context.Context, e account.AuditEntry) error {
	var actorID, customerID any
	if e.Actor.ID != 0 {
		actorID = e.Actor.ID
	}
	if e.CustomerID != 0 {
		customerID = e.CustomerID
	}
	details := string(e.Details)
	if details == "" || details == "null" {
		details = "{}"
	}
	_, err := q.exec(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, actor_label, action, object_type, object_id,
		customer_id, details, request_id, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ts(e.At), e.Actor.Kind, actorID,
		e.Actor.Label, e.Action, e.ObjectType, e.ObjectID, customerID, details, e.Actor.RequestID, e.Actor.IP)
	if err != nil {
		return fmt.Errorf("insert audit: %w", err)
	}
	return nil
}

// ListAudit implements account.Reader.
func (q *Q) ListAudit(ctx context.Context, f account.AuditFilter) ([]account.AuditEntry, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.CustomerID != 0 {
		where = append(where, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := q.query(ctx, `SELECT id, at, actor_kind, COALESCE(actor_id, 0), actor_label, action, object_type, object_id,
		COALESCE(customer_id, 0), details, request_id, ip FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.AuditEntry
	for rows.Next() {
		var e account.AuditEntry
		var details string
		if err := rows.Scan(&e.ID, st(&e.At), &e.Actor.Kind, &e.Actor.ID, &e.Actor.Label, &e.Action, &e.ObjectType,
			&e.ObjectID, &e.CustomerID, &details, &e.Actor.RequestID, &e.Actor.IP); err != nil {
			return nil, err
		}
		e.Details = []byte(details)
		out = append(out, e)
	}
	return out, rows.Err()
}
