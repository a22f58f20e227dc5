package httpserver_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

func newServer(t *testing.T) *httpserver.Server {
	t.Helper()
	cfg := httpserver.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := httpserver.New(cfg, httpserver.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock: clocktest.New(time.Unix(0, 0)), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPanicBecomesProblemAndServerSurvives(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Mux().HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic answered %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "secret detail") {
		t.Fatal("the panic's text reached the client")
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Fatalf("healthz after a panic: %d", rec.Code)
	}
}

func TestRequestIDAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tc := range []struct{ in, want string }{
		{"abcdef0123456789", "abcdef0123456789"},
		{"bad id with spaces", ""},
		{"", ""},
	} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		if tc.in != "" {
			req.Header.Set("X-Request-Id", tc.in)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if tc.want != "" && got != tc.want || tc.want == "" && (got == "" || got == tc.in) {
			t.Errorf("request id %q -> %q", tc.in, got)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if rec.Header().Get(h) == "" {
				t.Errorf("missing %s", h)
			}
		}
	}
}

func TestProblemMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		code   string
		detail string
	}{
		{errs.Coded(errs.Conflict, "mitigation_locked", "locked until 12:00"), 409, "mitigation_locked", "locked until 12:00"},
		{errs.Fields(errs.FieldError{Field: "email", Message: "bad"}), 422, "invalid_input", "invalid input"},
		{errs.E(errs.NotFound, "server not found", nil), 404, "not_found", "server not found"},
		{errs.Coded(errs.TooManyRequests, "rate_limited", "slow down"), 429, "rate_limited", "slow down"},
		{io.ErrUnexpectedEOF, 500, "internal", "internal error"},
	} {
		rec := httptest.NewRecorder()
		httpserver.WriteProblem(rec, httptest.NewRequest("GET", "/", nil), nil, tc.err)
		var p httpserver.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tc.status || p.Status != tc.status || p.Code != tc.code || p.Detail != tc.detail {
			t.Errorf("%v -> %d %+v", tc.err, rec.Code, p)
		}
	}
}
