// Package flowgen builds synthetic flow telemetry: NetFlow v5, NetFlow v9, IPFIX and sFlow v5
// datagrams encoded from netguard.Flow values (Encoder), deterministic traffic scenarios such as
// floods, amplification and carpet bombing (Generator), and a Sender that paces the datagrams of
// those scenarios to a socket; Diff compares decoded flows with generated ones. Tests, fuzz seeds
// and the `itsgow flowgen` command use it.
//
// It imports internal/netguard, internal/clock and the standard library. It opens no socket:
// the Sender writes to the io.Writer it is given, and reads time only from its clock.Clock.
//
// An Encoder, a Generator and a Sender are not safe for concurrent use; each keeps sequence
// numbers and random state. Run a Sender from one goroutine.
package flowgen
