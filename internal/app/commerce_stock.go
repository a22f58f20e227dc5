package app

import (
	"context"

	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
)

var _ catalog.SiteSource = FleetStock{}

// FreeBySite implements catalog.SiteSource: for every plan of the catalogue, each datacenter
// holding machines of the plan's hardware profile (planProfile), with how many of them are
// available. The fleet's delivery takes a machine in the datacenter an order names (any when it
// names none), so this is the stock an order for that datacenter is checked against; the plan's
// count is their sum, the same number FreeServers gives.
func (s FleetStock) FreeBySite(ctx context.Context) (map[string]map[string]int, error) {
	if s.A.Fleet.Service == nil {
		return nil, errs.Coded(errs.Unavailable, "no_fleet", "the fleet is not ready")
	}
	ms, err := s.A.DB.Fleet().ListMachines(ctx, fleet.MachineFilter{})
	if err != nil {
		return nil, err
	}
	byProfile := map[string]map[string]int{}
	for _, m := range ms {
		sites := byProfile[m.Profile]
		if sites == nil {
			sites = map[string]int{}
			byProfile[m.Profile] = sites
		}
		n := sites[m.Datacenter] // a datacenter with none free is listed too: the plan is sold there
		if m.State == fleet.MachineAvailable {
			n++
		}
		sites[m.Datacenter] = n
	}
	plans, err := s.A.DB.Catalog().ListPlans(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]int, len(plans))
	for _, p := range plans {
		out[p.Code] = byProfile[s.A.planProfile(p.Code)]
	}
	return out, nil
}
