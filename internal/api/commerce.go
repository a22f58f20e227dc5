package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/billing/pdf"
	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/order"
)

// CommerceDeps are the services of catalogue, orders, payments, contracts and invoices.
type CommerceDeps struct {
	Catalog *catalog.Service
	Orders  *order.Service
	Billing *billing.Service
}

// commerceRoutes are the routes of catalogue, orders, payments, contracts and invoices.
func (a *API) commerceRoutes() []Route {
	if a.deps.Commerce.Catalog == nil {
		return nil
	}
	page := []Param{{"limit", "integer", "page size (1-200)"}, {"cursor", "string", "nextCursor of the previous page"}}
	return []Route{
		{Method: "GET", Path: "/catalog/ranges", Summary: "Ranges of the catalogue (no login)", Tag: "catalog",
			access: public, Reply: Page[RangeDTO]{}, Status: 200, Query: []Param{{"lang", "string", "fr or en (descriptions)"}}, handle: a.listRanges},
		{Method: "GET", Path: "/catalog/plans", Summary: "Plans with hardware, prices per duration, stock and delivery estimate (no login)", Tag: "catalog",
			access: public, Reply: Page[PlanDTO]{}, Status: 200, Query: []Param{{"range", "string", "only this range"}}, handle: a.listPlans},
		{Method: "GET", Path: "/catalog/plans/{code}", Summary: "One plan (no login)", Tag: "catalog",
			access: public, Reply: PlanDTO{}, Status: 200, handle: a.getPlan},
		{Method: "GET", Path: "/catalog/options", Summary: "Options: pro use, edge firewall, licences, extra IPs (no login)", Tag: "catalog",
			access: public, Reply: Page[OptionDTO]{}, Status: 200, Query: []Param{{"lang", "string", "fr or en"}}, handle: a.listOptions},

		{Method: "POST", Path: "/orders", Summary: "Order a server: the order form with lines, VAT and totals (dryRun previews it; honours Idempotency-Key)", Tag: "orders",
			access: user, Scope: account.ScopeOrdersWrite, Request: OrderRequest{}, Reply: OrderDTO{}, Status: 201, handle: a.createOrder},
		{Method: "GET", Path: "/orders", Summary: "My orders", Tag: "orders",
			access: user, Scope: account.ScopeOrdersRead, Reply: Page[OrderDTO]{}, Status: 200,
			Query: append([]Param{{"status", "string", "only this status"}}, page...), handle: a.listOrders},
		{Method: "GET", Path: "/orders/{id}", Summary: "One order, with its delivery deadline and whether it may be cancelled", Tag: "orders",
			access: user, Scope: account.ScopeOrdersRead, Reply: OrderDTO{}, Status: 200, handle: a.getOrder},
		{Method: "POST", Path: "/orders/{id}/pay", Summary: "Pay an order form (transfer or sandbox; honours Idempotency-Key)", Tag: "orders",
			access: user, Scope: account.ScopeOrdersWrite, Request: PayRequest{}, Reply: PaymentDTO{}, Status: 202, handle: a.pay(a.payOrder)},
		{Method: "POST", Path: "/orders/{id}/cancel", Summary: "Cancel an order: before payment, or once late with a full refund (Art. 4)", Tag: "orders",
			access: user, Scope: account.ScopeOrdersWrite, Reply: OrderDTO{}, Status: 200, handle: a.cancelOrder},
		{Method: "POST", Path: "/orders/{id}/withdraw", Summary: "Consumer withdrawal within 14 days (pro rata after delivery)", Tag: "orders",
			access: user, Scope: account.ScopeOrdersWrite, Reply: OrderDTO{}, Status: 200, handle: a.withdrawOrder},

		{Method: "GET", Path: "/invoices", Summary: "My invoices", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Reply: Page[InvoiceDTO]{}, Status: 200, Query: page, handle: a.listInvoices(billing.KindInvoice)},
		{Method: "GET", Path: "/invoices/{id}", Summary: "One invoice or credit note", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Reply: InvoiceDTO{}, Status: 200, handle: a.getInvoice},
		{Method: "GET", Path: "/invoices/{id}/pdf", Summary: "The PDF of an invoice or credit note (the same bytes every time)", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Status: 200, handle: a.invoicePDF},
		{Method: "POST", Path: "/invoices/{id}/pay", Summary: "Pay an invoice (a renewal; honours Idempotency-Key)", Tag: "billing",
			access: user, Scope: account.ScopeOrdersWrite, Request: PayRequest{}, Reply: PaymentDTO{}, Status: 202, handle: a.pay(a.payInvoice)},
		{Method: "GET", Path: "/credit-notes", Summary: "My credit notes", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Reply: Page[InvoiceDTO]{}, Status: 200, Query: page, handle: a.listInvoices(billing.KindCreditNote)},
		{Method: "GET", Path: "/payments", Summary: "My payments", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Reply: Page[PaymentDTO]{}, Status: 200, Query: page, handle: a.listPayments},
		{Method: "GET", Path: "/contracts", Summary: "My contracts", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Reply: Page[ContractDTO]{}, Status: 200, Query: page, handle: a.listContracts},
		{Method: "GET", Path: "/contracts/{id}", Summary: "One contract", Tag: "billing",
			access: user, Scope: account.ScopeBillingRead, Reply: ContractDTO{}, Status: 200, handle: a.getContract},
		{Method: "PATCH", Path: "/contracts/{id}", Summary: "Change the renewal mode (plan, duration and price are frozen: 409 offer_frozen)", Tag: "billing",
			access: user, Scope: account.ScopeOrdersWrite, Request: ContractPatch{}, Reply: ContractDTO{}, Status: 200, handle: a.patchContract},
		{Method: "POST", Path: "/contracts/{id}/renewal", Summary: "Renew now: issue the renewal invoice of the next term", Tag: "billing",
			access: user, Scope: account.ScopeOrdersWrite, Reply: InvoiceDTO{}, Status: 201, handle: a.renewContract},
		{Method: "POST", Path: "/contracts/{id}/termination", Summary: "Terminate now or at the end of the term", Tag: "billing",
			access: user, Scope: account.ScopeOrdersWrite, Request: TerminationRequest{}, Reply: ContractDTO{}, Status: 200, handle: a.terminateContract},
		{Method: "DELETE", Path: "/contracts/{id}/termination", Summary: "Withdraw a termination at the end of the term, before the term ends (409 termination_due after)", Tag: "billing",
			access: user, Scope: account.ScopeOrdersWrite, Reply: ContractDTO{}, Status: 200, handle: a.withdrawContractTermination},

		{Method: "GET", Path: "/staff/orders", Summary: "Orders (near=hours: undelivered orders whose deadline is that close)", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleBilling, Reply: Page[OrderDTO]{}, Status: 200,
			Query: append([]Param{{"near", "integer", "hours before the delivery deadline"}, {"status", "string", ""}}, page...), handle: a.staffOrders},
		{Method: "POST", Path: "/staff/orders/{id}/delivered", Summary: "The order's server is online: start the contract (the fleet's hook; manual delivery)", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleTechnician, Request: DeliveredRequest{}, Reply: OrderDTO{}, Status: 200, handle: a.staffDelivered},
		{Method: "POST", Path: "/staff/orders/{id}/cancel", Summary: "Cancel an order for the customer (before payment, or late with a full refund)", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleBilling, Reply: OrderDTO{}, Status: 200, handle: a.staffCancel},
		{Method: "GET", Path: "/staff/payments", Summary: "Payments (method=transfer&status=pending: transfers to confirm)", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleBilling, Reply: Page[PaymentDTO]{}, Status: 200,
			Query: append([]Param{{"method", "string", "transfer or sandbox"}, {"status", "string", "pending, succeeded, failed, cancelled"}}, page...), handle: a.staffPayments},
		{Method: "POST", Path: "/staff/payments/{id}/confirm", Summary: "Confirm that a transfer arrived (once; a repeat answers 409)", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleBilling, Reply: PaymentDTO{}, Status: 200, handle: a.staffConfirm},
		{Method: "GET", Path: "/staff/invoices", Summary: "Every invoice and credit note", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleBilling, Reply: Page[InvoiceDTO]{}, Status: 200,
			Query: append([]Param{{"kind", "string", "invoice or creditNote"}, {"customerId", "integer", ""}}, page...), handle: a.staffInvoices},
		{Method: "GET", Path: "/staff/invoices/{id}/pdf", Summary: "The PDF of any invoice", Tag: "staff",
			access: user, Scope: account.ScopeStaffRead, Role: account.RoleBilling, Status: 200, handle: a.staffInvoicePDF},
		{Method: "PUT", Path: "/staff/catalog/plans/{code}/prices", Summary: "New price of a duration, for orders placed from now on", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleBilling, Request: PriceRequest{}, Reply: PlanDTO{}, Status: 200, handle: a.staffPrice},
		{Method: "PUT", Path: "/staff/catalog/plans/{code}/stock", Summary: "Seeded count of free servers of a plan (until the fleet counts them)", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleBilling, Request: StockRequest{}, Reply: PlanDTO{}, Status: 200, handle: a.staffStock},
		{Method: "PUT", Path: "/staff/catalog/options/{code}", Summary: "Monthly price of an option, for orders placed from now on", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleBilling, Request: OptionPriceRequest{}, Status: 204, handle: a.staffOptionPrice},
		{Method: "POST", Path: "/staff/billing/cycle", Summary: "Run the deadline watch and the billing cycle (renewals, dunning, terminations) now", Tag: "staff",
			access: user, Scope: account.ScopeStaffWrite, Role: account.RoleBilling, Reply: CycleDTO{}, Status: 200, handle: a.staffCycle},
	}
}

func (a *API) com() CommerceDeps { return a.deps.Commerce }

func langOf(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "fr" {
		return l
	}
	if au := httpserver.AuthOf(r.Context()); au.OK && au.Principal.Account.Language != "" {
		return au.Principal.Account.Language
	}
	return "fr"
}

func (a *API) listRanges(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.com().Catalog.Ranges(r.Context())
	if err != nil {
		return err
	}
	lang := langOf(r)
	out := Page[RangeDTO]{Items: []RangeDTO{}}
	for _, x := range rs {
		out.Items = append(out.Items, RangeDTO{Code: x.Code, Name: x.Name, Description: x.Description(lang), DescriptionFR: x.DescriptionFR,
			SupportLevel: string(x.SupportLevel), TechSupport: x.SupportLevel != catalog.SupportNone})
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) listPlans(w http.ResponseWriter, r *http.Request) error {
	ps, err := a.com().Catalog.Plans(r.Context(), false)
	if err != nil {
		return err
	}
	opts, err := a.com().Catalog.Options(r.Context(), false)
	if err != nil {
		return err
	}
	rg := r.URL.Query().Get("range")
	out := Page[PlanDTO]{Items: []PlanDTO{}}
	for _, p := range ps {
		if rg == "" || p.Range == rg {
			out.Items = append(out.Items, planDTO(p, activeOptions(opts)))
		}
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func activeOptions(os []catalog.Option) []catalog.Option {
	return slices.DeleteFunc(slices.Clone(os), func(o catalog.Option) bool { return !o.Active })
}

func (a *API) getPlan(w http.ResponseWriter, r *http.Request) error {
	p, err := a.com().Catalog.Plan(r.Context(), r.PathValue("code"), false)
	if err != nil {
		return err
	}
	opts, err := a.com().Catalog.Options(r.Context(), false)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, planDTO(p, activeOptions(opts)))
}

func (a *API) listOptions(w http.ResponseWriter, r *http.Request) error {
	os, err := a.com().Catalog.Options(r.Context(), false)
	if err != nil {
		return err
	}
	lang := langOf(r)
	out := Page[OptionDTO]{Items: []OptionDTO{}}
	for _, o := range activeOptions(os) {
		out.Items = append(out.Items, OptionDTO{Code: o.Code, Kind: string(o.Kind), Name: o.Name(lang), MonthlyCents: o.MonthlyCents,
			SetupCents: o.SetupCents, MaxQuantity: o.MaxQuantity, Requires: o.Requires, Currency: "EUR"})
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

// customer reloads the caller's account (fresh billing identity for VAT).
func (a *API) customer(r *http.Request) (account.Account, error) {
	return a.deps.Accounts.Get(r.Context(), principal(r).Account.ID)
}

func (a *API) orderDTO(o order.Order) OrderDTO {
	s := a.com().Orders
	return orderDTO(o, s.Now(), s.Policy().WithdrawalPeriod)
}

func (a *API) createOrder(w http.ResponseWriter, r *http.Request) error {
	var in OrderRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	cust, err := a.customer(r)
	if err != nil {
		return err
	}
	no := order.NewOrder{DryRun: in.DryRun, IdempotencyKey: r.Header.Get("Idempotency-Key"), Currency: in.Currency,
		VATNumber: in.VATNumber, ImmediateDelivery: in.ImmediateDelivery}
	for _, it := range in.Items {
		item := order.Item{PlanCode: it.PlanCode, DurationMonths: it.DurationMonths, OSImage: it.OSImage, Datacenter: it.Datacenter}
		for _, o := range it.Options {
			q := 1
			if o.Quantity != nil {
				q = *o.Quantity
			}
			item.Options = append(item.Options, catalog.Choice{Code: o.Code, Quantity: q})
		}
		no.Items = append(no.Items, item)
	}
	o, created, err := a.com().Orders.Create(r.Context(), httpserver.Actor(r), cust, no)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	} else {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/orders/%d", o.ID))
	}
	return httpserver.WriteJSON(w, status, a.orderDTO(o))
}

func orderStatuses(r *http.Request) ([]order.Status, error) {
	s := r.URL.Query().Get("status")
	if s == "" {
		return nil, nil
	}
	if !slices.Contains(order.Statuses, order.Status(s)) {
		return nil, errs.Fields(errs.FieldError{Field: "status", Message: "must be notPaid, paid, delivering, delivered, late, cancelled or refunded"})
	}
	return []order.Status{order.Status(s)}, nil
}

func (a *API) orderPage(os []order.Order, limit int) Page[OrderDTO] {
	out := Page[OrderDTO]{Items: []OrderDTO{}}
	for _, o := range os {
		out.Items = append(out.Items, a.orderDTO(o))
	}
	if len(os) > 0 {
		out.NextCursor = cursorOf(len(os), limit, int64(os[len(os)-1].ID))
	}
	return out
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	sts, err := orderStatuses(r)
	if err != nil {
		return err
	}
	os, err := a.com().Orders.Orders(r.Context(), order.Filter{CustomerID: principal(r).Account.ID, Statuses: sts, BeforeID: order.ID(before), Limit: limit})
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderPage(os, limit))
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.com().Orders.Order(r.Context(), principal(r).Account.ID, order.ID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderDTO(o))
}

func (a *API) payInput(w http.ResponseWriter, r *http.Request) (order.PayInput, error) {
	var in PayRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return order.PayInput{}, err
	}
	return order.PayInput{Method: order.Method(in.Method), Card: in.Card, IdempotencyKey: r.Header.Get("Idempotency-Key")}, nil
}

// payer pays one thing a customer owes: an order form or an invoice.
type payer func(ctx context.Context, actor account.Actor, cust account.Account, id int64, in order.PayInput) (order.Payment, error)

// pay is the handler of POST /orders/{id}/pay and POST /invoices/{id}/pay: the same body, the
// same Idempotency-Key and the same reply; only what is paid differs.
func (a *API) pay(fn payer) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		in, err := a.payInput(w, r)
		if err != nil {
			return err
		}
		cust, err := a.customer(r)
		if err != nil {
			return err
		}
		p, err := fn(r.Context(), httpserver.Actor(r), cust, id, in)
		if err != nil {
			return err
		}
		return httpserver.WriteJSON(w, http.StatusAccepted, paymentDTO(p, a.com().Billing.Seller()))
	}
}

func (a *API) payOrder(ctx context.Context, actor account.Actor, cust account.Account, id int64, in order.PayInput) (order.Payment, error) {
	return a.com().Orders.Pay(ctx, actor, cust, order.ID(id), in)
}

func (a *API) payInvoice(ctx context.Context, actor account.Actor, cust account.Account, id int64, in order.PayInput) (order.Payment, error) {
	return a.com().Orders.PayInvoice(ctx, actor, cust, billing.InvoiceID(id), in)
}

func (a *API) cancelOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.com().Orders.Cancel(r.Context(), httpserver.Actor(r), principal(r).Account.ID, order.ID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderDTO(o))
}

func (a *API) withdrawOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.com().Orders.Withdraw(r.Context(), httpserver.Actor(r), principal(r).Account.ID, order.ID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderDTO(o))
}

func invoicePage(vs []billing.Invoice, limit int) Page[InvoiceDTO] {
	out := Page[InvoiceDTO]{Items: []InvoiceDTO{}}
	for _, v := range vs {
		out.Items = append(out.Items, invoiceDTO(v))
	}
	if len(vs) > 0 {
		out.NextCursor = cursorOf(len(vs), limit, int64(vs[len(vs)-1].ID))
	}
	return out
}

func (a *API) listInvoices(kind billing.Kind) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		limit, before, err := pageParams(r, 200)
		if err != nil {
			return err
		}
		vs, err := a.com().Billing.Invoices(r.Context(), billing.Filter{CustomerID: principal(r).Account.ID, Kind: kind,
			BeforeID: billing.InvoiceID(before), Limit: limit})
		if err != nil {
			return err
		}
		return httpserver.WriteJSON(w, http.StatusOK, invoicePage(vs, limit))
	}
}

func (a *API) getInvoice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.com().Billing.Invoice(r.Context(), principal(r).Account.ID, billing.InvoiceID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, invoiceDTO(v))
}

// WritePDF writes an invoice's PDF.
func WritePDF(w http.ResponseWriter, v billing.Invoice) error {
	b, err := pdf.Render(v)
	if err != nil {
		return err
	}
	return httpserver.WriteAttachment(w, "application/pdf", v.Number+".pdf", b)
}

func (a *API) invoicePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.com().Billing.Invoice(r.Context(), principal(r).Account.ID, billing.InvoiceID(id))
	if err != nil {
		return err
	}
	return WritePDF(w, v)
}

func (a *API) listPayments(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	ps, err := a.com().Orders.Payments(r.Context(), order.PaymentFilter{CustomerID: principal(r).Account.ID, BeforeID: order.PaymentID(before), Limit: limit})
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.paymentPage(ps, limit))
}

func (a *API) paymentPage(ps []order.Payment, limit int) Page[PaymentDTO] {
	out := Page[PaymentDTO]{Items: []PaymentDTO{}}
	for _, p := range ps {
		out.Items = append(out.Items, paymentDTO(p, a.com().Billing.Seller()))
	}
	if len(ps) > 0 {
		out.NextCursor = cursorOf(len(ps), limit, int64(ps[len(ps)-1].ID))
	}
	return out
}

func (a *API) contractDTO(r *http.Request, c billing.Contract) (ContractDTO, error) {
	ss, err := a.com().Billing.Suspensions(r.Context(), c.ID)
	if err != nil {
		return ContractDTO{}, err
	}
	rs, err := a.com().Billing.Renewals(r.Context(), c.ID)
	if err != nil {
		return ContractDTO{}, err
	}
	return contractDTO(c, ss, rs), nil
}

func (a *API) listContracts(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	cs, err := a.com().Billing.Contracts(r.Context(), billing.ContractFilter{CustomerID: principal(r).Account.ID, BeforeID: billing.ContractID(before), Limit: limit})
	if err != nil {
		return err
	}
	out := Page[ContractDTO]{Items: []ContractDTO{}}
	for _, c := range cs {
		d, err := a.contractDTO(r, c)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, d)
	}
	if len(cs) > 0 {
		out.NextCursor = cursorOf(len(cs), limit, int64(cs[len(cs)-1].ID))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.com().Billing.Contract(r.Context(), principal(r).Account.ID, billing.ContractID(id))
	if err != nil {
		return err
	}
	d, err := a.contractDTO(r, c)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, d)
}

func (a *API) patchContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ContractPatch
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	ch := billing.Change{PlanCode: in.PlanCode, DurationMonths: in.DurationMonths, PriceCents: in.PriceCents}
	if in.Renew != nil {
		m := billing.RenewManual
		if in.Renew.Automatic {
			m = billing.RenewAutomatic
		}
		ch.Renew = &m
	}
	c, err := a.com().Billing.ChangeContract(r.Context(), httpserver.Actor(r), principal(r).Account.ID, billing.ContractID(id), ch)
	if err != nil {
		return err
	}
	d, err := a.contractDTO(r, c)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, d)
}

func (a *API) renewContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.com().Billing.RenewNow(r.Context(), httpserver.Actor(r), principal(r).Account.ID, billing.ContractID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, invoiceDTO(v))
}

func (a *API) terminateContract(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in TerminationRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Reason) > 500 {
		return errs.Fields(errs.FieldError{Field: "reason", Message: "must be at most 500 characters"})
	}
	c, err := a.com().Billing.Terminate(r.Context(), httpserver.Actor(r), principal(r).Account.ID, billing.ContractID(id), in.At, "customer")
	if err != nil {
		return err
	}
	d, err := a.contractDTO(r, c)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, d)
}

func (a *API) withdrawContractTermination(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.com().Billing.WithdrawTermination(r.Context(), httpserver.Actor(r), principal(r).Account.ID, billing.ContractID(id))
	if err != nil {
		return err
	}
	d, err := a.contractDTO(r, c)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, d)
}

func (a *API) staffOrders(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	if s := r.URL.Query().Get("near"); s != "" {
		h, err := strconv.Atoi(s)
		if err != nil || h < 0 || h > 24*60 {
			return errs.Fields(errs.FieldError{Field: "near", Message: "must be a number of hours between 0 and 1440"})
		}
		os, err := a.com().Orders.Near(r.Context(), time.Duration(h)*time.Hour)
		if err != nil {
			return err
		}
		return httpserver.WriteJSON(w, http.StatusOK, Page[OrderDTO]{Items: a.orderPage(os, len(os)+1).Items})
	}
	sts, err := orderStatuses(r)
	if err != nil {
		return err
	}
	os, err := a.com().Orders.Orders(r.Context(), order.Filter{Statuses: sts, BeforeID: order.ID(before), Limit: limit})
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderPage(os, limit))
}

func (a *API) staffDelivered(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in DeliveredRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var o order.Order
	if in.ServerRef == "" {
		o, err = a.com().Orders.ManualDelivery(r.Context(), httpserver.Actor(r), order.ID(id))
	} else {
		var at time.Time
		if in.At != nil {
			at = *in.At
		}
		o, err = a.com().Orders.MarkDelivered(r.Context(), httpserver.Actor(r), order.ID(id), in.ServerRef, in.MainIP, at)
	}
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderDTO(o))
}

func (a *API) staffCancel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.com().Orders.Cancel(r.Context(), httpserver.Actor(r), 0, order.ID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.orderDTO(o))
}

func (a *API) staffPayments(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	f := order.PaymentFilter{Method: order.Method(r.URL.Query().Get("method")), Status: order.PaymentStatus(r.URL.Query().Get("status")),
		BeforeID: order.PaymentID(before), Limit: limit}
	var v errs.Validator
	v.Check(f.Method == "" || f.Method == order.MethodTransfer || f.Method == order.MethodSandbox, "method", "must be transfer or sandbox")
	v.Check(f.Status == "" || slices.Contains([]order.PaymentStatus{order.PaymentPending, order.PaymentSucceeded, order.PaymentFailed, order.PaymentCancelled}, f.Status),
		"status", "must be pending, succeeded, failed or cancelled")
	if err := v.Err(); err != nil {
		return err
	}
	ps, err := a.com().Orders.Payments(r.Context(), f)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, a.paymentPage(ps, limit))
}

func (a *API) staffConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := a.com().Orders.ConfirmTransfer(r.Context(), httpserver.Actor(r), order.PaymentID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, paymentDTO(p, a.com().Billing.Seller()))
}

func (a *API) staffInvoices(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	f := billing.Filter{Kind: billing.Kind(r.URL.Query().Get("kind")), BeforeID: billing.InvoiceID(before), Limit: limit}
	if f.Kind != "" && f.Kind != billing.KindInvoice && f.Kind != billing.KindCreditNote {
		return errs.Fields(errs.FieldError{Field: "kind", Message: "must be invoice or creditNote"})
	}
	if s := r.URL.Query().Get("customerId"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return errs.Fields(errs.FieldError{Field: "customerId", Message: "must be a customer id"})
		}
		f.CustomerID = account.ID(n)
	}
	vs, err := a.com().Billing.Invoices(r.Context(), f)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, invoicePage(vs, limit))
}

func (a *API) staffInvoicePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.com().Billing.Invoice(r.Context(), 0, billing.InvoiceID(id))
	if err != nil {
		return err
	}
	return WritePDF(w, v)
}

func (a *API) staffPlanReply(w http.ResponseWriter, r *http.Request, code string) error {
	p, err := a.com().Catalog.Plan(r.Context(), code, true)
	if err != nil {
		return err
	}
	opts, err := a.com().Catalog.Options(r.Context(), false)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, planDTO(p, activeOptions(opts)))
}

func (a *API) staffPrice(w http.ResponseWriter, r *http.Request) error {
	var in PriceRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	code := r.PathValue("code")
	if _, err := a.com().Catalog.SetPrice(r.Context(), httpserver.Actor(r), catalog.NewPrice{PlanCode: code, DurationMonths: in.DurationMonths,
		SetupCents: in.SetupCents, RecurringCents: in.RecurringCents, Currency: in.Currency}); err != nil {
		return err
	}
	return a.staffPlanReply(w, r, code)
}

func (a *API) staffStock(w http.ResponseWriter, r *http.Request) error {
	var in StockRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	code := r.PathValue("code")
	if err := a.com().Catalog.SetStock(r.Context(), httpserver.Actor(r), code, in.Free); err != nil {
		return err
	}
	return a.staffPlanReply(w, r, code)
}

func (a *API) staffOptionPrice(w http.ResponseWriter, r *http.Request) error {
	var in OptionPriceRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := a.com().Catalog.SetOptionPrice(r.Context(), httpserver.Actor(r), r.PathValue("code"), in.MonthlyCents); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) staffCycle(w http.ResponseWriter, r *http.Request) error {
	late, err := a.com().Orders.Watch(r.Context())
	if err != nil {
		return err
	}
	res, err := a.com().Billing.Cycle(r.Context())
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, CycleDTO{Renewed: res.Renewed, Reminded: res.Reminded, Suspended: res.Suspended,
		Terminated: res.Terminated, Late: late})
}
