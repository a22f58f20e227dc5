package web

import "net/http"

// home sends each visitor to their start page: the console for staff, the account for
// customers, the login page for everyone else.
func (u *ui) home(w http.ResponseWriter, r *http.Request) error {
	a := sessionOf(r)
	switch {
	case a.Pending:
		u.redirect(w, r, "/login/totp")
	case !a.OK:
		u.redirect(w, r, "/login")
	case a.Principal.IsStaff():
		u.redirect(w, r, "/staff")
	default:
		u.redirect(w, r, "/account")
	}
	return nil
}
