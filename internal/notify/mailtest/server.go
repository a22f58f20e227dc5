package mailtest

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"slices"
	"sync"
	"testing"
	"time"
)

// Limits the server enforces.
const (
	MaxLineLength  = 1000    // bytes in one command or text line, CRLF included (RFC 5321 4.5.3.1.6)
	MaxMessageSize = 1 << 20 // bytes of DATA after dot-unstuffing, advertised with SIZE
	maxRecipients  = 100     // per transaction (RFC 5321 4.5.3.1.8)
)

// Received is one message the server accepted.
type Received struct {
	From   string      // envelope sender (MAIL FROM), without angle brackets; empty for <>
	To     []string    // envelope recipients (RCPT TO), in order
	Data   []byte      // the DATA content after dot-unstuffing, CRLF line endings kept
	Header mail.Header // the parsed header; encoded-words are left as sent
	Body   string      // the body, decoded when quoted-printable, with LF line endings
}

// Server is a running SMTP sink.
type Server struct {
	ln net.Listener
	wg sync.WaitGroup // the accept loop and every connection

	mu         sync.Mutex
	msgs       []Received
	changed    chan struct{} // closed and replaced when msgs grows or the server closes
	rejectN    int
	rejectCode int
	conns      map[net.Conn]struct{}
	closed     bool
}

// Start starts a server on 127.0.0.1 with a free port. It stops when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{
		ln:      ln,
		changed: make(chan struct{}),
		conns:   make(map[net.Conn]struct{}),
	}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.Close)
	return s
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Messages returns the messages accepted so far, oldest first. The caller must not modify them.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// WaitFor waits until the server has accepted at least n messages and returns all of them. It
// fails the test when timeout passes first, or when the server closes.
func (s *Server) WaitFor(tb testing.TB, n int, timeout time.Duration) []Received {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		s.mu.Lock()
		msgs, changed, closed := slices.Clone(s.msgs), s.changed, s.closed
		s.mu.Unlock()
		switch {
		case len(msgs) >= n:
			return msgs
		case closed:
			tb.Fatalf("mailtest: server closed with %d messages, want %d", len(msgs), n)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			tb.Fatalf("mailtest: %d messages after %v, want %d", len(msgs), timeout, n)
		}
	}
}

// RejectNext makes the next n RCPT commands, on any connection, fail with code: 4xx for a
// temporary failure (451), 5xx for a permanent one (550). It replaces any earlier setting.
func (s *Server) RejectNext(n int, code int) {
	if n < 0 || code < 400 || code > 599 {
		panic(fmt.Sprintf("mailtest: RejectNext(%d, %d): want n >= 0 and a 4xx or 5xx code", n, code))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectN, s.rejectCode = n, code
}

// Close stops listening, drops every connection and waits for their goroutines. Messages stay
// readable. Close is idempotent; Start registers it with tb.Cleanup.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1) // before Close can reach wg.Wait, since Close takes mu first
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			newSession(s, c).run()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// takeReject consumes one pending rejection and returns its code.
func (s *Server) takeReject() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejectN == 0 {
		return 0, false
	}
	s.rejectN--
	return s.rejectCode, true
}

func (s *Server) add(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, r)
	close(s.changed)
	s.changed = make(chan struct{})
}
