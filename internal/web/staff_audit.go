package web

import (
	"net/http"
	"strconv"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
)

// auditRow is an audit entry with its details as text.
type auditRow struct {
	account.AuditEntry
	DetailsText string
}

func auditRows(es []account.AuditEntry) []auditRow {
	out := make([]auditRow, 0, len(es))
	for _, e := range es {
		d := string(e.Details)
		if d == "{}" || d == "null" {
			d = ""
		}
		out = append(out, auditRow{AuditEntry: e, DetailsText: d})
	}
	return out
}

func auditID(e account.AuditEntry) int64 { return e.ID }

// auditData is a page of the audit log.
type auditData struct {
	CustomerID string
	Rows       []auditRow
	Pager      pager
}

// staffAudit is GET /staff/audit?customer=&before=.
func (u *ui) staffAudit(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	f := account.AuditFilter{BeforeID: before, Limit: pageSize + 1}
	cust := r.URL.Query().Get("customer")
	if cust != "" {
		n, err := strconv.ParseInt(cust, 10, 64)
		if err != nil || n <= 0 {
			return &errs.Error{Kind: errs.Invalid, Code: "invalid_customer", Msg: "invalid customer id",
				Fields: []errs.FieldError{{Field: "customer", Message: "must be a customer id"}}}
		}
		f.CustomerID = account.ID(n)
	}
	es, err := u.deps.Accounts.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	es, pg := paginate(r, es, auditID)
	u.render(w, r, http.StatusOK, "staff_audit", u.newPage(r, "audit", auditData{CustomerID: cust, Rows: auditRows(es), Pager: pg}))
	return nil
}
