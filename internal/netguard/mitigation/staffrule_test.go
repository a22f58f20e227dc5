package mitigation_test

import (
	"net/netip"
	"testing"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
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
