// Package app is itsgow's composition root: from a Config it opens the store, builds every
// service and adapter, mounts the API and the web interface, and runs the roles asked for
// (api, web, worker, collector, edge) until its context ends. cmd/itsgow and the end-to-end
// tests use it; nothing else builds adapters.
//
// It may import every package of itsgow. An *App is safe for concurrent use once built.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/notify/smtp"
	"github.com/itsgow/itsgow/internal/policy"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/web"
)

// Version is set at build time.
var Version = "dev"

// Roles a process can run.
var Roles = []string{"api", "web", "worker", "collector", "edge"}

// MailConfig is the mail section.
type MailConfig struct {
	notify.Config `yaml:",inline"`
	// SMTP relay; empty addr: no relay, notices stay in the outbox.
	SMTP smtp.Config `yaml:"smtp"`
}

// LogConfig is the log section.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Config is the whole configuration tree.
type Config struct {
	Data     string            `yaml:"data"`
	Roles    []string          `yaml:"roles"`
	HTTP     httpserver.Config `yaml:"http"`
	Database store.Config      `yaml:"database"`
	Jobs     jobs.Config       `yaml:"jobs"`
	Accounts account.Config    `yaml:"accounts"`
	Mail     MailConfig        `yaml:"mail"`
	Log      LogConfig         `yaml:"log"`
	Policy   policy.Config     `yaml:"policy"`
	Commerce CommerceConfig    `yaml:"commerce"`
	Fleet    FleetConfig       `yaml:"fleet"`
	Netguard NetguardConfig    `yaml:"netguard"`
}

// DefaultConfig returns the defaults of every section.
func DefaultConfig() Config {
	smtpCfg := smtp.DefaultConfig()
	smtpCfg.Addr = ""
	return Config{
		Data: "./itsgow-data", Roles: slices.Clone(Roles), HTTP: httpserver.DefaultConfig(), Database: store.DefaultConfig(),
		Jobs: jobs.DefaultConfig(), Accounts: account.DefaultConfig(),
		Mail: MailConfig{Config: notify.DefaultConfig(), SMTP: smtpCfg},
		Log:  LogConfig{Level: "info", Format: "text"}, Policy: policy.Default(),
		Commerce: DefaultCommerceConfig(), Fleet: DefaultFleetConfig(), Netguard: DefaultNetguardConfig(),
	}
}

// Validate checks every section and reports all problems.
func (c Config) Validate() error {
	var list []error
	if c.Data == "" {
		list = append(list, errors.New("data: must not be empty"))
	}
	if len(c.Roles) == 0 {
		list = append(list, errors.New("roles: at least one role"))
	}
	for _, r := range c.Roles {
		if !slices.Contains(Roles, r) {
			list = append(list, fmt.Errorf("roles: unknown role %q (known: %s)", r, strings.Join(Roles, ", ")))
		}
	}
	list = append(list, c.HTTP.Validate(), c.Database.Validate(), c.Jobs.Validate(), c.Accounts.Validate(),
		c.Mail.Config.Validate(), c.Policy.Validate(), c.Commerce.Validate(), c.Fleet.Validate(), c.Netguard.Validate())
	if c.Mail.SMTP.Addr != "" {
		list = append(list, c.Mail.SMTP.Validate())
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		list = append(list, errors.New("log.level: must be debug, info, warn or error"))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		list = append(list, errors.New("log.format: must be text or json"))
	}
	return errors.Join(list...)
}

// Has reports whether role r runs.
func (c Config) Has(r string) bool { return slices.Contains(c.Roles, r) }

// Deps are what the process provides.
type Deps struct {
	Logger *slog.Logger
	Clock  clock.Clock
	// Sender overrides the SMTP sender built from the configuration (tests).
	Sender notify.Sender
}

// App is a running itsgow.
type App struct {
	Cfg      Config
	Log      *slog.Logger
	Clock    clock.Clock
	DB       *store.DB
	Registry *prometheus.Registry
	HTTP     *httpserver.Server
	API      *api.API
	Accounts *account.Service
	Notify   *notify.Service
	Runner   *jobs.Runner
	// Each capability's services and loops (commerce.go, fleet.go, netguard.go).
	Commerce CommerceParts
	Fleet    FleetParts
	Netguard NetguardParts
}

// New builds itsgow from cfg; it opens and migrates the store and binds the HTTP address.
func New(ctx context.Context, cfg Config, deps Deps) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Log: deps.Logger, Clock: deps.Clock}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if f := cfg.Database.URLFile; f != "" && cfg.Database.URL == "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("database.url_file: %w", err)
		}
		cfg.Database.URL = strings.TrimSpace(string(b))
		if err := cfg.Database.Validate(); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(ctx, cfg.Database, cfg.Data)
	if err != nil {
		return nil, err
	}
	a.DB = db
	if n, err := db.Migrate(ctx, deps.Clock.Now()); err != nil {
		db.Close()
		return nil, err
	} else if n > 0 {
		a.Log.Info("database migrated", "applied", n, "engine", db.Engine())
	}
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	sender := deps.Sender
	if sender == nil && cfg.Mail.SMTP.Addr != "" {
		password := ""
		if f := cfg.Mail.SMTP.PasswordFile; f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				db.Close()
				return nil, fmt.Errorf("mail.smtp.password_file: %w", err)
			}
			password = strings.TrimSpace(string(b))
		}
		s, err := smtp.New(cfg.Mail.SMTP, password)
		if err != nil {
			db.Close()
			return nil, err
		}
		sender = s
	}
	a.Runner, err = jobs.New(cfg.Jobs, jobs.Deps{Logger: deps.Logger, Clock: deps.Clock, Store: db.Jobs(), Name: hostname()})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Notify, err = notify.New(cfg.Mail.Config, notify.Deps{Logger: deps.Logger, Clock: deps.Clock, Store: db.Notices(), Sender: sender, Wake: a.Runner.Wake})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Runner.Handle(notify.JobSend, a.Notify.HandleSend)
	publicURL := cfg.HTTP.PublicURL

	a.Accounts, err = account.New(cfg.Accounts, account.Deps{Logger: deps.Logger, Clock: deps.Clock, Store: db.Accounts(), Notify: a.Notify, PublicURL: publicURL})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Runner.Handle(account.JobPurgeSessions, a.Accounts.HandlePurgeSessions)
	a.Runner.Periodic(account.JobPurgeSessions, time.Hour)
	for _, wire := range []func(context.Context) error{a.wireCommerce, a.wireFleet, a.wireNetguard} {
		if err := wire(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if cfg.Has("api") || cfg.Has("web") {
		a.HTTP, err = httpserver.New(cfg.HTTP, httpserver.Deps{Logger: deps.Logger, Clock: deps.Clock, Registry: a.Registry,
			Accounts: a.Accounts, Health: db.Ping})
		if err != nil {
			db.Close()
			return nil, err
		}
		if publicURL == "" {
			a.Cfg.HTTP.PublicURL = a.HTTP.URL()
		}
		noticeTx := func(r *http.Request, fn func(notify.Tx) error) error {
			return db.WithTx(r.Context(), func(q *store.Q) error { return fn(q) })
		}
		if cfg.Has("api") {
			a.API = api.Mount(api.Deps{Logger: deps.Logger, Server: a.HTTP, Accounts: a.Accounts, Notify: a.Notify,
				NoticeTx: noticeTx, Jobs: db.Jobs(), Version: Version,
				Commerce: a.commerceAPI(), Fleet: a.fleetAPI(), Netguard: a.netguardAPI()})
		}
		if cfg.Has("web") {
			if err := web.Mount(web.Deps{Logger: deps.Logger, Clock: deps.Clock, Server: a.HTTP, Accounts: a.Accounts,
				Notify: a.Notify, Jobs: db.Jobs(), NoticeTx: noticeTx,
				Commerce: a.commerceWeb(), Fleet: a.fleetWeb(), Netguard: a.netguardWeb()}); err != nil {
				db.Close()
				return nil, err
			}
		}
	}
	return a, nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "worker"
	}
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}

// URL is the base URL of the HTTP server ("" when it does not run).
func (a *App) URL() string {
	if a.HTTP == nil {
		return ""
	}
	return a.HTTP.URL()
}

// Run runs the configured roles until ctx ends, then stops them in reverse order.
func (a *App) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if a.HTTP != nil {
		g.Go(func() error { return a.HTTP.Run(ctx) })
	}
	if a.Cfg.Has("worker") {
		g.Go(func() error { return a.Runner.Run(ctx) })
	}
	for _, run := range a.loops() {
		g.Go(func() error { return run(ctx) })
	}
	a.Log.Info("itsgow running", "roles", strings.Join(a.Cfg.Roles, ","), logkey.Addr, a.URL(), "engine", a.DB.Engine())
	return g.Wait()
}

// Close releases the store.
func (a *App) Close() error { return a.DB.Close() }

// Tick runs one pass of every loop (tests with a fake clock).
func (a *App) Tick(ctx context.Context) error {
	_, err := a.Runner.Tick(ctx)
	return err
}

// loops returns the long-running loops of the roles this process runs (collectors, reconcilers,
// BGP speakers...), each stopping when its context ends.
func (a *App) loops() []func(context.Context) error {
	var out []func(context.Context) error
	out = append(out, a.commerceLoops()...)
	out = append(out, a.fleetLoops()...)
	out = append(out, a.netguardLoops()...)
	return out
}
