package web

import (
	"net/http"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// codeData is the data of a page asking for a TOTP code.
type codeData struct {
	Next string
}

// loginTOTPForm is GET /login/totp: the second step of a login with two-factor authentication.
func (u *ui) loginTOTPForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if sessionOf(r).OK {
		u.redirect(w, r, next)
		return nil
	}
	u.render(w, r, http.StatusOK, "login_totp", u.newPage(r, "login", codeData{Next: next}))
	return nil
}

// loginTOTP is POST /login/totp: the code of the authenticator app.
func (u *ui) loginTOTP(w http.ResponseWriter, r *http.Request) error {
	a := sessionOf(r)
	next := safeNext(r.PostForm.Get("next"))
	if a.OK {
		u.redirect(w, r, next)
		return nil
	}
	err := u.deps.Accounts.VerifySecondFactor(r.Context(), a.Principal, r.PostForm.Get("code"), httpserver.ClientIP(r))
	if err == nil {
		u.redirect(w, r, next)
		return nil
	}
	if errs.KindOf(err) == errs.Internal {
		return err
	}
	p := u.newPage(r, "login", codeData{Next: next})
	p.Here = "/login/totp"
	u.showError(p, err)
	u.render(w, r, formStatus(err), "login_totp", p)
	return nil
}
