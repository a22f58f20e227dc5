package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/golden"
	"github.com/itsgow/itsgow/internal/notify"
)

var fixedTime = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func fixtureCustomer() account.Account {
	return account.Account{ID: 7, Kind: account.KindCustomer, Email: "demo@itsgow.example", Name: "Camille Martin",
		Language: "fr", CreatedAt: fixedTime.Add(-30 * 24 * time.Hour),
		Customer: &account.Customer{Type: account.Company, CompanyName: "Martin Hébergement SARL",
			Address: "12 rue des Serveurs", PostalCode: "59000", City: "Lille", Country: "FR",
			SIREN: "732829320", VATNumber: "FR44732829320", Phone: "+33 3 20 00 00 00"}}
}

func fixtureStaff() account.Account {
	return account.Account{ID: 2, Kind: account.KindStaff, Email: "admin@itsgow.example", Name: "Alex Admin",
		Language: "en", CreatedAt: fixedTime.Add(-60 * 24 * time.Hour), Roles: []account.Role{account.RoleAdmin}}
}

func fixtureNotices() []notify.Notice {
	body := "Bonjour Camille Martin,\n\nVotre compte client ITSGOW est ouvert avec l'adresse demo@itsgow.example.\n\n<script>alert(1)</script>\n"
	return []notify.Notice{
		{ID: 12, AccountID: 7, Kind: "token_created", Language: "fr", Recipient: "demo@itsgow.example",
			Subject: "Nouveau jeton d'API « ci » sur votre compte", Body: "Bonjour,\n", BodySHA256: strings.Repeat("ab", 32),
			MessageID: "notice-ab-1@itsgow.example", Status: notify.Held, CreatedAt: fixedTime},
		{ID: 11, AccountID: 7, Kind: "welcome", Language: "fr", Recipient: "demo@itsgow.example",
			Subject: "Bienvenue chez ITSGOW, Camille Martin", Body: body, BodySHA256: strings.Repeat("0f", 32),
			MessageID: "notice-0f-1@itsgow.example", Status: notify.Sent, Attempts: 1, CreatedAt: fixedTime.Add(-time.Hour),
			SentAt: fixedTime.Add(-59 * time.Minute)},
		{ID: 10, AccountID: 9, Kind: "account_locked", Language: "en", Recipient: "x@example.com",
			Subject: "Logins temporarily blocked on your account", Body: "Hello,\n", BodySHA256: strings.Repeat("cd", 32),
			MessageID: "notice-cd-1@itsgow.example", Status: notify.Failed, Attempts: 12, LastError: "550 mailbox unavailable",
			CreatedAt: fixedTime.Add(-2 * time.Hour)},
	}
}

func fixtureAudit() []auditRow {
	return auditRows([]account.AuditEntry{
		{ID: 41, At: fixedTime, Actor: account.Actor{Kind: "customer", ID: 7, Label: "customer:7 <demo@itsgow.example>",
			RequestID: "0123456789abcdef01234567", IP: "192.0.2.10"}, Action: "token.create", ObjectType: "token", ObjectID: "3",
			CustomerID: 7, Details: json.RawMessage(`{"name":"ci","prefix":"itg_abcdef","scopes":["account:read"]}`)},
		{ID: 40, At: fixedTime.Add(-time.Hour), Actor: account.Actor{Kind: "system", Label: "demo seed"},
			Action: "staff.create", ObjectType: "account", ObjectID: "2", Details: json.RawMessage(`{}`)},
	})
}

func fixtureTokens() []tokenRow {
	now := fixedTime
	ts := []account.Token{
		{ID: 3, AccountID: 7, Name: "ci", Prefix: "itg_abcdef", Scopes: []account.Scope{account.ScopeAccountRead},
			CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)},
		{ID: 2, AccountID: 7, Name: "old", Prefix: "itg_123456", Scopes: []account.Scope{account.ScopeNoticesRead, account.ScopeServersRead},
			CreatedAt: now.Add(-48 * time.Hour), LastUsedAt: now.Add(-24 * time.Hour), RevokedAt: now.Add(-time.Hour)},
		{ID: 1, AccountID: 7, Name: "demo", Prefix: "itg_zyxwvu", Scopes: account.CustomerScopes, CreatedAt: now.Add(-72 * time.Hour),
			ExpiresAt: now.Add(-time.Hour)},
	}
	out := make([]tokenRow, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenRow{Token: t, State: tokenState(t, now)})
	}
	return out
}

func scopeOptions(checked ...string) []scopeOption {
	var out []scopeOption
	for _, s := range account.CustomerScopes {
		out = append(out, scopeOption{Name: string(s), Checked: slices.Contains(checked, string(s))})
	}
	return out
}

// fixture is one rendering of a page template.
type fixture struct {
	name     string // golden file prefix
	template string
	page     func() *page
	err      error // shown on the page as a handler would show it
}

func fixtures() []fixture {
	cust, staff := fixtureCustomer(), fixtureStaff()
	support := account.Account{ID: 3, Kind: account.KindStaff, Email: "support@itsgow.example", Name: "Sam Support",
		Language: "fr", CreatedAt: fixedTime, Roles: []account.Role{account.RoleSupport}}
	as := func(a account.Account, nav, here string, data any) *page {
		return &page{Nav: nav, User: &a, CSRF: "csrf-fixture", Here: here, Data: data}
	}
	anon := func(nav, here string, data any) *page { return &page{Nav: nav, Here: here, Data: data} }
	ns := fixtureNotices()
	return []fixture{
		{"login", "login", func() *page {
			return anon("login", "/login", loginData{Next: "/account", CSRF: "login-csrf-fixture"})
		}, nil},
		{"login-error", "login", func() *page {
			return anon("login", "/login", loginData{Email: "demo@itsgow.example", Next: "/", CSRF: "login-csrf-fixture"})
		}, errs.Fields(errs.FieldError{Field: "password", Message: "is required"})},
		{"login-locked", "login", func() *page {
			return anon("login", "/login", loginData{Email: "demo@itsgow.example", Next: "/", CSRF: "login-csrf-fixture"})
		}, &errs.Error{Kind: errs.TooManyRequests, Code: "account_locked", Msg: "too many failed logins",
			Cause: &account.LockedError{Until: fixedTime.Add(15 * time.Minute)}}},
		{"login_totp", "login_totp", func() *page {
			p := as(cust, "login", "/login/totp", codeData{Next: "/notices"})
			p.Pending = true
			return p
		}, nil},
		{"account", "account", func() *page {
			p := as(cust, "account", "/account", accountData{Account: cust, Tokens: fixtureTokens(),
				Scopes: scopeOptions(), ExpiresDays: "30"})
			p.Flash = "flash.token_revoked"
			return p
		}, nil},
		{"account-error", "account", func() *page {
			return as(cust, "account", "/account", accountData{Account: cust, TOTPEnabled: true,
				Scopes: scopeOptions("account:read", "notices:read"), TokenName: "", ExpiresDays: "9999"})
		}, errs.Fields(errs.FieldError{Field: "name", Message: "is required (at most 100 characters)"},
			errs.FieldError{Field: "expires_days", Message: "must be between 0 (never) and 1830"},
			errs.FieldError{Field: "scopes", Message: `you do not hold scope "staff:read"`})},
		{"account-staff", "account", func() *page {
			return as(staff, "account", "/account", accountData{Account: staff, Scopes: scopeOptions(), ExpiresDays: "30"})
		}, nil},
		{"token_created", "token_created", func() *page {
			return as(cust, "account", "/account", tokenCreatedData{Token: fixtureTokens()[0],
				Secret: "itg_abcdefFIXTUREfixtureFIXTUREfixtureFIXTURE"})
		}, nil},
		{"totp", "totp", func() *page {
			return as(cust, "account", "/account/totp", totpData{Setup: account.TOTPSetup{Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
				URL: account.TOTPURL("ITSGOW", cust.Email, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")}})
		}, nil},
		{"totp-enabled", "totp", func() *page {
			return as(cust, "account", "/account/totp", totpData{Enabled: true})
		}, &errs.Error{Kind: errs.Invalid, Code: "invalid_code", Msg: "invalid code",
			Fields: []errs.FieldError{{Field: "code", Message: "is not the current code"}}}},
		{"notices", "notices", func() *page {
			return as(cust, "notices", "/notices", noticesData{Notices: ns[:2], Pager: pager{First: "/notices", Next: "/notices?before=11"}})
		}, nil},
		{"notices-empty", "notices", func() *page { return as(cust, "notices", "/notices", noticesData{}) }, nil},
		{"notice", "notice", func() *page { return as(cust, "notices", "/notices/11", noticeData{Notice: ns[1]}) }, nil},
		{"staff_home", "staff_home", func() *page {
			return as(staff, "staff", "/staff", staffHomeData{CustomerCount: "1", Customers: []account.Account{cust},
				Audit: fixtureAudit(), Notices: ns, Outbox: []statusCount{{notify.Queued, "0"}, {notify.Held, "2"},
					{notify.Failed, "1"}, {notify.Sent, "200+"}}})
		}, nil},
		{"staff_home-support", "staff_home", func() *page {
			return as(support, "staff", "/staff", staffHomeData{CustomerCount: "0", Outbox: []statusCount{{notify.Queued, "0"}}})
		}, nil},
		{"staff_customers", "staff_customers", func() *page {
			return as(staff, "customers", "/staff/customers?q=martin", customersData{Query: "martin",
				Customers: []account.Account{cust}, Pager: pager{Next: "/staff/customers?before=7&q=martin"}})
		}, nil},
		{"staff_customer", "staff_customer", func() *page {
			return as(staff, "customers", "/staff/customers/7", customerData{Customer: cust, Notices: ns[:2], Audit: fixtureAudit()[:1]})
		}, nil},
		{"staff_audit", "staff_audit", func() *page {
			return as(staff, "audit", "/staff/audit", auditData{Rows: fixtureAudit(), Pager: pager{First: "/staff/audit"}})
		}, nil},
		{"staff_outbox", "staff_outbox", func() *page {
			return as(staff, "outbox", "/staff/outbox?status=held", outboxData{Status: "held", Statuses: noticeStatuses, Notices: ns})
		}, nil},
		{"staff_notice", "staff_notice", func() *page {
			return as(staff, "outbox", "/staff/outbox/10", noticeData{Notice: ns[2]})
		}, errs.Coded(errs.Unavailable, "no_relay", "no mail relay is configured")},
		{"error", "error", func() *page {
			return anon("", "/nowhere", errorData{Status: 404, Title: "error.title.not_found", Message: "This page does not exist."})
		}, nil},
		{"error-forbidden", "error", func() *page {
			return as(cust, "", "/staff", errorData{Status: 403, Title: "error.title.forbidden", Message: "Access denied."})
		}, nil},
	}
}

var missingKey = regexp.MustCompile(`\[[a-z_]+(\.[a-z_:]+)+\]`)

// TestPagesGolden renders every page template with fixture data in each language and compares
// the HTML with testdata/<fixture>.<lang>.html (go test ./internal/web -update rewrites them).
func TestPagesGolden(t *testing.T) {
	t.Parallel()
	v, err := newViews()
	if err != nil {
		t.Fatal(err)
	}
	u := &ui{views: v}
	covered := map[string]bool{}
	for _, f := range append(append(append(fixtures(), commerceFixtures()...), fleetFixtures()...), netguardFixtures()...) {
		covered[f.template] = true
		for _, lang := range languages {
			t.Run(f.name+"."+lang, func(t *testing.T) {
				t.Parallel()
				p := f.page()
				p.Lang, p.RequestID = lang, "req-fixture-0001"
				p.Fields = map[string]string{}
				p.cat = v.cat
				if f.err != nil {
					u.showError(p, f.err)
				}
				var b bytes.Buffer
				if err := v.render(&b, f.template, p); err != nil {
					t.Fatal(err)
				}
				if m := missingKey.FindString(b.String()); m != "" {
					t.Errorf("message %s is missing from the catalogue", m)
				}
				// The CSP forbids inline scripts and styles; user data is escaped.
				for _, bad := range []string{"<script", " style=", " onclick="} {
					if strings.Contains(b.String(), bad) {
						t.Errorf("the page contains %q", bad)
					}
				}
				golden.Check(t, f.name+"."+lang+".html", b.Bytes())
			})
		}
	}
	for name := range v.pages {
		if !covered[name] {
			t.Errorf("page template %s has no fixture in TestPagesGolden", name)
		}
	}
}

// TestCatalogComplete checks that the catalogue holds every key the templates and handlers use.
func TestCatalogComplete(t *testing.T) {
	t.Parallel()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	re := regexp.MustCompile(`\.T "([^"]+)"`)
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		b, err := templateFS.ReadFile(p)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flashes {
		keys = append(keys, "flash."+f)
	}
	for _, l := range languages {
		keys = append(keys, "lang.name."+l, "lang.code."+l)
	}
	for _, s := range account.StaffScopes {
		keys = append(keys, "scope."+string(s))
	}
	for _, r := range account.Roles {
		keys = append(keys, "role."+string(r))
	}
	for _, s := range noticeStatuses {
		keys = append(keys, "status."+string(s), "staff.outbox_count."+string(s))
	}
	for _, s := range []string{"active", "expired", "revoked"} {
		keys = append(keys, "tokens.state."+s)
	}
	for _, s := range []account.CustomerType{account.Person, account.Company} {
		keys = append(keys, "customer.type."+string(s))
	}
	for _, k := range []string{"internal", "invalid", "not_found", "conflict", "unauthenticated", "forbidden", "unavailable", "too_many_requests"} {
		keys = append(keys, "error.title."+k, "err."+k)
	}
	keys = append(keys, "err.csrf", "err.invalid_credentials", "err.rate_limited", "err.account_locked",
		"err.account_locked_until", "err.invalid_code", "err.invalid_input", "err.form_too_large")
	for _, lang := range languages {
		for _, k := range keys {
			if _, ok := cat.lookup(lang, k); !ok {
				t.Errorf("catalogue %s lacks %q", lang, k)
			}
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ header, want string }{
		{"", ""},
		{"en-US,en;q=0.9,fr;q=0.8", "en"},
		{"de-DE, fr;q=0.5, en;q=0.4", "fr"},
		{"fr-CA;q=0.2, en-GB;q=0.9", "en"},
		{"de, it", ""},
		{"en;q=bogus, fr", "fr"},
	} {
		t.Run(tc.header, func(t *testing.T) {
			t.Parallel()
			if got := acceptLanguage(tc.header); got != tc.want {
				t.Errorf("acceptLanguage(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/account", "/account"},
		{"/staff/customers?q=a&before=3", "/staff/customers?q=a&before=3"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"account", "/"},
		{"/a\r\nSet-Cookie: x=y", "/"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if got := safeNext(tc.in); got != tc.want {
				t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
