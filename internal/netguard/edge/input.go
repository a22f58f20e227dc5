package edge

import (
	"net/netip"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Input is what is active, as read from the store: the whole desired state of the edge. Order
// within the lists does not matter.
type Input struct {
	Mitigations []Mitigation
	Firewall    []FirewallRule
	SMTPBlocks  []SMTPBlock
	Cutoffs     []Cutoff
	Staff       []StaffRule
	// InfrastructureThreatened is set when the configured aggregate limits say the host's
	// infrastructure itself is under threat: only then does a level-3 mitigation blackhole
	// its address (RTBH). Otherwise level 3 compiles as level 2 and the withheld blackhole is
	// reported as a Refusal.
	InfrastructureThreatened bool
	// RateLimit is the level-2 traffic rate, in bytes per second, for mitigations that name
	// none; zero means DefaultRateLimit.
	RateLimit uint64
}

// DefaultRateLimit is the level-2 rate when neither the mitigation nor the Input names one:
// 1 Gbit/s, in bytes per second.
const DefaultRateLimit = 125_000_000

// Mitigation is an active DDoS mitigation of one address (Art. 9).
type Mitigation struct {
	ID string
	IP netip.Addr
	// Level is 1 (drop the attack's vectors), 2 (also rate-limit the rest of the traffic to
	// the address) or 3 (also blackhole the address when the infrastructure is threatened).
	// Level 0 means no rules.
	Level int
	// Vectors are the attack's vectors, as the detector classified them.
	Vectors []netguard.Vector
	// RateLimit is this mitigation's rate in bytes per second (from its protection profile);
	// zero means the Input's.
	RateLimit uint64
}

// FirewallRule is one rule of a customer's edge firewall (Art. 9 Pro), listed only while the
// address is under mitigation. The compiler sets Rule.Destination to the address (/32 or /128)
// and refuses a rule whose destination is anything else.
type FirewallRule struct {
	ID   string
	IP   netip.Addr
	Rule netguard.EdgeRule
}

// SMTPBlock blocks outbound mail from an address (Art. 8): TCP to port 25 from it is discarded.
type SMTPBlock struct {
	ID string
	IP netip.Addr
}

// Cutoff cuts an address off the network (Art. 6, 7): all traffic to it and from it is
// discarded.
type Cutoff struct {
	ID string
	IP netip.Addr
	// Reason is a short word for logs: "hacked", "security-update", "suspended"...
	Reason string
}

// StaffRule is a rule written by the NOC. A rule wider than one address is compiled only when
// Approved is set (a second person approved it); none may touch an infrastructure prefix.
type StaffRule struct {
	ID       string
	Rule     netguard.EdgeRule
	Approved bool
}

// Priorities the compiler gives to rules, by origin. Under the ceiling the lowest go first; a
// staff rule keeps its own Rule.Priority when it sets one.
const (
	PriorityBlackhole  = 100 // level-3 RTBH: the infrastructure is threatened
	PriorityCutoff     = 90
	PriorityStaff      = 80
	PriorityMitigation = 70 // level-1 vector filters
	PriorityRateLimit  = 60 // level-2 rate limit of the remaining traffic
	PrioritySMTPBlock  = 50
	PriorityFirewall   = 40
)

// Guard holds the guard rails of Compile.
type Guard struct {
	// Infrastructure lists the host's own prefixes (routers, links, DNS, management): no rule
	// may match them, as destination or as source.
	Infrastructure []netip.Prefix
	// MaxRules is the ceiling on the number of rules; zero means DefaultMaxRules.
	MaxRules int
}

// DefaultMaxRules is the ceiling when Guard.MaxRules is zero; routers commonly hold a few
// thousand FlowSpec rules in hardware.
const DefaultMaxRules = 3000

// Reason says why the compiler refused a rule.
type Reason string

// The reasons of refusals.
const (
	ReasonInvalid        Reason = "invalid"         // the rule cannot be expressed (Detail says why)
	ReasonUnknownVector  Reason = "unknown-vector"  // a mitigation vector without a filter
	ReasonTooWide        Reason = "too-wide"        // wider than one address, without approval
	ReasonInfrastructure Reason = "infrastructure"  // touches an infrastructure prefix (Detail names it)
	ReasonCeiling        Reason = "ceiling"         // beyond Guard.MaxRules
	ReasonNotThreatened  Reason = "not-threatened"  // level-3 blackhole withheld
	ReasonOutsideAddress Reason = "outside-address" // a firewall rule for another address
	ReasonShadowed       Reason = "shadowed"        // same match as a rule of higher priority, other action
)

// Refusal is a rule the compiler did not emit, and why.
type Refusal struct {
	Reason Reason
	// Detail names what was hit: the infrastructure prefix, the ceiling, the winning rule...
	Detail string
	// Origin is the input the rule came from.
	Origin netguard.EdgeOrigin
	// Rule is the refused rule; it is the zero Rule when none could be built.
	Rule Rule
}

// String returns "<reason>: <origin>: <rule> (<detail>)".
func (f Refusal) String() string {
	s := string(f.Reason) + ": " + f.Origin.String()
	if f.Rule.Kind != 0 {
		s += ": " + f.Rule.Key()
	}
	if f.Detail != "" {
		s += " (" + f.Detail + ")"
	}
	return s
}
