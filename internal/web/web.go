// Package web is the server-rendered management interface (customers) and staff console, in
// French and English. Pages are html/template files embedded with embed.FS and work without
// JavaScript; every form carries a CSRF token.
//
// Layout: templates/{layout,partials,pages}/*.html (parsed once at Mount), i18n/<lang>.json
// (the message catalogue, with the same keys in every language), static/ (served at
// content-hash URLs), and one Go file per page or action.
//
// It may import httpserver, the domain packages, errs and the standard library; never a store
// or driver adapter. Handlers are safe for concurrent use.
package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/notify"
)

// Deps of the web interface.
type Deps struct {
	Logger   *slog.Logger
	Clock    clock.Clock
	Server   *httpserver.Server
	Accounts *account.Service
	Notify   *notify.Service
	Jobs     jobs.Store
	// NoticeTx runs fn in a transaction offering notify.Tx (staff resend).
	NoticeTx func(r *http.Request, fn func(notify.Tx) error) error
	// Each capability's services (commerce.go, fleet.go, netguard.go).
	Commerce CommerceDeps
	Fleet    FleetDeps
	Netguard NetguardDeps
}

// ui is the mounted interface.
type ui struct {
	deps  Deps
	log   *slog.Logger
	views *views
}

// Mount registers the pages on the server's mux.
func Mount(deps Deps) error {
	if deps.Logger == nil || deps.Server == nil || deps.Accounts == nil || deps.Notify == nil {
		return errors.New("web: Logger, Server, Accounts and Notify are required")
	}
	v, err := newViews()
	if err != nil {
		return err
	}
	u := &ui{deps: deps, log: deps.Logger.With(logkey.Component, "web"), views: v}
	u.routes(deps.Server.Mux())
	return nil
}

func (u *ui) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{hash}/{file}", u.serveStatic)
	mux.Handle("GET /{$}", u.wrap(public, "", u.home))

	mux.Handle("GET /login", u.wrap(public, "", u.loginForm))
	mux.Handle("POST /login", u.wrap(public, "", u.login))
	mux.Handle("GET /login/totp", u.wrap(pending, "", u.loginTOTPForm))
	mux.Handle("POST /login/totp", u.wrap(pending, "", u.loginTOTP))
	mux.Handle("POST /logout", u.wrap(pending, "", u.logout))
	mux.Handle("GET /lang", u.wrap(public, "", u.langLink))
	mux.Handle("POST /lang", u.wrap(user, "", u.langForm))

	mux.Handle("GET /account", u.wrap(user, "", u.accountPage))
	mux.Handle("POST /account/tokens", u.wrap(user, "", u.createToken))
	mux.Handle("POST /account/tokens/{id}/revoke", u.wrap(user, "", u.revokeToken))
	mux.Handle("GET /account/totp", u.wrap(user, "", u.totpPage))
	mux.Handle("POST /account/totp/confirm", u.wrap(user, "", u.confirmTOTP))
	mux.Handle("POST /account/totp/disable", u.wrap(user, "", u.disableTOTP))

	mux.Handle("GET /notices", u.wrap(user, "", u.noticeList))
	mux.Handle("GET /notices/{id}", u.wrap(user, "", u.noticeView))

	mux.Handle("GET /staff", u.wrap(staff, "", u.staffHome))
	mux.Handle("GET /staff/customers", u.wrap(staff, account.RoleSupport, u.staffCustomers))
	mux.Handle("GET /staff/customers/{id}", u.wrap(staff, account.RoleSupport, u.staffCustomer))
	mux.Handle("GET /staff/audit", u.wrap(staff, account.RoleAdmin, u.staffAudit))
	mux.Handle("GET /staff/outbox", u.wrap(staff, account.RoleSupport, u.staffOutbox))
	mux.Handle("GET /staff/outbox/{id}", u.wrap(staff, account.RoleSupport, u.staffNotice))
	mux.Handle("POST /staff/outbox/{id}/resend", u.wrap(staff, account.RoleSupport, u.staffResend))

	u.commerceRoutes(mux)
	u.fleetRoutes(mux)
	u.netguardRoutes(mux)

	// Anything else is a page of the interface that does not exist.
	mux.Handle("/", u.wrap(public, "", func(http.ResponseWriter, *http.Request) error { return errNotFound }))
}
