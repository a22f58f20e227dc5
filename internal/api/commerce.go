package api

// CommerceDeps are the services of catalogue, orders, payments, contracts and invoices.
type CommerceDeps struct{}

// commerceRoutes are the routes of catalogue, orders, payments, contracts and invoices.
func (a *API) commerceRoutes() []Route { return nil }
