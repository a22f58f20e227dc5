package edge

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/itsgow/itsgow/internal/netguard"
)

// Kind tells which of Rule's fields is set.
type Kind uint8

// The kinds of rules.
const (
	KindFlow      Kind = iota + 1 // a FlowSpec rule
	KindBlackhole                 // an RTBH route
)

// Rule is one entry of the edge rule set: a FlowSpec rule or an RTBH blackhole route.
type Rule struct {
	Kind      Kind
	Flow      netguard.EdgeRule  // when Kind is KindFlow
	Blackhole netguard.Blackhole // when Kind is KindBlackhole
}

// FlowRule wraps a FlowSpec rule, normalized.
func FlowRule(r netguard.EdgeRule) Rule { return Rule{Kind: KindFlow, Flow: r.Normalize()} }

// BlackholeRule wraps an RTBH route, normalized.
func BlackholeRule(b netguard.Blackhole) Rule {
	return Rule{Kind: KindBlackhole, Blackhole: b.Normalize()}
}

// Key identifies the route the rule becomes: two rules with the same Key replace each other.
func (r Rule) Key() string {
	if r.Kind == KindBlackhole {
		return r.Blackhole.Key()
	}
	return r.Flow.Key()
}

// String is the whole rule, for logs, golden files and equality in Diff.
func (r Rule) String() string {
	if r.Kind == KindBlackhole {
		return r.Blackhole.String()
	}
	return r.Flow.String()
}

// Priority is the rule's priority: higher rules survive the ceiling and win a shared Key.
func (r Rule) Priority() int {
	if r.Kind == KindBlackhole {
		return r.Blackhole.Priority
	}
	return r.Flow.Priority
}

// Origin says why the rule exists.
func (r Rule) Origin() netguard.EdgeOrigin {
	if r.Kind == KindBlackhole {
		return r.Blackhole.Origin
	}
	return r.Flow.Origin
}

// Family is the rule's address family.
func (r Rule) Family() netguard.Family {
	if r.Kind == KindBlackhole {
		return r.Blackhole.Family()
	}
	return r.Flow.Family
}

// Validate reports a rule that no driver can apply.
func (r Rule) Validate() error {
	switch r.Kind {
	case KindFlow:
		return r.Flow.Validate()
	case KindBlackhole:
		return r.Blackhole.Validate()
	}
	return fmt.Errorf("%w: kind %d", netguard.ErrEdgeMatch, r.Kind)
}

// Compare orders rules for a RuleSet: FlowSpec before blackholes, IPv4 before IPv6, then by the
// address the rule protects, then by Key.
func Compare(a, b Rule) int {
	// The texts are built only for rules of the same address.
	if c := cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Family(), b.Family()),
		anchorOf(a).Compare(anchorOf(b)),
	); c != 0 {
		return c
	}
	if c := strings.Compare(a.Key(), b.Key()); c != 0 {
		return c
	}
	return strings.Compare(a.String(), b.String())
}

// anchorOf is the address a rule protects or restrains: the destination, else the source.
func anchorOf(r Rule) netip.Prefix {
	if r.Kind == KindBlackhole {
		return r.Blackhole.Prefix
	}
	if r.Flow.Destination.IsValid() {
		return r.Flow.Destination
	}
	return r.Flow.Source
}

// RuleSet is a sorted list of rules (by Compare) with distinct keys, as Compile returns it.
type RuleSet []Rule

// Sort sorts s by Compare, in place.
func (s RuleSet) Sort() { slices.SortFunc(s, Compare) }

// String lists the rules, one per line.
func (s RuleSet) String() string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Diff returns what a driver holding old must add and remove to hold new. Rules are matched by
// Key and compared by String: a rule whose content changed (a new action, rate, origin) is
// removed and added again, so a Key can appear in both lists; a driver then replaces the route
// in place. Both lists are sorted by Compare. Duplicate keys in a set count once (the last).
func Diff(old, new RuleSet) (add, remove []Rule) {
	before := make(map[string]Rule, len(old))
	for _, r := range old {
		before[r.Key()] = r
	}
	after := make(map[string]Rule, len(new))
	for _, r := range new {
		after[r.Key()] = r
	}
	for k, n := range after {
		o, ok := before[k]
		switch {
		case !ok:
			add = append(add, n)
		case o.String() != n.String():
			remove = append(remove, o)
			add = append(add, n)
		}
	}
	for k, o := range before {
		if _, ok := after[k]; !ok {
			remove = append(remove, o)
		}
	}
	slices.SortFunc(add, Compare)
	slices.SortFunc(remove, Compare)
	return add, remove
}
