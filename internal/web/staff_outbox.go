package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/notify"
)

// outboxData is a page of the outbox.
type outboxData struct {
	Status   string // "" for every state
	Statuses []notify.Status
	Notices  []notify.Notice
	Pager    pager
}

// staffOutbox is GET /staff/outbox?status=&before=: every notice, by delivery state.
func (u *ui) staffOutbox(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	f := notify.Filter{BeforeID: notify.NoticeID(before), Limit: pageSize + 1}
	status := r.URL.Query().Get("status")
	if status != "" {
		if !slices.Contains(noticeStatuses, notify.Status(status)) {
			return &errs.Error{Kind: errs.Invalid, Code: "invalid_status", Msg: "unknown delivery status",
				Fields: []errs.FieldError{{Field: "status", Message: "must be queued, sent, failed or held"}}}
		}
		f.Statuses = []notify.Status{notify.Status(status)}
	}
	ns, err := u.deps.Notify.List(r.Context(), f)
	if err != nil {
		return err
	}
	ns, pg := paginate(r, ns, noticeID)
	u.render(w, r, http.StatusOK, "staff_outbox", u.newPage(r, "outbox",
		outboxData{Status: status, Statuses: noticeStatuses, Notices: ns, Pager: pg}))
	return nil
}

// staffNotice is GET /staff/outbox/{id}: a notice in full, with its delivery record.
func (u *ui) staffNotice(w http.ResponseWriter, r *http.Request) error {
	n, err := u.outboxNotice(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "staff_notice", u.newPage(r, "outbox", noticeData{Notice: n}))
	return nil
}

func (u *ui) outboxNotice(r *http.Request) (notify.Notice, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return notify.Notice{}, err
	}
	return u.deps.Notify.Get(r.Context(), 0, notify.NoticeID(id))
}

// staffResend is POST /staff/outbox/{id}/resend: one more delivery attempt.
func (u *ui) staffResend(w http.ResponseWriter, r *http.Request) error {
	n, err := u.outboxNotice(r)
	if err != nil {
		return err
	}
	if u.deps.NoticeTx == nil {
		err = errs.Coded(errs.Unavailable, "no_relay", "no mail relay is configured")
	} else {
		err = u.deps.NoticeTx(r, func(tx notify.Tx) error { return u.deps.Notify.Resend(r.Context(), tx, n.ID) })
	}
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		p := u.newPage(r, "outbox", noticeData{Notice: n})
		p.Here = fmt.Sprintf("/staff/outbox/%d", n.ID)
		u.showError(p, err)
		u.render(w, r, formStatus(err), "staff_notice", p)
		return nil
	}
	if err := u.deps.Accounts.RecordAudit(r.Context(), httpserver.Actor(r), "notice.resend", "notice",
		fmt.Sprint(n.ID), 0, nil); err != nil {
		return err
	}
	u.redirect(w, r, fmt.Sprintf("/staff/outbox/%d?flash=resend_queued", n.ID))
	return nil
}
