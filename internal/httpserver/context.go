package httpserver

import (
	"context"
	"net"
	"net/http"

	"github.com/itsgow/itsgow/internal/account"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyAuth
)

// Auth is the authentication state of a request.
type Auth struct {
	Principal account.Principal
	OK        bool  // fully authenticated
	Pending   bool  // session waiting for its second factor
	Err       error // why authentication failed, when credentials were sent
	ViaToken  bool
}

// RequestID returns the request id.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// AuthOf returns the authentication state of the request.
func AuthOf(ctx context.Context) Auth {
	a, _ := ctx.Value(keyAuth).(Auth)
	return a
}

// ClientIP returns the client's address (the direct peer; no proxy headers are trusted).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Actor returns the audit actor of the request.
func Actor(r *http.Request) account.Actor {
	a := AuthOf(r.Context())
	if !a.OK {
		return account.Actor{Kind: "public", Label: "public", RequestID: RequestID(r.Context()), IP: ClientIP(r)}
	}
	return account.ActorOf(a.Principal, RequestID(r.Context()), ClientIP(r))
}
