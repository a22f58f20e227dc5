// Command itsgow runs the itsgow platform (serve, migrate, config, admin) and is its command-line
// client (me, tokens, notices) over the REST API with ITSGOW_URL and ITSGOW_TOKEN.
//
// This is the only package that reads flags, the environment and configuration files, and the
// only one (with internal/app) that builds adapters.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/clock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

const usage = `itsgow: dedicated-server hosting platform

Platform:
  itsgow serve [--demo] [--config FILE] [--data DIR] [--http-addr HOST:PORT] [--roles api,web,worker,collector,edge]
  itsgow migrate [--config FILE] [--data DIR]
  itsgow config dump [--config FILE]     effective configuration, secrets redacted
  itsgow config keys                     every key and its ITSGOW_* variable
  itsgow admin user create --email E --name N [--staff --staff-roles admin,noc] [--country FR --type person|company --company NAME]
                            (password from ITSGOW_ADMIN_PASSWORD or --password-file)
  itsgow admin token create --email E --name N [--scopes '*']
  itsgow loadgen --url URL --token T [--rate N] [--duration D] [--concurrency C]
  itsgow flowgen [--to 127.0.0.1:2055] [--format netflow9] [--scenario udp-flood] [--target 198.18.0.10] [--pps N] [--duration 30s]
                                         synthetic flows to a loopback collector (itsgow flowgen -h)
  itsgow version

Client (ITSGOW_URL, ITSGOW_TOKEN):
  itsgow me
  itsgow tokens list | create --name N --scopes a,b [--expires-days D] | revoke ID
  itsgow notices [list] | show ID
  itsgow catalog [--range R] | order create --plan P --months N --os IMG [--dry-run] | order list|show|pay|cancel|withdraw ID | orders
  itsgow invoices [list] | invoices pdf ID [--out FILE] | contracts | contract show ID | contract terminate ID --at endOfTerm|now
  itsgow contract keep ID                withdraw a termination at the end of the term
  itsgow servers | server show|reboot|rescue|task ID | server console ID [--show|--close] | server reinstall ID --image NAME --yes [--ssh-key K] [--hostname H]
  itsgow ips | ip mitigation|attacks|stats IP | ip mitigation set IP --permanent[=false]   DDoS mitigation (art. 9)
  itsgow ip profile-test IP --profile NAME [--from RFC3339 --to RFC3339 | --attack ID]   what a profile would have dropped (art. 9 pro)
  itsgow network status | mitigations | rules            staff: collector, edge, active mitigations (art. 9)
  itsgow network force|raise IP --level N --reason R | network release IP --reason R   staff: forced mitigation
  add --json to print the API's JSON
`

// run is main without os.Exit, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr, environ)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr, environ)
	case "config":
		err = cmdConfig(args[1:], stdout, environ)
	case "admin":
		err = cmdAdmin(ctx, args[1:], stdout, stderr, environ)
	case "loadgen":
		err = cmdLoadgen(ctx, args[1:], stdout)
	case "version":
		fmt.Fprintln(stdout, "itsgow", app.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	case "me", "tokens", "notices":
		err = cmdClient(ctx, args, stdout, environ)
	case "catalog", "order", "orders", "invoices", "contract", "contracts":
		err = cmdCommerce(ctx, args, stdout, environ)
	case "servers", "server":
		err = cmdFleet(ctx, args, stdout, environ)
	case "flowgen":
		err = cmdFlowgen(ctx, args[1:], stdout, stderr)
	case "ip", "ips":
		err = cmdNetguard(ctx, args, stdout, stderr, environ)
	case "network":
		err = cmdNetwork(ctx, args, stdout, stderr, environ)
	default:
		fmt.Fprintf(stderr, "itsgow: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "itsgow: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "itsgow: %v\n", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// common flags of the platform commands.
type platformFlags struct {
	config, data, httpAddr, roles string
}

func (p *platformFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "YAML configuration file")
	fs.StringVar(&p.data, "data", "", "data directory (SQLite database and files; default ./itsgow-data)")
	fs.StringVar(&p.httpAddr, "http-addr", "", "HTTP listen address (default 127.0.0.1:8080)")
	fs.StringVar(&p.roles, "roles", "", "comma-separated roles to run (default all)")
}

func (p *platformFlags) load(environ []string) (app.Config, error) {
	cfg, err := loadConfig(p.config, environ)
	if err != nil {
		return cfg, err
	}
	if p.data != "" {
		cfg.Data = p.data
	}
	if p.httpAddr != "" {
		cfg.HTTP.Addr = p.httpAddr
	}
	if p.roles != "" {
		cfg.Roles = strings.Split(p.roles, ",")
	}
	return cfg, cfg.Validate()
}

func newLogger(cfg app.Config, w io.Writer) *slog.Logger {
	var lv slog.LevelVar
	_ = lv.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: &lv}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf platformFlags
	pf.register(fs)
	demo := fs.Bool("demo", false, "seed demo accounts and print where to log in")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	start := time.Now()
	cfg, err := pf.load(environ)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := app.New(ctx, cfg, app.Deps{Logger: log, Clock: clock.Real()})
	if err != nil {
		return err
	}
	defer a.Close()
	if *demo {
		creds, err := a.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo seed: %w", err)
		}
		printDemo(stdout, a, creds, time.Since(start))
	}
	return a.Run(ctx)
}

func printDemo(w io.Writer, a *app.App, c app.DemoCredentials, took time.Duration) {
	fmt.Fprintf(w, `
itsgow demo is running (ready in %s)

  Web interface   %s/login
  Customer        %s   password %s
  Staff (admin)   %s   password %s

  API and CLI     export ITSGOW_URL=%s ITSGOW_TOKEN=%s
                  itsgow me
  OpenAPI         %s/api/v1/openapi.json
  Credentials     %s

Stop with Ctrl-C.
`, took.Round(time.Millisecond), c.URL, c.Customer.Email, c.Customer.Password, c.Staff.Email, c.Staff.Password,
		c.URL, c.Customer.Token, c.URL, a.CredentialsPath())
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf platformFlags
	pf.register(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := pf.load(environ)
	if err != nil {
		return err
	}
	cfg.Roles = []string{"worker"} // no listener
	a, err := app.New(ctx, cfg, app.Deps{Logger: newLogger(cfg, stderr), Clock: clock.Real()})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(stdout, "database up to date (%s)\n", a.DB.Engine())
	return nil
}

func cmdConfig(args []string, stdout io.Writer, environ []string) error {
	if len(args) == 0 {
		return usageError{"config: dump or keys"}
	}
	switch args[0] {
	case "keys":
		for _, k := range configKeys() {
			fmt.Fprintln(stdout, k)
		}
		return nil
	case "dump":
		fs := flag.NewFlagSet("config dump", flag.ContinueOnError)
		var pf platformFlags
		pf.register(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		cfg, err := pf.load(environ)
		if err != nil {
			return err
		}
		b, err := dumpConfig(cfg)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	return usageError{"config: unknown subcommand " + args[0]}
}
