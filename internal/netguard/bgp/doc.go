// Package bgp is the BGP driver of the edge: an embedded GoBGP v4 speaker
// (github.com/osrg/gobgp/v4) that announces the rule set compiled by netguard/edge to the
// configured routers, as FlowSpec routes (RFC 8955 for IPv4, RFC 8956 for IPv6; traffic-rate 0
// for discard, traffic-rate N bytes/s for a rate limit, no action for accept) and as RTBH
// unicast routes tagged BLACKHOLE (RFC 7999) with the configured discard next hop.
//
// The speaker keeps the desired set in GoBGP's RIB: a router whose session comes back receives
// the whole set again, and a session that flaps or receives malformed messages is reset by
// GoBGP without affecting the rest of itsgow. NewPath and ParsePath convert between edge rules
// and GoBGP paths.
//
// It is an adapter: it imports internal/netguard, internal/netguard/edge, internal/clock,
// internal/logkey, GoBGP and the standard library, and no other adapter. Only cmd/itsgow builds
// it.
//
// A Speaker is safe for concurrent use: Apply, Resync, Rules, Announced and Status may be called
// from any goroutine while Run blocks in another. GoBGP runs its own goroutines, stopped when Run
// returns.
package bgp
