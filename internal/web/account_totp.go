package web

import (
	"net/http"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// totpData is the data of the two-factor authentication page.
type totpData struct {
	Enabled bool
	Setup   account.TOTPSetup // the pending secret, while not enabled
}

// totpData loads the page's data, starting the setup when no secret is pending.
func (u *ui) totpData(r *http.Request) (totpData, error) {
	p := sessionOf(r).Principal
	if p.Account.TOTPEnabled {
		return totpData{Enabled: true}, nil
	}
	setup, ok, err := u.deps.Accounts.PendingTOTP(r.Context(), p)
	if err != nil {
		return totpData{}, err
	}
	if !ok {
		if setup, err = u.deps.Accounts.BeginTOTP(r.Context(), httpserver.Actor(r), p); err != nil {
			return totpData{}, err
		}
	}
	return totpData{Setup: setup}, nil
}

// totpPage is GET /account/totp: the secret and otpauth URL to enter in an authenticator app
// and the form that confirms it, or the form that turns the second factor off.
func (u *ui) totpPage(w http.ResponseWriter, r *http.Request) error {
	d, err := u.totpData(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "totp", u.newPage(r, "account", d))
	return nil
}

// confirmTOTP is POST /account/totp/confirm: the first code turns the second factor on.
func (u *ui) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	err := u.deps.Accounts.ConfirmTOTP(r.Context(), httpserver.Actor(r), sessionOf(r).Principal, r.PostForm.Get("code"))
	return u.totpDone(w, r, err, "/account?flash=totp_enabled")
}

// disableTOTP is POST /account/totp/disable: a current code turns the second factor off.
func (u *ui) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	err := u.deps.Accounts.DisableTOTP(r.Context(), httpserver.Actor(r), sessionOf(r).Principal, r.PostForm.Get("code"))
	return u.totpDone(w, r, err, "/account?flash=totp_disabled")
}

func (u *ui) totpDone(w http.ResponseWriter, r *http.Request, err error, next string) error {
	if err == nil {
		u.redirect(w, r, next)
		return nil
	}
	if errs.KindOf(err) == errs.Internal {
		return err
	}
	d, derr := u.totpData(r)
	if derr != nil {
		return derr
	}
	p := u.newPage(r, "account", d)
	p.Here = "/account/totp"
	u.showError(p, err)
	u.render(w, r, formStatus(err), "totp", p)
	return nil
}
