// Package mailtest is an SMTP sink for tests: a real server on 127.0.0.1 that speaks enough of
// RFC 5321 for net/smtp (EHLO and HELO advertising 8BITMIME and SIZE, MAIL, RCPT, DATA with
// dot-unstuffing, RSET, NOOP, QUIT; no STARTTLS, no AUTH), keeps every accepted message in memory
// and can be told to reject the next recipients, to exercise retry and bounce handling.
//
// It enforces a line length limit (MaxLineLength) and a message size limit (MaxMessageSize), and
// answers 500 to anything else, so a client bug shows up as an error rather than a hang.
//
// It imports only the standard library and is imported only from _test.go files (and the
// end-to-end test of cmd/itsgow), never from production code. A Server serves any number of
// concurrent connections; its methods are safe for concurrent use, except that WaitFor, which
// may call tb.Fatalf, must run on the test's goroutine.
package mailtest
