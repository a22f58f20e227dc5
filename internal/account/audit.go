package account

import (
	"encoding/json"
	"time"
)

// Actor is who performs a change, for the audit log.
type Actor struct {
	Kind      string // customer, staff, system, public
	ID        ID
	Label     string
	RequestID string
	IP        string
}

// System is the actor of automatic changes.
var System = Actor{Kind: "system", Label: "system"}

// ActorOf returns the actor of a principal.
func ActorOf(p Principal, requestID, ip string) Actor {
	return Actor{Kind: string(p.Account.Kind), ID: p.Account.ID, Label: p.Account.Label(), RequestID: requestID, IP: ip}
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID         int64
	At         time.Time
	Actor      Actor
	Action     string // e.g. "token.create"
	ObjectType string
	ObjectID   string
	CustomerID ID // the customer concerned, if any
	Details    json.RawMessage
}

// AuditFilter selects audit rows.
type AuditFilter struct {
	CustomerID ID
	BeforeID   int64
	Limit      int
}
