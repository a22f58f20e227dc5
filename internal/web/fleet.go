package web

import "net/http"

// FleetDeps are the services of servers, IPs, provisioning, incidents and planned works.
type FleetDeps struct{}

// fleetRoutes registers the pages of servers, IPs, provisioning, incidents and planned works.
func (u *ui) fleetRoutes(mux *http.ServeMux) {}
