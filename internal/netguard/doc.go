// Package netguard holds the network protection domain types: flows seen by the edge routers,
// and the attacks, mitigations and rules derived from them.
//
// It imports only internal/clock and the standard library: no sockets, no database, no BGP or
// nftables libraries. The codecs (netflow, sflow, flowgen), the detectors and the drivers live in
// its subpackages and import it, never the other way round.
//
// Its types are plain values. A value is safe for concurrent reads; whoever shares one across
// goroutines while writing it must synchronise.
package netguard
