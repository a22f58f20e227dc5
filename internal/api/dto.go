package api

import (
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/notify"
)

// CustomerDTO is a customer's billing identity.
type CustomerDTO struct {
	Type        string `json:"type"`
	CompanyName string `json:"companyName,omitempty"`
	Address     string `json:"address,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
	City        string `json:"city,omitempty"`
	Country     string `json:"country"`
	SIREN       string `json:"siren,omitempty"`
	VATNumber   string `json:"vatNumber,omitempty"`
	Phone       string `json:"phone,omitempty"`
}

// AccountDTO is an account as the API shows it.
type AccountDTO struct {
	ID          int64        `json:"id"`
	Kind        string       `json:"kind"`
	Email       string       `json:"email"`
	Name        string       `json:"name"`
	Language    string       `json:"language"`
	TOTPEnabled bool         `json:"totpEnabled"`
	Roles       []string     `json:"roles,omitempty"`
	Customer    *CustomerDTO `json:"customer,omitempty"`
	CreatedAt   time.Time    `json:"createdAt"`
	Scopes      []string     `json:"scopes,omitempty"`
}

func accountDTO(a account.Account) AccountDTO {
	d := AccountDTO{ID: int64(a.ID), Kind: string(a.Kind), Email: a.Email, Name: a.Name, Language: a.Language,
		TOTPEnabled: a.TOTPEnabled, CreatedAt: a.CreatedAt}
	for _, r := range a.Roles {
		d.Roles = append(d.Roles, string(r))
	}
	if c := a.Customer; c != nil {
		d.Customer = &CustomerDTO{Type: string(c.Type), CompanyName: c.CompanyName, Address: c.Address, PostalCode: c.PostalCode,
			City: c.City, Country: c.Country, SIREN: c.SIREN, VATNumber: c.VATNumber, Phone: c.Phone}
	}
	return d
}

// TokenDTO is an API token without its secret.
type TokenDTO struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	Active     bool       `json:"active"`
}

// TokenCreatedDTO carries the secret, shown this once.
type TokenCreatedDTO struct {
	TokenDTO
	Token string `json:"token"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func tokenDTO(t account.Token, now time.Time) TokenDTO {
	d := TokenDTO{ID: int64(t.ID), Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, ExpiresAt: optTime(t.ExpiresAt),
		LastUsedAt: optTime(t.LastUsedAt), RevokedAt: optTime(t.RevokedAt), Active: t.Active(now), Scopes: []string{}}
	for _, s := range t.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	return d
}

// NoticeDTO is a contractual email, with its content and delivery evidence.
type NoticeDTO struct {
	ID         int64      `json:"id"`
	AccountID  int64      `json:"accountId"`
	Kind       string     `json:"kind"`
	Language   string     `json:"language"`
	Recipient  string     `json:"recipient"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body"`
	BodySHA256 string     `json:"bodySha256"`
	MessageID  string     `json:"messageId"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"lastError,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	SentAt     *time.Time `json:"sentAt,omitempty"`
}

func noticeDTO(n notify.Notice) NoticeDTO {
	return NoticeDTO{ID: int64(n.ID), AccountID: n.AccountID, Kind: n.Kind, Language: n.Language, Recipient: n.Recipient,
		Subject: n.Subject, Body: n.Body, BodySHA256: n.BodySHA256, MessageID: n.MessageID, Status: string(n.Status),
		Attempts: n.Attempts, LastError: n.LastError, CreatedAt: n.CreatedAt, SentAt: optTime(n.SentAt)}
}

// AuditDTO is one audit log row.
type AuditDTO struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorKind  string         `json:"actorKind"`
	ActorID    int64          `json:"actorId,omitempty"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	ObjectType string         `json:"objectType"`
	ObjectID   string         `json:"objectId"`
	CustomerID int64          `json:"customerId,omitempty"`
	Details    map[string]any `json:"details"`
	RequestID  string         `json:"requestId,omitempty"`
	IP         string         `json:"ip,omitempty"`
}

// JobDTO is a queued job (staff view).
type JobDTO struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"maxAttempts"`
	RunAt       time.Time `json:"runAt"`
	LastError   string    `json:"lastError,omitempty"`
}

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginReply tells whether the second factor is still needed, and the CSRF token of the session.
type LoginReply struct {
	NeedsSecondFactor bool       `json:"needsSecondFactor"`
	CSRFToken         string     `json:"csrfToken"`
	Account           AccountDTO `json:"account"`
}

// CodeRequest carries a TOTP code.
type CodeRequest struct {
	Code string `json:"code"`
}

// TOTPSetupDTO is the secret to enter in an authenticator app.
type TOTPSetupDTO struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauthUrl"`
}

// TokenRequest is the body of POST /me/tokens.
type TokenRequest struct {
	Name          string   `json:"name"`
	Scopes        []string `json:"scopes"`
	ExpiresInDays int      `json:"expiresInDays,omitempty"`
}

// MePatch is the body of PATCH /me.
type MePatch struct {
	Language *string `json:"language,omitempty"`
}

// NewCustomerRequest is the body of POST /staff/customers.
type NewCustomerRequest struct {
	Email    string      `json:"email"`
	Password string      `json:"password"`
	Name     string      `json:"name"`
	Language string      `json:"language"`
	Customer CustomerDTO `json:"customer"`
}

// NewStaffRequest is the body of POST /staff/members.
type NewStaffRequest struct {
	Email    string   `json:"email"`
	Password string   `json:"password"`
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Roles    []string `json:"roles"`
}
