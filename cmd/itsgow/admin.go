package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/clock"
)

func cmdAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	if len(args) < 2 {
		return usageError{"admin: user create | token create"}
	}
	what := args[0] + " " + args[1]
	fs := flag.NewFlagSet("admin "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf platformFlags
	pf.register(fs)
	email := fs.String("email", "", "account email")
	name := fs.String("name", "", "person's name (user) or token name (token)")
	staff := fs.Bool("staff", false, "create a staff member instead of a customer")
	roles := fs.String("staff-roles", "admin", "staff roles, comma-separated")
	lang := fs.String("language", "", "fr or en")
	country := fs.String("country", "FR", "customer country (ISO code)")
	ctype := fs.String("type", "person", "customer type: person or company")
	company := fs.String("company", "", "company name")
	siren := fs.String("siren", "", "company SIREN")
	vat := fs.String("vat", "", "VAT number")
	pwFile := fs.String("password-file", "", "file holding the password (else ITSGOW_ADMIN_PASSWORD)")
	scopes := fs.String("scopes", "*", "token scopes, comma-separated ('*' for all)")
	if err := fs.Parse(args[2:]); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := pf.load(environ)
	if err != nil {
		return err
	}
	cfg.Roles = []string{"worker"}
	a, err := app.New(ctx, cfg, app.Deps{Logger: newLogger(cfg, stderr), Clock: clock.Real()})
	if err != nil {
		return err
	}
	defer a.Close()
	actor := account.Actor{Kind: "system", Label: "itsgow admin (command line)"}
	switch what {
	case "user create":
		pw := envLookup(environ, "ITSGOW_ADMIN_PASSWORD")
		if *pwFile != "" {
			b, err := os.ReadFile(*pwFile)
			if err != nil {
				return err
			}
			pw = strings.TrimSpace(string(b))
		}
		if pw == "" {
			return usageError{"admin user create: set ITSGOW_ADMIN_PASSWORD or --password-file"}
		}
		var acc account.Account
		if *staff {
			var rs []account.Role
			for _, r := range strings.Split(*roles, ",") {
				rs = append(rs, account.Role(strings.TrimSpace(r)))
			}
			acc, err = a.Accounts.CreateStaff(ctx, actor, account.NewStaff{Email: *email, Password: pw, Name: *name, Language: *lang, Roles: rs})
		} else {
			acc, err = a.Accounts.CreateCustomer(ctx, actor, account.NewCustomer{Email: *email, Password: pw, Name: *name, Language: *lang,
				Customer: account.Customer{Type: account.CustomerType(*ctype), CompanyName: *company, Country: *country, SIREN: *siren, VATNumber: *vat}})
		}
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "created %s account %d <%s>\n", acc.Kind, acc.ID, acc.Email)
		return nil
	case "token create":
		acc, err := a.DB.Accounts().AccountByEmail(ctx, strings.ToLower(strings.TrimSpace(*email)))
		if err != nil {
			return describe(err)
		}
		p := account.Principal{Account: acc, Scopes: account.AllowedScopes(acc.Kind)}
		tok, secret, err := a.Accounts.CreateToken(ctx, actor, p, account.NewToken{Name: *name, Scopes: strings.Split(*scopes, ",")})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stderr, "token %d (%s) for %s, scopes %s; shown once:\n", tok.ID, tok.Name, acc.Email, account.JoinScopes(tok.Scopes))
		fmt.Fprintln(stdout, secret)
		return nil
	}
	return usageError{"admin: unknown subcommand " + what}
}

func envLookup(environ []string, key string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
