package api

// FleetDeps are the services of servers, IPs, provisioning, incidents and planned works.
type FleetDeps struct{}

// fleetRoutes are the routes of servers, IPs, provisioning, incidents and planned works.
func (a *API) fleetRoutes() []Route { return nil }
