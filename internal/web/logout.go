package web

import (
	"net/http"
	"time"
)

// logout is POST /logout: it ends the session, even one waiting for its second factor.
func (u *ui) logout(w http.ResponseWriter, r *http.Request) error {
	if err := u.deps.Accounts.Logout(r.Context(), sessionOf(r).Principal); err != nil {
		return err
	}
	u.deps.Server.SetSessionCookie(w, "", time.Time{})
	u.redirect(w, r, "/login?flash=logged_out")
	return nil
}
