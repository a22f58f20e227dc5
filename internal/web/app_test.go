package web_test

import (
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
)

// env is a running itsgow with its demo accounts.
type env struct {
	app   *app.App
	url   string
	creds app.DemoCredentials
	clock *clocktest.Fake // nil with the real clock
}

// startApp builds the whole program on a temp directory, seeds the demo accounts, runs it until
// the test ends and waits for /healthz. A nil clk uses the real clock.
func startApp(tb testing.TB, clk *clocktest.Fake) *env {
	tb.Helper()
	cfg := app.DefaultConfig()
	cfg.Data = tb.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.HTTP.AccessLog = false
	cfg.Accounts.Argon2 = account.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}
	var c clock.Clock = clock.Real()
	if clk != nil {
		c = clk
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Deps{Logger: log, Clock: c})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	creds, err := a.SeedDemo(ctx)
	if err != nil {
		cancel()
		_ = a.Close()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("app.Run: %v", err)
		}
		_ = a.Close()
	})
	e := &env{app: a, url: a.URL(), creds: creds, clock: clk}
	waitHealthy(tb, e.url)
	return e
}

// waitHealthy waits (at most 10 s) until /healthz answers ok. The address is bound before Run,
// so the first request queues until the server accepts it.
func waitHealthy(tb testing.TB, base string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		t := clock.Real().NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			tb.Fatalf("app did not become healthy: %v", err)
		case <-t.C():
		}
	}
}

// client is a browser without JavaScript: a cookie jar and forms.
type client struct {
	tb   testing.TB
	base string
	http *http.Client
	lang string // Accept-Language
}

func (e *env) client(tb testing.TB) *client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &client{tb: tb, base: e.url, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer.
type page struct {
	status   int
	location string
	header   http.Header
	body     string
}

func (c *client) do(method, path string, form url.Values) page {
	c.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatal(err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(b)}
}

// get fetches path without following redirects.
func (c *client) get(path string) page { c.tb.Helper(); return c.do(http.MethodGet, path, nil) }

// post submits a form without following redirects.
func (c *client) post(path string, form url.Values) page {
	c.tb.Helper()
	return c.do(http.MethodPost, path, form)
}

// follow fetches path and follows redirects (at most 5), like a browser.
func (c *client) follow(p page) page {
	c.tb.Helper()
	for i := 0; i < 5 && p.status >= 300 && p.status < 400; i++ {
		p = c.get(p.location)
	}
	return p
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the forms of a page.
func (p page) csrf(tb testing.TB) string {
	tb.Helper()
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		tb.Fatalf("no csrf field in page:\n%s", p.body)
	}
	return html.UnescapeString(m[1])
}

// byID returns the text of the element with the given id (the first one).
func (p page) byID(tb testing.TB, id string) string {
	tb.Helper()
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(p.body)
	if m == nil {
		tb.Fatalf("no element #%s in page:\n%s", id, p.body)
	}
	return html.UnescapeString(m[1])
}

func (p page) has(tb testing.TB, want ...string) {
	tb.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			tb.Errorf("page (status %d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}

func (p page) is(tb testing.TB, status int) {
	tb.Helper()
	if p.status != status {
		tb.Fatalf("status %d, want %d (location %q):\n%s", p.status, status, p.location, p.body)
	}
}

// login logs in through the form and returns the page it lands on.
func (c *client) login(email, password string) page {
	c.tb.Helper()
	form := c.get("/login")
	form.is(c.tb, http.StatusOK)
	p := c.post("/login", url.Values{"csrf": {form.csrf(c.tb)}, "email": {email}, "password": {password}})
	if p.status != http.StatusSeeOther {
		c.tb.Fatalf("login of %s: status %d:\n%s", email, p.status, p.body)
	}
	return c.follow(p)
}
