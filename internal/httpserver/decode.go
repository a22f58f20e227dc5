package httpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/itsgow/itsgow/internal/errs"
)

// MaxBodyBytes bounds API request bodies.
const MaxBodyBytes = 1 << 20

// DecodeJSON reads a strict JSON body into v: content type application/json, at most
// MaxBodyBytes, no unknown fields, one value. Errors are Invalid with field details.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &errs.Error{Kind: errs.Invalid, Code: "unsupported_media_type", Msg: "the body must be application/json"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeErr(err)
	}
	if dec.More() {
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Msg: "the body must hold exactly one JSON value"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Msg: "unexpected data after the JSON value"}
	}
	return nil
}

func decodeErr(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &errs.Error{Kind: errs.Invalid, Code: "body_too_large", Msg: fmt.Sprintf("the body exceeds %d bytes", MaxBodyBytes)}
	case errors.As(err, &syn):
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Msg: fmt.Sprintf("malformed JSON at byte %d", syn.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_input", Msg: "invalid input",
			Fields: []errs.FieldError{{Field: field, Message: "must be of type " + typ.Type.String()}}}
	case errors.Is(err, io.EOF):
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Msg: "the body is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Msg: "the body ends in the middle of a JSON value"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Kind: errs.Invalid, Code: "unknown_field", Msg: "unknown field " + name,
			Fields: []errs.FieldError{{Field: name, Message: "is not a known field"}}}
	default:
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Msg: "malformed JSON body"}
	}
}
