package httpserver

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/logkey"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Code      string            `json:"code"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
	// Extra carries machine-readable details of some codes (e.g. secondsLeft).
	Extra map[string]any `json:"-"`
}

// MarshalJSON adds the extension members.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range p.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// StatusOf maps an error kind to an HTTP status.
func StatusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.TooManyRequests:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// ExtraError lets an error add members to its problem (e.g. secondsLeft, retryAfter).
type ExtraError interface {
	ProblemExtra() map[string]any
}

// ProblemOf builds the problem for err.
func ProblemOf(r *http.Request, err error) Problem {
	kind := errs.KindOf(err)
	status := StatusOf(kind)
	p := Problem{Status: status, Title: http.StatusText(status), Detail: errs.Public(err), Code: "internal",
		RequestID: RequestID(r.Context())}
	if e := errs.As(err); e != nil && kind != errs.Internal {
		p.Code = e.Code
		p.Errors = e.Fields
		switch e.Code { // codes whose HTTP status is more precise than their kind's
		case "unsupported_media_type":
			p.Status = http.StatusUnsupportedMediaType
		case "body_too_large":
			p.Status = http.StatusRequestEntityTooLarge
		}
		p.Title = http.StatusText(p.Status)
	}
	p.Type = "https://itsgow.example/problems/" + p.Code
	var x ExtraError
	if errors.As(err, &x) {
		p.Extra = x.ProblemExtra()
	}
	return p
}

// WriteProblem writes err as problem+json and logs internal errors (the one place they are logged).
func WriteProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := ProblemOf(r, err)
	if p.Status >= 500 && log != nil {
		log.Error("request failed", logkey.RequestID, p.RequestID, logkey.Method, r.Method, logkey.Path, r.URL.Path, logkey.Error, err)
	}
	if p.Status == http.StatusTooManyRequests {
		if ra, ok := p.Extra["retryAfter"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(ra))
		} else {
			w.Header().Set("Retry-After", "60")
		}
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="itsgow"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// WriteAttachment answers a file to download (an invoice PDF...), never cached by shared caches.
func WriteAttachment(w http.ResponseWriter, contentType, filename string, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(filename, `"`, "")+`"`)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}
