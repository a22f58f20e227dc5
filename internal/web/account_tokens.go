package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// maxTokenDays is the longest lifetime of a token made in the interface (five years).
const maxTokenDays = 1830

// tokenCreatedData is the page that shows a new token's secret, once.
type tokenCreatedData struct {
	Token  tokenRow
	Secret string
}

// createToken is POST /account/tokens: name, scopes (checkboxes) and expires_days (0: never).
func (u *ui) createToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PostForm.Get("name")
	scopes := r.PostForm["scopes"]
	daysText := strings.TrimSpace(r.PostForm.Get("expires_days"))
	days := 0
	if daysText != "" {
		n, err := strconv.Atoi(daysText)
		if err != nil || n < 0 || n > maxTokenDays {
			return u.tokenFormError(w, r, scopes, name, daysText, errs.Fields(errs.FieldError{
				Field: "expires_days", Message: fmt.Sprintf("must be between 0 (never) and %d", maxTokenDays)}))
		}
		days = n
	}
	p := sessionOf(r).Principal
	t, secret, err := u.deps.Accounts.CreateToken(r.Context(), httpserver.Actor(r), p, account.NewToken{
		Name: name, Scopes: scopes, ExpiresIn: time.Duration(days) * 24 * time.Hour})
	if err != nil {
		return u.tokenFormError(w, r, scopes, name, daysText, err)
	}
	d := tokenCreatedData{Token: tokenRow{Token: t, State: tokenState(t, u.deps.Accounts.Now())}, Secret: secret}
	pg := u.newPage(r, "account", d)
	pg.Here = "/account"
	u.render(w, r, http.StatusOK, "token_created", pg)
	return nil
}

// tokenFormError shows the account page again with the create-token form's errors.
func (u *ui) tokenFormError(w http.ResponseWriter, r *http.Request, scopes []string, name, days string, err error) error {
	if errs.KindOf(err) == errs.Internal {
		return err
	}
	d, derr := u.accountData(r, scopes, name, days)
	if derr != nil {
		return derr
	}
	p := u.newPage(r, "account", d)
	p.Here = "/account"
	u.showError(p, err)
	// The domain names the field expiresIn; the form names it expires_days.
	if msg, ok := p.Fields["expiresIn"]; ok {
		p.Fields["expires_days"] = msg
	}
	u.render(w, r, formStatus(err), "account", p)
	return nil
}

// revokeToken is POST /account/tokens/{id}/revoke.
func (u *ui) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := u.deps.Accounts.RevokeToken(r.Context(), httpserver.Actor(r), sessionOf(r).Principal, account.TokenID(id)); err != nil {
		return err
	}
	u.redirect(w, r, "/account?flash=token_revoked#tokens")
	return nil
}
