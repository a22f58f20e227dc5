package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"net/textproto"
	"slices"
	"strings"

	"github.com/itsgow/itsgow/internal/notify"
)

var _ notify.Sender = (*Sender)(nil)

// Sender delivers notify messages to one SMTP relay.
type Sender struct {
	cfg      Config
	host     string  // host part of cfg.Addr, the TLS server name
	password *secret // a pointer, so that fmt prints an address even for %+v and %#v of a Sender
}

// New validates cfg and returns an inert Sender; nothing is dialed before Send. password is the
// content of cfg.PasswordFile, required when cfg.Username is set.
func New(cfg Config, password string) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Username != "" && password == "" {
		return nil, errors.New("smtp: empty password for username")
	}
	if strings.ContainsRune(password, 0) {
		return nil, errors.New("smtp: password contains NUL")
	}
	host, _, err := net.SplitHostPort(cfg.Addr) // cannot fail after Validate
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	pw := secret(password)
	return &Sender{cfg: cfg, host: host, password: &pw}, nil
}

// Send delivers m over a new connection. It gives up when ctx is done or cfg.Timeout has passed,
// whichever comes first; the error then wraps ctx.Err(). A 5xx reply, or a message that fails
// m.Validate, gives a *notify.PermanentError. Once the relay has accepted the data, the message
// counts as sent even if QUIT fails, so that a retry never sends it twice.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	if err := s.send(ctx, m); err != nil {
		return fmt.Errorf("smtp send to %s: %w", m.To, err)
	}
	return nil
}

func (s *Sender) send(ctx context.Context, m notify.Message) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%w: %w", &notify.PermanentError{Msg: "refused before sending"}, err)
	}
	// Validate parsed both addresses already.
	from, _ := mail.ParseAddress(m.From)
	to, _ := mail.ParseAddress(m.To)

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return contextual(ctx, fmt.Errorf("dial: %w", err))
	}
	// Closing the connection when ctx ends unblocks any read or write below; the error then
	// carries ctx.Err(), which is set before this function runs.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	c, err := netsmtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return contextual(ctx, classify("greeting", err))
	}
	if err := s.converse(c, conn, from.Address, to.Address, notify.Render(m)); err != nil {
		var te *textproto.Error
		var pe *notify.PermanentError
		if ctx.Err() == nil && (errors.As(err, &te) || errors.As(err, &pe)) {
			_ = c.Quit() // the server refused a command but the session is in step: leave politely
		}
		_ = c.Close()
		return contextual(ctx, err)
	}
	// The relay has taken the message; a failed QUIT changes nothing for the caller.
	if err := c.Quit(); err != nil {
		_ = c.Close()
	}
	return nil
}

// converse runs the session from EHLO to the end of DATA.
func (s *Sender) converse(c *netsmtp.Client, conn net.Conn, from, to string, data []byte) error {
	if err := c.Hello(s.cfg.HeloName); err != nil {
		return classify("ehlo", err)
	}
	if s.cfg.StartTLS != StartTLSNever {
		offered, _ := c.Extension("STARTTLS")
		switch {
		case offered:
			tc := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
			if err := c.StartTLS(tc); err != nil {
				return classify("starttls", err)
			}
		case s.cfg.StartTLS == StartTLSAlways:
			return errors.New("starttls: not offered by the server, and starttls is always")
		}
	}
	if s.cfg.Username != "" {
		offered, mechs := c.Extension("AUTH")
		if !offered || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
			return errors.New("auth: server does not offer AUTH PLAIN")
		}
		a := plainAuth{username: s.cfg.Username, password: *s.password, loopback: isLoopback(conn.RemoteAddr())}
		if err := c.Auth(a); err != nil {
			return classify("auth", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classify("mail from", err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("data", err)
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		return classify("data", err)
	}
	if err := w.Close(); err != nil {
		return classify("data", err)
	}
	return nil
}

// classify names the step that failed and turns a 5xx reply into a *notify.PermanentError.
// Other replies stay a *textproto.Error in the chain.
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code <= 599 {
		return fmt.Errorf("%s: %w", step, &notify.PermanentError{Code: te.Code, Msg: te.Msg})
	}
	return fmt.Errorf("%s: %w", step, err)
}

// contextual adds ctx.Err() to err when ctx is done, since a closed connection is then the
// consequence and the deadline or cancellation is the cause.
func contextual(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// plainAuth is AUTH PLAIN (RFC 4616). Unlike netsmtp.PlainAuth, which trusts the host name, it
// decides on the connection itself: TLS, or a peer on a loopback address.
type plainAuth struct {
	username string
	password secret
	loopback bool
}

func (a plainAuth) Start(server *netsmtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.loopback {
		return "", nil, errors.New("refusing to send a password without TLS to a non-loopback server")
	}
	return "PLAIN", []byte("\x00" + a.username + "\x00" + string(a.password)), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.AddrPort().Addr().Unmap().IsLoopback()
}

// secret keeps the password out of fmt and slog output when it is printed on its own.
type secret string

func (secret) String() string       { return "[redacted]" }
func (secret) GoString() string     { return "[redacted]" }
func (secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }
