// Package collector receives flow telemetry from the edge routers: UDP listeners for NetFlow v5
// and v9 (one port), IPFIX and sFlow v5, on IPv4 and IPv6 sockets. Datagrams from exporters
// outside the allow-list are counted and dropped before decoding; the others are decoded by the
// netflow and sflow codecs and each flow record goes to a Sink (the detector) with the receive
// time, read from a clock.Clock once per batch of datagrams; a BatchSink gets the records of a
// batch of datagrams in one call.
//
// Receiving is batched (recvmmsg, called raw from the netpoller's read callback into headers,
// buffers and sender addresses each goroutine sets up once), the socket buffer is set
// explicitly (and reported when the kernel caps it), and each listen address gets several
// sockets bound with SO_REUSEPORT, each read by its own goroutine with its own decoder, so the
// hot path takes no lock shared between goroutines. Counters (datagrams, flows by format,
// malformed datagrams, unknown templates, unknown exporters, socket drops read from the
// SO_RXQ_OVFL control message, decode errors by kind) are exported on the Prometheus registry
// given in Deps. Exporters reports, per exporter, what the staff dashboard shows: last seen,
// format, observed sampling rate, flows per second and the active timeout estimated from the
// records' durations, with a warning when it makes the reaction target impossible.
//
// It is an adapter: it imports internal/netguard, its netflow and sflow codecs, internal/clock,
// internal/logkey, the Prometheus client, golang.org/x/sys and the standard library, and no
// other adapter (its benchdriver also uses golang.org/x/net to send). Only cmd/itsgow (through internal/app) builds it.
//
// Concurrency: New is inert; Listen binds the sockets; Run starts one goroutine per socket and
// blocks until its context ends; Close releases the sockets. Exporters, Stats and Addrs are safe
// to call from any goroutine while Run is running. The Sink must accept concurrent calls.
package collector
