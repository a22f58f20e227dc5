package account

import (
	"context"
	"time"

	"github.com/itsgow/itsgow/internal/notify"
)

// Reader reads accounts, sessions, tokens and the audit log.
type Reader interface {
	AccountByID(ctx context.Context, id ID) (Account, error)
	AccountByEmail(ctx context.Context, email string) (Account, error)
	SessionByHash(ctx context.Context, hash string) (Session, error)
	TokenByHash(ctx context.Context, hash string) (Token, error)
	TokensOf(ctx context.Context, id ID) ([]Token, error)
	ListAccounts(ctx context.Context, f ListFilter) ([]Account, error)
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Tx is what the account service changes inside one transaction.
type Tx interface {
	Reader
	notify.Tx
	InsertAccount(ctx context.Context, a *Account) error
	UpdateLoginState(ctx context.Context, id ID, failed int, lockedUntil time.Time) error
	// RecordFailedLogin adds one failure and returns the new count.
	RecordFailedLogin(ctx context.Context, id ID) (int, error)
	SetTOTP(ctx context.Context, id ID, secret string, enabled bool, lastStep int64) error
	SetLanguage(ctx context.Context, id ID, lang string) error
	SetPassword(ctx context.Context, id ID, hash string) error
	InsertSession(ctx context.Context, s Session) error
	MarkSecondFactor(ctx context.Context, hash string) error
	TouchSession(ctx context.Context, hash string, seen, expires time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	DeleteSessionsOf(ctx context.Context, id ID) error
	// DeleteExpiredSessions removes sessions that expired, or stayed idle, before the given times.
	DeleteExpiredSessions(ctx context.Context, expiredBefore, idleBefore time.Time) (int, error)
	InsertToken(ctx context.Context, t *Token) error
	RevokeToken(ctx context.Context, owner ID, id TokenID, at time.Time) error
	TouchToken(ctx context.Context, id TokenID, at time.Time) error
	Audit(ctx context.Context, e AuditEntry) error
}

// Store is the account service's persistence.
type Store interface {
	Reader
	InTx(ctx context.Context, fn func(Tx) error) error
}

// ListFilter selects accounts.
type ListFilter struct {
	Kind     Kind
	Query    string // matches email or name
	BeforeID ID
	Limit    int
}
