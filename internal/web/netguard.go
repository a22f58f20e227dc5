package web

import "net/http"

// NetguardDeps are the services of network protection: mitigation, attacks, traffic, edge rules.
type NetguardDeps struct{}

// netguardRoutes registers the pages of network protection: mitigation, attacks, traffic, edge rules.
func (u *ui) netguardRoutes(mux *http.ServeMux) {}
