package api_test

import (
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
)

// fuzzBody sends arbitrary bodies to a route and checks that the answer is never a 500 and that
// every error is problem+json.
func fuzzBody(f *testing.F, method, path string, auth func(e *apptest.Env) string, seeds []string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	e := apptest.New(f, apptest.Options{Config: func(c *app.Config) { c.Accounts.LoginsPerIPMinute = 1 << 30 }})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := e.DoHeaders(t, method, path, body, map[string]string{"Authorization": auth(e), "Content-Type": "application/json"})
		if r.Status >= 500 {
			t.Fatalf("status %d for %q: %s", r.Status, body, r.Body)
		}
		if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("error without problem+json for %q: %d", body, r.Status)
		}
	})
}

func FuzzLoginRequest(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/auth/login", func(*apptest.Env) string { return "" }, []string{
		`{"email":"demo@itsgow.example","password":"wrong password"}`,
		`{"email":"","password":""}`,
		`{"email":1}`, `[]`, `null`, `{"email":"a@b.c","password":"x","extra":true}`, `{"email":"\u0000"}`,
	})
}

func FuzzTokenCreateRequest(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/me/tokens", func(e *apptest.Env) string { return "Bearer " + e.Creds.Customer.Token }, []string{
		`{"name":"ci","scopes":["account:read"],"expiresInDays":30}`,
		`{"name":"ci","scopes":["*"]}`, `{"name":"","scopes":[]}`, `{"name":"x","scopes":["staff:write"]}`,
		`{"name":"x","scopes":"account:read"}`, `{"expiresInDays":1e309}`, `{"name":"x","scopes":[null]}`,
	})
}
