package fleet

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/itsgow/itsgow/internal/errs"
)

// ErrUnsupported is returned (wrapped) when a BMC cannot do what was asked: an action it does
// not advertise, a boot device it does not offer, no virtual media slot. Retrying is useless.
var ErrUnsupported = errs.Coded(errs.Invalid, "bmc_unsupported",
	"the server's management controller does not support this operation")

// Unsupported is ErrUnsupported with a public message that says what the BMC lacks;
// errors.Is(err, ErrUnsupported) holds.
func Unsupported(msg string) error {
	return &errs.Error{Kind: errs.Invalid, Code: ErrUnsupported.Code, Msg: msg, Cause: ErrUnsupported}
}

// BMCError is a failure reported by, or on the way to, a BMC.
type BMCError struct {
	Op     string // the request that failed, e.g. "POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset"
	Status int    // HTTP status or driver-specific completion code; 0 when no answer came
	Code   string // the BMC's message id when it gave one, e.g. "Base.1.8.GeneralError"
	Msg    string // what the BMC said, or what was wrong with its answer
	Err    error  // the underlying transport error, if any
}

func (e *BMCError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		b.WriteString(": status ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the transport error.
func (e *BMCError) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed: timeouts, 5xx answers and 429.
// Authentication failures, 404 and malformed answers are not temporary.
func (e *BMCError) Temporary() bool {
	if e.Status >= 500 || e.Status == 429 {
		return true
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// Temporary reports whether err, or an error it wraps, is a temporary *BMCError.
func Temporary(err error) bool {
	var e *BMCError
	return errors.As(err, &e) && e.Temporary()
}
