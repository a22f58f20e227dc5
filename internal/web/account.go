package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// accountData is the data of the My account page.
type accountData struct {
	Account     account.Account
	TOTPEnabled bool
	Tokens      []tokenRow
	Scopes      []scopeOption // the create-token form's checkboxes
	TokenName   string
	ExpiresDays string
}

// tokenRow is an API token with its state at the time of the page.
type tokenRow struct {
	account.Token
	State string // active, expired or revoked
}

// scopeOption is one checkbox of the create-token form.
type scopeOption struct {
	Name    string
	Checked bool
}

func tokenState(t account.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// accountPage is GET /account.
func (u *ui) accountPage(w http.ResponseWriter, r *http.Request) error {
	d, err := u.accountData(r, nil, "", "30")
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "account", u.newPage(r, "account", d))
	return nil
}

// accountData loads the page's data; the create-token form shows checked, name and days.
func (u *ui) accountData(r *http.Request, checked []string, name, days string) (accountData, error) {
	p := sessionOf(r).Principal
	ts, err := u.deps.Accounts.Tokens(r.Context(), p.Account.ID)
	if err != nil {
		return accountData{}, err
	}
	now := u.deps.Accounts.Now()
	d := accountData{Account: p.Account, TOTPEnabled: p.Account.TOTPEnabled, TokenName: name, ExpiresDays: days}
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenRow{Token: t, State: tokenState(t, now)})
	}
	for _, s := range account.AllowedScopes(p.Account.Kind) {
		d.Scopes = append(d.Scopes, scopeOption{Name: string(s), Checked: slices.Contains(checked, string(s))})
	}
	return d, nil
}
