package mailtest_test

import (
	"fmt"
	netsmtp "net/smtp"
	"net/textproto"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/notify/mailtest"
)

// dial opens a raw connection to s and reads the greeting.
func dial(t *testing.T, s *mailtest.Server) *textproto.Conn {
	t.Helper()
	c, err := textproto.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return c
}

// step sends one command line and checks the reply code; it returns the reply text.
func step(t *testing.T, c *textproto.Conn, line string, want int) string {
	t.Helper()
	if err := c.PrintfLine("%s", line); err != nil {
		t.Fatalf("send %q: %v", line, err)
	}
	return expect(t, c, line, want)
}

func expect(t *testing.T, c *textproto.Conn, what string, want int) string {
	t.Helper()
	code, msg, err := c.ReadResponse(0)
	if err != nil {
		t.Fatalf("%.40q: read reply: %v", what, err)
	}
	if code != want {
		t.Fatalf("%.40q: reply %d %s, want %d", what, code, msg, want)
	}
	return msg
}

func TestCommands(t *testing.T) {
	t.Parallel()
	type cmd struct {
		line string
		want int
	}
	tests := []struct {
		name  string
		steps []cmd
	}{
		{"unknown commands", []cmd{
			{"EHLO client.test", 250}, {"FOO bar", 500}, {"", 500}, {"VRFY root", 500},
			{"NOOP", 250}, {"QUIT", 221},
		}},
		{"command order", []cmd{
			{"MAIL FROM:<a@example.fr>", 503}, {"HELO client.test", 250},
			{"RCPT TO:<b@example.fr>", 503}, {"DATA", 503},
			{"MAIL FROM:<a@example.fr>", 250}, {"MAIL FROM:<a@example.fr>", 503}, {"DATA", 554},
			{"RSET", 250}, {"RCPT TO:<b@example.fr>", 503},
		}},
		{"syntax", []cmd{
			{"EHLO", 501}, {"HELO", 501}, {"ehlo client.test", 250},
			{"MAIL a@example.fr", 501}, {"MAIL FROM:a@example.fr", 501},
			{"MAIL FROM:<a@example.fr> SIZE=" + fmt.Sprint(mailtest.MaxMessageSize+1), 552},
			{"MAIL FROM:<a@example.fr> SIZE=big", 501},
			{"MAIL FROM:<a@example.fr> BODY=BINARYMIME", 501},
			{"MAIL FROM:<a@example.fr> SMTPUTF8", 555},
			{"mail from: <> BODY=8BITMIME SIZE=100", 250},
			{"RCPT TO:<>", 501}, {"RCPT TO:<b@example.fr> NOTIFY=NEVER", 555},
			{"rcpt to:<b@example.fr>", 250},
		}},
		{"line too long", []cmd{
			{"EHLO client.test", 250}, {"NOOP " + strings.Repeat("x", mailtest.MaxLineLength), 500},
			{"NOOP", 250},
		}},
		{"longest line accepted", []cmd{
			{"NOOP " + strings.Repeat("x", mailtest.MaxLineLength-len("NOOP \r\n")), 250},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, mailtest.Start(t))
			for _, s := range tt.steps {
				step(t, c, s.line, s.want)
			}
		})
	}
}

func TestEHLOAdvertises(t *testing.T) {
	t.Parallel()
	c := dial(t, mailtest.Start(t))
	ext := strings.Split(step(t, c, "EHLO client.test", 250), "\n")[1:]
	if want := []string{"8BITMIME", fmt.Sprintf("SIZE %d", mailtest.MaxMessageSize)}; !slices.Equal(ext, want) {
		t.Errorf("extensions %q, want %q", ext, want)
	}
}

func TestData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string // sent after 354, up to and without the final ".\r\n"
		want     int
		wantData string
		wantBody string
	}{
		{
			name:     "dot unstuffing",
			data:     "Subject: dots\r\n\r\n..leading dot\r\n...\r\nend\r\n",
			want:     250,
			wantData: "Subject: dots\r\n\r\n.leading dot\r\n..\r\nend\r\n",
			wantBody: ".leading dot\n..\nend\n",
		},
		{
			name:     "quoted-printable body decoded",
			data:     "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 cr=\r\n=C3=A8me\r\n",
			want:     250,
			wantData: "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 cr=\r\n=C3=A8me\r\n",
			wantBody: "café crème\n",
		},
		{
			name: "message too big",
			data: "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", mailtest.MaxMessageSize/100+1),
			want: 552,
		},
		{
			name: "line too long",
			data: "Subject: long\r\n\r\n" + strings.Repeat("x", mailtest.MaxLineLength) + "\r\n",
			want: 500,
		},
		{
			name: "malformed header",
			data: "not a header\r\n\r\nbody\r\n",
			want: 554,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mailtest.Start(t)
			c := dial(t, s)
			step(t, c, "EHLO client.test", 250)
			step(t, c, "MAIL FROM:<a@example.fr>", 250)
			step(t, c, "RCPT TO:<b@example.fr>", 250)
			step(t, c, "RCPT TO:<c@example.fr>", 250)
			step(t, c, "DATA", 354)
			if _, err := c.W.WriteString(tt.data + ".\r\n"); err != nil {
				t.Fatal(err)
			}
			if err := c.W.Flush(); err != nil {
				t.Fatal(err)
			}
			expect(t, c, "end of data", tt.want)
			step(t, c, "NOOP", 250) // still in step with the server
			got := s.Messages()
			if tt.want != 250 {
				if len(got) != 0 {
					t.Errorf("server kept %d messages, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("server kept %d messages, want 1", len(got))
			}
			r := got[0]
			if r.From != "a@example.fr" || !slices.Equal(r.To, []string{"b@example.fr", "c@example.fr"}) {
				t.Errorf("envelope %q -> %q", r.From, r.To)
			}
			if string(r.Data) != tt.wantData {
				t.Errorf("Data %q, want %q", r.Data, tt.wantData)
			}
			if r.Body != tt.wantBody {
				t.Errorf("Body %q, want %q", r.Body, tt.wantBody)
			}
			// The transaction is over: a new one needs MAIL again.
			step(t, c, "RCPT TO:<b@example.fr>", 503)
		})
	}
}

func TestRejectNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    int
		code int
	}{
		{"temporary", 2, 451},
		{"permanent", 1, 550},
		{"none", 0, 550},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mailtest.Start(t)
			s.RejectNext(tt.n, tt.code)
			c := dial(t, s)
			step(t, c, "EHLO client.test", 250)
			step(t, c, "MAIL FROM:<a@example.fr>", 250)
			for range tt.n {
				step(t, c, "RCPT TO:<b@example.fr>", tt.code)
			}
			step(t, c, "RCPT TO:<b@example.fr>", 250)
		})
	}
}

func TestConcurrentConnections(t *testing.T) {
	t.Parallel()
	const n = 8
	s := mailtest.Start(t)
	errc := make(chan error, n)
	for i := range n {
		go func() {
			msg := fmt.Sprintf("Subject: message %d\r\n\r\nbody %d\r\n", i, i)
			errc <- netsmtp.SendMail(s.Addr(), nil, "a@example.fr", []string{fmt.Sprintf("r%d@example.fr", i)}, []byte(msg))
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Errorf("SendMail: %v", err)
		}
	}
	got := s.WaitFor(t, n, 5*time.Second)
	var subjects []string
	for _, r := range got {
		subjects = append(subjects, r.Header.Get("Subject"))
	}
	slices.Sort(subjects)
	for i := range n {
		if want := fmt.Sprintf("message %d", i); !slices.Contains(subjects, want) {
			t.Errorf("missing %q in %q", want, subjects)
		}
	}
}

// fakeTB records Fatalf and stops the goroutine, as testing.T does.
type fakeTB struct {
	testing.TB
	fatal chan string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal <- fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWaitForFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		close   bool
		want    string
	}{
		{"timeout", 10 * time.Millisecond, false, "0 messages after 10ms, want 1"},
		{"server closed", time.Hour, true, "server closed with 0 messages, want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mailtest.Start(t)
			tb := &fakeTB{TB: t, fatal: make(chan string, 1)}
			go s.WaitFor(tb, 1, tt.timeout)
			if tt.close {
				s.Close()
			}
			if got := <-tb.fatal; got != "mailtest: "+tt.want {
				t.Errorf("Fatalf(%q), want %q", got, "mailtest: "+tt.want)
			}
		})
	}
}

func TestCloseDropsConnections(t *testing.T) {
	t.Parallel()
	s := mailtest.Start(t)
	c := dial(t, s)
	s.Close()
	if _, _, err := c.ReadResponse(0); err == nil {
		t.Error("read after Close succeeded, want an error")
	}
	s.Close() // idempotent
}
