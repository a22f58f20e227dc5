package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/notify/mailtest"
	"github.com/itsgow/itsgow/internal/notify/smtp"
)

const waitTimeout = 10 * time.Second // generous bound for loopback; tests do not wait it out

// newSender returns a Sender for addr with the default config changed by modify.
func newSender(t *testing.T, addr string, modify func(*smtp.Config)) *smtp.Sender {
	t.Helper()
	cfg := smtp.DefaultConfig()
	cfg.Addr = addr
	cfg.Timeout = waitTimeout
	if modify != nil {
		modify(&cfg)
	}
	s, err := smtp.New(cfg, "")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func notice(id string) notify.Message {
	return notify.Message{
		From:      "Itsgow <noreply@itsgow.example>",
		To:        "client@example.fr",
		Subject:   "Préavis : intervention planifiée sur votre serveur n°42 — redémarrage à 14 h",
		TextBody:  "Bonjour,\n\nUne intervention planifiée aura lieu le 16 mars à 14 h.\nVotre serveur sera redémarré ; durée estimée : 30 min.\n\nCordialement,\nL'équipe Itsgow\n",
		MessageID: id,
		Date:      time.Date(2026, 3, 14, 9, 30, 0, 0, time.FixedZone("CET", 3600)),
		Headers:   map[string]string{"X-Itsgow-Notice": "42"},
	}
}

func TestSendDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(m *notify.Message)
	}{
		{"french notice", func(*notify.Message) {}},
		{"dots and long lines", func(m *notify.Message) {
			m.TextBody = ".\n..\n.ligne qui commence par un point\n" +
				strings.Repeat("Élément très long de la notice, ", 40) + "\nfin sans saut de ligne   "
		}},
		{"display names", func(m *notify.Message) {
			m.From = "Équipe Itsgow <noreply@itsgow.example>"
			m.To = `"Dupont, Éloïse" <eloise@example.fr>`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := mailtest.Start(t)
			m := notice("notice-42@itsgow.example")
			tt.modify(&m)
			if err := newSender(t, sink.Addr(), nil).Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := sink.WaitFor(t, 1, waitTimeout)
			if len(got) != 1 {
				t.Fatalf("sink got %d messages, want 1", len(got))
			}
			r := got[0]
			if !bytes.Equal(r.Data, notify.Render(m)) {
				t.Errorf("sink data differs from Render:\n got %q\nwant %q", r.Data, notify.Render(m))
			}
			if r.From != "noreply@itsgow.example" {
				t.Errorf("envelope from %q", r.From)
			}
			wantTo := strings.TrimSuffix(m.To[strings.LastIndex(m.To, "<")+1:], ">")
			if !slices.Equal(r.To, []string{wantTo}) {
				t.Errorf("envelope to %q, want [%q]", r.To, wantTo)
			}
			var dec mime.WordDecoder
			if subject, err := dec.DecodeHeader(r.Header.Get("Subject")); err != nil || subject != m.Subject {
				t.Errorf("subject %q (%v), want %q", subject, err, m.Subject)
			}
			if id := r.Header.Get("Message-Id"); id != "<"+m.MessageID+">" {
				t.Errorf("Message-Id %q", id)
			}
			if n := r.Header.Get("X-Itsgow-Notice"); n != "42" {
				t.Errorf("X-Itsgow-Notice %q", n)
			}
			if r.Body != m.TextBody {
				t.Errorf("body\n got %q\nwant %q", r.Body, m.TextBody)
			}
		})
	}
}

func TestSendRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      int
		permanent bool
	}{
		{421, false},
		{451, false},
		{452, false},
		{550, true},
		{553, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			t.Parallel()
			sink := mailtest.Start(t)
			sender := newSender(t, sink.Addr(), nil)
			sink.RejectNext(1, tt.code)

			err := sender.Send(t.Context(), notice("first@itsgow.example"))
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), "smtp send to client@example.fr: rcpt to: ") {
				t.Errorf("error %q lacks context", err)
			}
			var pe *notify.PermanentError
			if got := errors.As(err, &pe); got != tt.permanent {
				t.Fatalf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if tt.permanent && pe.Code != tt.code {
				t.Errorf("PermanentError.Code = %d, want %d", pe.Code, tt.code)
			}
			var te *textproto.Error
			if !tt.permanent && (!errors.As(err, &te) || te.Code != tt.code) {
				t.Errorf("want the %d reply in the chain, got %v", tt.code, err)
			}

			// The rejection is used up: a retry goes through.
			if err := sender.Send(t.Context(), notice("second@itsgow.example")); err != nil {
				t.Fatalf("retry: %v", err)
			}
			got := sink.Messages()
			if len(got) != 1 || got[0].Header.Get("Message-Id") != "<second@itsgow.example>" {
				t.Errorf("sink has %d messages, want only the retry", len(got))
			}
		})
	}
}

// silentServer accepts connections and never writes. Each accepted connection is announced on
// the returned channel.
func silentServer(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	acc := make(chan struct{}, 16)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case acc <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String(), acc
}

func TestSendGivesUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration // Config.Timeout
		ctx     func(t *testing.T, accepted <-chan struct{}) context.Context
		want    error
	}{
		{
			name:    "context deadline",
			timeout: time.Hour,
			ctx: func(t *testing.T, _ <-chan struct{}) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			want: context.DeadlineExceeded,
		},
		{
			name:    "config timeout",
			timeout: 100 * time.Millisecond,
			ctx:     func(t *testing.T, _ <-chan struct{}) context.Context { return t.Context() },
			want:    context.DeadlineExceeded,
		},
		{
			name:    "canceled while waiting for the greeting",
			timeout: time.Hour,
			ctx: func(t *testing.T, accepted <-chan struct{}) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				t.Cleanup(cancel)
				go func() {
					<-accepted
					cancel()
				}()
				return ctx
			},
			want: context.Canceled,
		},
		{
			name:    "canceled before dialing",
			timeout: time.Hour,
			ctx: func(t *testing.T, _ <-chan struct{}) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, accepted := silentServer(t)
			sender := newSender(t, addr, func(c *smtp.Config) { c.Timeout = tt.timeout })
			err := sender.Send(tt.ctx(t, accepted), notice("n@itsgow.example"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send = %v, want %v", err, tt.want)
			}
			var pe *notify.PermanentError
			if errors.As(err, &pe) {
				t.Errorf("Send = %v, a permanent error; want a retryable one", err)
			}
		})
	}
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		modifyCfg func(c *smtp.Config)
		modifyMsg func(m *notify.Message)
		want      string
		permanent bool
	}{
		{
			name:      "invalid message",
			modifyMsg: func(m *notify.Message) { m.To = "not an address" },
			want:      "refused before sending",
			permanent: true,
		},
		{
			name:      "starttls always but not offered",
			modifyCfg: func(c *smtp.Config) { c.StartTLS = smtp.StartTLSAlways },
			want:      "starttls: not offered",
		},
		{
			name: "auth not offered",
			modifyCfg: func(c *smtp.Config) {
				c.Username = "itsgow"
				c.PasswordFile = "/run/secrets/smtp"
			},
			want: "auth: server does not offer AUTH PLAIN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := mailtest.Start(t)
			cfg := smtp.DefaultConfig()
			cfg.Addr = sink.Addr()
			cfg.Timeout = waitTimeout
			if tt.modifyCfg != nil {
				tt.modifyCfg(&cfg)
			}
			password := ""
			if cfg.Username != "" {
				password = "s3cret"
			}
			sender, err := smtp.New(cfg, password)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			m := notice("n@itsgow.example")
			if tt.modifyMsg != nil {
				tt.modifyMsg(&m)
			}
			err = sender.Send(t.Context(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Send = %v, want an error containing %q", err, tt.want)
			}
			var pe *notify.PermanentError
			if got := errors.As(err, &pe); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if tt.permanent && (pe.Code != 0 || errs.KindOf(err) != errs.Invalid) {
				t.Errorf("refusal: code %d, kind %v; want 0 and invalid", pe.Code, errs.KindOf(err))
			}
			if n := len(sink.Messages()); n != 0 {
				t.Errorf("sink got %d messages, want none", n)
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	t.Parallel()
	const n = 10
	sink := mailtest.Start(t)
	sender := newSender(t, sink.Addr(), nil)
	errc := make(chan error, n)
	for i := range n {
		go func() {
			errc <- sender.Send(t.Context(), notice(fmt.Sprintf("notice-%d@itsgow.example", i)))
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	var ids []string
	for _, r := range sink.WaitFor(t, n, waitTimeout) {
		ids = append(ids, r.Header.Get("Message-Id"))
	}
	for i := range n {
		if want := fmt.Sprintf("<notice-%d@itsgow.example>", i); !slices.Contains(ids, want) {
			t.Errorf("missing %s in %q", want, ids)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	withUser := smtp.DefaultConfig()
	withUser.Username, withUser.PasswordFile = "itsgow", "/run/secrets/smtp"
	tests := []struct {
		name     string
		cfg      smtp.Config
		password string
		wantErr  string
	}{
		{"default", smtp.DefaultConfig(), "", ""},
		{"with user", withUser, "s3cret", ""},
		{"invalid config", smtp.Config{}, "", "smtp config"},
		{"user without password", withUser, "", "empty password"},
		{"password with NUL", withUser, "a\x00b", "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := smtp.New(tt.cfg, tt.password)
			switch {
			case tt.wantErr == "" && (err != nil || s == nil):
				t.Fatalf("New = %v, %v", s, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSenderHidesPassword(t *testing.T) {
	t.Parallel()
	cfg := smtp.DefaultConfig()
	cfg.Username, cfg.PasswordFile = "itsgow", "/run/secrets/smtp"
	const password = "hunter2-very-secret"
	s, err := smtp.New(cfg, password)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		fmt.Fprintf(&out, verb+"\n", s)
		fmt.Fprintf(&out, verb+"\n", *s)
	}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("sender", "sender", s, "value", *s)
	slog.New(slog.NewTextHandler(&out, nil)).Info("sender", "sender", s, "value", *s)
	if strings.Contains(out.String(), password) {
		t.Errorf("password printed:\n%s", out.String())
	}
}
