package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/billing/pdf"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/order"
)

// invoicesData is my invoices, credit notes and contracts.
type invoicesData struct {
	F         fmtr
	Invoices  []billing.Invoice
	Contracts []billing.Contract
	Pager     pager
	IdemToken string
	CanPay    bool               // the card simulator is on: unpaid invoices get a pay button
	Failed    billing.ContractID // the contract whose form failed: its field errors show there
}

func invoiceID(v billing.Invoice) int64 { return int64(v.ID) }

// invoiceList is GET /invoices.
func (u *ui) invoiceList(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	d, err := u.invoicesData(r, before)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "commerce_invoices", u.commercePage(r, "invoices", d))
	return nil
}

// invoicesData reads a page of my invoices (before: the cursor) and my contracts.
func (u *ui) invoicesData(r *http.Request, before int64) (invoicesData, error) {
	acc := sessionOf(r).Principal.Account
	b := u.deps.Commerce.Billing
	vs, err := b.Invoices(r.Context(), billing.Filter{CustomerID: acc.ID, BeforeID: billing.InvoiceID(before), Limit: pageSize + 1})
	if err != nil {
		return invoicesData{}, err
	}
	vs, pg := paginate(r, vs, invoiceID)
	cs, err := b.Contracts(r.Context(), billing.ContractFilter{CustomerID: acc.ID, Limit: 100})
	if err != nil {
		return invoicesData{}, err
	}
	return invoicesData{Invoices: vs, Contracts: cs, Pager: pg, IdemToken: newToken(),
		CanPay: slices.Contains(u.deps.Commerce.Orders.Methods(), order.MethodSandbox)}, nil
}

func writePDF(w http.ResponseWriter, v billing.Invoice) error {
	b, err := pdf.Render(v)
	if err != nil {
		return err
	}
	return httpserver.WriteAttachment(w, "application/pdf", v.Number+".pdf", b)
}

// invoicePDF is GET /invoices/{id}/pdf: another customer's invoice does not exist.
func (u *ui) invoicePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := u.deps.Commerce.Billing.Invoice(r.Context(), sessionOf(r).Principal.Account.ID, billing.InvoiceID(id))
	if err != nil {
		return err
	}
	return writePDF(w, v)
}

// invoicePay is POST /invoices/{id}/pay (a renewal invoice).
func (u *ui) invoicePay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cust, err := u.deps.Accounts.Get(r.Context(), sessionOf(r).Principal.Account.ID)
	if err != nil {
		return err
	}
	p, err := u.deps.Commerce.Orders.PayInvoice(r.Context(), httpserver.Actor(r), cust, billing.InvoiceID(id), order.PayInput{
		Method: order.Method(r.PostForm.Get("method")), Card: r.PostForm.Get("card"), IdempotencyKey: "web:" + r.PostForm.Get("idem")})
	if err != nil {
		return err
	}
	flash := "payment_started"
	if p.Method == order.MethodTransfer {
		flash = "transfer_started"
	}
	u.redirect(w, r, fmt.Sprintf("/invoices?flash=%s", flash))
	return nil
}
