package notify_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/notify"
)

var paris = time.FixedZone("CET", 3600)

func baseMessage() notify.Message {
	return notify.Message{
		From:      "Itsgow <noreply@itsgow.example>",
		To:        "client@example.fr",
		Subject:   "Intervention planifiée",
		TextBody:  "Bonjour,\nvotre serveur redémarre à 14 h.\n",
		MessageID: "notice-42@itsgow.example",
		Date:      time.Date(2026, 3, 14, 9, 30, 0, 0, paris),
		Headers:   map[string]string{"x-itsgow-notice": "42"},
	}
}

func TestRenderExact(t *testing.T) {
	t.Parallel()
	want := "From: \"Itsgow\" <noreply@itsgow.example>\r\n" +
		"To: client@example.fr\r\n" +
		"Subject: =?utf-8?q?Intervention_planifi=C3=A9e?=\r\n" +
		"Date: Sat, 14 Mar 2026 09:30:00 +0100\r\n" +
		"Message-ID: <notice-42@itsgow.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"X-Itsgow-Notice: 42\r\n" +
		"\r\n" +
		"Bonjour,\r\n" +
		"votre serveur red=C3=A9marre =C3=A0 14 h.\r\n"
	if got := string(notify.Render(baseMessage())); got != want {
		t.Errorf("Render:\n got %q\nwant %q", got, want)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	longSubject := "Préavis d'intervention planifiée : redémarrage du serveur n°42 — " +
		"fenêtre de maintenance à 14 h, durée estimée 30 min"
	tests := []struct {
		name   string
		modify func(m *notify.Message)
	}{
		{"french", func(*notify.Message) {}},
		{"ascii", func(m *notify.Message) {
			m.Subject = "Planned intervention"
			m.TextBody = "Hello,\nyour server restarts at 2 pm.\n"
		}},
		{"long subject folds", func(m *notify.Message) { m.Subject = longSubject }},
		{"long ascii subject folds", func(m *notify.Message) {
			m.Subject = strings.Repeat("maintenance window ", 12) + "end"
		}},
		{"display names", func(m *notify.Message) {
			m.From = "Équipe Itsgow <noreply@itsgow.example>"
			m.To = `"Dupont, Éloïse" <eloise@example.fr>`
		}},
		{"body needs escaping", func(m *notify.Message) {
			m.TextBody = "a=b\n.leading dot\n..two dots\nFrom the start\ntrailing spaces   \n\ttab\n" +
				strings.Repeat("très longue ligne ", 20) + "\n\n\nfin"
		}},
		{"crlf body", func(m *notify.Message) { m.TextBody = "ligne un\r\nligne deux\r\n" }},
		{"no final newline", func(m *notify.Message) { m.TextBody = "sans fin de ligne é" }},
		{"empty body", func(m *notify.Message) { m.TextBody = "" }},
		{"empty subject", func(m *notify.Message) { m.Subject = "" }},
		{"long message id", func(m *notify.Message) { m.MessageID = strings.Repeat("n", 80) + "@itsgow.example" }},
		{"extra headers sorted", func(m *notify.Message) {
			m.Headers = map[string]string{
				"X-Itsgow-Notice":   "42",
				"auto-submitted":    "auto-generated",
				"X-Itsgow-Customer": "Société Générale d'hébergement",
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := baseMessage()
			tt.modify(&m)
			if err := m.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			raw := notify.Render(m)
			if again := notify.Render(m); !bytes.Equal(raw, again) {
				t.Errorf("Render is not deterministic:\n%q\n%q", raw, again)
			}
			checkLines(t, raw)
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("ReadMessage: %v\n%s", err, raw)
			}
			checkHeader(t, m, msg.Header, raw)
			body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatalf("decode body: %v", err)
			}
			if got, want := lf(string(body)), lf(m.TextBody); got != want {
				t.Errorf("body decodes to %q, want %q", got, want)
			}
		})
	}
}

// checkLines checks CRLF line endings, line lengths and the final CRLF.
func checkLines(t *testing.T, raw []byte) {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF: %q", raw)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n")
	inBody := false
	for _, line := range lines {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("bare CR or LF in line %q", line)
		}
		limit := 76 // quoted-printable (RFC 2045 section 6.7), encoded-words (RFC 2047 section 2)
		unbreakable := !inBody && strings.HasPrefix(line, " ") && !strings.Contains(line[1:], " ")
		if unbreakable {
			limit = 998 // one word on its own line cannot be folded (RFC 5322 section 2.1.1)
		}
		if len(line) > limit {
			t.Errorf("line of %d octets, want at most %d: %q", len(line), limit, line)
		}
		if strings.TrimSpace(line) == "" && line != "" && !inBody {
			t.Errorf("whitespace-only header line %q", line)
		}
		inBody = inBody || line == ""
	}
}

// checkHeader checks that every field decodes back to m and that the order is fixed.
func checkHeader(t *testing.T, m notify.Message, h mail.Header, raw []byte) {
	t.Helper()
	var dec mime.WordDecoder
	if got, err := dec.DecodeHeader(h.Get("Subject")); err != nil || got != m.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", got, err, m.Subject)
	}
	for _, f := range []struct{ name, value string }{{"From", m.From}, {"To", m.To}} {
		got, err := mail.ParseAddress(h.Get(f.name))
		want, _ := mail.ParseAddress(f.value)
		if err != nil || *got != *want {
			t.Errorf("%s parses to %v (%v), want %v", f.name, got, err, want)
		}
	}
	if got, err := h.Date(); err != nil || !got.Equal(m.Date) {
		t.Errorf("Date parses to %v (%v), want %v", got, err, m.Date)
	}
	fixed := map[string]string{
		"Message-Id":                "<" + m.MessageID + ">",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for name, want := range fixed {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for name, want := range m.Headers {
		if got, err := dec.DecodeHeader(h.Get(name)); err != nil || got != want {
			t.Errorf("%s decodes to %q (%v), want %q", name, got, err, want)
		}
	}

	wantOrder := []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}
	var extra []string
	for name := range m.Headers {
		extra = append(extra, strings.ToLower(name))
	}
	slices.Sort(extra)
	for i, name := range wantOrder {
		wantOrder[i] = strings.ToLower(name)
	}
	wantOrder = append(wantOrder, extra...)
	if got := fieldNames(raw); !slices.Equal(got, wantOrder) {
		t.Errorf("header order %q, want %q", got, wantOrder)
	}
}

// fieldNames lists the header field names of raw in order, lowercased.
func fieldNames(raw []byte) []string {
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	var names []string
	for line := range strings.SplitSeq(head, "\r\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			names = append(names, strings.ToLower(name))
		}
	}
	return names
}

func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// TestRenderInjection feeds Render messages that fail Validate and checks that no field content
// becomes a header of its own.
func TestRenderInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(m *notify.Message)
	}{
		{"subject", func(m *notify.Message) { m.Subject = "hi\r\nBcc: victim@example.org" }},
		{"to", func(m *notify.Message) { m.To = "a@example.fr\r\nBcc: victim@example.org" }},
		{"message id", func(m *notify.Message) { m.MessageID = "x@y>\r\nBcc: victim@example.org" }},
		{"header value", func(m *notify.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: victim@example.org"} }},
		{"header name", func(m *notify.Message) { m.Headers = map[string]string{"X-A: 1\r\nBcc": "victim@example.org"} }},
		{"reserved header", func(m *notify.Message) { m.Headers = map[string]string{"subject": "second subject"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := baseMessage()
			tt.modify(&m)
			if m.Validate() == nil {
				t.Errorf("Validate accepted %+v", m)
			}
			raw := notify.Render(m)
			for _, name := range fieldNames(raw) {
				if name == "bcc" {
					t.Errorf("a Bcc field was injected:\n%s", raw)
				}
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("ReadMessage: %v", err)
			}
			if n := len(msg.Header["Subject"]); n != 1 {
				t.Errorf("%d Subject fields, want 1", n)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		modify  func(m *notify.Message)
		wantErr string // empty when valid
	}{
		{"valid", func(*notify.Message) {}, ""},
		{"valid without extra headers", func(m *notify.Message) { m.Headers = nil }, ""},
		{"from missing", func(m *notify.Message) { m.From = "" }, "from"},
		{"to two recipients", func(m *notify.Message) { m.To = "a@example.fr, b@example.fr" }, "to"},
		{"to no domain", func(m *notify.Message) { m.To = "client" }, "to"},
		{"subject newline", func(m *notify.Message) { m.Subject = "a\nb" }, "subject"},
		{"subject too long", func(m *notify.Message) { m.Subject = strings.Repeat("a", 901) }, "subject"},
		{"message id brackets", func(m *notify.Message) { m.MessageID = "<a@b>" }, "message id"},
		{"message id no at", func(m *notify.Message) { m.MessageID = "notice-42" }, "message id"},
		{"message id empty", func(m *notify.Message) { m.MessageID = "" }, "message id"},
		{"message id space", func(m *notify.Message) { m.MessageID = "a b@c" }, "message id"},
		{"date zero", func(m *notify.Message) { m.Date = time.Time{} }, "date"},
		{"body not utf-8", func(m *notify.Message) { m.TextBody = "caf\xe9" }, "text body"},
		{"header reserved", func(m *notify.Message) { m.Headers = map[string]string{"message-id": "<x@y>"} }, "reserved"},
		{"header twice", func(m *notify.Message) { m.Headers = map[string]string{"X-A": "1", "x-a": "2"} }, "twice"},
		{"header name colon", func(m *notify.Message) { m.Headers = map[string]string{"X:A": "1"} }, "invalid name"},
		{"header name empty", func(m *notify.Message) { m.Headers = map[string]string{"": "1"} }, "invalid name"},
		{"header value control", func(m *notify.Message) { m.Headers = map[string]string{"X-A": "1\x00"} }, "control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := baseMessage()
			tt.modify(&m)
			err := m.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr == "":
			case err == nil:
				t.Fatalf("Validate accepted the message, want an error about %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Validate = %v, want it to mention %q", err, tt.wantErr)
			case errs.KindOf(err) != errs.Invalid:
				t.Errorf("kind %v, want invalid", errs.KindOf(err))
			}
		})
	}
}

func TestPermanentError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *notify.PermanentError
		want string
	}{
		{&notify.PermanentError{Code: 550, Msg: "5.1.1 no such user"}, "permanent failure: 550 5.1.1 no such user"},
		{&notify.PermanentError{Msg: "refused before sending"}, "permanent failure: refused before sending"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			var pe *notify.PermanentError
			if !errors.As(errors.Join(errors.New("other"), tt.err), &pe) || pe != tt.err {
				t.Errorf("errors.As did not find the PermanentError")
			}
		})
	}
}
