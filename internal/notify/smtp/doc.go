// Package smtp is the notify.Sender that hands mail to an SMTP relay (RFC 5321) with net/smtp.
//
// Each Send opens one connection under the context deadline and the configured Timeout, greets
// with EHLO, upgrades with STARTTLS when the relay offers it (starttls: auto) or refuses to go on
// without it (always), authenticates with AUTH PLAIN when a username is set (only over TLS or to
// a loopback address), then sends MAIL FROM, RCPT TO, DATA with notify.Render, and QUIT. A 5xx
// reply becomes a *notify.PermanentError; any other failure is worth a retry.
//
// It is an adapter: it may import notify and the standard library, never another adapter; only
// cmd/itsgow builds it, and its password comes from there (read from password_file). A *Sender
// holds no connection between calls and is safe for concurrent use.
package smtp
