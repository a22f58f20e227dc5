package web

import (
	"net/http"

	"github.com/itsgow/itsgow/internal/notify"
)

// noticesData is the list of the account's notices.
type noticesData struct {
	Notices []notify.Notice
	Pager   pager
}

func noticeID(n notify.Notice) int64 { return int64(n.ID) }

// noticeList is GET /notices: every contractual email sent to the account.
func (u *ui) noticeList(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	acc := sessionOf(r).Principal.Account
	ns, err := u.deps.Notify.List(r.Context(), notify.Filter{AccountID: int64(acc.ID), BeforeID: notify.NoticeID(before), Limit: pageSize + 1})
	if err != nil {
		return err
	}
	ns, pg := paginate(r, ns, noticeID)
	u.render(w, r, http.StatusOK, "notices", u.newPage(r, "notices", noticesData{Notices: ns, Pager: pg}))
	return nil
}

// noticeData is one notice.
type noticeData struct {
	Notice notify.Notice
}

// noticeView is GET /notices/{id}; another account's notice does not exist.
func (u *ui) noticeView(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	acc := sessionOf(r).Principal.Account
	n, err := u.deps.Notify.Get(r.Context(), int64(acc.ID), notify.NoticeID(id))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "notice", u.newPage(r, "notices", noticeData{Notice: n}))
	return nil
}
