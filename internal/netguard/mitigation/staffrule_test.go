package mitigation_test

import (
	"net/netip"
	"testing"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

// An unknown vector is reported at its index in the request, not in the sorted list the rule
// keeps: ["udp-flood", "teapot"] is wrong on vectors[1].
func TestStaffRuleUnknownVectorField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	_, err := e.svc.AddStaffRule(e.ctx, account.Actor{Kind: "staff", ID: 1, Label: "noc"}, netip.MustParsePrefix("198.18.1.0/24"),
		[]netguard.Vector{netguard.VectorUDPFlood, "teapot"}, "ticket 42")
	ee := errs.As(err)
	if ee == nil || len(ee.Fields) != 1 || ee.Fields[0].Field != "vectors[1]" {
		t.Fatalf("unknown second vector: %v (%+v)", err, ee)
	}
}

// An IPv4-mapped IPv6 prefix is the IPv4 prefix it maps: ::ffff:198.18.255.0/120 touches the
// infrastructure prefix 198.18.255.0/24 like 198.18.255.0/24 does, and ::ffff:198.18.1.0/120
// is a /24 that waits for approval; ::ffff:198.18.1.7/128 is one IPv4 address.
func TestStaffRuleMappedPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, func(c *mitigation.Config) { c.Infrastructure = []string{"198.18.255.0/24"} })
	noc := account.Actor{Kind: "staff", ID: 1, Label: "noc"}
	for _, p := range []string{"::ffff:198.18.255.0/120", "::ffff:198.18.255.1/128", "::ffff:198.18.0.0/112"} {
		_, err := e.svc.AddStaffRule(e.ctx, noc, netip.MustParsePrefix(p), []netguard.Vector{netguard.VectorUDPFlood}, "ticket 42")
		if ee := errs.As(err); ee == nil || len(ee.Fields) != 1 || ee.Fields[0].Field != "prefix" {
			t.Errorf("%s over the infrastructure: %v", p, err)
		}
	}
	for _, tc := range []struct {
		in, want string
		wide     bool
	}{
		{"::ffff:198.18.1.0/120", "198.18.1.0/24", true},
		{"::ffff:198.18.1.7/128", "198.18.1.7/32", false},
	} {
		r, err := e.svc.AddStaffRule(e.ctx, noc, netip.MustParsePrefix(tc.in), []netguard.Vector{netguard.VectorUDPFlood}, "ticket 42")
		if err != nil || r.Prefix.String() != tc.want || r.Wide() != tc.wide || r.Applied() == tc.wide {
			t.Errorf("%s: %+v %v, want %s (wide %v)", tc.in, r, err, tc.want, tc.wide)
		}
	}
}
