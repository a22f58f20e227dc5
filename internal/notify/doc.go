// Package notify sends the notices the contract requires (planned interventions, security
// updates, spam blocks, cut-offs) as email, and keeps each one as evidence.
//
// The Service renders a notice from its fr/en template, stores it and queues its delivery as a
// job in the caller's transaction; the job hands a Message to a Sender. Sender is the interface
// that adapters implement (package notify/smtp; notify/mailtest is the sink for tests), and a
// Sender returns a *PermanentError when retrying is useless. Render turns a Message into the
// exact RFC 5322 bytes handed to the relay; it is deterministic, so its output can be hashed.
//
// It may import errs, clock, logkey, jobs and the standard library; it does no network or
// database I/O itself (stores and senders come in through Deps). Adapters import it, never the
// reverse. Render and Message.Validate are pure, a Service holds no mutable state after New, and
// Sender implementations must be safe for concurrent use.
package notify
