package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/billing"
	catalogue "github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/money"
	"github.com/itsgow/itsgow/internal/order"
)

// staffPaymentsData is the transfers waiting for staff, and the latest payments.
type staffPaymentsData struct {
	F       fmtr
	Pending []order.Payment
	Recent  []order.Payment
}

// staffPayments is GET /staff/payments: transfers to confirm.
func (u *ui) staffPayments(w http.ResponseWriter, r *http.Request) error {
	s := u.deps.Commerce.Orders
	pending, err := s.Payments(r.Context(), order.PaymentFilter{Method: order.MethodTransfer, Status: order.PaymentPending, Limit: 200})
	if err != nil {
		return err
	}
	recent, err := s.Payments(r.Context(), order.PaymentFilter{Limit: 25})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "staff_commerce_payments", u.commercePage(r, "payments", staffPaymentsData{Pending: pending, Recent: recent}))
	return nil
}

// staffConfirm is POST /staff/payments/{id}/confirm: the transfer arrived.
func (u *ui) staffConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.deps.Commerce.Orders.ConfirmTransfer(r.Context(), httpserver.Actor(r), order.PaymentID(id)); err != nil {
		return err
	}
	u.redirect(w, r, "/staff/payments?flash=payment_confirmed")
	return nil
}

// staffCatalogData is the catalogue editor.
type staffCatalogData struct {
	F         fmtr
	Plans     []catalogue.Plan
	Durations []int
	Options   []catalogue.Option
	// Form values shown again after an error.
	Plan, Duration, Setup, Recurring string
}

func (u *ui) staffCatalogData(r *http.Request) (staffCatalogData, error) {
	c := u.deps.Commerce.Catalog
	ps, err := c.Plans(r.Context(), true)
	if err != nil {
		return staffCatalogData{}, err
	}
	opts, err := c.Options(r.Context(), true)
	if err != nil {
		return staffCatalogData{}, err
	}
	return staffCatalogData{Plans: ps, Durations: c.Durations(), Options: opts}, nil
}

// staffCatalog is GET /staff/catalog: prices per duration, stock, and forms to change them.
func (u *ui) staffCatalog(w http.ResponseWriter, r *http.Request) error {
	d, err := u.staffCatalogData(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "staff_commerce_catalog", u.commercePage(r, "staff_catalog", d))
	return nil
}

// parseEuros reads "49.99" or "49,99" as cents.
func parseEuros(s string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || f < 0 {
		return 0, false
	}
	return w*100 + f, true
}

// staffPrice is POST /staff/catalog/price: a new price for orders placed from now on.
func (u *ui) staffPrice(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	var v errs.Validator
	months, err := strconv.Atoi(f.Get("duration"))
	v.Check(err == nil, "duration", "must be a number of months")
	setup, ok := parseEuros(f.Get("setup"))
	v.Check(ok, "setup", "must be an amount in euros, such as 49.99")
	rec, ok := parseEuros(f.Get("recurring"))
	v.Check(ok, "recurring", "must be an amount in euros, such as 49.99")
	err = v.Err()
	if err == nil {
		_, err = u.deps.Commerce.Catalog.SetPrice(r.Context(), httpserver.Actor(r), catalogue.NewPrice{PlanCode: f.Get("plan"),
			DurationMonths: months, SetupCents: setup, RecurringCents: rec, Currency: money.EUR})
	}
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		d, derr := u.staffCatalogData(r)
		if derr != nil {
			return derr
		}
		d.Plan, d.Duration, d.Setup, d.Recurring = f.Get("plan"), f.Get("duration"), f.Get("setup"), f.Get("recurring")
		p := u.commercePage(r, "staff_catalog", d)
		p.Here = "/staff/catalog"
		u.showError(p, err)
		for k, dst := range map[string]string{"durationMonths": "duration", "setupCents": "setup", "recurringCents": "recurring"} {
			if m, ok := p.Fields[k]; ok {
				p.Fields[dst] = m
			}
		}
		u.render(w, r, formStatus(err), "staff_commerce_catalog", p)
		return nil
	}
	u.redirect(w, r, "/staff/catalog?flash=price_saved")
	return nil
}

// staffStock is POST /staff/catalog/stock: the seeded count of free servers of a plan.
func (u *ui) staffStock(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("free")))
	if err != nil {
		return errs.Fields(errs.FieldError{Field: "free", Message: "must be a whole number"})
	}
	if err := u.deps.Commerce.Catalog.SetStock(r.Context(), httpserver.Actor(r), r.PostForm.Get("plan"), n); err != nil {
		return err
	}
	u.redirect(w, r, "/staff/catalog?flash=stock_saved")
	return nil
}

// staffInvoicesData is every invoice and credit note.
type staffInvoicesData struct {
	F        fmtr
	Kind     string
	Invoices []billing.Invoice
	Pager    pager
}

// staffInvoices is GET /staff/invoices?kind=.
func (u *ui) staffInvoices(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != string(billing.KindInvoice) && kind != string(billing.KindCreditNote) {
		return errs.Fields(errs.FieldError{Field: "kind", Message: "must be invoice or creditNote"})
	}
	vs, err := u.deps.Commerce.Billing.Invoices(r.Context(), billing.Filter{Kind: billing.Kind(kind), BeforeID: billing.InvoiceID(before), Limit: pageSize + 1})
	if err != nil {
		return err
	}
	vs, pg := paginate(r, vs, invoiceID)
	u.render(w, r, http.StatusOK, "staff_commerce_invoices", u.commercePage(r, "staff_invoices", staffInvoicesData{Kind: kind, Invoices: vs, Pager: pg}))
	return nil
}

// staffInvoicePDF is GET /staff/invoices/{id}/pdf.
func (u *ui) staffInvoicePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := u.deps.Commerce.Billing.Invoice(r.Context(), 0, billing.InvoiceID(id))
	if err != nil {
		return err
	}
	return writePDF(w, v)
}

// staffOrdersData is the paid orders near (or past) their delivery deadline.
type staffOrdersData struct {
	F     fmtr
	Hours int
	Rows  []orderRow
}

// staffOrders is GET /staff/orders?hours=: undelivered orders whose deadline is within hours.
func (u *ui) staffOrders(w http.ResponseWriter, r *http.Request) error {
	hours := 7 * 24
	if s := r.URL.Query().Get("hours"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 24*60 {
			return errs.Fields(errs.FieldError{Field: "hours", Message: "must be a number of hours between 0 and 1440"})
		}
		hours = n
	}
	os, err := u.deps.Commerce.Orders.Near(r.Context(), time.Duration(hours)*time.Hour)
	if err != nil {
		return err
	}
	d := staffOrdersData{Hours: hours}
	for _, o := range os {
		d.Rows = append(d.Rows, u.orderRow(o))
	}
	u.render(w, r, http.StatusOK, "staff_commerce_orders", u.commercePage(r, "staff_orders", d))
	return nil
}

// staffDeliver is POST /staff/orders/{id}/deliver: the manual delivery of the demo, until the
// fleet delivers.
func (u *ui) staffDeliver(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.deps.Commerce.Orders.ManualDelivery(r.Context(), httpserver.Actor(r), order.ID(id)); err != nil {
		return err
	}
	u.redirect(w, r, fmt.Sprintf("/staff/orders?flash=order_delivered#order-%d", id))
	return nil
}
