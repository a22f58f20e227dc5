package account_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// t0 is a whole second at the start of a TOTP step, so stored times round-trip exactly and
// step arithmetic stays simple.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const password = "correct horse battery staple"

func testConfig() account.Config {
	cfg := account.DefaultConfig()
	cfg.Argon2 = light
	return cfg
}

// env is one process: an account service with its notice service, over a shared db and clock.
type env struct {
	db     *store.DB
	clk    *clocktest.Fake
	svc    *account.Service
	notify *notify.Service
}

func newEnv(tb testing.TB, db *store.DB, clk *clocktest.Fake, cfg account.Config) *env {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ns, err := notify.New(notify.DefaultConfig(), notify.Deps{Logger: log, Clock: clk, Store: db.Notices()})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := account.New(cfg, account.Deps{Logger: log, Clock: clk, Store: db.Accounts(), Notify: ns,
		PublicURL: "https://itsgow.example"})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{db: db, clk: clk, svc: svc, notify: ns}
}

func person(email, name string) account.NewCustomer {
	return account.NewCustomer{Email: email, Password: password, Name: name, Language: "fr",
		Customer: account.Customer{Type: account.Person, Country: "FR", City: "Lyon"}}
}

var signup = account.Actor{Kind: "public", Label: "signup form", RequestID: "req-signup", IP: "192.0.2.1"}

func (e *env) customer(tb testing.TB, email, name string) account.Account {
	tb.Helper()
	a, err := e.svc.CreateCustomer(tb.Context(), signup, person(email, name))
	if err != nil {
		tb.Fatalf("create customer %s: %v", email, err)
	}
	return a
}

func (e *env) login(tb testing.TB, email, ip string) account.LoginResult {
	tb.Helper()
	res, err := e.svc.Login(tb.Context(), email, password, ip, "go-test")
	if err != nil {
		tb.Fatalf("login %s: %v", email, err)
	}
	return res
}

// principal logs in and returns the session's principal (no second factor expected).
func (e *env) principal(tb testing.TB, email string) (account.Principal, string) {
	tb.Helper()
	res := e.login(tb, email, "198.51.100.7")
	p, err := e.svc.AuthenticateSession(tb.Context(), res.SessionSecret)
	if err != nil {
		tb.Fatalf("authenticate session of %s: %v", email, err)
	}
	return p, res.SessionSecret
}

// noticeKinds lists the kinds of the notices stored for an account, oldest first.
func (e *env) noticeKinds(tb testing.TB, id account.ID) []string {
	tb.Helper()
	ns, err := e.notify.List(tb.Context(), notify.Filter{AccountID: int64(id), Limit: 200})
	if err != nil {
		tb.Fatal(err)
	}
	var kinds []string
	for _, n := range slices.Backward(ns) {
		kinds = append(kinds, n.Kind)
	}
	return kinds
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// codeOf returns the stable code of err: "" for nil, "<unclassified>" for a plain error.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	if e := errs.As(err); e != nil {
		return e.Code
	}
	return "<unclassified>"
}

func wantCode(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if got := codeOf(err); got != want {
		tb.Fatalf("%s: error code %q (err %v), want %q", what, got, err, want)
	}
}

// mangle changes the last character of a secret.
func mangle(s string) string {
	last := s[len(s)-1]
	if last == 'A' {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

func fieldNames(err error) []string {
	e := errs.As(err)
	if e == nil {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestCreateCustomerValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(n *account.NewCustomer)
		fields []string
	}{
		{"bad email", func(n *account.NewCustomer) { n.Email = "jeanne.example.fr" }, []string{"email"}},
		{"email with display name", func(n *account.NewCustomer) { n.Email = "Jeanne <jeanne@example.fr>" }, []string{"email"}},
		{"short password", func(n *account.NewCustomer) { n.Password = "elevenchars" }, []string{"password"}},
		{"too long password", func(n *account.NewCustomer) { n.Password = strings.Repeat("p", 1025) }, []string{"password"}},
		{"no name", func(n *account.NewCustomer) { n.Name = "   " }, []string{"name"}},
		{"unknown language", func(n *account.NewCustomer) { n.Language = "de" }, []string{"language"}},
		{"unknown type", func(n *account.NewCustomer) { n.Customer.Type = "robot" }, []string{"customer.type"}},
		{"company without name", func(n *account.NewCustomer) {
			n.Customer = account.Customer{Type: account.Company, Country: "FR", SIREN: "732829320"}
		}, []string{"customer.companyName"}},
		{"bad SIREN", func(n *account.NewCustomer) {
			n.Customer = account.Customer{Type: account.Company, CompanyName: "Dupont SAS", Country: "FR", SIREN: "732829321"}
		}, []string{"customer.siren"}},
		{"French company without SIREN", func(n *account.NewCustomer) {
			n.Customer = account.Customer{Type: account.Company, CompanyName: "Dupont SAS", Country: "FR"}
		}, []string{"customer.siren"}},
		{"bad VAT", func(n *account.NewCustomer) {
			n.Customer = account.Customer{Type: account.Company, CompanyName: "Dupont SAS", Country: "FR",
				SIREN: "732829320", VATNumber: "FR00732829320"}
		}, []string{"customer.vatNumber"}},
		{"country name instead of code", func(n *account.NewCustomer) { n.Customer.Country = "France" }, []string{"customer.country"}},
		{"three-letter country", func(n *account.NewCustomer) { n.Customer.Country = "FRA" }, []string{"customer.country"}},
		{"person with SIREN", func(n *account.NewCustomer) { n.Customer.SIREN = "732829320" }, []string{"customer.siren"}},
		{"everything missing", func(n *account.NewCustomer) { *n = account.NewCustomer{} },
			[]string{"email", "password", "name", "customer.type", "customer.country"}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		t.Run("cases", func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					in := person("jeanne@example.fr", "Jeanne Dupont")
					tt.modify(&in)
					_, err := e.svc.CreateCustomer(t.Context(), signup, in)
					if k := errs.KindOf(err); k != errs.Invalid {
						t.Fatalf("kind %v (err %v), want invalid", k, err)
					}
					wantCode(t, "create", err, "invalid_input")
					if diff := cmp.Diff(tt.fields, fieldNames(err)); diff != "" {
						t.Errorf("field errors (-want +got):\n%s", diff)
					}
				})
			}
		})
		// "cases" returns once its parallel subtests are done.
		as, err := e.svc.List(t.Context(), account.ListFilter{})
		if err != nil || len(as) != 0 {
			t.Errorf("accounts = %v, %v; want none", as, err)
		}
		if kinds := e.noticeKinds(t, 0); len(kinds) != 0 {
			t.Errorf("notices %v, want none", kinds)
		}
	})
}

func TestCreateCustomerNormalisesAndStores(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		in := account.NewCustomer{Email: "  Compta@Dupont.FR ", Password: password, Name: " Dupont SAS ",
			Customer: account.Customer{Type: account.Company, CompanyName: "Dupont SAS", Country: " fr",
				SIREN: "732 829 320", VATNumber: "fr 44 732829320"}}
		a, err := e.svc.CreateCustomer(t.Context(), signup, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Get(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := account.Account{ID: a.ID, Kind: account.KindCustomer, Email: "compta@dupont.fr", Name: "Dupont SAS",
			Language: "fr", CreatedAt: t0, UpdatedAt: t0, Customer: &account.Customer{Type: account.Company,
				CompanyName: "Dupont SAS", Country: "FR", SIREN: "732829320", VATNumber: "FR44732829320"}}
		if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
			return p.String() == "PasswordHash"
		}, cmp.Ignore())); diff != "" {
			t.Errorf("stored account (-want +got):\n%s", diff)
		}
		if ok, err := account.CheckPassword(password, got.PasswordHash); !ok || err != nil {
			t.Errorf("stored hash does not check: %v, %v", ok, err)
		}
		if diff := cmp.Diff([]string{"welcome"}, e.noticeKinds(t, a.ID)); diff != "" {
			t.Errorf("notices (-want +got):\n%s", diff)
		}
	})
}

func TestCreateCustomerDuplicateEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		first := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		tests := []struct {
			name, email string
		}{
			{"same", "jeanne@example.fr"},
			{"other case and blanks", " Jeanne@EXAMPLE.fr "},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.CreateCustomer(t.Context(), signup, person(tt.email, "Another Jeanne"))
				if k := errs.KindOf(err); k != errs.Conflict {
					t.Fatalf("kind %v (err %v), want conflict", k, err)
				}
				wantCode(t, "duplicate", err, "email_taken")
				if diff := cmp.Diff([]string{"email"}, fieldNames(err)); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			})
		}
		// The failed attempts left nothing behind: one account, one welcome notice.
		as, err := e.svc.List(t.Context(), account.ListFilter{})
		if err != nil || len(as) != 1 || as[0].ID != first.ID {
			t.Errorf("accounts = %v, %v; want only %d", as, err, first.ID)
		}
		if n := count(e.noticeKinds(t, 0), "welcome"); n != 1 {
			t.Errorf("%d welcome notices, want 1", n)
		}
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		code                  string
	}{
		{"ok", "jeanne@example.fr", password, ""},
		{"email in other case", " JEANNE@example.fr", password, ""},
		{"wrong password", "jeanne@example.fr", password + "!", "invalid_credentials"},
		{"unknown email", "nobody@example.fr", password, "invalid_credentials"},
		{"empty password", "jeanne@example.fr", "", "invalid_credentials"},
		{"empty email", "", password, "invalid_credentials"},
		{"password too long", "jeanne@example.fr", strings.Repeat("p", 1025), "invalid_credentials"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		var public []string
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := e.svc.Login(t.Context(), tt.email, tt.password, fmt.Sprintf("203.0.113.%d", i), "go-test")
				wantCode(t, "login", err, tt.code)
				if err != nil {
					if k := errs.KindOf(err); k != errs.Unauthenticated {
						t.Errorf("kind %v, want unauthenticated", k)
					}
					public = append(public, errs.Public(err))
					return
				}
				if res.Account.ID != a.ID || res.NeedsTOTP || !strings.HasPrefix(res.SessionSecret, "its_") {
					t.Errorf("login result: account %d, needsTOTP %v, secret %q", res.Account.ID, res.NeedsTOTP, res.SessionSecret)
				}
				if res.Session.IDHash != account.HashSecret(res.SessionSecret) {
					t.Error("the session is not stored under the hash of its secret")
				}
				p, err := e.svc.AuthenticateSession(t.Context(), res.SessionSecret)
				if err != nil || p.Account.ID != a.ID || p.Session == nil {
					t.Errorf("AuthenticateSession = %+v, %v", p, err)
				}
			})
		}
		// Nothing tells an unknown email from a wrong password.
		for _, m := range public {
			if m != public[0] {
				t.Errorf("public messages differ: %q", public)
			}
		}
	})
}

func TestLoginLockout(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxFailedLogins = 3
	cfg.Lockout = 15 * time.Minute
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, cfg)
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		fail := func(t *testing.T, want string) {
			t.Helper()
			_, err := e.svc.Login(ctx, a.Email, "wrong password!", "203.0.113.9", "go-test")
			wantCode(t, "wrong password", err, want)
		}
		right := func(t *testing.T, want string) error {
			t.Helper()
			_, err := e.svc.Login(ctx, a.Email, password, "203.0.113.10", "go-test")
			wantCode(t, "right password", err, want)
			return err
		}
		// Subtests run in order: each is one step of the same story.
		t.Run("success resets the counter", func(t *testing.T) {
			for range cfg.MaxFailedLogins - 1 {
				fail(t, "invalid_credentials")
			}
			right(t, "")
			for range cfg.MaxFailedLogins - 1 {
				fail(t, "invalid_credentials")
			}
			right(t, "") // still not locked: 2+2 failures, never 3 in a row
		})
		var until time.Time
		t.Run("locks after MaxFailedLogins", func(t *testing.T) {
			clk.Advance(time.Minute)
			for range cfg.MaxFailedLogins {
				fail(t, "invalid_credentials")
			}
			until = clk.Now().Add(cfg.Lockout)
			err := right(t, "account_locked")
			if k := errs.KindOf(err); k != errs.TooManyRequests {
				t.Errorf("kind %v, want too_many_requests", k)
			}
			var le *account.LockedError
			if !errors.As(err, &le) || !le.Until.Equal(until) {
				t.Errorf("LockedError = %v, want until %v", le, until)
			}
			got, err := e.svc.Get(ctx, a.ID)
			if err != nil || !got.LockedUntil.Equal(until) {
				t.Errorf("stored lockedUntil = %v (%v), want %v", got.LockedUntil, err, until)
			}
		})
		t.Run("still locked at Lockout-1s", func(t *testing.T) {
			clk.Set(until.Add(-time.Second))
			fail(t, "account_locked") // attempts while locked do not count
			right(t, "account_locked")
		})
		t.Run("open again at exactly Lockout", func(t *testing.T) {
			clk.Set(until)
			right(t, "")
		})
		t.Run("counter starts again from zero", func(t *testing.T) {
			for range cfg.MaxFailedLogins - 1 {
				fail(t, "invalid_credentials")
			}
			right(t, "")
		})
		t.Run("one notice and one audit row", func(t *testing.T) {
			kinds := e.noticeKinds(t, a.ID)
			if n := count(kinds, "account_locked"); n != 1 {
				t.Errorf("%d account_locked notices, want 1 (all: %v)", n, kinds)
			}
			rows, err := e.svc.AuditLog(ctx, account.AuditFilter{CustomerID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rows {
				if r.Action == "account.locked" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d account.locked audit rows, want 1", n)
			}
		})
	})
}

func TestLoginPerIPLimit(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.LoginsPerIPMinute = 3
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, cfg)
		ctx := t.Context()
		e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		const ip = "203.0.113.50"
		steps := []struct {
			name    string
			advance time.Duration
			ip      string
			pw      string
			code    string
		}{
			{"1st", 0, ip, "wrong password!", "invalid_credentials"},
			{"2nd", 10 * time.Second, ip, "wrong password!", "invalid_credentials"},
			{"3rd", 10 * time.Second, ip, password, ""},
			{"4th in the minute", 39 * time.Second, ip, password, "rate_limited"},
			{"other IP unaffected", 0, "203.0.113.51", password, ""},
			{"59s after the first", 0, ip, password, "rate_limited"},
			{"next minute", time.Second, ip, password, ""},
			{"2nd of the new minute", 0, ip, password, ""},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				clk.Advance(s.advance)
				_, err := e.svc.Login(ctx, "jeanne@example.fr", s.pw, s.ip, "go-test")
				wantCode(t, "login", err, s.code)
				if s.code == "rate_limited" && errs.KindOf(err) != errs.TooManyRequests {
					t.Errorf("kind %v, want too_many_requests", errs.KindOf(err))
				}
			})
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SessionTTL = 12 * time.Hour
	cfg.SessionIdle = 2 * time.Hour
	type step struct {
		advance time.Duration
		code    string
	}
	// Activity every hour keeps the session alive until its absolute TTL.
	var hourly []step
	for range 11 {
		hourly = append(hourly, step{time.Hour, ""})
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"fresh", []step{{0, ""}}},
		{"idle minus 1s", []step{{cfg.SessionIdle - time.Second, ""}}},
		{"idle exactly", []step{{cfg.SessionIdle, "session_expired"}}},
		{"activity restarts the idle timer", []step{{cfg.SessionIdle - time.Second, ""}, {cfg.SessionIdle - time.Second, ""},
			{cfg.SessionIdle, "session_expired"}}},
		{"ttl minus 1s", append(slices.Clone(hourly), step{59*time.Minute + 59*time.Second, ""})},
		{"ttl exactly", append(slices.Clone(hourly), step{59*time.Minute + 59*time.Second, ""}, step{time.Second, "session_expired"})},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				clk := clocktest.New(t0)
				e := newEnv(t, db, clk, cfg)
				email := fmt.Sprintf("session%d@example.fr", i)
				e.customer(t, email, fmt.Sprintf("Session %d", i))
				res := e.login(t, email, "203.0.113.1")
				for j, s := range tt.steps {
					clk.Advance(s.advance)
					p, err := e.svc.AuthenticateSession(t.Context(), res.SessionSecret)
					wantCode(t, fmt.Sprintf("step %d (%v after login)", j, clk.Now().Sub(t0)), err, s.code)
					if err == nil && p.Account.Email != email {
						t.Errorf("principal of %s, want %s", p.Account.Email, email)
					}
				}
			})
		}
	})
}

func TestAuthenticateSessionRejects(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		_, secret := e.principal(t, "jeanne@example.fr")
		tests := []struct {
			name, secret string
		}{
			{"empty", ""},
			{"no prefix", strings.TrimPrefix(secret, "its_")},
			{"unknown", mangle(secret)},
			{"token instead of session", "itg_" + strings.TrimPrefix(secret, "its_")},
			{"too long", secret + strings.Repeat("a", 100)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := e.svc.AuthenticateSession(t.Context(), tt.secret)
				wantCode(t, "authenticate", err, "invalid_session")
			})
		}
		t.Run("logout", func(t *testing.T) {
			p, secret := e.principal(t, "jeanne@example.fr")
			if err := e.svc.Logout(t.Context(), p); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.AuthenticateSession(t.Context(), secret)
			wantCode(t, "after logout", err, "invalid_session")
		})
	})
}

func TestTOTPLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, testConfig())
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		p, _ := e.principal(t, a.Email)
		actor := account.ActorOf(p, "req-totp", "198.51.100.7")
		code := func(t *testing.T, secret string) string {
			t.Helper()
			c, err := account.TOTPCode(secret, account.TOTPStep(clk.Now()))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		var secret, confirmCode string
		t.Run("begin", func(t *testing.T) {
			setup, err := e.svc.BeginTOTP(ctx, actor, p)
			if err != nil {
				t.Fatal(err)
			}
			secret = setup.Secret
			if !strings.HasPrefix(setup.URL, "otpauth://totp/ITSGOW:") || !strings.Contains(setup.URL, "secret="+secret) {
				t.Errorf("setup URL %q", setup.URL)
			}
			pending, ok, err := e.svc.PendingTOTP(ctx, p)
			if err != nil || !ok || pending.Secret != secret {
				t.Errorf("PendingTOTP = %v, %v, %v; want the begun secret", pending, ok, err)
			}
			// Not enabled yet: a login needs no second factor.
			if res := e.login(t, a.Email, "198.51.100.7"); res.NeedsTOTP {
				t.Error("NeedsTOTP before the setup is confirmed")
			}
		})
		t.Run("confirm", func(t *testing.T) {
			confirmCode = code(t, secret)
			err := e.svc.ConfirmTOTP(ctx, actor, p, wrongCode(confirmCode))
			wantCode(t, "confirm with a wrong code", err, "invalid_code")
			if err := e.svc.ConfirmTOTP(ctx, actor, p, confirmCode); err != nil {
				t.Fatalf("confirm: %v", err)
			}
			got, err := e.svc.Get(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.TOTPEnabled || got.TOTPSecret != secret || got.TOTPLastStep != account.TOTPStep(clk.Now()) {
				t.Errorf("stored: enabled %v, secret %q, last step %d", got.TOTPEnabled, got.TOTPSecret, got.TOTPLastStep)
			}
			err = e.svc.ConfirmTOTP(ctx, actor, p, confirmCode)
			wantCode(t, "confirm twice", err, "totp_state")
			if n := count(e.noticeKinds(t, a.ID), "totp_changed"); n != 1 {
				t.Errorf("%d totp_changed notices, want 1", n)
			}
		})
		t.Run("begin again refused", func(t *testing.T) {
			res := e.login(t, a.Email, "198.51.100.7")
			pp, err := e.svc.AuthenticateSession(ctx, res.SessionSecret)
			if !errors.Is(err, account.ErrSecondFactorPending) {
				t.Fatalf("err %v", err)
			}
			_, err = e.svc.BeginTOTP(ctx, actor, pp)
			wantCode(t, "begin while enabled", err, "totp_enabled")
		})
		var pending account.Principal
		var pendingSecret string
		t.Run("login needs the second factor", func(t *testing.T) {
			res := e.login(t, a.Email, "198.51.100.7")
			if !res.NeedsTOTP {
				t.Fatal("NeedsTOTP = false after enabling TOTP")
			}
			pendingSecret = res.SessionSecret
			var err error
			pending, err = e.svc.AuthenticateSession(ctx, pendingSecret)
			if !errors.Is(err, account.ErrSecondFactorPending) {
				t.Fatalf("AuthenticateSession: %v, want ErrSecondFactorPending", err)
			}
			if pending.Session == nil || pending.Account.ID != a.ID {
				t.Fatalf("pending principal %+v: want the session and account", pending)
			}
		})
		t.Run("confirmation code cannot be replayed", func(t *testing.T) {
			err := e.svc.VerifySecondFactor(ctx, pending, confirmCode, "198.51.100.7")
			wantCode(t, "replayed confirmation code", err, "invalid_code")
		})
		t.Run("wrong code refused", func(t *testing.T) {
			clk.Advance(30 * time.Second)
			err := e.svc.VerifySecondFactor(ctx, pending, wrongCode(code(t, secret)), "198.51.100.7")
			wantCode(t, "wrong code", err, "invalid_code")
			_, err = e.svc.AuthenticateSession(ctx, pendingSecret)
			if !errors.Is(err, account.ErrSecondFactorPending) {
				t.Errorf("after a wrong code: %v, want still pending", err)
			}
		})
		var used string
		t.Run("right code accepted", func(t *testing.T) {
			used = code(t, secret)
			if err := e.svc.VerifySecondFactor(ctx, pending, used, "198.51.100.7"); err != nil {
				t.Fatalf("right code: %v", err)
			}
			p, err := e.svc.AuthenticateSession(ctx, pendingSecret)
			if err != nil || p.Account.ID != a.ID {
				t.Errorf("after the second factor: %v", err)
			}
		})
		t.Run("same code replayed in the same step", func(t *testing.T) {
			res := e.login(t, a.Email, "198.51.100.7")
			p2, err := e.svc.AuthenticateSession(ctx, res.SessionSecret)
			if !errors.Is(err, account.ErrSecondFactorPending) {
				t.Fatal(err)
			}
			err = e.svc.VerifySecondFactor(ctx, p2, used, "198.51.100.7")
			wantCode(t, "replay", err, "invalid_code")
			_, err = e.svc.AuthenticateSession(ctx, res.SessionSecret)
			if !errors.Is(err, account.ErrSecondFactorPending) {
				t.Errorf("replayed code completed the login: %v", err)
			}
			clk.Advance(30 * time.Second)
			if err := e.svc.VerifySecondFactor(ctx, p2, code(t, secret), "198.51.100.7"); err != nil {
				t.Errorf("next step's code: %v", err)
			}
		})
		t.Run("disable", func(t *testing.T) {
			err := e.svc.DisableTOTP(ctx, actor, p, code(t, secret)) // used by the previous step
			wantCode(t, "disable with a used code", err, "invalid_code")
			clk.Advance(30 * time.Second)
			if err := e.svc.DisableTOTP(ctx, actor, p, code(t, secret)); err != nil {
				t.Fatalf("disable: %v", err)
			}
			if res := e.login(t, a.Email, "198.51.100.7"); res.NeedsTOTP {
				t.Error("NeedsTOTP after disabling")
			}
			got, err := e.svc.Get(ctx, a.ID)
			if err != nil || got.TOTPEnabled || got.TOTPSecret != "" {
				t.Errorf("after disable: enabled %v, secret %q, %v", got.TOTPEnabled, got.TOTPSecret, err)
			}
			if n := count(e.noticeKinds(t, a.ID), "totp_changed"); n != 2 {
				t.Errorf("%d totp_changed notices, want 2", n)
			}
		})
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		holder []string // scopes of the token that authenticates the creator; nil: a web session
		in     account.NewToken
		scopes []account.Scope // of the created token
		fields []string        // field errors instead
	}{
		{name: "from a session", in: account.NewToken{Name: "ci", Scopes: []string{"servers:read", "account:read", "servers:read"}},
			scopes: []account.Scope{"account:read", "servers:read"}},
		{name: "every customer scope", in: account.NewToken{Name: "all", Scopes: []string{"*"}}, scopes: account.CustomerScopes},
		{name: "subset of the holder", holder: []string{"account:read", "notices:read"},
			in: account.NewToken{Name: "n", Scopes: []string{"notices:read"}}, scopes: []account.Scope{"notices:read"}},
		{name: "beyond the holder", holder: []string{"account:read"},
			in: account.NewToken{Name: "n", Scopes: []string{"notices:read"}}, fields: []string{"scopes"}},
		{name: "star from a narrow holder", holder: []string{"account:read"},
			in: account.NewToken{Name: "n", Scopes: []string{"*"}}, fields: slices.Repeat([]string{"scopes"}, len(account.CustomerScopes)-1)},
		{name: "staff scope for a customer", in: account.NewToken{Name: "s", Scopes: []string{"staff:read"}}, fields: []string{"scopes"}},
		{name: "unknown scope", in: account.NewToken{Name: "s", Scopes: []string{"servers:reboot"}}, fields: []string{"scopes"}},
		{name: "no scope", in: account.NewToken{Name: "s"}, fields: []string{"scopes"}},
		{name: "no name", in: account.NewToken{Name: " ", Scopes: []string{"account:read"}}, fields: []string{"name"}},
		{name: "negative expiry", in: account.NewToken{Name: "s", Scopes: []string{"account:read"}, ExpiresIn: -time.Second},
			fields: []string{"expiresIn"}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		session, _ := e.principal(t, a.Email)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				creator := session
				if tt.holder != nil {
					_, secret, err := e.svc.CreateToken(ctx, account.ActorOf(session, "", ""), session,
						account.NewToken{Name: "holder", Scopes: tt.holder})
					if err != nil {
						t.Fatal(err)
					}
					if creator, err = e.svc.AuthenticateToken(ctx, secret); err != nil {
						t.Fatal(err)
					}
				}
				tok, secret, err := e.svc.CreateToken(ctx, account.ActorOf(creator, "req-token", "198.51.100.7"), creator, tt.in)
				if tt.fields != nil {
					wantCode(t, "create", err, "invalid_input")
					if diff := cmp.Diff(tt.fields, fieldNames(err)); diff != "" {
						t.Errorf("field errors (-want +got):\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !account.LooksLikeToken(secret) || !strings.HasPrefix(secret, tok.Prefix) || tok.Hash != account.HashSecret(secret) {
					t.Errorf("token %+v does not match its secret %q", tok, secret)
				}
				p, err := e.svc.AuthenticateToken(ctx, secret)
				if err != nil {
					t.Fatal(err)
				}
				if p.Account.ID != a.ID || p.TokenID != tok.ID || p.Session != nil {
					t.Errorf("principal: account %d token %d session %v", p.Account.ID, p.TokenID, p.Session)
				}
				if diff := cmp.Diff(tt.scopes, p.Scopes); diff != "" {
					t.Errorf("scopes (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestAuthenticateTokenRejects(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, clocktest.New(t0), testConfig())
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		p, sessionSecret := e.principal(t, a.Email)
		_, secret, err := e.svc.CreateToken(t.Context(), account.ActorOf(p, "", ""), p,
			account.NewToken{Name: "ci", Scopes: []string{"account:read"}})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, secret string
		}{
			{"empty", ""},
			{"session secret", sessionSecret},
			{"truncated", secret[:len(secret)-1]},
			{"unknown", mangle(secret)},
			{"bearer prefix", "Bearer " + secret},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := e.svc.AuthenticateToken(t.Context(), tt.secret)
				wantCode(t, "authenticate", err, "invalid_token")
			})
		}
	})
}

func TestTokenRevocation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, testConfig())
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		other := e.customer(t, "paul@example.fr", "Paul Martin")
		p, _ := e.principal(t, a.Email)
		po, _ := e.principal(t, other.Email)
		tok, secret, err := e.svc.CreateToken(ctx, account.ActorOf(p, "", ""), p, account.NewToken{Name: "ci", Scopes: []string{"account:read"}})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second call is served by the cache
			if _, err := e.svc.AuthenticateToken(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("another account cannot revoke it", func(t *testing.T) {
			err := e.svc.RevokeToken(ctx, account.ActorOf(po, "", ""), po, tok.ID)
			if k := errs.KindOf(err); k != errs.NotFound {
				t.Fatalf("kind %v (err %v), want not found", k, err)
			}
			if _, err := e.svc.AuthenticateToken(ctx, secret); err != nil {
				t.Errorf("token refused after a foreign revocation attempt: %v", err)
			}
		})
		t.Run("revocation is immediate despite the cache", func(t *testing.T) {
			if err := e.svc.RevokeToken(ctx, account.ActorOf(p, "req-revoke", ""), p, tok.ID); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.AuthenticateToken(ctx, secret)
			wantCode(t, "revoked token", err, "invalid_token")
			toks, err := e.svc.Tokens(ctx, a.ID)
			if err != nil || len(toks) != 1 || !toks[0].RevokedAt.Equal(t0) {
				t.Errorf("tokens = %+v, %v; want one revoked at %v", toks, err, t0)
			}
		})
		t.Run("revoking twice keeps the first time", func(t *testing.T) {
			clk.Advance(time.Hour)
			if err := e.svc.RevokeToken(ctx, account.ActorOf(p, "", ""), p, tok.ID); err != nil {
				t.Fatal(err)
			}
			toks, err := e.svc.Tokens(ctx, a.ID)
			if err != nil || len(toks) != 1 || !toks[0].RevokedAt.Equal(t0) {
				t.Errorf("tokens = %+v, %v; want revoked at %v", toks, err, t0)
			}
		})
	})
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.TokenCacheTTL = 5 * time.Second
	const life = time.Hour
	type step struct {
		at   time.Duration // since creation
		code string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"before expiry", []step{{life - time.Second, ""}}},
		{"at expiry", []step{{life, "invalid_token"}}},
		{"past expiry", []step{{life + time.Second, "invalid_token"}}},
		{"cached then past expiry", []step{{life - time.Second, ""}, {life + time.Second, "invalid_token"}}},
		// The cache entry of a lookup made TokenCacheTTL before expiry ends at the expiry.
		{"cached until exactly expiry", []step{{life - cfg.TokenCacheTTL, ""}, {life - time.Second, ""}, {life, "invalid_token"}}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				clk := clocktest.New(t0)
				e := newEnv(t, db, clk, cfg)
				email := fmt.Sprintf("expiry%d@example.fr", i)
				e.customer(t, email, fmt.Sprintf("Expiry %d", i))
				p, _ := e.principal(t, email)
				tok, secret, err := e.svc.CreateToken(t.Context(), account.ActorOf(p, "", ""), p,
					account.NewToken{Name: "short", Scopes: []string{"account:read"}, ExpiresIn: life})
				if err != nil {
					t.Fatal(err)
				}
				if want := t0.Add(life); !tok.ExpiresAt.Equal(want) {
					t.Errorf("ExpiresAt %v, want %v", tok.ExpiresAt, want)
				}
				for _, s := range tt.steps {
					clk.Set(t0.Add(s.at))
					_, err := e.svc.AuthenticateToken(t.Context(), secret)
					wantCode(t, fmt.Sprintf("at %v", s.at), err, s.code)
				}
			})
		}
	})
}

func TestMaxTokens(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxTokens = 2
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, cfg)
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		p, _ := e.principal(t, a.Email)
		actor := account.ActorOf(p, "", "")
		create := func(t *testing.T, name string, expires time.Duration, want string) account.Token {
			t.Helper()
			tok, _, err := e.svc.CreateToken(ctx, actor, p, account.NewToken{Name: name, Scopes: []string{"account:read"}, ExpiresIn: expires})
			wantCode(t, "create "+name, err, want)
			return tok
		}
		first := create(t, "one", 0, "")
		create(t, "two", time.Minute, "")
		err := func() error {
			_, _, err := e.svc.CreateToken(ctx, actor, p, account.NewToken{Name: "three", Scopes: []string{"account:read"}})
			return err
		}()
		wantCode(t, "third token", err, "too_many_tokens")
		if k := errs.KindOf(err); k != errs.Conflict {
			t.Errorf("kind %v, want conflict", k)
		}
		t.Run("a revoked token frees its slot", func(t *testing.T) {
			if err := e.svc.RevokeToken(ctx, actor, p, first.ID); err != nil {
				t.Fatal(err)
			}
			create(t, "three", 0, "")
			create(t, "four", 0, "too_many_tokens")
		})
		t.Run("an expired token frees its slot", func(t *testing.T) {
			clk.Advance(time.Minute) // "two" expires
			create(t, "four", 0, "")
			create(t, "five", 0, "too_many_tokens")
		})
	})
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	type row struct {
		Action, ActorKind, ActorLabel, RequestID, IP, ObjectType, ObjectID string
		ActorID, CustomerID                                                account.ID
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, testConfig())
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		res := e.login(t, a.Email, "198.51.100.20")
		p, err := e.svc.AuthenticateSession(ctx, res.SessionSecret)
		if err != nil {
			t.Fatal(err)
		}
		tokActor := account.ActorOf(p, "req-token", "198.51.100.21")
		tok, _, err := e.svc.CreateToken(ctx, tokActor, p, account.NewToken{Name: "ci", Scopes: []string{"account:read"}})
		if err != nil {
			t.Fatal(err)
		}
		revActor := account.ActorOf(p, "req-revoke", "198.51.100.22")
		if err := e.svc.RevokeToken(ctx, revActor, p, tok.ID); err != nil {
			t.Fatal(err)
		}
		totpActor := account.ActorOf(p, "req-totp", "198.51.100.23")
		setup, err := e.svc.BeginTOTP(ctx, totpActor, p)
		if err != nil {
			t.Fatal(err)
		}
		code, err := account.TOTPCode(setup.Secret, account.TOTPStep(clk.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmTOTP(ctx, totpActor, p, code); err != nil {
			t.Fatal(err)
		}
		id, label := fmt.Sprint(a.ID), a.Label()
		want := []row{
			{"customer.create", "public", "signup form", "req-signup", "192.0.2.1", "account", id, 0, a.ID},
			{"session.login", "customer", label, "", "198.51.100.20", "account", id, a.ID, a.ID},
			{"token.create", "customer", label, "req-token", "198.51.100.21", "token", fmt.Sprint(tok.ID), a.ID, a.ID},
			{"token.revoke", "customer", label, "req-revoke", "198.51.100.22", "token", fmt.Sprint(tok.ID), a.ID, a.ID},
			{"totp.enable", "customer", label, "req-totp", "198.51.100.23", "account", id, a.ID, a.ID},
		}
		entries, err := e.svc.AuditLog(ctx, account.AuditFilter{CustomerID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for _, en := range slices.Backward(entries) { // newest first in the store
			got = append(got, row{en.Action, en.Actor.Kind, en.Actor.Label, en.Actor.RequestID, en.Actor.IP,
				en.ObjectType, en.ObjectID, en.Actor.ID, en.CustomerID})
			if !en.At.Equal(t0) {
				t.Errorf("%s at %v, want %v", en.Action, en.At, t0)
			}
			if !json.Valid(en.Details) {
				t.Errorf("%s details %q: not JSON", en.Action, en.Details)
			}
			if en.Action == "token.create" && !strings.Contains(string(en.Details), tok.Prefix) {
				t.Errorf("token.create details %s: want the prefix %s", en.Details, tok.Prefix)
			}
			if strings.Contains(string(en.Details), password) {
				t.Errorf("%s details contain the password", en.Action)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit trail (-want +got):\n%s", diff)
		}
	})
}

// TestRestart checks that everything that must outlive a process lives in the store: a second
// Service over the same db (a restarted process) honours sessions, tokens and lockouts.
func TestRestart(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxFailedLogins = 3
	cfg.Lockout = 24 * time.Hour // ends after the session checks below
	cfg.TokenCacheTTL = 5 * time.Second
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		first := newEnv(t, db, clk, cfg)
		ctx := t.Context()
		a := first.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		locked := first.customer(t, "paul@example.fr", "Paul Martin")
		p, sessionSecret := first.principal(t, a.Email)
		tok, tokenSecret, err := first.svc.CreateToken(ctx, account.ActorOf(p, "", ""), p,
			account.NewToken{Name: "ci", Scopes: []string{"account:read"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := first.svc.AuthenticateToken(ctx, tokenSecret); err != nil { // now cached in first
			t.Fatal(err)
		}
		for range cfg.MaxFailedLogins {
			_, err := first.svc.Login(ctx, locked.Email, "wrong password!", "203.0.113.1", "go-test")
			wantCode(t, "wrong password", err, "invalid_credentials")
		}
		until := clk.Now().Add(cfg.Lockout)
		clk.Advance(time.Hour - time.Second) // within the idle timeout; touches the session below

		second := newEnv(t, db, clk, cfg)
		t.Run("session", func(t *testing.T) {
			got, err := second.svc.AuthenticateSession(ctx, sessionSecret)
			if err != nil || got.Account.ID != a.ID {
				t.Fatalf("session after restart: %v", err)
			}
			// The touch is stored: after one more idle period minus a second it is still valid,
			// as seen by yet another process.
			clk.Advance(cfg.SessionIdle - time.Second)
			if _, err := newEnv(t, db, clk, cfg).svc.AuthenticateSession(ctx, sessionSecret); err != nil {
				t.Errorf("session after a stored touch: %v", err)
			}
		})
		t.Run("token", func(t *testing.T) {
			got, err := second.svc.AuthenticateToken(ctx, tokenSecret)
			if err != nil || got.TokenID != tok.ID {
				t.Fatalf("token after restart: %v", err)
			}
		})
		t.Run("lockout", func(t *testing.T) {
			clk.Set(until.Add(-time.Second))
			_, err := second.svc.Login(ctx, locked.Email, password, "203.0.113.2", "go-test")
			wantCode(t, "locked account after restart", err, "account_locked")
			clk.Set(until)
			_, err = second.svc.Login(ctx, locked.Email, password, "203.0.113.2", "go-test")
			wantCode(t, "at the end of the lockout", err, "")
		})
		t.Run("revocation in another process", func(t *testing.T) {
			// first cached the token at t0, long ago: authenticate again to cache it now.
			if _, err := first.svc.AuthenticateToken(ctx, tokenSecret); err != nil {
				t.Fatal(err)
			}
			cachedAt := clk.Now()
			if err := second.svc.RevokeToken(ctx, account.ActorOf(p, "", ""), p, tok.ID); err != nil {
				t.Fatal(err)
			}
			_, err := second.svc.AuthenticateToken(ctx, tokenSecret)
			wantCode(t, "in the revoking process", err, "invalid_token")
			// Documented: another process honours its cache for at most TokenCacheTTL.
			clk.Set(cachedAt.Add(cfg.TokenCacheTTL - time.Second))
			_, err = first.svc.AuthenticateToken(ctx, tokenSecret)
			wantCode(t, "in the other process within TokenCacheTTL", err, "")
			clk.Set(cachedAt.Add(cfg.TokenCacheTTL))
			_, err = first.svc.AuthenticateToken(ctx, tokenSecret)
			wantCode(t, "in the other process after TokenCacheTTL", err, "invalid_token")
		})
	})
}

// TestSecondFactorGuessesLock checks that wrong TOTP codes lead to the lockout even when the
// attacker knows the password: each password login must not give MaxFailedLogins-1 free guesses.
func TestSecondFactorGuessesLock(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxFailedLogins = 3
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, cfg)
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		p, _ := e.principal(t, a.Email)
		setup, err := e.svc.BeginTOTP(ctx, account.ActorOf(p, "", ""), p)
		if err != nil {
			t.Fatal(err)
		}
		code, err := account.TOTPCode(setup.Secret, account.TOTPStep(clk.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmTOTP(ctx, account.ActorOf(p, "", ""), p, code); err != nil {
			t.Fatal(err)
		}
		clk.Advance(30 * time.Second)
		cur, err := account.TOTPCode(setup.Secret, account.TOTPStep(clk.Now()))
		if err != nil {
			t.Fatal(err)
		}
		prev, _ := account.TOTPCode(setup.Secret, account.TOTPStep(clk.Now())-1)
		next, _ := account.TOTPCode(setup.Secret, account.TOTPStep(clk.Now())+1)
		bad := wrongCode(prev, cur, next)
		guesses := 0
		for round := range 3 {
			res, err := e.svc.Login(ctx, a.Email, password, "203.0.113.1", "go-test")
			if err != nil {
				// Locked: what we want, once MaxFailedLogins wrong codes were given.
				wantCode(t, fmt.Sprintf("login of round %d", round), err, "account_locked")
				if guesses < cfg.MaxFailedLogins {
					t.Fatalf("locked after %d wrong codes, before MaxFailedLogins", guesses)
				}
				return
			}
			pp, err := e.svc.AuthenticateSession(ctx, res.SessionSecret)
			if !errors.Is(err, account.ErrSecondFactorPending) {
				t.Fatal(err)
			}
			for range cfg.MaxFailedLogins - 1 {
				err := e.svc.VerifySecondFactor(ctx, pp, bad, "203.0.113.1")
				if codeOf(err) == "account_locked" {
					return
				}
				wantCode(t, "wrong code", err, "invalid_code")
				guesses++
			}
		}
		t.Errorf("%d wrong second-factor codes over 3 password logins and the account is not locked "+
			"(MaxFailedLogins %d): a password login resets the failure counter before the second factor",
			guesses, cfg.MaxFailedLogins)
	})
}

// TestBeginTOTPKeepsEnabledSecondFactor checks that starting a TOTP setup never turns an enabled
// second factor off. A principal is a snapshot: the API caches token principals for
// TokenCacheTTL, and any request authenticated before a concurrent ConfirmTOTP holds one too.
func TestBeginTOTPKeepsEnabledSecondFactor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		e := newEnv(t, db, clk, testConfig())
		ctx := t.Context()
		a := e.customer(t, "jeanne@example.fr", "Jeanne Dupont")
		p, _ := e.principal(t, a.Email)
		_, tokenSecret, err := e.svc.CreateToken(ctx, account.ActorOf(p, "", ""), p,
			account.NewToken{Name: "ci", Scopes: []string{"account:write"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateToken(ctx, tokenSecret); err != nil { // cached
			t.Fatal(err)
		}
		setup, err := e.svc.BeginTOTP(ctx, account.ActorOf(p, "", ""), p)
		if err != nil {
			t.Fatal(err)
		}
		code, err := account.TOTPCode(setup.Secret, account.TOTPStep(clk.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmTOTP(ctx, account.ActorOf(p, "", ""), p, code); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
		// An API call (POST /me/totp) with the token, one second after TOTP was enabled.
		tp, err := e.svc.AuthenticateToken(ctx, tokenSecret)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.BeginTOTP(ctx, account.ActorOf(tp, "", ""), tp)
		if codeOf(err) != "totp_enabled" {
			t.Errorf("BeginTOTP after ConfirmTOTP: err %v, want code totp_enabled", err)
		}
		got, err := e.svc.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.TOTPEnabled || got.TOTPSecret != setup.Secret {
			t.Errorf("second factor turned off without a code: enabled %v, secret changed %v",
				got.TOTPEnabled, got.TOTPSecret != setup.Secret)
		}
		if res := e.login(t, a.Email, "203.0.113.1"); !res.NeedsTOTP {
			t.Error("a password alone now opens a session")
		}
	})
}
