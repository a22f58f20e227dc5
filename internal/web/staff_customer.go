package web

import (
	"net/http"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/notify"
)

// customerData is one customer as the console shows it.
type customerData struct {
	Customer account.Account
	Notices  []notify.Notice
	Audit    []auditRow // only for admins
}

// staffCustomer is GET /staff/customers/{id}: the customer, their latest notices and, for
// admins, the audit rows about them.
func (u *ui) staffCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := u.deps.Accounts.Get(ctx, account.ID(id))
	if err != nil {
		return err
	}
	if c.Kind != account.KindCustomer {
		return errs.Coded(errs.NotFound, "not_found", "customer not found")
	}
	d := customerData{Customer: c}
	if d.Notices, err = u.deps.Notify.List(ctx, notify.Filter{AccountID: int64(c.ID), Limit: 20}); err != nil {
		return err
	}
	if sessionOf(r).Principal.Account.HasRole(account.RoleAdmin) {
		es, err := u.deps.Accounts.AuditLog(ctx, account.AuditFilter{CustomerID: c.ID, Limit: 50})
		if err != nil {
			return err
		}
		d.Audit = auditRows(es)
	}
	u.render(w, r, http.StatusOK, "staff_customer", u.newPage(r, "customers", d))
	return nil
}
