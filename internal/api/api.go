package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/notify"
)

// Deps of the API.
type Deps struct {
	Logger   *slog.Logger
	Server   *httpserver.Server
	Accounts *account.Service
	Notify   *notify.Service
	// NoticeTx runs fn in a transaction offering notify.Tx (staff resend).
	NoticeTx func(r *http.Request, fn func(notify.Tx) error) error
	Jobs     jobs.Store
	Version  string
	// Each capability's services (commerce.go, fleet.go, netguard.go).
	Commerce CommerceDeps
	Fleet    FleetDeps
	Netguard NetguardDeps
}

// access is who may call a route.
type access int

const (
	public  access = iota // anyone
	user                  // an authenticated principal with the route's scope
	pending               // a session waiting for its second factor, or a full one
)

// Route is one API operation; the OpenAPI document is generated from the table of routes.
type Route struct {
	Method  string
	Path    string // under /api/v1, with {param}
	Summary string
	Tag     string
	access  access
	Scope   account.Scope
	Role    account.Role // staff role required, if any
	Request any          // body type, for the document
	Reply   any          // 2xx body type
	Status  int          // success status
	Query   []Param
	handle  func(w http.ResponseWriter, r *http.Request) error
}

// Param is a documented query parameter.
type Param struct {
	Name, Type, Description string
}

// API is the mounted REST API.
type API struct {
	deps    Deps
	log     *slog.Logger
	routes  []Route
	docOnce sync.Once // the OpenAPI document is rendered on first request
	doc     []byte
}

// Mount registers every route on the server's mux.
func Mount(deps Deps) *API {
	a := &API{deps: deps, log: deps.Logger.With(logkey.Component, "api")}
	a.routes = a.table()
	mux := deps.Server.Mux()
	for _, rt := range a.routes {
		mux.Handle(rt.Method+" /api/v1"+rt.Path, a.wrap(rt))
	}
	mux.HandleFunc("GET /api/v1/openapi.json", a.openAPIHandler)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		httpserver.WriteProblem(w, r, a.log, errs.Coded(errs.NotFound, "no_route", "no such API route: "+r.Method+" "+r.URL.Path))
	})
	return a
}

// Routes returns the route table.
func (a *API) Routes() []Route { return a.routes }

func (a *API) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.authorize(rt, r); err != nil {
			httpserver.WriteProblem(w, r, a.log, err)
			return
		}
		if err := rt.handle(w, r); err != nil {
			httpserver.WriteProblem(w, r, a.log, err)
		}
	})
}

func (a *API) authorize(rt Route, r *http.Request) error {
	au := httpserver.AuthOf(r.Context())
	if rt.access == public {
		return nil
	}
	if rt.access == pending {
		if !au.OK && !au.Pending {
			return authErr(au)
		}
	} else {
		if !au.OK {
			return authErr(au)
		}
		if rt.Scope != "" && !au.Principal.Can(rt.Scope) {
			return errs.Coded(errs.Forbidden, "insufficient_scope", "this token lacks the scope "+string(rt.Scope))
		}
		if rt.Role != "" && !au.Principal.Account.HasRole(rt.Role) {
			return errs.Coded(errs.Forbidden, "forbidden", "this needs the staff role "+string(rt.Role))
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !au.ViaToken {
		return httpserver.CheckCSRF(r)
	}
	return nil
}

func authErr(au httpserver.Auth) error {
	if au.Err != nil {
		return au.Err
	}
	return errs.Coded(errs.Unauthenticated, "unauthenticated", "authentication required: send Authorization: Bearer <token>")
}

func principal(r *http.Request) account.Principal { return httpserver.AuthOf(r.Context()).Principal }

// Page is a page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// pageParams reads ?limit= and ?cursor= (an id: items below it).
func pageParams(r *http.Request, max int) (limit int, before int64, err error) {
	var v errs.Validator
	limit = 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, e := strconv.Atoi(s)
		v.Check(e == nil && n >= 1 && n <= max, "limit", "must be an integer between 1 and "+strconv.Itoa(max))
		limit = n
	}
	if s := r.URL.Query().Get("cursor"); s != "" {
		n, e := strconv.ParseInt(s, 10, 64)
		v.Check(e == nil && n > 0, "cursor", "must be a cursor returned by the previous page")
		before = n
	}
	return limit, before, v.Err()
}

func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.Coded(errs.NotFound, "not_found", name+" not found")
	}
	return n, nil
}

func cursorOf(n, limit int, lastID int64) string {
	if n < limit {
		return ""
	}
	return strconv.FormatInt(lastID, 10)
}
