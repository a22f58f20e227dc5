package web

import (
	"net/http"
	"strconv"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/notify"
)

// countCap is where the console's counters stop counting.
const countCap = 200

// staffHomeData is the console's home: each block shows when the staff member's roles allow.
type staffHomeData struct {
	CustomerCount string
	Customers     []account.Account
	Audit         []auditRow
	Outbox        []statusCount
	Notices       []notify.Notice
}

// statusCount is the number of notices in one delivery state.
type statusCount struct {
	Status notify.Status
	Count  string
}

// noticeStatuses are the delivery states, in the order the console shows them.
var noticeStatuses = []notify.Status{notify.Queued, notify.Held, notify.Failed, notify.Sent}

func countText(n int) string {
	if n >= countCap {
		return strconv.Itoa(countCap) + "+"
	}
	return strconv.Itoa(n)
}

// staffHome is GET /staff.
func (u *ui) staffHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	me := sessionOf(r).Principal.Account
	var d staffHomeData
	if me.HasRole(account.RoleSupport) {
		cs, err := u.deps.Accounts.List(ctx, account.ListFilter{Kind: account.KindCustomer, Limit: countCap})
		if err != nil {
			return err
		}
		d.CustomerCount = countText(len(cs))
		d.Customers = cs[:min(len(cs), 5)]
		for _, s := range noticeStatuses {
			ns, err := u.deps.Notify.List(ctx, notify.Filter{Statuses: []notify.Status{s}, Limit: countCap})
			if err != nil {
				return err
			}
			d.Outbox = append(d.Outbox, statusCount{Status: s, Count: countText(len(ns))})
		}
		ns, err := u.deps.Notify.List(ctx, notify.Filter{Limit: 5})
		if err != nil {
			return err
		}
		d.Notices = ns
	}
	if me.HasRole(account.RoleAdmin) {
		es, err := u.deps.Accounts.AuditLog(ctx, account.AuditFilter{Limit: 10})
		if err != nil {
			return err
		}
		d.Audit = auditRows(es)
	}
	u.render(w, r, http.StatusOK, "staff_home", u.newPage(r, "staff", d))
	return nil
}
