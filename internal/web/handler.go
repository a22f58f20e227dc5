package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/logkey"
)

// maxFormBytes bounds the body of every form.
const maxFormBytes = 64 << 10

// handlerFunc is a page or action; an error it returns is rendered as the error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// access is who may open a page.
type access int

const (
	public  access = iota // anyone; a POST checks its own CSRF token (login)
	pending               // a session, even one waiting for its second factor
	user                  // a fully logged-in account
	staff                 // a staff member holding the route's role, if any
)

var (
	errNotFound  = errs.Coded(errs.NotFound, "not_found", "page not found")
	errForbidden = errs.Coded(errs.Forbidden, "forbidden", "you may not open this page")
)

// sessionOf is the authentication of a request as the interface sees it: only session cookies
// count; a bearer token is for the API.
func sessionOf(r *http.Request) httpserver.Auth {
	a := httpserver.AuthOf(r.Context())
	if a.ViaToken || a.Principal.Session == nil {
		return httpserver.Auth{}
	}
	return a
}

// wrap applies the access rule, parses and CSRF-checks forms, and renders the handler's error.
func (u *ui) wrap(acc access, role account.Role, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := sessionOf(r)
		switch acc {
		case pending:
			if !a.OK && !a.Pending {
				u.toLogin(w, r, httpserver.AuthOf(r.Context()).Err)
				return
			}
		case user, staff:
			if a.Pending {
				u.redirect(w, r, "/login/totp"+nextQuery(r))
				return
			}
			if !a.OK {
				u.toLogin(w, r, httpserver.AuthOf(r.Context()).Err)
				return
			}
		}
		if acc == staff && (!a.Principal.IsStaff() || role != "" && !a.Principal.Account.HasRole(role)) {
			u.fail(w, r, errForbidden)
			return
		}
		if r.Method == http.MethodPost {
			if err := parseForm(w, r); err != nil {
				u.fail(w, r, err)
				return
			}
			if acc != public {
				if err := httpserver.CheckCSRF(r); err != nil {
					u.fail(w, r, err)
					return
				}
			}
		}
		if err := h(w, r); err != nil {
			u.fail(w, r, err)
		}
	})
}

// parseForm reads an urlencoded form of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.Coded(errs.Invalid, "form_too_large", "the form is too large")
		}
		return errs.Coded(errs.Invalid, "invalid_form", "the form could not be read")
	}
	return nil
}

// nextQuery is "?next=<this page>" for a GET, so that the login comes back to it.
func nextQuery(r *http.Request) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ""
	}
	next := r.URL.RequestURI()
	if safeNext(next) != next || next == "/" {
		return ""
	}
	return "?next=" + url.QueryEscape(next)
}

// toLogin sends a visitor who is not logged in to the login page.
func (u *ui) toLogin(w http.ResponseWriter, r *http.Request, why error) {
	target := "/login" + nextQuery(r)
	if e := errs.As(why); e != nil && e.Code == "session_expired" {
		if strings.Contains(target, "?") {
			target += "&flash=expired"
		} else {
			target += "?flash=expired"
		}
	}
	u.redirect(w, r, target)
}

func (u *ui) redirect(w http.ResponseWriter, r *http.Request, target string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, "/" otherwise (no open redirect).
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "/"
	}
	p, err := url.Parse(next)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil {
		return "/"
	}
	return next
}

// flashes are the success messages a redirect may ask for with ?flash=.
var flashes = []string{"logged_out", "expired", "language_saved", "token_revoked", "totp_enabled",
	"totp_disabled", "resend_queued"}

// newPage prepares the layout's data for the request.
func (u *ui) newPage(r *http.Request, nav string, data any) *page {
	a := sessionOf(r)
	p := &page{Nav: nav, Data: data, RequestID: httpserver.RequestID(r.Context()), Fields: map[string]string{}, Here: "/"}
	accountLang := ""
	if a.OK || a.Pending {
		acc := a.Principal.Account
		p.User, p.Pending, p.CSRF = &acc, a.Pending, httpserver.CSRFToken(a.Principal.Session)
		accountLang = acc.Language
	}
	p.Lang = requestLang(r, accountLang)
	q := r.URL.Query()
	if f := q.Get("flash"); slices.Contains(flashes, f) {
		p.Flash = "flash." + f
	}
	if r.Method == http.MethodGet {
		q.Del("flash")
		p.Here = r.URL.Path
		if len(q) > 0 {
			p.Here += "?" + q.Encode()
		}
	}
	p.cat, p.assets = u.views.cat, u.views.assets
	return p
}

// render writes a page with its status. Pages carry personal data, so no cache keeps them.
func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var b bytes.Buffer
	if err := u.views.render(&b, name, p); err != nil {
		u.log.Error("page failed to render", logkey.RequestID, p.RequestID, logkey.Path, r.URL.Path, logkey.Error, err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error, request " + p.RequestID + "\n"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// errorData is the error page's data.
type errorData struct {
	Status  int
	Title   string // catalogue key
	Message string
}

// fail renders the error page of err: its status, a public message and the request id. The
// cause of an internal error is logged (the one place the interface logs it), never shown.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, err error) {
	kind := errs.KindOf(err)
	status := httpserver.StatusOf(kind)
	switch {
	case kind == errs.Internal:
		u.log.Error("page failed", logkey.RequestID, httpserver.RequestID(r.Context()), logkey.Method, r.Method,
			logkey.Path, r.URL.Path, logkey.Error, err)
	case status >= 500:
		u.log.Warn("page unavailable", logkey.RequestID, httpserver.RequestID(r.Context()), logkey.Method, r.Method,
			logkey.Path, r.URL.Path, logkey.Error, err)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	p := u.newPage(r, "", nil)
	p.Data = errorData{Status: status, Title: "error.title." + kind.String(), Message: u.errText(p, err)}
	u.render(w, r, status, "error", p)
}

// errText is the message of err in the page's language: the catalogue's text for its code when
// there is one, else errs.Public.
func (u *ui) errText(p *page, err error) string {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		return p.T("err.internal")
	}
	var locked *account.LockedError
	if errors.As(err, &locked) {
		return p.T("err.account_locked_until", p.Time(locked.Until))
	}
	if s, ok := u.views.cat.lookup(p.Lang, "err."+e.Code); ok {
		return s
	}
	return errs.Public(err)
}

// showError puts err on a form page: the message at the top and each field's next to it.
func (u *ui) showError(p *page, err error) {
	p.Alert = u.errText(p, err)
	if e := errs.As(err); e != nil && e.Kind != errs.Internal {
		for _, f := range e.Fields {
			msg := u.fieldText(p.Lang, f.Message)
			if prev := p.Fields[f.Field]; prev != "" {
				msg = prev + " ; " + msg
			}
			p.Fields[f.Field] = msg
		}
	}
}

// fieldPrefixes are the field messages of the domain that end with a value, such as
// `unknown scope "x"`; the catalogue holds them as "field.<prefix>%s".
var fieldPrefixes = append([]string{"you do not hold scope ", "unknown scope "}, commerceFieldPrefixes...)

// fieldText translates a field message of the domain (English) when the catalogue knows it.
func (u *ui) fieldText(lang, msg string) string {
	if s, ok := u.views.cat.lookup(lang, "field."+msg); ok {
		return s
	}
	for _, prefix := range fieldPrefixes {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			if s, ok := u.views.cat.lookup(lang, "field."+prefix+"%s"); ok {
				return fmt.Sprintf(s, rest)
			}
		}
	}
	return msg
}

// formStatus is the status of a form page shown again with err.
func formStatus(err error) int { return httpserver.StatusOf(errs.KindOf(err)) }

// pathID reads a positive integer path value; anything else is a page that does not exist.
func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotFound
	}
	return n, nil
}
