package account

import "time"

// Session is a web session; the cookie holds the secret, the store its hash.
type Session struct {
	IDHash         string
	AccountID      ID
	CSRFSecret     string
	SecondFactorOK bool
	CreatedAt      time.Time
	ExpiresAt      time.Time
	LastSeenAt     time.Time
	IP             string
	UserAgent      string
}

// Principal is who makes a request: an account, through a session or a token.
type Principal struct {
	Account Account
	Scopes  []Scope
	TokenID TokenID  // set when authenticated by token
	Session *Session // set when authenticated by session
}

// Can reports whether the principal holds scope s.
func (p Principal) Can(s Scope) bool {
	for _, x := range p.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

// IsStaff reports whether the principal is a staff member.
func (p Principal) IsStaff() bool { return p.Account.Kind == KindStaff }
