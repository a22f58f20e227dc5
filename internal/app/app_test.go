package app_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
)

func TestNoticesGoThroughTheRealSMTPRelay(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t, apptest.Options{Postgres: pg, Mail: true})
			// the demo seed queued a welcome notice and one token notice per demo account: one tick sends them all
			e.Tick(t)
			got := e.Mail.WaitFor(t, 3, 10*time.Second)
			var welcome bool
			for _, m := range got {
				if m.To[0] == "demo@itsgow.example" && strings.Contains(m.Header.Get("Subject"), "Bienvenue") {
					welcome = true
					if !strings.Contains(m.Body, "Camille Martin") || m.Header.Get("Message-Id") == "" || m.Header.Get("X-Itsgow-Notice") == "" {
						t.Fatalf("welcome mail incomplete: %+v %s", m.Header, m.Body)
					}
				}
			}
			if !welcome {
				t.Fatalf("no welcome mail among %d", len(got))
			}
			var page struct {
				Items []struct {
					Status string  `json:"status"`
					SentAt *string `json:"sentAt"`
				} `json:"items"`
			}
			e.Do(t, "GET", "/api/v1/notices", e.Creds.Customer.Token, nil).JSON(t, &page)
			for _, n := range page.Items {
				if n.Status != "sent" || n.SentAt == nil {
					t.Fatalf("notice not recorded as sent: %+v", page.Items)
				}
			}
		})
	}
}

func TestTemporaryRelayFailureIsRetried(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Mail: true})
	e.Mail.RejectNext(10, 451)
	e.Tick(t)
	var page struct {
		Items []struct {
			Status    string `json:"status"`
			LastError string `json:"lastError"`
			Attempts  int    `json:"attempts"`
		} `json:"items"`
	}
	e.Do(t, "GET", "/api/v1/staff/outbox?status=queued", e.Creds.Staff.Token, nil).JSON(t, &page)
	if len(page.Items) == 0 || !strings.Contains(page.Items[0].LastError, "451") || page.Items[0].Attempts != 1 {
		t.Fatalf("after a 451: %+v", page.Items)
	}
	e.Mail.RejectNext(0, 451)
	e.Clock.Advance(time.Minute) // past the first backoff
	e.Tick(t)
	e.Mail.WaitFor(t, 3, 10*time.Second)
	e.Do(t, "GET", "/api/v1/staff/outbox?status=sent", e.Creds.Staff.Token, nil).JSON(t, &page)
	if len(page.Items) < 3 {
		t.Fatalf("not sent after retry: %+v", page.Items)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	if r := e.Do(t, "GET", "/healthz", "", nil); r.Status != 200 || string(r.Body) != "ok\n" {
		t.Fatalf("healthz: %d %q", r.Status, r.Body)
	}
	e.Do(t, "GET", "/api/v1/me", e.Creds.Customer.Token, nil)
	r := e.Do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{`itsgow_http_requests_total{code="200",route="GET /api/v1/me"} 1`, "itsgow_http_request_duration_seconds_bucket", "go_goroutines"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestRolesSelectWhatRuns(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t, apptest.Options{})
	cfg.Roles = []string{"worker"}
	a, err := app.New(context.Background(), cfg, app.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clocktest.New(apptest.Start)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.URL() != "" || a.API != nil {
		t.Fatal("a worker-only process listens for HTTP")
	}
	cfg.Roles = []string{"api", "teleport"}
	if _, err := app.New(context.Background(), cfg, app.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clocktest.New(apptest.Start)}); err == nil || !strings.Contains(err.Error(), "teleport") {
		t.Fatalf("unknown role accepted: %v", err)
	}
}

func TestExpiredSessionsArePurgedByThePeriodicJob(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	r := e.Do(t, "POST", "/api/v1/auth/login", "", apptest.MustJSON(map[string]string{"email": e.Creds.Customer.Email, "password": e.Creds.Customer.Password}))
	if r.Status != 200 {
		t.Fatalf("login %d", r.Status)
	}
	count := func() int {
		var n int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count() != 1 {
		t.Fatal("no session stored")
	}
	e.Tick(t)
	if count() != 1 {
		t.Fatal("a live session was purged")
	}
	e.Clock.Advance(e.App.Cfg.Accounts.SessionIdle + time.Hour)
	e.Tick(t)
	if count() != 0 {
		t.Fatal("an idle session survived the purge")
	}
}
