package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
)

// LoginResult is a successful password check: a session, maybe waiting for its second factor.
type LoginResult struct {
	SessionSecret string // goes into the cookie, never stored
	Session       Session
	NeedsTOTP     bool
	Account       Account
}

var errBadCredentials = errs.Coded(errs.Unauthenticated, "invalid_credentials", "invalid email or password")

// LockedError tells until when an account refuses logins.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "account locked until " + e.Until.Format(time.RFC3339) }

func (s *Service) allowIP(ip string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.perIP[ip]
	if w == nil || now.Sub(w.start) >= time.Minute {
		if len(s.perIP) > 100000 {
			clear(s.perIP)
		}
		w = &window{start: now}
		s.perIP[ip] = w
	}
	w.n++
	return w.n <= s.cfg.LoginsPerIPMinute
}

// Login checks an email and password. Failures count toward a temporary lockout of the account;
// each client IP is limited to LoginsPerIPMinute attempts per minute.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (LoginResult, error) {
	now := s.now()
	if !s.allowIP(ip, now) {
		return LoginResult{}, errs.Coded(errs.TooManyRequests, "rate_limited", "too many login attempts; wait a minute")
	}
	email = normEmail(email)
	if email == "" || password == "" || len(password) > 1024 {
		return LoginResult{}, errBadCredentials
	}
	a, err := s.deps.Store.AccountByEmail(ctx, email)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			_, _ = CheckPassword(password, s.dummy)
			return LoginResult{}, errBadCredentials
		}
		return LoginResult{}, err
	}
	if a.Disabled {
		_, _ = CheckPassword(password, s.dummy)
		return LoginResult{}, errBadCredentials
	}
	if now.Before(a.LockedUntil) {
		return LoginResult{}, &errs.Error{Kind: errs.TooManyRequests, Code: "account_locked",
			Msg: "too many failed logins; try again after " + a.LockedUntil.Format("15:04 MST"), Cause: &LockedError{a.LockedUntil}}
	}
	ok, err := CheckPassword(password, a.PasswordHash)
	if err != nil {
		return LoginResult{}, fmt.Errorf("check password of account %d: %w", a.ID, err)
	}
	actor := Actor{Kind: string(a.Kind), ID: a.ID, Label: a.Label(), IP: ip}
	if !ok {
		if err := s.loginFailed(ctx, a, actor, now); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errBadCredentials
	}
	secret, sess, err := s.newSession(a, now, ip, userAgent)
	if err != nil {
		return LoginResult{}, err
	}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		// With a second factor the failure counter is reset only once the code is right, so
		// knowing the password gives no free code guesses.
		if !a.TOTPEnabled {
			if err := tx.UpdateLoginState(ctx, a.ID, 0, time.Time{}); err != nil {
				return err
			}
		}
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "session.login", "account", fmt.Sprint(a.ID), customerOf(actor, a.ID),
			map[string]any{"secondFactorPending": a.TOTPEnabled, "userAgent": truncate(userAgent, 200)})
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{SessionSecret: secret, Session: sess, NeedsTOTP: a.TOTPEnabled, Account: a}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Service) loginFailed(ctx context.Context, a Account, actor Actor, now time.Time) error {
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		// counted in the store, so that concurrent failures are never lost
		failed, err := tx.RecordFailedLogin(ctx, a.ID)
		if err != nil {
			return err
		}
		if failed < s.cfg.MaxFailedLogins {
			return nil
		}
		until := now.Add(s.cfg.Lockout)
		if _, err := s.deps.Notify.Queue(ctx, tx, recipient(a), "account_locked", map[string]any{
			"Name": a.Name, "Failures": failed, "Until": until.Format("2006-01-02 15:04 MST")},
			fmt.Sprintf("locked:%d:%d", a.ID, until.Unix())); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, actor, "account.locked", "account", fmt.Sprint(a.ID), customerOf(actor, a.ID),
			map[string]any{"until": until, "failures": failed}); err != nil {
			return err
		}
		return tx.UpdateLoginState(ctx, a.ID, 0, until)
	})
}

func (s *Service) newSession(a Account, now time.Time, ip, ua string) (string, Session, error) {
	secret, hash, err := newSecret("its_")
	if err != nil {
		return "", Session{}, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Session{}, fmt.Errorf("random: %w", err)
	}
	return secret, Session{IDHash: hash, AccountID: a.ID, CSRFSecret: hex.EncodeToString(b),
		SecondFactorOK: !a.TOTPEnabled, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL),
		LastSeenAt: now, IP: ip, UserAgent: truncate(ua, 300)}, nil
}

// ErrSecondFactorPending is returned for a session that still waits for its TOTP code.
var ErrSecondFactorPending = errs.Coded(errs.Unauthenticated, "second_factor_required", "the second factor is required")

// AuthenticateSession returns the principal and session of a cookie secret. A session waiting
// for its second factor returns ErrSecondFactorPending together with the session.
func (s *Service) AuthenticateSession(ctx context.Context, secret string) (Principal, error) {
	unauth := errs.Coded(errs.Unauthenticated, "invalid_session", "not logged in")
	if !strings.HasPrefix(secret, "its_") || len(secret) > 100 {
		return Principal{}, unauth
	}
	hash := HashSecret(secret)
	sess, err := s.deps.Store.SessionByHash(ctx, hash)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return Principal{}, unauth
		}
		return Principal{}, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle {
		return Principal{}, errs.Coded(errs.Unauthenticated, "session_expired", "your session expired; log in again")
	}
	a, err := s.deps.Store.AccountByID(ctx, sess.AccountID)
	if err != nil {
		return Principal{}, err
	}
	if a.Disabled {
		return Principal{}, unauth
	}
	p := Principal{Account: a, Scopes: AllowedScopes(a.Kind), Session: &sess}
	if !sess.SecondFactorOK {
		return p, ErrSecondFactorPending
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.deps.Store.InTx(ctx, func(tx Tx) error { return tx.TouchSession(ctx, hash, now, sess.ExpiresAt) }); err != nil {
			return Principal{}, err
		}
	}
	return p, nil
}

// VerifySecondFactor completes a login with a TOTP code. Wrong codes count as failed logins.
func (s *Service) VerifySecondFactor(ctx context.Context, p Principal, code, ip string) error {
	if p.Session == nil {
		return errs.Coded(errs.Unauthenticated, "invalid_session", "not logged in")
	}
	a, err := s.deps.Store.AccountByID(ctx, p.Account.ID)
	if err != nil {
		return err
	}
	now := s.now()
	if now.Before(a.LockedUntil) {
		return &errs.Error{Kind: errs.TooManyRequests, Code: "account_locked",
			Msg: "too many failed logins; try again after " + a.LockedUntil.Format("15:04 MST"), Cause: &LockedError{a.LockedUntil}}
	}
	if !s.allowIP(ip, now) {
		return errs.Coded(errs.TooManyRequests, "rate_limited", "too many login attempts; wait a minute")
	}
	actor := Actor{Kind: string(a.Kind), ID: a.ID, Label: a.Label(), IP: ip}
	step := VerifyTOTP(a.TOTPSecret, code, now, a.TOTPLastStep)
	if !a.TOTPEnabled || step == 0 {
		if err := s.loginFailed(ctx, a, actor, now); err != nil {
			return err
		}
		return &errs.Error{Kind: errs.Unauthenticated, Code: "invalid_code", Msg: "invalid code",
			Fields: []errs.FieldError{{Field: "code", Message: "is not the current code"}}}
	}
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.SetTOTP(ctx, a.ID, a.TOTPSecret, true, step); err != nil {
			return err
		}
		if err := tx.UpdateLoginState(ctx, a.ID, 0, time.Time{}); err != nil {
			return err
		}
		if err := tx.MarkSecondFactor(ctx, p.Session.IDHash); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "session.second_factor", "account", fmt.Sprint(a.ID), customerOf(actor, a.ID), nil)
	})
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.Session == nil {
		return nil
	}
	actor := ActorOf(p, "", p.Session.IP)
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, p.Session.IDHash); err != nil {
			return err
		}
		return audit(ctx, tx, s.now(), actor, "session.logout", "account", fmt.Sprint(p.Account.ID), customerOfAccount(p.Account), nil)
	})
}

// TOTPSetup is what the second-factor setup page shows.
type TOTPSetup struct {
	Secret string
	URL    string
}

// BeginTOTP stores a new pending secret (not yet enabled) and returns it.
func (s *Service) BeginTOTP(ctx context.Context, actor Actor, p Principal) (TOTPSetup, error) {
	secret, err := NewTOTPSecret()
	if err != nil {
		return TOTPSetup{}, err
	}
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		// The principal's copy of the account may be stale (token cache): read it again.
		a, err := tx.AccountByID(ctx, p.Account.ID)
		if err != nil {
			return err
		}
		if a.TOTPEnabled {
			return errs.Coded(errs.Conflict, "totp_enabled", "two-factor authentication is already on")
		}
		return tx.SetTOTP(ctx, p.Account.ID, secret, false, 0)
	})
	if err != nil {
		return TOTPSetup{}, err
	}
	return TOTPSetup{Secret: secret, URL: TOTPURL(s.cfg.Issuer, p.Account.Email, secret)}, nil
}

// PendingTOTP returns the pending secret, if any, so the setup page can show it again.
func (s *Service) PendingTOTP(ctx context.Context, p Principal) (TOTPSetup, bool, error) {
	a, err := s.deps.Store.AccountByID(ctx, p.Account.ID)
	if err != nil || a.TOTPEnabled || a.TOTPSecret == "" {
		return TOTPSetup{}, false, err
	}
	return TOTPSetup{Secret: a.TOTPSecret, URL: TOTPURL(s.cfg.Issuer, a.Email, a.TOTPSecret)}, true, nil
}

// ConfirmTOTP turns the second factor on once the user proves their app shows the right code.
func (s *Service) ConfirmTOTP(ctx context.Context, actor Actor, p Principal, code string) error {
	return s.changeTOTP(ctx, actor, p, code, true)
}

// DisableTOTP turns the second factor off; it needs a current code.
func (s *Service) DisableTOTP(ctx context.Context, actor Actor, p Principal, code string) error {
	return s.changeTOTP(ctx, actor, p, code, false)
}

func (s *Service) changeTOTP(ctx context.Context, actor Actor, p Principal, code string, enable bool) error {
	a, err := s.deps.Store.AccountByID(ctx, p.Account.ID)
	if err != nil {
		return err
	}
	if a.TOTPEnabled == enable {
		return errs.Coded(errs.Conflict, "totp_state", "two-factor authentication is already in that state")
	}
	if a.TOTPSecret == "" {
		return errs.Coded(errs.Conflict, "totp_not_started", "start the setup first")
	}
	now := s.now()
	step := VerifyTOTP(a.TOTPSecret, code, now, a.TOTPLastStep)
	if step == 0 {
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_code", Msg: "invalid code",
			Fields: []errs.FieldError{{Field: "code", Message: "is not the current code"}}}
	}
	secret := a.TOTPSecret
	if !enable {
		secret = ""
		step = 0
	}
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.SetTOTP(ctx, a.ID, secret, enable, step); err != nil {
			return err
		}
		action := "totp.enable"
		if !enable {
			action = "totp.disable"
		}
		if err := audit(ctx, tx, now, actor, action, "account", fmt.Sprint(a.ID), customerOf(actor, a.ID), nil); err != nil {
			return err
		}
		_, err := s.deps.Notify.Queue(ctx, tx, recipient(a), "totp_changed", map[string]any{
			"Name": a.Name, "Enabled": enable, "At": now.Format("2006-01-02 15:04 MST")}, "")
		return err
	})
}
