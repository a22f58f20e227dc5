package web

import (
	"net/http"
	"net/url"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// setLangCookie remembers the language for the pages shown before a login.
func (u *ui) setLangCookie(w http.ResponseWriter, lang string) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: u.deps.Server.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

func langOf(v url.Values) (string, error) {
	to := v.Get("to")
	if !validLang(to) {
		return "", &errs.Error{Kind: errs.Invalid, Code: "invalid_language", Msg: "unknown language",
			Fields: []errs.FieldError{{Field: "to", Message: "must be fr or en"}}}
	}
	return to, nil
}

// langLink is GET /lang?to=en&next=/login: the switch of visitors who are not logged in. It
// only sets the cookie; a logged-in account changes its language with the POST form, which
// carries a CSRF token (a GET must not change an account).
func (u *ui) langLink(w http.ResponseWriter, r *http.Request) error {
	to, err := langOf(r.URL.Query())
	if err != nil {
		return err
	}
	u.setLangCookie(w, to)
	u.redirect(w, r, safeNext(r.URL.Query().Get("next")))
	return nil
}

// langForm is POST /lang: it saves the logged-in account's language (and sets the cookie).
func (u *ui) langForm(w http.ResponseWriter, r *http.Request) error {
	to, err := langOf(r.PostForm)
	if err != nil {
		return err
	}
	a := sessionOf(r)
	if a.Principal.Account.Language != to {
		if err := u.deps.Accounts.SetLanguage(r.Context(), httpserver.Actor(r), a.Principal.Account.ID, to); err != nil {
			return err
		}
	}
	u.setLangCookie(w, to)
	u.redirect(w, r, safeNext(r.PostForm.Get("next")))
	return nil
}
