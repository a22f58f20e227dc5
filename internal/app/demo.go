package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
)

// DemoLogin is one demo identity.
type DemoLogin struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

// DemoCredentials is written to DATA/demo-credentials.json.
type DemoCredentials struct {
	URL      string    `json:"url"`
	Customer DemoLogin `json:"customer"`
	Staff    DemoLogin `json:"staff"`
}

// Demo account addresses.
const (
	DemoCustomerEmail = "demo@itsgow.example"
	DemoStaffEmail    = "admin@itsgow.example"
)

// CredentialsPath is where the demo credentials are written.
func (a *App) CredentialsPath() string { return filepath.Join(a.Cfg.Data, "demo-credentials.json") }

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "demo-" + base64.RawURLEncoding.EncodeToString(b)
}

// SeedDemo creates the demo customer and staff admin (once per data directory) and writes their
// credentials. Running it again on the same data directory reuses them.
func (a *App) SeedDemo(ctx context.Context) (DemoCredentials, error) {
	path := a.CredentialsPath()
	if b, err := os.ReadFile(path); err == nil {
		var c DemoCredentials
		if err := json.Unmarshal(b, &c); err == nil {
			if acc, err := a.DB.Accounts().AccountByEmail(ctx, DemoCustomerEmail); err == nil && acc.ID != 0 {
				c.URL = a.URL()
				return c, a.writeCredentials(c)
			}
		}
	}
	actor := account.Actor{Kind: "system", Label: "demo seed"}
	c := DemoCredentials{URL: a.URL(),
		Customer: DemoLogin{Email: DemoCustomerEmail, Password: randomPassword()},
		Staff:    DemoLogin{Email: DemoStaffEmail, Password: randomPassword()}}
	cust, err := a.Accounts.CreateCustomer(ctx, actor, account.NewCustomer{
		Email: c.Customer.Email, Password: c.Customer.Password, Name: "Camille Martin", Language: "fr",
		Customer: account.Customer{Type: account.Company, CompanyName: "Martin Hébergement SARL", Address: "12 rue des Serveurs",
			PostalCode: "59000", City: "Lille", Country: "FR", SIREN: "732829320", VATNumber: "FR44732829320", Phone: "+33 3 20 00 00 00"},
	})
	if err != nil {
		return c, demoErr(err)
	}
	staff, err := a.Accounts.CreateStaff(ctx, actor, account.NewStaff{Email: c.Staff.Email, Password: c.Staff.Password,
		Name: "Alex Admin", Language: "en", Roles: []account.Role{account.RoleAdmin}})
	if err != nil {
		return c, demoErr(err)
	}
	for _, x := range []struct {
		acc   account.Account
		login *DemoLogin
	}{{cust, &c.Customer}, {staff, &c.Staff}} {
		p := account.Principal{Account: x.acc, Scopes: account.AllowedScopes(x.acc.Kind)}
		_, secret, err := a.Accounts.CreateToken(ctx, actor, p, account.NewToken{Name: "demo", Scopes: []string{"*"}})
		if err != nil {
			return c, err
		}
		x.login.Token = secret
	}
	for _, seed := range []func(context.Context, *DemoCredentials) error{a.seedCommerce, a.seedFleet, a.seedNetguard} {
		if err := seed(ctx, &c); err != nil {
			return c, fmt.Errorf("demo seed: %w", err)
		}
	}
	return c, a.writeCredentials(c)
}

func demoErr(err error) error {
	if errs.KindOf(err) == errs.Conflict {
		return errors.New("demo accounts exist but " + "demo-credentials.json is missing: remove the data directory to reseed")
	}
	return err
}

func (a *App) writeCredentials(c DemoCredentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(a.CredentialsPath(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write demo credentials: %w", err)
	}
	return nil
}
