package web

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	catalogue "github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/httpserver"
	"github.com/itsgow/itsgow/internal/order"
	"github.com/itsgow/itsgow/internal/policy"
)

// orderFormData is the order form of a plan, with its preview.
type orderFormData struct {
	F         fmtr
	Plan      catalogue.Plan
	Options   []catalogue.Option
	Values    orderValues
	Preview   *order.Order
	Consumer  bool
	Company   bool
	Wording   string // the consumer's immediate-delivery request, as shown
	IdemToken string // one order per form, however many times it is sent
}

// orderValues are the form's values.
type orderValues struct {
	Duration  int
	OS        string
	Qty       map[string]int
	VATNumber string
	Immediate bool
	// Datacenter is where the server goes ("" for any): offered when the catalogue knows the
	// stock of each datacenter (the fleet takes the machine there).
	Datacenter string
}

// Quantity is the quantity of an option in the form.
func (v orderValues) Quantity(code string) int { return v.Qty[code] }

func newToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (u *ui) orderFormData(r *http.Request, planCode string, v orderValues) (orderFormData, error) {
	c := u.deps.Commerce.Catalog
	plan, err := c.Plan(r.Context(), planCode, false)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return orderFormData{}, errNotFound
		}
		return orderFormData{}, err
	}
	opts, err := c.Options(r.Context(), false)
	if err != nil {
		return orderFormData{}, err
	}
	acc := sessionOf(r).Principal.Account
	d := orderFormData{Plan: plan, Options: opts, Values: v, IdemToken: newToken()}
	if cu := acc.Customer; cu != nil {
		d.Consumer, d.Company = cu.Type == account.Person, cu.Type == account.Company
	}
	lang := requestLang(r, acc.Language)
	d.Wording = order.ImmediateRequestWording(lang, int(u.deps.Commerce.Orders.Policy().WithdrawalPeriod/policy.Day))
	if d.Values.Duration == 0 && len(plan.Prices) > 0 {
		d.Values.Duration = plan.Prices[len(plan.Prices)-1].DurationMonths
	}
	if d.Values.OS == "" && len(plan.OSImages) > 0 {
		d.Values.OS = plan.OSImages[0]
	}
	if d.Values.Qty == nil {
		d.Values.Qty = map[string]int{}
	}
	return d, nil
}

// orderForm is GET /order/{plan}.
func (u *ui) orderForm(w http.ResponseWriter, r *http.Request) error {
	if sessionOf(r).Principal.IsStaff() {
		return errs.Coded(errs.Forbidden, "customers_only", "only customers place orders")
	}
	d, err := u.orderFormData(r, r.PathValue("plan"), orderValues{})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "commerce_order_form", u.commercePage(r, "catalog", d))
	return nil
}

var optionField = regexp.MustCompile(`^items\[0\]\.options\[(\d+)\]\.(code|quantity)$`)

// orderCreate is POST /orders: preview (the preview button) or order.
func (u *ui) orderCreate(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	plan := f.Get("plan")
	v := orderValues{OS: f.Get("os"), Qty: map[string]int{}, VATNumber: strings.TrimSpace(f.Get("vat_number")), Immediate: f.Get("immediate") == "1",
		Datacenter: strings.TrimSpace(f.Get("datacenter"))}
	var bad errs.Validator
	if n, err := strconv.Atoi(f.Get("duration")); err == nil {
		v.Duration = n
	} else {
		bad.Add("duration", "must be a number of months")
	}
	var codes []string
	var choices []catalogue.Choice
	for key, vals := range f {
		code, ok := strings.CutPrefix(key, "opt_")
		if !ok || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" || vals[0] == "0" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(vals[0]))
		if err != nil {
			bad.Add(key, "must be a whole number")
			continue
		}
		v.Qty[code] = n
		codes = append(codes, code)
		choices = append(choices, catalogue.Choice{Code: code, Quantity: n})
	}
	d, err := u.orderFormData(r, plan, v)
	if err != nil {
		return err
	}
	if err := bad.Err(); err != nil {
		return u.orderFormError(w, r, d, err, codes)
	}
	cust, err := u.deps.Accounts.Get(r.Context(), sessionOf(r).Principal.Account.ID)
	if err != nil {
		return err
	}
	preview := f.Get("preview") != ""
	key := ""
	if !preview {
		key = "web:" + f.Get("idem")
	}
	o, _, err := u.deps.Commerce.Orders.Create(r.Context(), httpserver.Actor(r), cust, order.NewOrder{
		Items:  []order.Item{{PlanCode: plan, DurationMonths: v.Duration, OSImage: v.OS, Datacenter: v.Datacenter, Options: choices}},
		DryRun: preview, IdempotencyKey: key, VATNumber: v.VATNumber, ImmediateDelivery: v.Immediate})
	if err != nil {
		return u.orderFormError(w, r, d, err, codes)
	}
	if preview {
		d.Preview = &o
		p := u.commercePage(r, "catalog", d)
		p.Here = "/order/" + plan
		u.render(w, r, http.StatusOK, "commerce_order_form", p)
		return nil
	}
	u.redirect(w, r, fmt.Sprintf("/orders/%d", o.ID))
	return nil
}

func (u *ui) orderFormError(w http.ResponseWriter, r *http.Request, d orderFormData, err error, codes []string) error {
	if errs.KindOf(err) == errs.Internal {
		return err
	}
	p := u.commercePage(r, "catalog", d)
	p.Here = "/order/" + d.Plan.Code
	u.showError(p, err)
	for k, msg := range p.Fields {
		switch {
		case k == "items[0].durationMonths":
			p.Fields["duration"] = msg
		case k == "items[0].osImage":
			p.Fields["os"] = msg
		case k == "vatNumber":
			p.Fields["vat_number"] = msg
		case k == "items[0].datacenter":
			p.Fields["datacenter"] = msg
		case optionField.MatchString(k):
			m := optionField.FindStringSubmatch(k)
			if i, _ := strconv.Atoi(m[1]); i < len(codes) {
				p.Fields["opt_"+codes[i]] = msg
			}
		}
	}
	u.render(w, r, formStatus(err), "commerce_order_form", p)
	return nil
}

// orderRow is an order with what the customer may do with it now.
type orderRow struct {
	Order        order.Order
	Late         bool
	Left         int64 // seconds before the delivery deadline
	Withdrawable bool
}

func (u *ui) orderRow(o order.Order) orderRow {
	s := u.deps.Commerce.Orders
	now := s.Now()
	return orderRow{Order: o, Late: order.IsLate(o, now), Left: int64(order.TimeLeft(o, now).Seconds()),
		Withdrawable: order.Withdrawable(o, now, s.Policy().WithdrawalPeriod)}
}

// ordersData is the list of my orders.
type ordersData struct {
	F      fmtr
	Orders []orderRow
	Pager  pager
}

func orderID(o order.Order) int64 { return int64(o.ID) }

// orderList is GET /orders: my orders, with the time left before the delivery deadline and the
// cancel button once late.
func (u *ui) orderList(w http.ResponseWriter, r *http.Request) error {
	before, err := cursorOf(r)
	if err != nil {
		return err
	}
	acc := sessionOf(r).Principal.Account
	os, err := u.deps.Commerce.Orders.Orders(r.Context(), order.Filter{CustomerID: acc.ID, BeforeID: order.ID(before), Limit: pageSize + 1})
	if err != nil {
		return err
	}
	os, pg := paginate(r, os, orderID)
	d := ordersData{Pager: pg}
	for _, o := range os {
		d.Orders = append(d.Orders, u.orderRow(o))
	}
	u.render(w, r, http.StatusOK, "commerce_orders", u.commercePage(r, "orders", d))
	return nil
}

// orderData is one order.
type orderData struct {
	F         fmtr
	Row       orderRow
	Payments  []order.Payment
	Methods   []order.Method
	Seller    billing.Seller
	IdemToken string
	Cards     []string // sandbox test cards
}

// orderView is GET /orders/{id}.
func (u *ui) orderView(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	acc := sessionOf(r).Principal.Account
	s := u.deps.Commerce.Orders
	o, err := s.Order(r.Context(), acc.ID, order.ID(id))
	if err != nil {
		return err
	}
	ps, err := s.Payments(r.Context(), order.PaymentFilter{CustomerID: acc.ID, Limit: 200})
	if err != nil {
		return err
	}
	d := orderData{Row: u.orderRow(o), Methods: s.Methods(), Seller: u.deps.Commerce.Billing.Seller(), IdemToken: newToken(),
		Cards: []string{order.CardOK, order.CardDeclined, order.CardDuplicated}}
	for _, p := range ps {
		if p.OrderID == o.ID {
			d.Payments = append(d.Payments, p)
		}
	}
	u.render(w, r, http.StatusOK, "commerce_order", u.commercePage(r, "orders", d))
	return nil
}

// orderPay is POST /orders/{id}/pay: method, card (sandbox), idem.
func (u *ui) orderPay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cust, err := u.deps.Accounts.Get(r.Context(), sessionOf(r).Principal.Account.ID)
	if err != nil {
		return err
	}
	m := order.Method(r.PostForm.Get("method"))
	p, err := u.deps.Commerce.Orders.Pay(r.Context(), httpserver.Actor(r), cust, order.ID(id), order.PayInput{Method: m,
		Card: r.PostForm.Get("card"), IdempotencyKey: "web:" + r.PostForm.Get("idem")})
	if err != nil {
		return err
	}
	flash := "payment_started"
	if p.Method == order.MethodTransfer {
		flash = "transfer_started"
	}
	u.redirect(w, r, fmt.Sprintf("/orders/%d?flash=%s", id, flash))
	return nil
}

// orderCancel is POST /orders/{id}/cancel.
func (u *ui) orderCancel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := u.deps.Commerce.Orders.Cancel(r.Context(), httpserver.Actor(r), sessionOf(r).Principal.Account.ID, order.ID(id))
	if err != nil {
		return err
	}
	flash := "order_cancelled"
	if o.Status == order.Refunded {
		flash = "order_refunded"
	}
	u.redirect(w, r, fmt.Sprintf("/orders/%d?flash=%s", id, flash))
	return nil
}

// orderWithdraw is POST /orders/{id}/withdraw.
func (u *ui) orderWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := u.deps.Commerce.Orders.Withdraw(r.Context(), httpserver.Actor(r), sessionOf(r).Principal.Account.ID, order.ID(id)); err != nil {
		return err
	}
	u.redirect(w, r, fmt.Sprintf("/orders/%d?flash=order_withdrawn", id))
	return nil
}
