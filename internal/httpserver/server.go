package httpserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/logkey"
)

// Config of the HTTP server.
type Config struct {
	Addr string `yaml:"addr"`
	// PublicURL is where users reach itsgow (used in emails and to decide Secure cookies).
	PublicURL string `yaml:"public_url"`
	// SecureCookies: auto (Secure when PublicURL is https), always, never.
	SecureCookies     string        `yaml:"secure_cookies"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	AccessLog         bool          `yaml:"access_log"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", SecureCookies: "auto", ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 120 * time.Second, ShutdownTimeout: 10 * time.Second, AccessLog: true}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("http.addr: %w", err)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return errors.New("http.public_url: must start with http:// or https://")
	}
	switch c.SecureCookies {
	case "auto", "always", "never":
	default:
		return errors.New("http.secure_cookies: must be auto, always or never")
	}
	if c.ReadHeaderTimeout <= 0 || c.IdleTimeout <= 0 || c.ShutdownTimeout <= 0 {
		return errors.New("http timeouts: must be positive")
	}
	return nil
}

// Deps of the server.
type Deps struct {
	Logger   *slog.Logger
	Clock    clock.Clock
	Registry *prometheus.Registry
	Accounts *account.Service
	// Health reports whether the process is healthy (database reachable...).
	Health func(ctx context.Context) error
}

// SessionCookie is the web session cookie's name.
const SessionCookie = "itsgow_session"

// Server is the HTTP server.
type Server struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	mux      *http.ServeMux
	srv      *http.Server
	ln       net.Listener
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// New makes the server and binds its address (so that ":0" tells its port at once).
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "http"), mux: http.NewServeMux()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "itsgow_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "itsgow_http_request_duration_seconds",
		Help: "HTTP request latency by route pattern.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.inflight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "itsgow_http_requests_in_flight", Help: "HTTP requests being served."})
	if deps.Registry != nil {
		deps.Registry.MustRegister(s.requests, s.latency, s.inflight)
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(deps.Registry, promhttp.HandlerOpts{Registry: deps.Registry}))
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: cfg.ReadHeaderTimeout, IdleTimeout: cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn), MaxHeaderBytes: 64 << 10}
	return s, nil
}

// Mux is where api and web register their routes.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the bound address.
func (s *Server) URL() string { return "http://" + s.Addr() }

// SecureCookies tells whether cookies carry the Secure attribute.
func (s *Server) SecureCookies() bool {
	switch s.cfg.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return strings.HasPrefix(s.cfg.PublicURL, "https://")
}

// Run serves until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	s.log.Info("http server listening", logkey.Addr, s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// Close stops listening.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.deps.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.deps.Health(ctx); err != nil {
			s.log.Warn("health check failed", logkey.Error, err)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("unhealthy\n"))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler returns the mux wrapped in the middleware chain.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() //nolint:forbidigo // latency measurement is wall-clock by nature
		rid := r.Header.Get("X-Request-Id")
		if !validRequestID(rid) {
			rid = newRequestID()
		}
		ctx := context.WithValue(r.Context(), keyRequestID, rid)
		sw := &statusWriter{ResponseWriter: w}
		h := sw.Header()
		h.Set("X-Request-Id", rid)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.SecureCookies() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		s.inflight.Inc()
		defer s.inflight.Dec()
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", logkey.RequestID, rid, logkey.Path, r.URL.Path, logkey.Error, fmt.Sprint(p))
				if sw.status == 0 {
					WriteProblem(sw, r, nil, errs.E(errs.Internal, "internal error", nil))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start) //nolint:forbidigo // see above
			s.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
			s.latency.WithLabelValues(route).Observe(d.Seconds())
			if s.cfg.AccessLog {
				lvl := slog.LevelInfo
				if route == "GET /healthz" || route == "GET /metrics" || strings.HasPrefix(route, "GET /static/") {
					lvl = slog.LevelDebug
				}
				s.log.Log(ctx, lvl, "http request", logkey.RequestID, rid, logkey.Method, r.Method, logkey.Path, r.URL.Path,
					logkey.Status, sw.status, logkey.Duration, d, "bytes", sw.bytes, "remote", ClientIP(r))
			}
		}()
		r = s.authenticate(r)
		s.mux.ServeHTTP(sw, r)
	})
}

func validRequestID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) authenticate(r *http.Request) *http.Request {
	if s.deps.Accounts == nil {
		return r
	}
	var a Auth
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			a.Err = errs.Coded(errs.Unauthenticated, "invalid_token", "use Authorization: Bearer <token>")
		} else {
			p, err := s.deps.Accounts.AuthenticateToken(r.Context(), strings.TrimSpace(tok))
			a = Auth{Principal: p, OK: err == nil, Err: err, ViaToken: true}
		}
	} else if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		p, err := s.deps.Accounts.AuthenticateSession(r.Context(), c.Value)
		switch {
		case err == nil:
			a = Auth{Principal: p, OK: true}
		case errors.Is(err, account.ErrSecondFactorPending):
			a = Auth{Principal: p, Pending: true, Err: err}
		default:
			a = Auth{Err: err}
		}
	}
	return r.WithContext(context.WithValue(r.Context(), keyAuth, a))
}

// CSRFToken derives the CSRF token of a session: an HMAC of the session's secret, so it cannot
// be guessed from the cookie and changes with each session.
func CSRFToken(sess *account.Session) string {
	if sess == nil {
		return ""
	}
	m := hmac.New(sha256.New, []byte(sess.CSRFSecret))
	m.Write([]byte("itsgow csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF verifies the token of a state-changing request made with a session cookie (form
// field csrf or header X-CSRF-Token). Token-authenticated requests need no CSRF token.
func CheckCSRF(r *http.Request) error {
	a := AuthOf(r.Context())
	if a.ViaToken {
		return nil
	}
	sess := a.Principal.Session
	if sess == nil {
		return errs.Coded(errs.Forbidden, "csrf", "missing session")
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	want := CSRFToken(sess)
	if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return errs.Coded(errs.Forbidden, "csrf", "the form expired or did not come from itsgow; reload the page and try again")
	}
	return nil
}

// SetSessionCookie sets (or clears, with secret "") the session cookie.
func (s *Server) SetSessionCookie(w http.ResponseWriter, secret string, expires time.Time) {
	c := &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.SecureCookies(),
		SameSite: http.SameSiteLaxMode}
	if secret == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}
