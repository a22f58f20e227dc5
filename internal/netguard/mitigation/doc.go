// Package mitigation is the DDoS mitigation service (CGU Art. 9): it turns the attacks the
// detector reports into attack reports and per-IP mitigations held at least 26 hours, raises
// them by level, ends them once the IP has been quiet, sends the customer a notice at each
// activation, raise and end, lets pro-use customers switch protection on in advance and choose
// a profile, lets staff force and raise it, keeps per-IP traffic series, and derives the edge's
// desired rule set from the store (Desired) for EdgeSync to apply through an edge.Driver.
//
// Every rule with a duration is a pure function of stored timestamps (netguard.HoldRules), so a
// restart keeps every deadline: Watch.Tick and EdgeSync.Tick are one iteration each, driven by
// a clock.Clock, and tests move a fake clock.
//
// It is a domain package: it imports internal/netguard, netguard/detect and netguard/edge (pure),
// account, notify, jobs, policy, clock, errs, logkey and the standard library; it defines the
// Store and Directory interfaces it needs and does no I/O of its own.
//
// Concurrency: a Service is safe for concurrent use; Observe calls are serialised. A Series is
// safe for concurrent Add calls (sharded locks, no global lock on the hot path). Watch and
// EdgeSync serialise their own Tick.
package mitigation
