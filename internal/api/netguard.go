package api

// NetguardDeps are the services of network protection: mitigation, attacks, traffic, edge rules.
type NetguardDeps struct{}

// netguardRoutes are the routes of network protection: mitigation, attacks, traffic, edge rules.
func (a *API) netguardRoutes() []Route { return nil }
