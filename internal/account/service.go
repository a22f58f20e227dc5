package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/notify"
)

// Config tunes accounts.
type Config struct {
	SessionTTL        time.Duration `yaml:"session_ttl"`
	SessionIdle       time.Duration `yaml:"session_idle"`
	MaxFailedLogins   int           `yaml:"max_failed_logins"`
	Lockout           time.Duration `yaml:"lockout"`
	LoginsPerIPMinute int           `yaml:"logins_per_ip_minute"`
	MinPasswordLength int           `yaml:"min_password_length"`
	MaxTokens         int           `yaml:"max_tokens"`
	TokenCacheTTL     time.Duration `yaml:"token_cache_ttl"`
	Argon2            Argon2Params  `yaml:"argon2"`
	Issuer            string        `yaml:"totp_issuer"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		SessionTTL: 12 * time.Hour, SessionIdle: 2 * time.Hour, MaxFailedLogins: 5, Lockout: 15 * time.Minute,
		LoginsPerIPMinute: 30, MinPasswordLength: 12, MaxTokens: 50, TokenCacheTTL: 5 * time.Second,
		Argon2: DefaultArgon2(), Issuer: "ITSGOW",
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.SessionTTL < time.Minute:
		return errors.New("accounts.session_ttl: must be at least 1m")
	case c.SessionIdle < time.Minute || c.SessionIdle > c.SessionTTL:
		return errors.New("accounts.session_idle: must be between 1m and session_ttl")
	case c.MaxFailedLogins < 1:
		return errors.New("accounts.max_failed_logins: must be at least 1")
	case c.Lockout < time.Second:
		return errors.New("accounts.lockout: must be at least 1s")
	case c.LoginsPerIPMinute < 1:
		return errors.New("accounts.logins_per_ip_minute: must be at least 1")
	case c.MinPasswordLength < 8:
		return errors.New("accounts.min_password_length: must be at least 8")
	case c.MaxTokens < 1:
		return errors.New("accounts.max_tokens: must be at least 1")
	case c.TokenCacheTTL < 0 || c.TokenCacheTTL > time.Minute:
		return errors.New("accounts.token_cache_ttl: must be between 0 and 1m")
	case c.Argon2.MemoryKiB < 1024 || c.Argon2.Iterations < 1 || c.Argon2.Parallelism < 1:
		return errors.New("accounts.argon2: memory_kib >= 1024, iterations >= 1, parallelism >= 1")
	}
	return nil
}

// Deps of the service.
type Deps struct {
	Logger    *slog.Logger
	Clock     clock.Clock
	Store     Store
	Notify    *notify.Service
	PublicURL string // where customers log in, used in notices
}

// Service is the account use cases.
type Service struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	dummy string // a hash to compare against when the email is unknown (constant time)

	mu     sync.Mutex
	perIP  map[string]*window
	tokens map[string]cachedToken
}

type window struct {
	start time.Time
	n     int
}

type cachedToken struct {
	p       Principal
	expires time.Time
	touched time.Time
}

// New makes the service.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dummy, err := HashPassword("not a password: used for timing", cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "account"), dummy: dummy,
		perIP: map[string]*window{}, tokens: map[string]cachedToken{},
	}, nil
}

// Config returns the configuration in force.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.deps.Clock.Now() }

func audit(ctx context.Context, tx Tx, at time.Time, actor Actor, action, objType, objID string, customer ID, details any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	if details == nil {
		b = []byte("{}")
	}
	return tx.Audit(ctx, AuditEntry{At: at, Actor: actor, Action: action, ObjectType: objType,
		ObjectID: objID, CustomerID: customer, Details: b})
}

// Audit records a change made by another domain in the same transaction.
func Audit(ctx context.Context, tx interface {
	Audit(ctx context.Context, e AuditEntry) error
}, at time.Time, actor Actor, action, objType, objID string, customer ID, details any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	return tx.Audit(ctx, AuditEntry{At: at, Actor: actor, Action: action, ObjectType: objType,
		ObjectID: objID, CustomerID: customer, Details: b})
}

func recipient(a Account) notify.Recipient {
	return notify.Recipient{AccountID: int64(a.ID), Email: a.Email, Name: a.Name, Language: a.Language}
}

// CreateCustomer opens a customer account and sends the welcome notice.
func (s *Service) CreateCustomer(ctx context.Context, actor Actor, in NewCustomer) (Account, error) {
	if err := in.validate(s.cfg.MinPasswordLength); err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Argon2)
	if err != nil {
		return Account{}, err
	}
	now := s.now()
	c := in.Customer
	a := Account{Kind: KindCustomer, Email: in.Email, Name: in.Name, Language: in.Language,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now, Customer: &c}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertAccount(ctx, &a); err != nil {
			if errs.KindOf(err) == errs.Conflict {
				return &errs.Error{Kind: errs.Conflict, Code: "email_taken", Msg: "an account with this email exists",
					Fields: []errs.FieldError{{Field: "email", Message: "is already used"}}}
			}
			return err
		}
		if err := audit(ctx, tx, now, actor, "customer.create", "account", fmt.Sprint(a.ID), a.ID,
			map[string]any{"email": a.Email, "type": c.Type, "country": c.Country}); err != nil {
			return err
		}
		_, err := s.deps.Notify.Queue(ctx, tx, recipient(a), "welcome", map[string]any{
			"Name": a.Name, "Email": a.Email, "LoginURL": s.deps.PublicURL + "/login"}, fmt.Sprintf("welcome:%d", a.ID))
		return err
	})
	return a, err
}

// CreateStaff creates a staff member.
func (s *Service) CreateStaff(ctx context.Context, actor Actor, in NewStaff) (Account, error) {
	if err := in.validate(s.cfg.MinPasswordLength); err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Argon2)
	if err != nil {
		return Account{}, err
	}
	now := s.now()
	a := Account{Kind: KindStaff, Email: in.Email, Name: in.Name, Language: in.Language,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now, Roles: in.Roles}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertAccount(ctx, &a); err != nil {
			if errs.KindOf(err) == errs.Conflict {
				return &errs.Error{Kind: errs.Conflict, Code: "email_taken", Msg: "an account with this email exists",
					Fields: []errs.FieldError{{Field: "email", Message: "is already used"}}}
			}
			return err
		}
		return audit(ctx, tx, now, actor, "staff.create", "account", fmt.Sprint(a.ID), 0,
			map[string]any{"email": a.Email, "roles": a.Roles})
	})
	return a, err
}

// Get returns an account.
func (s *Service) Get(ctx context.Context, id ID) (Account, error) {
	return s.deps.Store.AccountByID(ctx, id)
}

// List lists accounts (staff console).
func (s *Service) List(ctx context.Context, f ListFilter) ([]Account, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.deps.Store.ListAccounts(ctx, f)
}

// AuditLog lists audit entries.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.deps.Store.ListAudit(ctx, f)
}

// SetLanguage changes the account's language (notices follow it).
func (s *Service) SetLanguage(ctx context.Context, actor Actor, id ID, lang string) error {
	if !validLanguage(lang) {
		return errs.Fields(errs.FieldError{Field: "language", Message: "must be fr or en"})
	}
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.SetLanguage(ctx, id, lang); err != nil {
			return err
		}
		return audit(ctx, tx, s.now(), actor, "account.language", "account", fmt.Sprint(id), customerOf(actor, id), map[string]string{"language": lang})
	})
}

func customerOf(actor Actor, id ID) ID {
	if actor.Kind == string(KindCustomer) {
		return id
	}
	return 0
}

// RecordAudit lets other layers record an action that has no domain service yet.
func (s *Service) RecordAudit(ctx context.Context, actor Actor, action, objType, objID string, customer ID, details any) error {
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		return audit(ctx, tx, s.now(), actor, action, objType, objID, customer, details)
	})
}

func (s *Service) lookupCached(hash string, now time.Time) (cachedToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.tokens[hash]
	if ok && !now.Before(c.expires) { // expires is exclusive, like Token.Active
		delete(s.tokens, hash)
		return cachedToken{}, false
	}
	return c, ok
}

func (s *Service) forgetTokens(id TokenID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.tokens {
		if c.p.TokenID == id {
			delete(s.tokens, h)
		}
	}
}

// AuthenticateToken returns the principal of a bearer token. Lookups are cached for
// TokenCacheTTL; a revocation through this process takes effect at once, through another
// process within TokenCacheTTL.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (Principal, error) {
	unauth := errs.Coded(errs.Unauthenticated, "invalid_token", "invalid or expired token")
	if !LooksLikeToken(secret) {
		return Principal{}, unauth
	}
	now := s.now()
	hash := HashSecret(secret)
	if c, ok := s.lookupCached(hash, now); ok {
		return c.p, nil
	}
	t, err := s.deps.Store.TokenByHash(ctx, hash)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return Principal{}, unauth
		}
		return Principal{}, err
	}
	if !t.Active(now) {
		return Principal{}, unauth
	}
	a, err := s.deps.Store.AccountByID(ctx, t.AccountID)
	if err != nil {
		return Principal{}, err
	}
	if a.Disabled {
		return Principal{}, unauth
	}
	p := Principal{Account: a, Scopes: t.Scopes, TokenID: t.ID}
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) > time.Minute {
		if err := s.deps.Store.InTx(ctx, func(tx Tx) error { return tx.TouchToken(ctx, t.ID, now) }); err != nil {
			return Principal{}, err
		}
	}
	if s.cfg.TokenCacheTTL > 0 {
		exp := now.Add(s.cfg.TokenCacheTTL)
		if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(exp) {
			exp = t.ExpiresAt
		}
		s.mu.Lock()
		if len(s.tokens) > 10000 {
			clear(s.tokens)
		}
		s.tokens[hash] = cachedToken{p: p, expires: exp}
		s.mu.Unlock()
	}
	return p, nil
}

// NewToken is the input to create an API token.
type NewToken struct {
	Name      string
	Scopes    []string
	ExpiresIn time.Duration // zero: never expires
}

// CreateToken creates an API token for the principal's account. The secret is returned once;
// only its hash is stored. A token cannot hold a scope its creator does not hold.
func (s *Service) CreateToken(ctx context.Context, actor Actor, p Principal, in NewToken) (Token, string, error) {
	var v errs.Validator
	in.Name = strings.TrimSpace(in.Name)
	v.Check(in.Name != "" && len(in.Name) <= 100, "name", "is required (at most 100 characters)")
	v.Check(len(in.Scopes) > 0, "scopes", "at least one scope is required")
	scopes, err := ParseScopes(p.Account.Kind, in.Scopes)
	if err != nil {
		v.Add("scopes", err.Error())
	}
	for _, sc := range scopes {
		if !p.Can(sc) {
			v.Add("scopes", fmt.Sprintf("you do not hold scope %q", sc))
		}
	}
	v.Check(in.ExpiresIn >= 0 && in.ExpiresIn <= 5*366*24*time.Hour, "expiresIn", "must be between 0 and 5 years")
	if err := v.Err(); err != nil {
		return Token{}, "", err
	}
	secret, hash, err := newSecret(tokenPrefix)
	if err != nil {
		return Token{}, "", err
	}
	now := s.now()
	t := Token{AccountID: p.Account.ID, Name: in.Name, Prefix: secret[:len(tokenPrefix)+6], Hash: hash,
		Scopes: scopes, CreatedAt: now}
	if in.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(in.ExpiresIn)
	}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		existing, err := tx.TokensOf(ctx, p.Account.ID)
		if err != nil {
			return err
		}
		active := 0
		for _, e := range existing {
			if e.Active(now) {
				active++
			}
		}
		if active >= s.cfg.MaxTokens {
			return errs.Coded(errs.Conflict, "too_many_tokens", fmt.Sprintf("at most %d active tokens; revoke one first", s.cfg.MaxTokens))
		}
		if err := tx.InsertToken(ctx, &t); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, actor, "token.create", "token", fmt.Sprint(t.ID), customerOfAccount(p.Account),
			map[string]any{"name": t.Name, "scopes": t.Scopes, "prefix": t.Prefix}); err != nil {
			return err
		}
		_, err = s.deps.Notify.Queue(ctx, tx, recipient(p.Account), "token_created", map[string]any{
			"Name": p.Account.Name, "TokenName": t.Name, "Prefix": t.Prefix,
			"Scopes": JoinScopes(t.Scopes), "At": now.Format("2006-01-02 15:04 MST")}, "")
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// Tokens lists the account's tokens.
func (s *Service) Tokens(ctx context.Context, id ID) ([]Token, error) {
	return s.deps.Store.TokensOf(ctx, id)
}

// RevokeToken revokes one of the principal's tokens (another account's token is NotFound).
func (s *Service) RevokeToken(ctx context.Context, actor Actor, p Principal, id TokenID) error {
	now := s.now()
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.RevokeToken(ctx, p.Account.ID, id, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "token.revoke", "token", fmt.Sprint(id), customerOfAccount(p.Account), nil)
	})
	if err == nil {
		s.forgetTokens(id)
	}
	return err
}

// Now returns the service clock's time (for callers that render token states).
func (s *Service) Now() time.Time { return s.now() }

// JobPurgeSessions is the periodic job kind that deletes dead sessions.
const JobPurgeSessions = "account.purge_sessions"

// HandlePurgeSessions deletes sessions past their absolute or idle lifetime.
func (s *Service) HandlePurgeSessions(ctx context.Context, _ jobs.Job) error {
	now := s.now()
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		n, err := tx.DeleteExpiredSessions(ctx, now, now.Add(-s.cfg.SessionIdle))
		if n > 0 {
			s.log.Info("expired sessions purged", "count", n)
		}
		return err
	})
}

// customerOfAccount is the customer an audit row concerns when it is about account a.
func customerOfAccount(a Account) ID {
	if a.Kind == KindCustomer {
		return a.ID
	}
	return 0
}
