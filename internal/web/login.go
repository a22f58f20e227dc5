package web

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// loginCSRFCookie holds the double-submit token of the login form: before the login there is
// no session to derive a token from, so the form must echo this random cookie.
const loginCSRFCookie = "itsgow_csrf"

var errLoginCSRF = errs.Coded(errs.Forbidden, "csrf",
	"the form expired or did not come from itsgow; reload the page and try again")

// loginData is the login page's data.
type loginData struct {
	Email string
	Next  string
	CSRF  string
}

// loginToken returns the login CSRF token of the browser, setting a new cookie when it has none.
func (u *ui) loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HttpOnly: true,
		Secure: u.deps.Server.SecureCookies(), SameSite: http.SameSiteLaxMode})
	return tok
}

// checkLoginToken verifies the double-submit token of a login form.
func checkLoginToken(r *http.Request) error {
	c, err := r.Cookie(loginCSRFCookie)
	got := r.PostForm.Get("csrf")
	if err != nil || c.Value == "" || got == "" || !hmac.Equal([]byte(c.Value), []byte(got)) {
		return errLoginCSRF
	}
	return nil
}

// loginForm is GET /login.
func (u *ui) loginForm(w http.ResponseWriter, r *http.Request) error {
	a := sessionOf(r)
	next := safeNext(r.URL.Query().Get("next"))
	switch {
	case a.OK:
		u.redirect(w, r, next)
		return nil
	case a.Pending:
		u.redirect(w, r, "/login/totp?next="+url.QueryEscape(next))
		return nil
	}
	p := u.newPage(r, "login", loginData{Next: next, CSRF: u.loginToken(w, r)})
	u.render(w, r, http.StatusOK, "login", p)
	return nil
}

// login is POST /login: email and password.
func (u *ui) login(w http.ResponseWriter, r *http.Request) error {
	if err := checkLoginToken(r); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	var v errs.Validator
	v.Check(email != "", "email", "is required")
	v.Check(password != "", "password", "is required")
	err := v.Err()
	if err == nil {
		res, lerr := u.deps.Accounts.Login(r.Context(), email, password, httpserver.ClientIP(r), r.UserAgent())
		if lerr == nil {
			u.deps.Server.SetSessionCookie(w, res.SessionSecret, res.Session.ExpiresAt)
			http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Path: "/login", MaxAge: -1, HttpOnly: true,
				Secure: u.deps.Server.SecureCookies(), SameSite: http.SameSiteLaxMode})
			if res.NeedsTOTP {
				u.redirect(w, r, "/login/totp?next="+url.QueryEscape(next))
			} else {
				u.redirect(w, r, next)
			}
			return nil
		}
		err = lerr
	}
	if errs.KindOf(err) == errs.Internal {
		return err
	}
	p := u.newPage(r, "login", loginData{Email: email, Next: next, CSRF: u.loginToken(w, r)})
	p.Here = "/login"
	u.showError(p, err)
	status := formStatus(err)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	u.render(w, r, status, "login", p)
	return nil
}
