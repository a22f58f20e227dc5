package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/notify"
)

// table is every route: the core (accounts, notices, staff) and each capability's own file.
func (a *API) table() []Route {
	var rs []Route
	rs = append(rs, a.coreRoutes()...)
	rs = append(rs, a.commerceRoutes()...)
	rs = append(rs, a.fleetRoutes()...)
	rs = append(rs, a.netguardRoutes()...)
	return rs
}

func (a *API) coreRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/auth/login", Summary: "Log in with email and password (sets the session cookie)", Tag: "auth",
			access: public, Request: LoginRequest{}, Reply: LoginReply{}, Status: 200, handle: a.login},
		{Method: "POST", Path: "/auth/second-factor", Summary: "Complete a login with a TOTP code", Tag: "auth",
			access: pending, Request: CodeRequest{}, Reply: LoginReply{}, Status: 200, handle: a.secondFactor},
		{Method: "POST", Path: "/auth/logout", Summary: "End the session", Tag: "auth",
			access: pending, Status: 204, handle: a.logout},
		{Method: "GET", Path: "/me", Summary: "The authenticated account", Tag: "account",
			access: user, Scope: account.ScopeAccountRead, Reply: AccountDTO{}, Status: 200, handle: a.me},
		{Method: "PATCH", Path: "/me", Summary: "Change preferences (language)", Tag: "account",
			access: user, Scope: account.ScopeAccountWrite, Request: MePatch{}, Reply: AccountDTO{}, Status: 200, handle: a.patchMe},
		{Method: "GET", Path: "/me/tokens", Summary: "List my API tokens", Tag: "account",
			access: user, Scope: account.ScopeAccountRead, Reply: Page[TokenDTO]{}, Status: 200, handle: a.listTokens},
		{Method: "POST", Path: "/me/tokens", Summary: "Create an API token (its secret is shown once)", Tag: "account",
			access: user, Scope: account.ScopeAccountWrite, Request: TokenRequest{}, Reply: TokenCreatedDTO{}, Status: 201, handle: a.createToken},
		{Method: "DELETE", Path: "/me/tokens/{id}", Summary: "Revoke an API token", Tag: "account",
			access: user, Scope: account.ScopeAccountWrite, Status: 204, handle: a.revokeToken},
		{Method: "POST", Path: "/me/totp", Summary: "Start the second-factor setup", Tag: "account",
			access: user, Scope: account.ScopeAccountWrite, Reply: TOTPSetupDTO{}, Status: 200, handle: a.beginTOTP},
		{Method: "POST", Path: "/me/totp/confirm", Summary: "Turn the second factor on with a code", Tag: "account",
			access: user, Scope: account.ScopeAccountWrite, Request: CodeRequest{}, Status: 204, handle: a.confirmTOTP},
		{Method: "POST", Path: "/me/totp/disable", Summary: "Turn the second factor off with a code", Tag: "account",
			access: user, Scope: account.ScopeAccountWrite, Request: CodeRequest{}, Status: 204, handle: a.disableTOTP},
		{Method: "GET", Path: "/notices", Summary: "Every contractual email sent to me, with its content", Tag: "notices",
			access: user, Scope: account.ScopeNoticesRead, Reply: Page[NoticeDTO]{}, Status: 200,
			Query: []Param{{"limit", "integer", "page size (1-200)"}, {"cursor", "string", "nextCursor of the previous page"}}, handle: a.listNotices},
		{Method: "GET", Path: "/notices/{id}", Summary: "One notice", Tag: "notices",
			access: user, Scope: account.ScopeNoticesRead, Reply: NoticeDTO{}, Status: 200, handle: a.getNotice},
		{Method: "GET", Path: "/staff/customers", Summary: "List customers", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleSupport, Reply: Page[AccountDTO]{}, Status: 200,
			Query: []Param{{"q", "string", "search email, name or company"}, {"limit", "integer", ""}, {"cursor", "string", ""}}, handle: a.listCustomers},
		{Method: "POST", Path: "/staff/customers", Summary: "Create a customer account", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleSupport, Request: NewCustomerRequest{}, Reply: AccountDTO{}, Status: 201, handle: a.createCustomer},
		{Method: "GET", Path: "/staff/customers/{id}", Summary: "One customer", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleSupport, Reply: AccountDTO{}, Status: 200, handle: a.getCustomer},
		{Method: "POST", Path: "/staff/members", Summary: "Create a staff member", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleAdmin, Request: NewStaffRequest{}, Reply: AccountDTO{}, Status: 201, handle: a.createStaff},
		{Method: "GET", Path: "/staff/audit", Summary: "The audit log", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleAdmin, Reply: Page[AuditDTO]{}, Status: 200,
			Query: []Param{{"customerId", "integer", "only rows about this customer"}, {"limit", "integer", ""}, {"cursor", "string", ""}}, handle: a.listAudit},
		{Method: "GET", Path: "/staff/outbox", Summary: "The mail outbox (every notice, by delivery state)", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleSupport, Reply: Page[NoticeDTO]{}, Status: 200,
			Query: []Param{{"status", "string", "queued, sent, failed or held"}, {"limit", "integer", ""}, {"cursor", "string", ""}}, handle: a.listOutbox},
		{Method: "POST", Path: "/staff/outbox/{id}/resend", Summary: "Queue one more delivery attempt of a notice", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleSupport, Status: 202, handle: a.resendNotice},
		{Method: "GET", Path: "/staff/jobs", Summary: "Jobs of the durable queue by state", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleAdmin, Reply: Page[JobDTO]{}, Status: 200,
			Query: []Param{{"state", "string", "available, running, completed, discarded"}}, handle: a.listJobs},
	}
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var in LoginRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var v errs.Validator
	v.Check(in.Email != "", "email", "is required")
	v.Check(in.Password != "", "password", "is required")
	if err := v.Err(); err != nil {
		return err
	}
	res, err := a.deps.Accounts.Login(r.Context(), in.Email, in.Password, httpserver.ClientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	a.deps.Server.SetSessionCookie(w, res.SessionSecret, res.Session.ExpiresAt)
	return httpserver.WriteJSON(w, http.StatusOK, LoginReply{NeedsSecondFactor: res.NeedsTOTP,
		CSRFToken: httpserver.CSRFToken(&res.Session), Account: accountDTO(res.Account)})
}

func (a *API) secondFactor(w http.ResponseWriter, r *http.Request) error {
	var in CodeRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p := principal(r)
	if err := a.deps.Accounts.VerifySecondFactor(r.Context(), p, in.Code, httpserver.ClientIP(r)); err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, LoginReply{CSRFToken: httpserver.CSRFToken(p.Session), Account: accountDTO(p.Account)})
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Accounts.Logout(r.Context(), principal(r)); err != nil {
		return err
	}
	a.deps.Server.SetSessionCookie(w, "", time.Time{})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	d := accountDTO(p.Account)
	for _, s := range p.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	return httpserver.WriteJSON(w, http.StatusOK, d)
}

func (a *API) patchMe(w http.ResponseWriter, r *http.Request) error {
	var in MePatch
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p := principal(r)
	if in.Language != nil {
		if err := a.deps.Accounts.SetLanguage(r.Context(), httpserver.Actor(r), p.Account.ID, *in.Language); err != nil {
			return err
		}
	}
	acc, err := a.deps.Accounts.Get(r.Context(), p.Account.ID)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, accountDTO(acc))
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.deps.Accounts.Tokens(r.Context(), principal(r).Account.ID)
	if err != nil {
		return err
	}
	now := a.deps.Accounts.Now()
	out := Page[TokenDTO]{Items: []TokenDTO{}}
	for _, t := range ts {
		out.Items = append(out.Items, tokenDTO(t, now))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in TokenRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 1830 {
		return errs.Fields(errs.FieldError{Field: "expiresInDays", Message: "must be between 0 (never) and 1830"})
	}
	t, secret, err := a.deps.Accounts.CreateToken(r.Context(), httpserver.Actor(r), principal(r), account.NewToken{
		Name: in.Name, Scopes: in.Scopes, ExpiresIn: time.Duration(in.ExpiresInDays) * 24 * time.Hour})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/me/tokens/%d", t.ID))
	return httpserver.WriteJSON(w, http.StatusCreated, TokenCreatedDTO{TokenDTO: tokenDTO(t, a.deps.Accounts.Now()), Token: secret})
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.deps.Accounts.RevokeToken(r.Context(), httpserver.Actor(r), principal(r), account.TokenID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) beginTOTP(w http.ResponseWriter, r *http.Request) error {
	s, err := a.deps.Accounts.BeginTOTP(r.Context(), httpserver.Actor(r), principal(r))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, TOTPSetupDTO{Secret: s.Secret, OTPAuthURL: s.URL})
}

func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	var in CodeRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := a.deps.Accounts.ConfirmTOTP(r.Context(), httpserver.Actor(r), principal(r), in.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	var in CodeRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := a.deps.Accounts.DisableTOTP(r.Context(), httpserver.Actor(r), principal(r), in.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listNotices(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	ns, err := a.deps.Notify.List(r.Context(), notify.Filter{AccountID: int64(principal(r).Account.ID), BeforeID: notify.NoticeID(before), Limit: limit})
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, noticePage(ns, limit))
}

func noticePage(ns []notify.Notice, limit int) Page[NoticeDTO] {
	out := Page[NoticeDTO]{Items: []NoticeDTO{}}
	for _, n := range ns {
		out.Items = append(out.Items, noticeDTO(n))
	}
	if len(ns) > 0 {
		out.NextCursor = cursorOf(len(ns), limit, int64(ns[len(ns)-1].ID))
	}
	return out
}

func (a *API) getNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := a.deps.Notify.Get(r.Context(), int64(principal(r).Account.ID), notify.NoticeID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, noticeDTO(n))
}

func (a *API) listCustomers(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	as, err := a.deps.Accounts.List(r.Context(), account.ListFilter{Kind: account.KindCustomer, Query: r.URL.Query().Get("q"),
		BeforeID: account.ID(before), Limit: limit})
	if err != nil {
		return err
	}
	out := Page[AccountDTO]{Items: []AccountDTO{}}
	for _, x := range as {
		out.Items = append(out.Items, accountDTO(x))
	}
	if len(as) > 0 {
		out.NextCursor = cursorOf(len(as), limit, int64(as[len(as)-1].ID))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	acc, err := a.deps.Accounts.Get(r.Context(), account.ID(id))
	if err != nil {
		return err
	}
	if acc.Kind != account.KindCustomer {
		return errs.Coded(errs.NotFound, "not_found", "customer not found")
	}
	return httpserver.WriteJSON(w, http.StatusOK, accountDTO(acc))
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in NewCustomerRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := in.Customer
	acc, err := a.deps.Accounts.CreateCustomer(r.Context(), httpserver.Actor(r), account.NewCustomer{
		Email: in.Email, Password: in.Password, Name: in.Name, Language: in.Language,
		Customer: account.Customer{Type: account.CustomerType(c.Type), CompanyName: c.CompanyName, Address: c.Address,
			PostalCode: c.PostalCode, City: c.City, Country: c.Country, SIREN: c.SIREN, VATNumber: c.VATNumber, Phone: c.Phone}})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/staff/customers/%d", acc.ID))
	return httpserver.WriteJSON(w, http.StatusCreated, accountDTO(acc))
}

func (a *API) createStaff(w http.ResponseWriter, r *http.Request) error {
	var in NewStaffRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	roles := make([]account.Role, 0, len(in.Roles))
	for _, x := range in.Roles {
		roles = append(roles, account.Role(x))
	}
	acc, err := a.deps.Accounts.CreateStaff(r.Context(), httpserver.Actor(r), account.NewStaff{
		Email: in.Email, Password: in.Password, Name: in.Name, Language: in.Language, Roles: roles})
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, accountDTO(acc))
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 500)
	if err != nil {
		return err
	}
	var cust int64
	if s := r.URL.Query().Get("customerId"); s != "" {
		if _, err := fmt.Sscan(s, &cust); err != nil || cust <= 0 {
			return errs.Fields(errs.FieldError{Field: "customerId", Message: "must be a customer id"})
		}
	}
	es, err := a.deps.Accounts.AuditLog(r.Context(), account.AuditFilter{CustomerID: account.ID(cust), BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	out := Page[AuditDTO]{Items: []AuditDTO{}}
	for _, e := range es {
		d := AuditDTO{ID: e.ID, At: e.At, ActorKind: e.Actor.Kind, ActorID: int64(e.Actor.ID), Actor: e.Actor.Label,
			Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, CustomerID: int64(e.CustomerID),
			RequestID: e.Actor.RequestID, IP: e.Actor.IP, Details: map[string]any{}}
		_ = json.Unmarshal(e.Details, &d.Details)
		out.Items = append(out.Items, d)
	}
	if len(es) > 0 {
		out.NextCursor = cursorOf(len(es), limit, es[len(es)-1].ID)
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) listOutbox(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	f := notify.Filter{BeforeID: notify.NoticeID(before), Limit: limit}
	if s := r.URL.Query().Get("status"); s != "" {
		switch notify.Status(s) {
		case notify.Queued, notify.Sent, notify.Failed, notify.Held:
			f.Statuses = []notify.Status{notify.Status(s)}
		default:
			return errs.Fields(errs.FieldError{Field: "status", Message: "must be queued, sent, failed or held"})
		}
	}
	ns, err := a.deps.Notify.List(r.Context(), f)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, noticePage(ns, limit))
}

func (a *API) resendNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.deps.Notify.Get(r.Context(), 0, notify.NoticeID(id)); err != nil {
		return err
	}
	err = a.deps.NoticeTx(r, func(tx notify.Tx) error { return a.deps.Notify.Resend(r.Context(), tx, notify.NoticeID(id)) })
	if err != nil {
		return err
	}
	_ = a.deps.Accounts.RecordAudit(r.Context(), httpserver.Actor(r), "notice.resend", "notice", fmt.Sprint(id), 0, nil)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (a *API) listJobs(w http.ResponseWriter, r *http.Request) error {
	state := jobs.State(r.URL.Query().Get("state"))
	if state == "" {
		state = jobs.Available
	}
	switch state {
	case jobs.Available, jobs.Running, jobs.Completed, jobs.Discarded, jobs.Cancelled:
	default:
		return errs.Fields(errs.FieldError{Field: "state", Message: "must be available, running, completed, discarded or cancelled"})
	}
	js, err := a.deps.Jobs.ListJobs(r.Context(), state, 100)
	if err != nil {
		return err
	}
	out := Page[JobDTO]{Items: []JobDTO{}}
	for _, j := range js {
		out.Items = append(out.Items, JobDTO{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt,
			MaxAttempts: j.MaxAttempts, RunAt: j.RunAt, LastError: j.LastError})
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}
