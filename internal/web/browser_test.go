package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/testenv"
)

const chromiumPath = "/usr/bin/chromium"

// Time budget of the browser test: the whole test ends within browserBudget, the browser must
// start within browserStart and each step within browserStep.
const (
	browserBudget = 40 * time.Second
	browserStart  = 20 * time.Second
	browserStep   = 10 * time.Second
)

// browser drives one headless Chromium tab.
type browser struct {
	tb       testing.TB
	ctx      context.Context // has run once: the browser is up
	deadline time.Time
}

// startBrowser starts Chromium with the options of notes/chromedp.md and a temp profile. The
// first call has no timeout (a timeout there would stop the whole browser); a watchdog bounds
// it instead.
func startBrowser(tb testing.TB) *browser {
	tb.Helper()
	_, err := os.Stat(chromiumPath)
	testenv.Need(tb, err == nil, "chromium missing at "+chromiumPath)
	deadline := clock.Real().Now().Add(browserBudget)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(tb.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(string, ...any) {}))
	tb.Cleanup(func() { cancel(); cancelAlloc() })

	firstRun(ctx, tb, cancel, browserStart, "start chromium")
	return &browser{tb: tb, ctx: ctx, deadline: deadline}
}

// firstRun makes the first call on a chromedp context, which binds the browser or tab to that
// context: it must carry no timeout, so a watchdog bounds it and cancels the context on expiry.
func firstRun(ctx context.Context, tb testing.TB, cancel context.CancelFunc, limit time.Duration, what string) {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	timer := clock.Real().NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
	case <-timer.C():
		cancel()
		tb.Fatalf("%s: no answer within %s", what, limit)
	}
}

// tab opens a tab in a new browser context (its own cookies), for a second user.
func (b *browser) tab() *browser {
	b.tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.tb.Cleanup(cancel)
	firstRun(ctx, b.tb, cancel, min(browserStep, b.deadline.Sub(clock.Real().Now())), "open a tab")
	return &browser{tb: b.tb, ctx: ctx, deadline: b.deadline}
}

// stepCtx bounds one step by browserStep and by the test's budget.
func (b *browser) stepCtx() (context.Context, context.CancelFunc) {
	d := clock.Real().Now().Add(browserStep)
	if b.deadline.Before(d) {
		d = b.deadline
	}
	return context.WithDeadline(b.ctx, d)
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

func (b *browser) text(what string, sel chromedp.CSS) string {
	b.tb.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		b.fail(what, err)
	}
	return s
}

// fail reports a failed step with the page it was on.
func (b *browser) fail(what string, err error) {
	b.tb.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.New("timed out")
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	b.tb.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, html)
}

func (b *browser) login(base, email, password string) {
	b.tb.Helper()
	b.do("log in as "+email,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	)
}

// TestBrowser drives the interface in headless Chromium as the demo customer and the demo
// staff member.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test takes seconds")
	}
	t.Parallel()
	b := startBrowser(t)
	e := startApp(t, nil)

	// The customer creates a token with one scope and reads its secret.
	b.login(e.url, e.creds.Customer.Email, e.creds.Customer.Password)
	b.do("open My account",
		chromedp.Click(chromedp.CSS(`nav a[href="/account"]`)),
		chromedp.WaitVisible(chromedp.CSS("#token-form")),
	)
	if name := b.text("read the account name", "#account-name"); name != "Camille Martin" {
		t.Fatalf("account name %q", name)
	}
	b.do("create a token",
		chromedp.SendKeys(chromedp.CSS("#token-name"), "browser"),
		chromedp.Click(chromedp.CSS("#scope-account-read")),
		chromedp.Click(chromedp.CSS("#token-create")),
		chromedp.WaitVisible(chromedp.CSS("#token-secret")),
	)
	secret := strings.TrimSpace(b.text("read the secret", "#token-secret"))
	if !account.LooksLikeToken(secret) {
		t.Fatalf("secret %q does not look like a token", secret)
	}
	me := apiMe(t, e.url, secret)
	if me.Email != e.creds.Customer.Email || len(me.Scopes) != 1 || me.Scopes[0] != "account:read" {
		t.Fatalf("GET /api/v1/me with the new token: %+v", me)
	}

	// The welcome notice holds the customer's name.
	b.do("open the notices",
		chromedp.Click(chromedp.CSS(`nav a[href="/notices"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[data-kind="welcome"]`)),
		chromedp.Click(chromedp.CSS(`a[data-kind="welcome"]`)),
		chromedp.WaitVisible(chromedp.CSS("#notice-body")),
	)
	if body := b.text("read the notice", "#notice-body"); !strings.Contains(body, "Camille Martin") {
		t.Fatalf("welcome notice body lacks the customer's name:\n%s", body)
	}

	// A staff member, in another browser context, finds the welcome notice in the outbox.
	s := b.tab()
	s.login(e.url, e.creds.Staff.Email, e.creds.Staff.Password)
	s.do("open the outbox",
		chromedp.Click(chromedp.CSS(`nav a[href="/staff/outbox"]`)),
		chromedp.WaitVisible(chromedp.CSS("#status")),
	)
	if subj := s.text("read the outbox", `a[data-kind="welcome"]`); !strings.Contains(subj, "Camille Martin") {
		t.Fatalf("welcome notice subject in the outbox: %q", subj)
	}
	s.do("open the notice",
		chromedp.Click(chromedp.CSS(`a[data-kind="welcome"]`)),
		chromedp.WaitVisible(chromedp.CSS("#resend")),
	)
	if body := s.text("read the notice", "#notice-body"); !strings.Contains(body, "Camille Martin") {
		t.Fatalf("outbox notice body:\n%s", body)
	}
}

type meReply struct {
	Email  string   `json:"email"`
	Scopes []string `json:"scopes"`
}

func apiMe(tb testing.TB, base, token string) meReply {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /api/v1/me: status %d", resp.StatusCode)
	}
	var me meReply
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		tb.Fatal(err)
	}
	return me
}
