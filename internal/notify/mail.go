package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/itsgow/itsgow/internal/errs"
)

// Message is one email to send.
type Message struct {
	From, To  string // addresses, with or without a display name (To: one recipient)
	Subject   string
	TextBody  string // UTF-8 plain text; line endings may be LF or CRLF
	MessageID string // without angle brackets, e.g. "notice-42@itsgow.example"
	Date      time.Time
	Headers   map[string]string // extra headers, e.g. "X-Itsgow-Notice": "42"
}

// Sender delivers a message; it returns a *PermanentError when retrying is useless (5xx).
// Any other error is worth retrying later. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// PermanentError is a delivery failure that a retry will not fix: the server answered 5xx, or
// the message was refused before anything was sent because it is invalid.
type PermanentError struct {
	Code int    // server reply code (5xx), or 0 when the message was refused before sending
	Msg  string // server reply text, or why the message was refused
}

func (e *PermanentError) Error() string {
	if e.Code == 0 {
		return "permanent failure: " + e.Msg
	}
	return fmt.Sprintf("permanent failure: %d %s", e.Code, e.Msg)
}

const (
	foldAt          = 76  // header line length: RFC 2047 section 2 for lines with encoded-words, below RFC 5322's 78
	maxValueLen     = 900 // longest Subject or extra header value, so no line passes 998 octets
	maxNameLen      = 76  // longest extra header name
	maxMessageIDLen = 250
)

// reserved are the fields Render always writes itself; Headers may not repeat them.
var reserved = []string{
	"From", "To", "Subject", "Date", "Message-Id",
	"Mime-Version", "Content-Type", "Content-Transfer-Encoding",
}

// Validate reports every problem that would make m undeliverable or ambiguous: addresses that do
// not parse, a missing Date or malformed MessageID, control characters or overlong values in
// headers, extra headers that repeat a reserved field, and a body that is not UTF-8. The error is
// of kind errs.Invalid.
func (m Message) Validate() error {
	var problems []error
	if _, err := mail.ParseAddress(m.From); err != nil {
		problems = append(problems, fmt.Errorf("from %q: %w", m.From, err))
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		problems = append(problems, fmt.Errorf("to %q: %w", m.To, err))
	}
	if err := checkText(m.Subject); err != nil {
		problems = append(problems, fmt.Errorf("subject: %w", err))
	}
	if !validMessageID(m.MessageID) {
		problems = append(problems, fmt.Errorf("message id %q: want local@domain in printable ASCII without <>", m.MessageID))
	}
	if m.Date.IsZero() {
		problems = append(problems, errors.New("date: missing"))
	}
	if !utf8.ValidString(m.TextBody) {
		problems = append(problems, errors.New("text body: not valid UTF-8"))
	}
	seen := make(map[string]bool, len(m.Headers))
	for _, name := range sortedNames(m.Headers) {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !validFieldName(name):
			problems = append(problems, fmt.Errorf("header %q: invalid name", name))
		case slices.Contains(reserved, canon):
			problems = append(problems, fmt.Errorf("header %q: reserved, set the Message field instead", name))
		case seen[canon]:
			problems = append(problems, fmt.Errorf("header %q: given twice", name))
		}
		seen[canon] = true
		if err := checkText(m.Headers[name]); err != nil {
			problems = append(problems, fmt.Errorf("header %q: %w", name, err))
		}
	}
	if len(problems) > 0 {
		return errs.E(errs.Invalid, "invalid message", errors.Join(problems...))
	}
	return nil
}

// Render returns m as an RFC 5322 message with CRLF line endings, ready for SMTP DATA.
//
// The header fields come in a fixed order: From, To, Subject, Date (RFC 1123 with a numeric
// zone), Message-ID, MIME-Version, Content-Type (text/plain; charset=utf-8),
// Content-Transfer-Encoding (quoted-printable), then Headers sorted by canonical name. Non-ASCII
// text becomes RFC 2047 encoded-words: Q encoding for Subject and extra values, and for display
// names whatever net/mail chooses (Q, or B where RFC 2047 section 5 forbids a character in Q).
// Fields are folded at spaces to lines of at most 76 octets unless one word is longer. The body is quoted-printable; the last line always ends with
// CRLF, through a soft line break when TextBody does not end with a newline, so that the body
// decodes back to TextBody with CRLF line endings.
//
// The same m always gives the same bytes. Render expects a message that passed Validate, but
// whatever it gets, field content never starts a new header line: a zero Date or empty MessageID
// leaves its field out, and an extra header with an invalid or reserved name is skipped.
func Render(m Message) []byte {
	var b bytes.Buffer
	writeField(&b, "From", formatAddress(m.From))
	writeField(&b, "To", formatAddress(m.To))
	writeField(&b, "Subject", encodeText(m.Subject))
	if !m.Date.IsZero() {
		writeField(&b, "Date", m.Date.Format(time.RFC1123Z))
	}
	if id := strings.Map(messageIDRune, m.MessageID); id != "" {
		writeField(&b, "Message-ID", "<"+id+">")
	}
	writeField(&b, "MIME-Version", "1.0")
	writeField(&b, "Content-Type", "text/plain; charset=utf-8")
	writeField(&b, "Content-Transfer-Encoding", "quoted-printable")
	for _, name := range sortedNames(m.Headers) {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if !validFieldName(name) || slices.Contains(reserved, canon) {
			continue
		}
		writeField(&b, canon, encodeText(m.Headers[name]))
	}
	b.WriteString("\r\n")
	writeBody(&b, m.TextBody)
	return b.Bytes()
}

// sortedNames returns the keys of h sorted by canonical name, then by spelling, so that the
// order is stable even when two keys differ only in case.
func sortedNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(textproto.CanonicalMIMEHeaderKey(a), textproto.CanonicalMIMEHeaderKey(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return names
}

// writeField writes "name: value" CRLF, folding before a space when a line would pass foldAt.
// The first word may move to a continuation line, but a continuation line is never folded
// before its own first word, so no line is only whitespace.
func writeField(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteByte(':')
	if value == "" {
		b.WriteString("\r\n")
		return
	}
	n, hasWord, nameLine := len(name)+1, false, true
	for word := range strings.SplitSeq(value, " ") {
		if (hasWord || nameLine) && n+1+len(word) > foldAt {
			b.WriteString("\r\n")
			n, hasWord, nameLine = 0, false, false
		}
		b.WriteByte(' ')
		b.WriteString(word)
		n += 1 + len(word)
		hasWord = hasWord || word != ""
	}
	b.WriteString("\r\n")
}

// writeBody writes text quoted-printable, ending with CRLF.
func writeBody(b *bytes.Buffer, text string) {
	if text == "" {
		return
	}
	w := quotedprintable.NewWriter(b)
	// Writing to a bytes.Buffer cannot fail.
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("=\r\n") // soft line break: ends the line without adding to the text
	}
}

// encodeText returns s unchanged when it is printable ASCII, else as Q encoded-words. Control
// characters such as CR and LF are encoded too, so s can never break the header.
func encodeText(s string) string {
	return mime.QEncoding.Encode("utf-8", s)
}

// formatAddress formats an address for a header: the bare address when there is no display
// name, else name-addr with the name quoted or encoded. Text that does not parse is encoded as
// text, which keeps it harmless.
func formatAddress(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return encodeText(s)
	}
	out := a.String()
	if a.Name == "" {
		return strings.TrimSuffix(strings.TrimPrefix(out, "<"), ">")
	}
	return out
}

// messageIDRune keeps the characters allowed in a Message-ID and drops the rest.
func messageIDRune(r rune) rune {
	if r <= ' ' || r > '~' || r == '<' || r == '>' {
		return -1
	}
	return r
}

func validMessageID(id string) bool {
	if id == "" || len(id) > maxMessageIDLen || strings.Map(messageIDRune, id) != id {
		return false
	}
	local, domain, ok := strings.Cut(id, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@")
}

// validFieldName reports whether name is an RFC 5322 field name: printable ASCII except colon.
func validFieldName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for i := range len(name) {
		if c := name[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// checkText accepts UTF-8 text up to maxValueLen bytes without control characters but tab.
func checkText(s string) error {
	if len(s) > maxValueLen {
		return fmt.Errorf("longer than %d bytes", maxValueLen)
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && (r < ' ' || r == 0x7f) }) {
		return errors.New("contains a control character")
	}
	return nil
}
