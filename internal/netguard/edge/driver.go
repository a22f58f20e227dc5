package edge

import (
	"context"
	"time"
)

// Driver applies rule sets to the edge: a BGP speaker, an nftables scrubbing host, or a log for
// dry runs. Implementations are safe for concurrent use.
type Driver interface {
	// Apply removes then adds rules; a Key in both lists is replaced in place. Rules are those
	// of Diff: normalized and valid.
	Apply(ctx context.Context, add, remove []Rule) error
	// Resync makes the driver hold exactly full, whatever it held before (after a restart of
	// itsgow, or when the caller lost track).
	Resync(ctx context.Context, full RuleSet) error
	// Status reports each peer or data plane the driver feeds.
	Status() []PeerStatus
}

// PeerStatus is the state of one router session (or data plane) a driver feeds, for the staff
// dashboard and /metrics.
type PeerStatus struct {
	// Peer names the peer: "127.0.0.20:11179", or "log" for the LogDriver.
	Peer string
	ASN  uint32
	// State is the session state: "idle", "connect", "active", "opensent", "openconfirm" or
	// "established" for BGP.
	State string
	// Up reports an established session, able to receive rules.
	Up bool
	// Since is when State was entered, as observed by the driver (zero if never changed).
	Since time.Time
	// Uptime is how long the session has been established; zero when it is down.
	Uptime time.Duration
	// Flaps counts the times an established session went down.
	Flaps int
	// Sent is the number of routes currently advertised to the peer.
	Sent int
	// LastError is why the session last went down, if known.
	LastError string
}
