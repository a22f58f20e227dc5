// Package account owns the people who use itsgow: customers (persons or companies) and staff
// with roles, their passwords (argon2id), TOTP second factor, web sessions, API tokens with
// scopes, login rate limits and lockouts, and the audit log of every state change.
//
// It is a domain package: it defines the Store it needs and imports only clock, errs, jobs,
// notify, logkey, golang.org/x/crypto/argon2 and the standard library (no I/O libraries).
// A *Service is safe for concurrent use.
package account
