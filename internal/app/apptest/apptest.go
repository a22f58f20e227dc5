// Package apptest starts a whole itsgow in-process for end-to-end tests: a real store (SQLite
// file or a fresh PostgreSQL schema), the HTTP server on 127.0.0.1:0, the job runner driven by
// the test (Tick) under a fake clock, and optionally a real SMTP sink as the relay.
//
// It is imported only from _test.go files. It imports app, clocktest, mailtest, storetest,
// testenv and the standard library.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/notify/mailtest"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

// Start is the fake clock's initial time in every test.
var Start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// Options tune the environment.
type Options struct {
	Postgres bool // use a fresh PostgreSQL schema instead of SQLite
	Mail     bool // start an SMTP sink and use it as the relay
	Data     string
	Config   func(*app.Config)
}

// Env is a running itsgow.
type Env struct {
	App   *app.App
	Clock *clocktest.Fake
	Mail  *mailtest.Server
	URL   string
	Creds app.DemoCredentials
	HTTP  *http.Client
	stop  context.CancelFunc
	done  chan error
}

// Config returns the test configuration (light argon2, random port, worker not polling).
func Config(tb testing.TB, o Options) app.Config {
	cfg := app.DefaultConfig()
	cfg.Data = o.Data
	if cfg.Data == "" {
		cfg.Data = tb.TempDir()
	}
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.HTTP.AccessLog = false
	cfg.Accounts.Argon2 = account.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}
	cfg.Jobs.PollInterval = time.Hour // tests drive the runner with Tick
	cfg.Roles = []string{"api", "web"}
	if o.Postgres {
		cfg.Database.URL = storetest.PostgresSchemaURL(tb)
	}
	if o.Config != nil {
		o.Config(&cfg)
	}
	return cfg
}

// New starts itsgow and seeds the demo accounts.
func New(tb testing.TB, o Options) *Env {
	tb.Helper()
	e := &Env{Clock: clocktest.New(Start), HTTP: &http.Client{Timeout: 30 * time.Second}}
	deps := app.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.Clock}
	if o.Mail {
		e.Mail = mailtest.Start(tb)
		prev := o.Config
		o.Config = func(c *app.Config) {
			c.Mail.SMTP.Addr = e.Mail.Addr()
			c.Mail.SMTP.StartTLS = "never"
			if prev != nil {
				prev(c)
			}
		}
	}
	cfg := Config(tb, o)
	a, err := app.New(context.Background(), cfg, deps)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	e.App, e.URL = a, a.URL()
	ctx, cancel := context.WithCancel(context.Background())
	e.stop, e.done = cancel, make(chan error, 1)
	go func() { e.done <- a.Run(ctx) }()
	tb.Cleanup(e.Close)
	creds, err := a.SeedDemo(context.Background())
	if err != nil {
		tb.Fatalf("seed demo: %v", err)
	}
	e.Creds = creds
	return e
}

// Close stops itsgow (as a restart would) and releases its store.
func (e *Env) Close() {
	if e.stop == nil {
		return
	}
	e.stop()
	<-e.done
	e.App.Close()
	e.stop = nil
}

// Tick runs the job runner once.
func (e *Env) Tick(tb testing.TB) {
	tb.Helper()
	if err := e.App.Tick(context.Background()); err != nil {
		tb.Fatalf("tick: %v", err)
	}
}

// Response is an HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem is a decoded problem+json.
type Problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	RequestID string `json:"requestId"`
}

// Problem decodes a problem+json body and checks its content type.
func (r Response) Problem(tb testing.TB) Problem {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("content type %q, want application/problem+json (status %d, body %s)", ct, r.Status, r.Body)
	}
	var p Problem
	r.JSON(tb, &p)
	if p.Status != r.Status || p.Code == "" || p.RequestID == "" {
		tb.Fatalf("incomplete problem %+v for status %d", p, r.Status)
	}
	return p
}

// Do sends a request with an optional bearer token and raw body (JSON content type when body
// is not nil).
func (e *Env) Do(tb testing.TB, method, path, token string, body []byte) Response {
	tb.Helper()
	return e.DoHeaders(tb, method, path, body, map[string]string{"Authorization": bearer(token), "Content-Type": ctype(body)})
}

func bearer(t string) string {
	if t == "" {
		return ""
	}
	return "Bearer " + t
}

func ctype(b []byte) string {
	if b == nil {
		return ""
	}
	return "application/json"
}

// DoHeaders sends a request with the given headers (empty values are not sent).
func (e *Env) DoHeaders(tb testing.TB, method, path string, body []byte, headers map[string]string) Response {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// MustJSON marshals v.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
