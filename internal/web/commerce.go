package web

import "net/http"

// CommerceDeps are the services of catalogue, orders, payments, contracts and invoices.
type CommerceDeps struct{}

// commerceRoutes registers the pages of catalogue, orders, payments, contracts and invoices.
func (u *ui) commerceRoutes(mux *http.ServeMux) {}
