// Package edge computes the rule set the network edge must enforce, and applies it through
// drivers.
//
// Compile is a pure, deterministic function from what is active in the store (mitigations by
// level, firewall rules of IPs under mitigation, SMTP blocks, network cut-offs, staff rules) to a
// sorted RuleSet of FlowSpec rules and RTBH blackholes, with guard rails: no rule wider than one
// customer address unless staff approved it, none touching an infrastructure prefix, and a
// ceiling on the number of rules. What the guard rails refuse is reported, never silently
// dropped. Diff gives what a driver must add and remove to go from one set to another. A Driver
// (the BGP speaker in netguard/bgp, the nftables driver, or the LogDriver here for dry runs)
// applies that difference.
//
// It imports internal/netguard, internal/logkey and the standard library (log/slog for the
// LogDriver), and does no other I/O: no sockets, no files, no clock.
//
// Compile, Diff and the types are safe for concurrent use: they share nothing. A LogDriver is
// safe for concurrent use; a RuleSet is a plain value that must not be written while shared.
package edge
