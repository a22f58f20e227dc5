package web

import (
	"net/http"
	"strings"

	"github.com/itsgow/itsgow/internal/account"
)

// customersData is the customer search.
type customersData struct {
	Query     string
	Customers []account.Account
	Pager     pager
}

func accountID(a account.Account) int64 { return int64(a.ID) }

// staffCustomers is GET /staff/customers?q=&before=.
func (u *ui) staffCustomers(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	cs, err := u.deps.Accounts.List(r.Context(), account.ListFilter{Kind: account.KindCustomer, Query: q,
		BeforeID: account.ID(before), Limit: pageSize + 1})
	if err != nil {
		return err
	}
	cs, pg := paginate(r, cs, accountID)
	u.render(w, r, http.StatusOK, "staff_customers", u.newPage(r, "customers", customersData{Query: q, Customers: cs, Pager: pg}))
	return nil
}
