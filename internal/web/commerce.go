package web

import (
	"net/http"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	catalogue "github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/order"
)

// CommerceDeps are the services of catalogue, orders, payments, contracts and invoices.
type CommerceDeps struct {
	Catalog *catalogue.Service
	Orders  *order.Service
	Billing *billing.Service
}

// commerceRoutes registers the pages of catalogue, orders, payments, contracts and invoices.
func (u *ui) commerceRoutes(mux *http.ServeMux) {
	if u.deps.Commerce.Catalog == nil {
		return
	}
	mux.Handle("GET /catalog", u.wrap(public, "", u.catalogPage))
	mux.Handle("GET /order/{plan}", u.wrap(user, "", u.orderForm))
	mux.Handle("POST /orders", u.wrap(user, "", u.orderCreate))
	mux.Handle("GET /orders", u.wrap(user, "", u.orderList))
	mux.Handle("GET /orders/{id}", u.wrap(user, "", u.orderView))
	mux.Handle("POST /orders/{id}/pay", u.wrap(user, "", u.orderPay))
	mux.Handle("POST /orders/{id}/cancel", u.wrap(user, "", u.orderCancel))
	mux.Handle("POST /orders/{id}/withdraw", u.wrap(user, "", u.orderWithdraw))
	mux.Handle("GET /invoices", u.wrap(user, "", u.invoiceList))
	mux.Handle("GET /invoices/{id}/pdf", u.wrap(user, "", u.invoicePDF))
	mux.Handle("POST /invoices/{id}/pay", u.wrap(user, "", u.invoicePay))
	mux.Handle("POST /contracts/{id}/renew", u.wrap(user, "", u.contractRenew))
	mux.Handle("POST /contracts/{id}/terminate", u.wrap(user, "", u.contractTerminate))
	mux.Handle("POST /contracts/{id}/termination/withdraw", u.wrap(user, "", u.contractKeep))

	mux.Handle("GET /staff/payments", u.wrap(staff, account.RoleBilling, u.staffPayments))
	mux.Handle("POST /staff/payments/{id}/confirm", u.wrap(staff, account.RoleBilling, u.staffConfirm))
	mux.Handle("GET /staff/catalog", u.wrap(staff, account.RoleBilling, u.staffCatalog))
	mux.Handle("POST /staff/catalog/price", u.wrap(staff, account.RoleBilling, u.staffPrice))
	mux.Handle("POST /staff/catalog/stock", u.wrap(staff, account.RoleBilling, u.staffStock))
	mux.Handle("GET /staff/invoices", u.wrap(staff, account.RoleBilling, u.staffInvoices))
	mux.Handle("GET /staff/invoices/{id}/pdf", u.wrap(staff, account.RoleBilling, u.staffInvoicePDF))
	mux.Handle("GET /staff/orders", u.wrap(staff, account.RoleBilling, u.staffOrders))
	mux.Handle("POST /staff/orders/{id}/deliver", u.wrap(staff, account.RoleTechnician, u.staffDeliver))
}
