package mailtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// errQuit ends a session after QUIT.
var errQuit = errors.New("quit")

// session is the server side of one SMTP connection.
type session struct {
	srv *Server
	r   *bufio.Reader // its buffer holds exactly one line of MaxLineLength
	w   *textproto.Writer

	greeted bool     // EHLO or HELO seen
	inMail  bool     // MAIL accepted, transaction open
	from    string   // reverse-path of the open transaction
	rcpts   []string // forward-paths of the open transaction
}

func newSession(srv *Server, c net.Conn) *session {
	return &session{
		srv: srv,
		r:   bufio.NewReaderSize(c, MaxLineLength),
		w:   textproto.NewWriter(bufio.NewWriter(c)),
	}
}

// run serves commands until QUIT, a closed connection or a write error.
func (s *session) run() {
	if s.reply(220, "mailtest ESMTP ready") != nil {
		return
	}
	for {
		line, tooLong, err := s.readLine()
		if err != nil {
			return
		}
		if tooLong {
			err = s.reply(500, "5.5.2 line too long")
		} else {
			err = s.command(string(trimEOL(line)))
		}
		if err != nil {
			return
		}
	}
}

func (s *session) command(line string) error {
	verb, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(verb) {
	case "EHLO":
		if arg == "" {
			return s.reply(501, "5.5.4 EHLO needs a domain")
		}
		s.greeted = true
		s.reset()
		return s.replyLines(250, "mailtest greets "+arg, "8BITMIME", "SIZE "+strconv.Itoa(MaxMessageSize))
	case "HELO":
		if arg == "" {
			return s.reply(501, "5.5.4 HELO needs a domain")
		}
		s.greeted = true
		s.reset()
		return s.reply(250, "mailtest greets "+arg)
	case "MAIL":
		return s.mail(arg)
	case "RCPT":
		return s.rcpt(arg)
	case "DATA":
		return s.data()
	case "RSET":
		s.reset()
		return s.reply(250, "2.0.0 OK")
	case "NOOP":
		return s.reply(250, "2.0.0 OK")
	case "QUIT":
		if err := s.reply(221, "2.0.0 bye"); err != nil {
			return err
		}
		return errQuit
	default:
		return s.reply(500, "5.5.1 command not recognized")
	}
}

func (s *session) mail(arg string) error {
	switch {
	case !s.greeted:
		return s.reply(503, "5.5.1 send EHLO or HELO first")
	case s.inMail:
		return s.reply(503, "5.5.1 nested MAIL command")
	}
	path, params, ok := parsePath(arg, "FROM:")
	if !ok {
		return s.reply(501, "5.5.4 syntax: MAIL FROM:<address>")
	}
	for _, p := range params {
		key, value, _ := strings.Cut(p, "=")
		switch strings.ToUpper(key) {
		case "BODY":
			if v := strings.ToUpper(value); v != "7BIT" && v != "8BITMIME" {
				return s.reply(501, "5.5.4 BODY must be 7BIT or 8BITMIME")
			}
		case "SIZE":
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				return s.reply(501, "5.5.4 SIZE must be a number")
			}
			if n > MaxMessageSize {
				return s.reply(552, "5.3.4 message too big")
			}
		default:
			return s.reply(555, "5.5.4 parameter not recognized: "+key)
		}
	}
	s.inMail, s.from = true, path
	return s.reply(250, "2.1.0 OK")
}

func (s *session) rcpt(arg string) error {
	if !s.inMail {
		return s.reply(503, "5.5.1 send MAIL first")
	}
	path, params, ok := parsePath(arg, "TO:")
	switch {
	case !ok || path == "":
		return s.reply(501, "5.5.4 syntax: RCPT TO:<address>")
	case len(params) > 0:
		return s.reply(555, "5.5.4 parameter not recognized: "+params[0])
	case len(s.rcpts) >= maxRecipients:
		return s.reply(452, "4.5.3 too many recipients")
	}
	if code, ok := s.srv.takeReject(); ok {
		return s.reply(code, fmt.Sprintf("%d.0.0 rejected by mailtest", code/100))
	}
	s.rcpts = append(s.rcpts, path)
	return s.reply(250, "2.1.5 OK")
}

// data reads the message up to the line ".", removing the dot that the client doubled at the
// start of any line. It keeps reading past a limit so that the session stays in step.
func (s *session) data() error {
	switch {
	case !s.inMail:
		return s.reply(503, "5.5.1 send MAIL first")
	case len(s.rcpts) == 0:
		return s.reply(554, "5.5.1 no valid recipients")
	}
	if err := s.reply(354, "end data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	defer s.reset()
	var buf bytes.Buffer
	var tooLong, tooBig bool
	for {
		line, long, err := s.readLine()
		if err != nil {
			return err
		}
		if long {
			tooLong = true
			continue
		}
		if string(line) == ".\r\n" {
			break
		}
		if line[0] == '.' {
			line = line[1:]
		}
		if buf.Len()+len(line) > MaxMessageSize {
			tooBig = true
			continue
		}
		buf.Write(line)
	}
	switch {
	case tooLong:
		return s.reply(500, "5.5.2 line too long")
	case tooBig:
		return s.reply(552, "5.3.4 message too big")
	}
	r, err := parse(s.from, s.rcpts, buf.Bytes())
	if err != nil {
		return s.reply(554, "5.6.0 malformed message: "+err.Error())
	}
	s.srv.add(r)
	return s.reply(250, "2.0.0 OK queued")
}

// reset ends the open transaction, if any.
func (s *session) reset() {
	s.inMail, s.from, s.rcpts = false, "", nil
}

// readLine returns the next line with its line ending. A line longer than MaxLineLength is
// read to its end and discarded, and reported by tooLong. The line is valid until the next call.
func (s *session) readLine() (line []byte, tooLong bool, err error) {
	line, err = s.r.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		tooLong = true
		_, err = s.r.ReadSlice('\n')
	}
	if err != nil {
		return nil, false, err // io.EOF in the middle of a line too
	}
	if tooLong {
		return nil, true, nil
	}
	return line, false, nil
}

func (s *session) reply(code int, text string) error {
	return s.w.PrintfLine("%d %s", code, strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, text))
}

// replyLines writes a multiline reply: "code-first", ..., "code last".
func (s *session) replyLines(code int, lines ...string) error {
	for _, l := range lines[:len(lines)-1] {
		if _, err := fmt.Fprintf(s.w.W, "%d-%s\r\n", code, l); err != nil {
			return err
		}
	}
	return s.reply(code, lines[len(lines)-1])
}

// parsePath parses `FROM:<path> params` (or TO:): the prefix case-insensitively, the path
// between angle brackets, and the space-separated parameters after it.
func parsePath(arg, prefix string) (path string, params []string, ok bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, false
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, false
	}
	return rest[1:end], strings.Fields(rest[end+1:]), true
}

// parse builds a Received from the envelope and the raw data.
func parse(from string, to []string, data []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Received{}, fmt.Errorf("header: %w", err)
	}
	body := io.Reader(msg.Body)
	if strings.EqualFold(strings.TrimSpace(msg.Header.Get("Content-Transfer-Encoding")), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return Received{}, fmt.Errorf("body: %w", err)
	}
	return Received{
		From:   from,
		To:     slices.Clone(to),
		Data:   slices.Clone(data),
		Header: msg.Header,
		Body:   strings.ReplaceAll(string(text), "\r\n", "\n"),
	}, nil
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}
