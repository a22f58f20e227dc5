package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/app/apptest"
)

func engines(t *testing.T, fn func(t *testing.T, e *apptest.Env)) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, apptest.New(t, apptest.Options{Postgres: pg}))
		})
	}
}

type me struct {
	ID       int64    `json:"id"`
	Kind     string   `json:"kind"`
	Email    string   `json:"email"`
	Language string   `json:"language"`
	Scopes   []string `json:"scopes"`
	Customer *struct {
		Country string `json:"country"`
	} `json:"customer"`
}

func TestMeWithToken(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *apptest.Env) {
		r := e.Do(t, "GET", "/api/v1/me", e.Creds.Customer.Token, nil)
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var m me
		r.JSON(t, &m)
		if m.Email != "demo@itsgow.example" || m.Kind != "customer" || m.Customer == nil || m.Customer.Country != "FR" {
			t.Fatalf("me = %+v", m)
		}
		if slices.Contains(m.Scopes, "staff:read") {
			t.Fatal("a customer holds a staff scope")
		}
		if r.Header.Get("X-Request-Id") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("missing request id or security headers: %v", r.Header)
		}
	})
}

func TestAuthenticationErrors(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	for _, tc := range []struct {
		name, auth, code string
	}{
		{"none", "", "unauthenticated"},
		{"garbage token", "Bearer nope", "invalid_token"},
		{"well-formed unknown token", "Bearer itg_" + strings.Repeat("A", 43), "invalid_token"},
		{"basic scheme", "Basic dXNlcjpwYXNz", "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.DoHeaders(t, "GET", "/api/v1/me", nil, map[string]string{"Authorization": tc.auth})
			if r.Status != 401 {
				t.Fatalf("status %d", r.Status)
			}
			if p := r.Problem(t); p.Code != tc.code {
				t.Fatalf("code %q, want %q", p.Code, tc.code)
			}
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

type token struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	Active bool     `json:"active"`
	Token  string   `json:"token"`
}

func createToken(t *testing.T, e *apptest.Env, with string, body any) (apptest.Response, token) {
	t.Helper()
	r := e.Do(t, "POST", "/api/v1/me/tokens", with, apptest.MustJSON(body))
	var tk token
	if r.Status == 201 {
		r.JSON(t, &tk)
	}
	return r, tk
}

func TestTokenLifecycleAndScopes(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *apptest.Env) {
		r, tk := createToken(t, e, e.Creds.Customer.Token, map[string]any{"name": "monitoring", "scopes": []string{"notices:read"}, "expiresInDays": 30})
		if r.Status != 201 || !strings.HasPrefix(tk.Token, "itg_") || tk.Prefix == "" || !strings.HasPrefix(tk.Token, tk.Prefix) {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		if got := e.Do(t, "GET", "/api/v1/notices", tk.Token, nil); got.Status != 200 {
			t.Fatalf("token with notices:read reading notices: %d", got.Status)
		}
		got := e.Do(t, "GET", "/api/v1/me", tk.Token, nil)
		if got.Status != 403 || got.Problem(t).Code != "insufficient_scope" {
			t.Fatalf("token without account:read on /me: %d %s", got.Status, got.Body)
		}
		// a token cannot mint a wider one
		r, _ = createToken(t, e, tk.Token, map[string]any{"name": "x", "scopes": []string{"notices:read"}})
		if r.Status != 403 {
			t.Fatalf("token without account:write created a token: %d", r.Status)
		}
		list := e.Do(t, "GET", "/api/v1/me/tokens", e.Creds.Customer.Token, nil)
		if list.Status != 200 || strings.Contains(string(list.Body), tk.Token) || strings.Contains(string(list.Body), `"hash"`) {
			t.Fatalf("list leaks the secret or failed: %d %s", list.Status, list.Body)
		}
		var page struct{ Items []token }
		list.JSON(t, &page)
		if len(page.Items) != 2 {
			t.Fatalf("want 2 tokens, got %+v", page.Items)
		}
		// another customer cannot revoke it
		if d := e.Do(t, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", tk.ID), e.Creds.Staff.Token, nil); d.Status != 404 {
			t.Fatalf("revoking another account's token: %d", d.Status)
		}
		if d := e.Do(t, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", tk.ID), e.Creds.Customer.Token, nil); d.Status != 204 {
			t.Fatalf("revoke: %d %s", d.Status, d.Body)
		}
		if got := e.Do(t, "GET", "/api/v1/notices", tk.Token, nil); got.Status != 401 {
			t.Fatalf("revoked token still works: %d", got.Status)
		}
		// the creation was audited and noticed
		audit := e.Do(t, "GET", "/api/v1/staff/audit?limit=100", e.Creds.Staff.Token, nil)
		for _, action := range []string{"token.create", "token.revoke", "customer.create"} {
			if !strings.Contains(string(audit.Body), `"action":"`+action+`"`) {
				t.Errorf("audit lacks %s", action)
			}
		}
		notices := e.Do(t, "GET", "/api/v1/notices", e.Creds.Customer.Token, nil)
		if !strings.Contains(string(notices.Body), "monitoring") {
			t.Errorf("no token_created notice: %s", notices.Body)
		}
	})
}

func TestNoticesBelongToTheirCustomer(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	var page struct {
		Items []struct {
			ID      int64  `json:"id"`
			Subject string `json:"subject"`
			Body    string `json:"body"`
		} `json:"items"`
		NextCursor string `json:"nextCursor"`
	}
	e.Do(t, "GET", "/api/v1/notices", e.Creds.Customer.Token, nil).JSON(t, &page)
	if len(page.Items) < 1 || !strings.Contains(page.Items[len(page.Items)-1].Subject, "Bienvenue") {
		t.Fatalf("no welcome notice in French: %+v", page.Items)
	}
	id := page.Items[0].ID
	if r := e.Do(t, "GET", fmt.Sprintf("/api/v1/notices/%d", id), e.Creds.Customer.Token, nil); r.Status != 200 {
		t.Fatalf("own notice: %d", r.Status)
	}
	// the staff admin's own notices do not include the customer's
	if r := e.Do(t, "GET", fmt.Sprintf("/api/v1/notices/%d", id), e.Creds.Staff.Token, nil); r.Status != 404 || r.Problem(t).Code != "not_found" {
		t.Fatalf("another account's notice: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{"/api/v1/notices/abc", "/api/v1/notices/-1", "/api/v1/notices/99999"} {
		if r := e.Do(t, "GET", bad, e.Creds.Customer.Token, nil); r.Status != 404 {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
	// pagination
	e.Do(t, "GET", "/api/v1/notices?limit=1", e.Creds.Customer.Token, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("limit=1: %+v", page)
	}
	next := page.Items[0].ID
	e.Do(t, "GET", "/api/v1/notices?limit=1&cursor="+page.NextCursor, e.Creds.Customer.Token, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID >= next {
		t.Fatalf("second page: %+v", page)
	}
}

func TestStaffRoutesNeedStaff(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	for _, p := range []string{"/api/v1/staff/customers", "/api/v1/staff/audit", "/api/v1/staff/outbox", "/api/v1/staff/jobs"} {
		if r := e.Do(t, "GET", p, e.Creds.Customer.Token, nil); r.Status != 403 {
			t.Errorf("customer on %s: %d", p, r.Status)
		}
		if r := e.Do(t, "GET", p, e.Creds.Staff.Token, nil); r.Status != 200 {
			t.Errorf("staff on %s: %d %s", p, r.Status, r.Body)
		}
	}
	// staff creates a customer; field errors for bad input
	r := e.Do(t, "POST", "/api/v1/staff/customers", e.Creds.Staff.Token, apptest.MustJSON(map[string]any{
		"email": "not-an-email", "password": "short", "name": "", "customer": map[string]any{"type": "company", "country": "France", "siren": "123"}}))
	if r.Status != 422 {
		t.Fatalf("bad customer: %d %s", r.Status, r.Body)
	}
	p := r.Problem(t)
	var fields []string
	for _, f := range p.Errors {
		fields = append(fields, f.Field)
	}
	for _, want := range []string{"email", "password", "name", "customer.country", "customer.companyName"} {
		if !slices.Contains(fields, want) {
			t.Errorf("no field error for %s in %v", want, fields)
		}
	}
	r = e.Do(t, "POST", "/api/v1/staff/customers", e.Creds.Staff.Token, apptest.MustJSON(map[string]any{
		"email": "Client@Example.org", "password": "a long enough password", "name": "Client", "language": "en",
		"customer": map[string]any{"type": "person", "country": "DE"}}))
	if r.Status != 201 {
		t.Fatalf("create customer: %d %s", r.Status, r.Body)
	}
	r = e.Do(t, "POST", "/api/v1/staff/customers", e.Creds.Staff.Token, apptest.MustJSON(map[string]any{
		"email": "client@example.org", "password": "a long enough password", "name": "Client", "customer": map[string]any{"type": "person", "country": "DE"}}))
	if r.Status != 409 || r.Problem(t).Code != "email_taken" {
		t.Fatalf("duplicate customer: %d %s", r.Status, r.Body)
	}
	var list struct{ Items []me }
	e.Do(t, "GET", "/api/v1/staff/customers?q=client@", e.Creds.Staff.Token, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Email != "client@example.org" || list.Items[0].Language != "en" {
		t.Fatalf("search: %+v", list.Items)
	}
	// outbox shows the held welcome notice (no relay configured)
	out := e.Do(t, "GET", "/api/v1/staff/outbox?status=held", e.Creds.Staff.Token, nil)
	if !strings.Contains(string(out.Body), "Welcome to ITSGOW") {
		t.Fatalf("outbox lacks the English welcome notice: %s", out.Body)
	}
	if r := e.Do(t, "GET", "/api/v1/staff/outbox?status=lost", e.Creds.Staff.Token, nil); r.Status != 422 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
}

func TestSessionLoginCSRFAndLogout(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	login := func(pw string) apptest.Response {
		return e.Do(t, "POST", "/api/v1/auth/login", "", apptest.MustJSON(map[string]string{"email": e.Creds.Customer.Email, "password": pw}))
	}
	if r := login("wrong password!"); r.Status != 401 || r.Problem(t).Code != "invalid_credentials" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	r := login(e.Creds.Customer.Password)
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var lr struct {
		NeedsSecondFactor bool   `json:"needsSecondFactor"`
		CSRFToken         string `json:"csrfToken"`
	}
	r.JSON(t, &lr)
	var cookie string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "itsgow_session" {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("cookie flags: %+v", c)
			}
		}
	}
	if cookie == "" || lr.CSRFToken == "" || lr.NeedsSecondFactor {
		t.Fatalf("login reply %+v cookie %q", lr, cookie)
	}
	if g := e.DoHeaders(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie}); g.Status != 200 {
		t.Fatalf("me with cookie: %d", g.Status)
	}
	body := apptest.MustJSON(map[string]any{"name": "from browser", "scopes": []string{"account:read"}})
	if p := e.DoHeaders(t, "POST", "/api/v1/me/tokens", body, map[string]string{"Cookie": cookie, "Content-Type": "application/json"}); p.Status != 403 || p.Problem(t).Code != "csrf" {
		t.Fatalf("POST with cookie and no CSRF token: %d %s", p.Status, p.Body)
	}
	if p := e.DoHeaders(t, "POST", "/api/v1/me/tokens", body, map[string]string{"Cookie": cookie, "Content-Type": "application/json", "X-CSRF-Token": lr.CSRFToken}); p.Status != 201 {
		t.Fatalf("POST with CSRF token: %d %s", p.Status, p.Body)
	}
	if p := e.DoHeaders(t, "POST", "/api/v1/auth/logout", nil, map[string]string{"Cookie": cookie, "X-CSRF-Token": lr.CSRFToken}); p.Status != 204 {
		t.Fatalf("logout: %d %s", p.Status, p.Body)
	}
	if g := e.DoHeaders(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie}); g.Status != 401 {
		t.Fatalf("me after logout: %d", g.Status)
	}
}

func TestLoginRateLimitAnswers429(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	limit := e.App.Cfg.Accounts.LoginsPerIPMinute
	var last apptest.Response
	for i := 0; i <= limit; i++ {
		last = e.Do(t, "POST", "/api/v1/auth/login", "", apptest.MustJSON(map[string]string{"email": fmt.Sprintf("nobody%d@example.org", i), "password": "x"}))
	}
	if last.Status != 429 || last.Problem(t).Code != "rate_limited" || last.Header.Get("Retry-After") == "" {
		t.Fatalf("attempt %d: %d %s", limit+1, last.Status, last.Body)
	}
}

func TestBadInputIsAProblemNeverA500(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	tok := e.Creds.Customer.Token
	big := `{"name":"` + strings.Repeat("a", 2<<20) + `","scopes":["account:read"]}`
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		code, field                     string
	}{
		{"wrong content type", "POST", "/api/v1/me/tokens", "text/plain", `{"name":"a","scopes":["account:read"]}`, 415, "unsupported_media_type", ""},
		{"no content type", "POST", "/api/v1/me/tokens", "", `{"name":"a"}`, 415, "unsupported_media_type", ""},
		{"unknown field", "POST", "/api/v1/me/tokens", "application/json", `{"name":"a","scopes":["account:read"],"admin":true}`, 422, "unknown_field", "admin"},
		{"malformed", "POST", "/api/v1/me/tokens", "application/json", `{"name":`, 422, "invalid_json", ""},
		{"two values", "POST", "/api/v1/me/tokens", "application/json", `{"name":"a","scopes":["account:read"]} {}`, 422, "invalid_json", ""},
		{"wrong type", "POST", "/api/v1/me/tokens", "application/json", `{"name":5,"scopes":["account:read"]}`, 422, "invalid_input", "name"},
		{"empty body", "POST", "/api/v1/me/tokens", "application/json", ``, 422, "invalid_json", ""},
		{"too large", "POST", "/api/v1/me/tokens", "application/json", big, 413, "body_too_large", ""},
		{"unknown scope", "POST", "/api/v1/me/tokens", "application/json", `{"name":"a","scopes":["root"]}`, 422, "invalid_input", "scopes"},
		{"no name", "POST", "/api/v1/me/tokens", "application/json", `{"name":"  ","scopes":["account:read"]}`, 422, "invalid_input", "name"},
		{"negative expiry", "POST", "/api/v1/me/tokens", "application/json", `{"name":"a","scopes":["account:read"],"expiresInDays":-1}`, 422, "invalid_input", "expiresInDays"},
		{"bad language", "PATCH", "/api/v1/me", "application/json", `{"language":"de"}`, 422, "invalid_input", "language"},
		{"bad limit", "GET", "/api/v1/notices?limit=0", "", ``, 422, "invalid_input", "limit"},
		{"bad cursor", "GET", "/api/v1/notices?cursor=x", "", ``, 422, "invalid_input", "cursor"},
		{"unknown route", "GET", "/api/v1/nothing", "", ``, 404, "no_route", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" || tc.method != "GET" {
				body = []byte(tc.body)
			}
			r := e.DoHeaders(t, tc.method, tc.path, body, map[string]string{"Authorization": "Bearer " + tok, "Content-Type": tc.ctype})
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			p := r.Problem(t)
			if p.Code != tc.code {
				t.Fatalf("code %q, want %q", p.Code, tc.code)
			}
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
				t.Fatalf("field errors %+v, want %s", p.Errors, tc.field)
			}
		})
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	r := e.Do(t, "GET", "/api/v1/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comps   struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	r.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	routes := e.App.API.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		if _, ok := doc.Paths["/api/v1"+rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("%s %s missing from the document", rt.Method, rt.Path)
		}
		// the route really exists on the server: anything but the catch-all answer
		resp := e.Do(t, rt.Method, "/api/v1"+strings.ReplaceAll(rt.Path, "{id}", "1"), "", nil)
		if resp.Status == 404 && strings.Contains(string(resp.Body), "no_route") {
			t.Errorf("%s %s documented but not served", rt.Method, rt.Path)
		}
	}
	for _, s := range []string{"Account", "Notice", "Token", "TokenCreated", "Problem", "PageOfNotice"} {
		if _, ok := doc.Comps.Schemas[s]; !ok {
			t.Errorf("schema %s missing", s)
		}
	}
}
