package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/notify"
)

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	t.Run("bad password keeps the email", func(t *testing.T) {
		t.Parallel()
		c := e.client(t)
		form := c.get("/login")
		form.is(t, http.StatusOK)
		p := c.post("/login", url.Values{"csrf": {form.csrf(t)}, "email": {e.creds.Customer.Email}, "password": {"wrong password"}})
		p.is(t, http.StatusUnauthorized)
		p.has(t, `id="alert">Adresse e-mail ou mot de passe incorrect.`, `value="`+e.creds.Customer.Email+`"`, `<html lang="fr">`)
		if c.get("/account").status != http.StatusSeeOther {
			t.Error("a failed login opened a session")
		}
	})
	t.Run("empty fields", func(t *testing.T) {
		t.Parallel()
		c := e.client(t)
		c.lang = "en-GB,en;q=0.9"
		form := c.get("/login")
		p := c.post("/login", url.Values{"csrf": {form.csrf(t)}})
		p.is(t, http.StatusUnprocessableEntity)
		p.has(t, `<p class="field-error">is required</p>`, `<html lang="en">`)
	})
	t.Run("missing csrf", func(t *testing.T) {
		t.Parallel()
		c := e.client(t)
		c.get("/login")
		p := c.post("/login", url.Values{"email": {e.creds.Customer.Email}, "password": {e.creds.Customer.Password}})
		p.is(t, http.StatusForbidden)
		p.has(t, "Accès refusé", "Le formulaire a expiré", `id="request-id"`)
		if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("csrf cookie not echoed", func(t *testing.T) {
		t.Parallel()
		c := e.client(t)
		c.get("/login")
		p := c.post("/login", url.Values{"csrf": {strings.Repeat("x", 43)}, "email": {e.creds.Customer.Email}, "password": {e.creds.Customer.Password}})
		p.is(t, http.StatusForbidden)
	})
	t.Run("next is followed, only when relative", func(t *testing.T) {
		t.Parallel()
		c := e.client(t)
		p := c.get("/notices")
		p.is(t, http.StatusSeeOther)
		if p.location != "/login?next=%2Fnotices" {
			t.Fatalf("location %q", p.location)
		}
		form := c.get(p.location)
		p = c.post("/login", url.Values{"csrf": {form.csrf(t)}, "email": {e.creds.Customer.Email},
			"password": {e.creds.Customer.Password}, "next": {"/notices"}})
		if p.status != http.StatusSeeOther || p.location != "/notices" {
			t.Fatalf("after login: %d %q", p.status, p.location)
		}
		c2 := e.client(t)
		form = c2.get("/login?next=https://evil.example/")
		form.has(t, `name="next" value="/"`)
		p = c2.post("/login", url.Values{"csrf": {form.csrf(t)}, "email": {e.creds.Customer.Email},
			"password": {e.creds.Customer.Password}, "next": {"//evil.example/"}})
		if p.location != "/" {
			t.Fatalf("open redirect to %q", p.location)
		}
	})
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	c := e.client(t)
	c.lang = "en"
	form := c.get("/login")
	try := func(password string) page {
		return c.post("/login", url.Values{"csrf": {form.csrf(t)}, "email": {e.creds.Customer.Email}, "password": {password}})
	}
	policy := e.app.Accounts.Config()
	for i := 1; i < policy.MaxFailedLogins; i++ {
		try("wrong password").is(t, http.StatusUnauthorized)
	}
	try("wrong password").is(t, http.StatusUnauthorized) // this failure locks the account
	locked := try(e.creds.Customer.Password)
	locked.is(t, http.StatusTooManyRequests)
	locked.has(t, "the account is locked until", `value="`+e.creds.Customer.Email+`"`)
	if ra := locked.header.Get("Retry-After"); ra == "" {
		t.Error("no Retry-After")
	}
	// The per-address limit answers before the account is even looked at.
	for i := 0; i <= policy.LoginsPerIPMinute; i++ {
		if p := try("wrong password"); p.status == http.StatusTooManyRequests && strings.Contains(p.body, "from your address") {
			return
		}
	}
	t.Fatalf("no rate limit after %d attempts", policy.LoginsPerIPMinute+policy.MaxFailedLogins)
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := context.Background()
	for i := range 30 {
		_, err := e.app.Accounts.CreateCustomer(ctx, account.System, account.NewCustomer{Email: fmt.Sprintf("c%02d@example.com", i),
			Password: "a long enough password", Name: fmt.Sprintf("Paged Customer %02d", i),
			Customer: account.Customer{Type: account.Person, Country: "FR"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := e.client(t)
	c.login(e.creds.Staff.Email, e.creds.Staff.Password)
	first := c.get("/staff/customers?q=paged")
	first.has(t, "Paged Customer 29", "Paged Customer 05", `id="page-next"`)
	if strings.Contains(first.body, "Paged Customer 04") || strings.Contains(first.body, `id="page-first"`) {
		t.Fatal("the first page is too long")
	}
	m := regexp.MustCompile(`href="([^"]+)" id="page-next"`).FindStringSubmatch(first.body)
	next := c.get(html.UnescapeString(m[1]))
	next.has(t, "Paged Customer 04", "Paged Customer 00", `id="page-first"`)
	if strings.Contains(next.body, "Paged Customer 05") || strings.Contains(next.body, `id="page-next"`) {
		t.Fatalf("second page:\n%s", next.body)
	}
}

func TestHomeAndLogout(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	c := e.client(t)
	if p := c.get("/"); p.location != "/login" {
		t.Fatalf("anonymous / goes to %q", p.location)
	}
	p := c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	p.is(t, http.StatusOK)
	p.has(t, "<h1>Mon compte</h1>", "Camille Martin", "Martin Hébergement SARL", "732829320", "FR44732829320")
	if p := c.get("/"); p.location != "/account" {
		t.Fatalf("customer / goes to %q", p.location)
	}
	out := c.post("/logout", url.Values{"csrf": {p.csrf(t)}})
	if out.location != "/login?flash=logged_out" {
		t.Fatalf("logout goes to %q", out.location)
	}
	c.follow(out).has(t, "Vous êtes déconnecté.")
	if p := c.get("/account"); p.status != http.StatusSeeOther {
		t.Fatalf("after logout /account answers %d", p.status)
	}

	s := e.client(t)
	s.login(e.creds.Staff.Email, e.creds.Staff.Password).has(t, `<html lang="en">`, "<h1>Console</h1>")
	if p := s.get("/"); p.location != "/staff" {
		t.Fatalf("staff / goes to %q", p.location)
	}
}

func TestCSRFOnSessionForms(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	c := e.client(t)
	acc := c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	for _, path := range []string{"/account/tokens", "/logout", "/lang", "/account/totp/confirm", "/account/tokens/1/revoke"} {
		for _, tok := range []string{"", "forged"} {
			form := url.Values{"name": {"x"}, "scopes": {"account:read"}, "to": {"en"}}
			if tok != "" {
				form.Set("csrf", tok)
			}
			p := c.post(path, form)
			p.is(t, http.StatusForbidden)
			p.has(t, "<h1>Accès refusé</h1>", "Le formulaire a expiré ou ne vient pas d&#39;ITSGOW")
		}
	}
	// Nothing happened: the session is alive and no token was made.
	p := c.get("/account")
	p.is(t, http.StatusOK)
	if strings.Contains(p.body, "<td>x</td>") {
		t.Error("a token was created without a CSRF token")
	}
	// The real token works.
	c.post("/lang", url.Values{"csrf": {acc.csrf(t)}, "to": {"fr"}, "next": {"/account"}}).is(t, http.StatusSeeOther)
	// A form larger than 64 KiB is refused with a page.
	big := c.post("/account/tokens", url.Values{"csrf": {acc.csrf(t)}, "name": {strings.Repeat("a", 70<<10)}})
	big.is(t, http.StatusUnprocessableEntity)
	big.has(t, "Le formulaire est trop volumineux.")
}

func TestCustomerLimits(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := context.Background()
	other, err := e.app.Accounts.CreateCustomer(ctx, account.System, account.NewCustomer{Email: "other@example.com",
		Password: "another long password", Name: "Other Customer", Language: "en",
		Customer: account.Customer{Type: account.Person, Country: "BE"}})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := e.app.Notify.List(ctx, notify.Filter{AccountID: int64(other.ID)})
	if err != nil || len(ns) == 0 {
		t.Fatalf("notices of the other customer: %v %v", ns, err)
	}
	c := e.client(t)
	c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	for _, path := range []string{"/staff", "/staff/customers", "/staff/audit", "/staff/outbox", fmt.Sprintf("/staff/outbox/%d", ns[0].ID)} {
		p := c.get(path)
		p.is(t, http.StatusForbidden)
		p.has(t, "<h1>Accès refusé</h1>", `id="request-id"`)
	}
	p := c.get(fmt.Sprintf("/notices/%d", ns[0].ID))
	p.is(t, http.StatusNotFound)
	p.has(t, "<h1>Page introuvable</h1>")
	if strings.Contains(p.body, "Other Customer") {
		t.Error("the 404 page leaks the other notice")
	}
	c.get("/notices/abc").is(t, http.StatusNotFound)
	c.get("/no/such/page").is(t, http.StatusNotFound)

	// Their own notices are there, with the body and its hash.
	list := c.get("/notices")
	list.is(t, http.StatusOK)
	m := regexp.MustCompile(`href="/notices/(\d+)" id="notice-\d+" data-kind="welcome"`).FindStringSubmatch(list.body)
	if m == nil {
		t.Fatalf("no welcome notice in:\n%s", list.body)
	}
	n := c.get("/notices/" + m[1])
	n.is(t, http.StatusOK)
	if body := n.byID(t, "notice-body"); !strings.Contains(body, "Camille Martin") {
		t.Errorf("notice body %q", body)
	}
	if sum := n.byID(t, "notice-sha256"); len(sum) != 64 {
		t.Errorf("sha256 %q", sum)
	}
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	c := e.client(t)
	c.get("/login").has(t, `<html lang="fr">`, "<h1>Connexion</h1>")
	p := c.get("/lang?to=en&next=/login")
	if p.location != "/login" {
		t.Fatalf("lang switch goes to %q", p.location)
	}
	c.get("/login").has(t, `<html lang="en">`, "<h1>Log in</h1>")
	c.get("/lang?to=fr&next=https://evil.example/").is(t, http.StatusSeeOther)
	c.get("/login").has(t, "<h1>Connexion</h1>")
	c.get("/lang?to=de").is(t, http.StatusUnprocessableEntity)

	en := e.client(t)
	en.lang = "en-US,en;q=0.8"
	en.get("/login").has(t, "<h1>Log in</h1>")

	// A logged-in customer (fr) switches to English: the account keeps it.
	acc := c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	acc.has(t, "<h1>Mon compte</h1>")
	p = c.post("/lang", url.Values{"csrf": {acc.csrf(t)}, "to": {"en"}, "next": {"/account"}})
	if p.location != "/account" {
		t.Fatalf("lang switch goes to %q", p.location)
	}
	c.follow(p).has(t, `<html lang="en">`, "<h1>My account</h1>", ">Notices</a>")
	a, err := e.app.Accounts.Get(context.Background(), acc0(t, e))
	if err != nil || a.Language != "en" {
		t.Fatalf("account language %q, %v", a.Language, err)
	}
	// The account's language wins over the cookie and the header of another browser.
	fr := e.client(t)
	fr.lang = "fr"
	fr.login(e.creds.Customer.Email, e.creds.Customer.Password).has(t, "<h1>My account</h1>")
}

// acc0 is the id of the demo customer.
func acc0(tb testing.TB, e *env) account.ID {
	tb.Helper()
	as, err := e.app.Accounts.List(context.Background(), account.ListFilter{Kind: account.KindCustomer, Query: e.creds.Customer.Email})
	if err != nil || len(as) != 1 {
		tb.Fatalf("demo customer: %v %v", as, err)
	}
	return as[0].ID
}

var revokeRe = regexp.MustCompile(`<tr id="token-(\d+)">\s*<td>ci-web</td>`)

func TestTokenCreateAndRevoke(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	c := e.client(t)
	acc := c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	acc.has(t, `id="scope-notices-read"`, `value="notices:read"`, "<td>demo</td>")
	tok := acc.csrf(t)

	bad := c.post("/account/tokens", url.Values{"csrf": {tok}, "name": {"ci-web"}, "expires_days": {"9999"}})
	bad.is(t, http.StatusUnprocessableEntity)
	bad.has(t, "doit être compris entre 0 (jamais) et 1830", `value="ci-web"`)
	bad = c.post("/account/tokens", url.Values{"csrf": {tok}, "name": {"ci-web"}, "expires_days": {"7"}})
	bad.is(t, http.StatusUnprocessableEntity)
	bad.has(t, "choisissez au moins un droit")

	p := c.post("/account/tokens", url.Values{"csrf": {tok}, "name": {"ci-web"}, "scopes": {"notices:read"}, "expires_days": {"7"}})
	p.is(t, http.StatusOK)
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("secret page Cache-Control %q", cc)
	}
	secret := p.byID(t, "token-secret")
	if !account.LooksLikeToken(secret) {
		t.Fatalf("secret %q", secret)
	}
	if got := apiStatus(t, e, "/api/v1/notices", secret); got != http.StatusOK {
		t.Fatalf("API with the new token: %d", got)
	}
	if got := apiStatus(t, e, "/api/v1/me", secret); got != http.StatusForbidden {
		t.Fatalf("API outside the token's scopes: %d", got)
	}

	acc = c.get("/account")
	m := revokeRe.FindStringSubmatch(acc.body)
	if m == nil {
		t.Fatalf("token not listed:\n%s", acc.body)
	}
	if strings.Contains(acc.body, secret) {
		t.Fatal("the account page shows the secret again")
	}
	r := c.post("/account/tokens/"+m[1]+"/revoke", url.Values{"csrf": {tok}})
	if r.location != "/account?flash=token_revoked#tokens" {
		t.Fatalf("revoke goes to %q", r.location)
	}
	c.follow(r).has(t, "Le jeton est révoqué.", `<span class="badge badge-revoked">révoqué</span>`)
	if got := apiStatus(t, e, "/api/v1/notices", secret); got != http.StatusUnauthorized {
		t.Fatalf("API with the revoked token: %d", got)
	}
	// Another account's token is a 404 page.
	s := e.client(t)
	sp := s.login(e.creds.Staff.Email, e.creds.Staff.Password)
	s.post("/account/tokens/1/revoke", url.Values{"csrf": {sp.csrf(t)}}).is(t, http.StatusNotFound)
	if got := apiStatus(t, e, "/api/v1/me", e.creds.Customer.Token); got != http.StatusOK {
		t.Fatalf("the customer's demo token was revoked by staff: %d", got)
	}
}

func apiStatus(tb testing.TB, e *env, path, token string) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTOTPSetupAndLogin(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clock.Real().Now())
	e := startApp(t, clk)
	c := e.client(t)
	acc := c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	acc.has(t, `id="totp-state">désactivée`)
	setup := c.get("/account/totp")
	setup.is(t, http.StatusOK)
	secret := setup.byID(t, "totp-secret")
	if url := setup.byID(t, "totp-url"); !strings.HasPrefix(url, "otpauth://totp/") || !strings.Contains(url, secret) {
		t.Fatalf("otpauth URL %q", url)
	}
	if again := c.get("/account/totp").byID(t, "totp-secret"); again != secret {
		t.Fatalf("the pending secret changed: %q then %q", secret, again)
	}
	code := func(d int64) string {
		s, err := account.TOTPCode(secret, account.TOTPStep(clk.Now())+d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tok := acc.csrf(t)
	wrong := "000000"
	if wrong == code(0) || wrong == code(-1) || wrong == code(1) {
		wrong = "111111"
	}
	bad := c.post("/account/totp/confirm", url.Values{"csrf": {tok}, "code": {wrong}})
	bad.is(t, http.StatusUnprocessableEntity)
	bad.has(t, "n&#39;est pas le code actuel", secret)

	ok := c.post("/account/totp/confirm", url.Values{"csrf": {tok}, "code": {code(0)}})
	if ok.location != "/account?flash=totp_enabled" {
		t.Fatalf("confirm: %d %q\n%s", ok.status, ok.location, ok.body)
	}
	c.follow(ok).has(t, "La double authentification est activée.", `id="totp-state">activée`)

	// The next login asks for the code before any page.
	c2 := e.client(t)
	form := c2.get("/login?next=/notices")
	p := c2.post("/login", url.Values{"csrf": {form.csrf(t)}, "email": {e.creds.Customer.Email},
		"password": {e.creds.Customer.Password}, "next": {"/notices"}})
	if p.location != "/login/totp?next=%2Fnotices" {
		t.Fatalf("login with TOTP goes to %q", p.location)
	}
	if p := c2.get("/account"); p.location != "/login/totp?next=%2Faccount" {
		t.Fatalf("pending session opens /account: %d %q", p.status, p.location)
	}
	if p := c2.get("/"); p.location != "/login/totp" {
		t.Fatalf("pending session / goes to %q", p.location)
	}
	pending := c2.get("/login/totp?next=/notices")
	pending.is(t, http.StatusOK)
	pending.has(t, `name="next" value="/notices"`)
	if strings.Contains(pending.body, `href="/account"`) && strings.Contains(pending.body, `class="nav"`) {
		t.Error("a pending session sees the navigation")
	}
	// The code used to enable is spent; the next step's code is accepted.
	bad = c2.post("/login/totp", url.Values{"csrf": {pending.csrf(t)}, "code": {code(0)}, "next": {"/notices"}})
	bad.is(t, http.StatusUnauthorized)
	bad.has(t, "Code incorrect.")
	p = c2.post("/login/totp", url.Values{"csrf": {pending.csrf(t)}, "code": {code(1)}, "next": {"/notices"}})
	if p.location != "/notices" {
		t.Fatalf("second factor: %d %q\n%s", p.status, p.location, p.body)
	}
	c2.follow(p).has(t, "<h1>Notifications</h1>")

	// Turning it off needs a fresh code: two steps later.
	clk.Advance(60 * time.Second)
	totp := c2.get("/account/totp")
	totp.has(t, `id="totp-disable"`)
	off := c2.post("/account/totp/disable", url.Values{"csrf": {totp.csrf(t)}, "code": {code(0)}})
	if off.location != "/account?flash=totp_disabled" {
		t.Fatalf("disable: %d %q\n%s", off.status, off.location, off.body)
	}
	c2.follow(off).has(t, `id="totp-state">désactivée`)
}

func TestStaffConsole(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := context.Background()
	cust := acc0(t, e)
	ns, err := e.app.Notify.List(ctx, notify.Filter{AccountID: int64(cust)})
	if err != nil || len(ns) == 0 {
		t.Fatalf("notices: %v %v", ns, err)
	}
	welcome := ns[len(ns)-1]
	c := e.client(t)
	home := c.login(e.creds.Staff.Email, e.creds.Staff.Password)
	home.has(t, "<h1>Console</h1>", `href="/staff/customers"`, `href="/staff/audit"`, `href="/staff/outbox"`,
		"Camille Martin", `id="count-held"`)

	list := c.get("/staff/customers?q=martin")
	list.is(t, http.StatusOK)
	list.has(t, fmt.Sprintf(`href="/staff/customers/%d">Camille Martin</a>`, cust))
	c.get("/staff/customers?q=nobody-matches").has(t, "No customer.")
	c.get("/staff/customers?before=x").is(t, http.StatusUnprocessableEntity)

	one := c.get(fmt.Sprintf("/staff/customers/%d", cust))
	one.is(t, http.StatusOK)
	one.has(t, "Martin Hébergement SARL", "<code>customer.create</code>", welcome.Subject)
	c.get("/staff/customers/1000000").is(t, http.StatusNotFound)

	c.get("/staff/audit?limit=200").has(t, "<h1>Audit log</h1>", "<code>session.login</code>", "customer.create")
	c.get(fmt.Sprintf("/staff/audit?customer=%d", cust)).has(t, "<code>customer.create</code>")

	out := c.get("/staff/outbox?status=held")
	out.is(t, http.StatusOK)
	out.has(t, fmt.Sprintf(`href="/staff/outbox/%d"`, welcome.ID), welcome.Subject)
	c.get("/staff/outbox?status=sent").has(t, "No notice.")
	c.get("/staff/outbox?status=lost").is(t, http.StatusUnprocessableEntity)

	n := c.get(fmt.Sprintf("/staff/outbox/%d", welcome.ID))
	n.is(t, http.StatusOK)
	if body := n.byID(t, "notice-body"); !strings.Contains(body, "Camille Martin") {
		t.Errorf("body %q", body)
	}
	// No relay in this configuration: the resend explains why it cannot.
	r := c.post(fmt.Sprintf("/staff/outbox/%d/resend", welcome.ID), url.Values{"csrf": {n.csrf(t)}})
	r.is(t, http.StatusServiceUnavailable)
	r.has(t, "No mail relay is configured", welcome.Subject)
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	c := e.client(t)
	p := c.get("/login")
	m := regexp.MustCompile(`href="(/static/[0-9a-f]{16}/app\.css)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no stylesheet in:\n%s", p.body)
	}
	css := c.get(m[1])
	css.is(t, http.StatusOK)
	if ct := css.header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := css.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q", cc)
	}
	c.get("/static/0000000000000000/app.css").is(t, http.StatusNotFound)
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}
