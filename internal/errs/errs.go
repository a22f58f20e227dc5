// Package errs classifies errors by kind so that every boundary (API, web, CLI) can answer the
// right status with a public message, while the cause stays in the logs.
//
// It imports only the standard library. Its values are immutable and safe for concurrent use.
package errs

import (
	"errors"
	"fmt"
)

// Kind is the class of an error.
type Kind int

// The kinds of error. Internal is the zero value: an error nobody classified is internal.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Unauthenticated
	Forbidden
	Unavailable
	TooManyRequests
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not_found"
	case Conflict:
		return "conflict"
	case Unauthenticated:
		return "unauthenticated"
	case Forbidden:
		return "forbidden"
	case Unavailable:
		return "unavailable"
	case TooManyRequests:
		return "too_many_requests"
	default:
		return "internal"
	}
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a classified error with a public message, a stable code and optional field errors.
type Error struct {
	Kind   Kind
	Code   string // stable machine-readable code, e.g. "mitigation_locked"
	Msg    string // public message, safe to show
	Fields []FieldError
	Cause  error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Msg + ": " + e.Cause.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Cause }

// E builds an error of kind k with a public message and an optional cause.
func E(k Kind, msg string, cause error) *Error {
	return &Error{Kind: k, Code: defaultCode(k), Msg: msg, Cause: cause}
}

// Coded builds an error with an explicit stable code.
func Coded(k Kind, code, msg string) *Error {
	return &Error{Kind: k, Code: code, Msg: msg}
}

// Errorf builds an error of kind k with a formatted public message.
func Errorf(k Kind, format string, args ...any) *Error {
	return E(k, fmt.Sprintf(format, args...), nil)
}

// Fields builds an Invalid error listing field errors.
func Fields(fields ...FieldError) *Error {
	return &Error{Kind: Invalid, Code: "invalid_input", Msg: "invalid input", Fields: fields}
}

// Validator collects field errors.
type Validator struct{ fields []FieldError }

// Check records msg for field when ok is false.
func (v *Validator) Check(ok bool, field, msg string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Message: msg})
	}
}

// Add records a field error.
func (v *Validator) Add(field, msg string) { v.Check(false, field, msg) }

// Err returns the collected errors, or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return Fields(v.fields...)
}

func defaultCode(k Kind) string { return k.String() }

// KindOf returns the kind of err, Internal when unknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the *Error inside err, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Public returns a message safe to show a user: "internal error" for unknown errors.
func Public(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Msg
	}
	return "internal error"
}

// Sentinels shared by stores.
var (
	ErrNotFound = E(NotFound, "not found", nil)
	ErrConflict = E(Conflict, "conflict", nil)
)
