package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// The contract forms live in the "My contracts" section of /invoices: the renewal mode and the
// termination (CGU Art. 10). They call the same domain operations as PATCH /api/v1/contracts/{id}
// and POST|DELETE /api/v1/contracts/{id}/termination; an error of the domain (409 contract_terminated,
// offer_frozen...) shows the invoices page again with the message and the failed contract's
// form marked.

// contractRenew is POST /contracts/{id}/renew: renew=automatic|manual.
func (u *ui) contractRenew(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mode := billing.RenewMode(r.PostForm.Get("renew"))
	c, err := u.deps.Commerce.Billing.ChangeContract(r.Context(), httpserver.Actor(r), sessionOf(r).Principal.Account.ID,
		billing.ContractID(id), billing.Change{Renew: &mode})
	if err != nil {
		return u.contractError(w, r, billing.ContractID(id), err)
	}
	u.redirect(w, r, fmt.Sprintf("/invoices?flash=renew_%s#contract-%d", c.Renew, c.ID))
	return nil
}

// contractTerminate is POST /contracts/{id}/terminate: at=endOfTerm|now and confirm=1.
func (u *ui) contractTerminate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "1" {
		return u.contractError(w, r, billing.ContractID(id),
			errs.Fields(errs.FieldError{Field: "confirm", Message: "tick the box to confirm the termination"}))
	}
	at := r.PostForm.Get("at")
	c, err := u.deps.Commerce.Billing.Terminate(r.Context(), httpserver.Actor(r), sessionOf(r).Principal.Account.ID,
		billing.ContractID(id), at, "customer")
	if err != nil {
		return u.contractError(w, r, billing.ContractID(id), err)
	}
	flash := "contract_ending"
	if c.Status == billing.ContractTerminated {
		flash = "contract_terminated"
	}
	u.redirect(w, r, fmt.Sprintf("/invoices?flash=%s#contract-%d", flash, c.ID))
	return nil
}

// contractKeep is POST /contracts/{id}/termination/withdraw: the termination asked for the end of
// the term is withdrawn while the term runs (DELETE /api/v1/contracts/{id}/termination).
func (u *ui) contractKeep(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := u.deps.Commerce.Billing.WithdrawTermination(r.Context(), httpserver.Actor(r), sessionOf(r).Principal.Account.ID,
		billing.ContractID(id))
	if err != nil {
		return u.contractError(w, r, billing.ContractID(id), err)
	}
	u.redirect(w, r, fmt.Sprintf("/invoices?flash=termination_withdrawn#contract-%d", c.ID))
	return nil
}

// contractError shows the invoices page with err as its message; a contract that is not the
// customer's is a page that does not exist.
func (u *ui) contractError(w http.ResponseWriter, r *http.Request, id billing.ContractID, err error) error {
	if k := errs.KindOf(err); k == errs.Internal || k == errs.NotFound {
		return err
	}
	list := *r // the first page of /invoices: its pager links there, not to the form's path
	list.URL = &url.URL{Path: "/invoices"}
	d, derr := u.invoicesData(&list, 0)
	if derr != nil {
		return derr
	}
	d.Failed = id
	p := u.commercePage(r, "invoices", d)
	p.Here = "/invoices"
	u.showError(p, err)
	u.render(w, r, formStatus(err), "commerce_invoices", p)
	return nil
}
