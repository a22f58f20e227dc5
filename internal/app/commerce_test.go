package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/policy"
)

// engines runs fn on SQLite and PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, pg bool)) {
	t.Helper()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			fn(t, pg)
		})
	}
}

// newCustomer opens a customer account and returns an API token with every scope.
func newCustomer(t *testing.T, e *apptest.Env, email string, c account.Customer, lang string) string {
	t.Helper()
	ctx := context.Background()
	a, err := e.App.Accounts.CreateCustomer(ctx, account.System, account.NewCustomer{Email: email, Password: "a long enough password",
		Name: "Éloïse Dupont", Language: lang, Customer: c})
	if err != nil {
		t.Fatalf("create customer: %v", err)
	}
	_, secret, err := e.App.Accounts.CreateToken(ctx, account.System, account.Principal{Account: a, Scopes: account.CustomerScopes},
		account.NewToken{Name: "t", Scopes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

type orderReply struct {
	ID         int64  `json:"id"`
	Status     string `json:"status"`
	Datacenter string `json:"datacenter"`
	DryRun     bool   `json:"dryRun"`
	Lines      []struct {
		Kind           string `json:"kind"`
		Description    string `json:"description"`
		Quantity       int64  `json:"quantity"`
		UnitCents      int64  `json:"unitCents"`
		VATBasisPoints int    `json:"vatRateBasisPoints"`
		TotalCents     int64  `json:"totalCents"`
	} `json:"lines"`
	VAT []struct {
		Rate int   `json:"rateBasisPoints"`
		Base int64 `json:"baseCents"`
		Tax  int64 `json:"taxCents"`
	} `json:"vat"`
	TotalExclTaxCents int64      `json:"totalExclTaxCents"`
	TaxCents          int64      `json:"taxCents"`
	TotalInclTaxCents int64      `json:"totalInclTaxCents"`
	VATScheme         string     `json:"vatScheme"`
	PaidAt            *time.Time `json:"paidAt"`
	DeliveryDeadline  *time.Time `json:"deliveryDeadline"`
	DeliverableFrom   *time.Time `json:"deliverableFrom"`
	SecondsToDeadline int64      `json:"secondsToDeadline"`
	LateCancellable   bool       `json:"lateCancellable"`
	Withdrawable      bool       `json:"withdrawable"`
	InvoiceID         int64      `json:"invoiceId"`
	ContractID        int64      `json:"contractId"`
	ImmediateDelivery *struct {
		Text string `json:"text"`
	} `json:"immediateDelivery"`
}

func item(plan string, months int, opts ...map[string]any) map[string]any {
	if opts == nil {
		opts = []map[string]any{}
	}
	return map[string]any{"planCode": plan, "durationMonths": months, "osImage": "debian-12", "options": opts}
}

func placeOrder(t *testing.T, e *apptest.Env, token string, body map[string]any, key string) (orderReply, apptest.Response) {
	t.Helper()
	r := e.DoHeaders(t, "POST", "/api/v1/orders", apptest.MustJSON(body), map[string]string{"Authorization": "Bearer " + token,
		"Content-Type": "application/json", "Idempotency-Key": key})
	var o orderReply
	if r.Status < 300 {
		r.JSON(t, &o)
	}
	return o, r
}

func getOrder(t *testing.T, e *apptest.Env, token string, id int64) orderReply {
	t.Helper()
	var o orderReply
	r := e.Do(t, "GET", fmt.Sprintf("/api/v1/orders/%d", id), token, nil)
	if r.Status != 200 {
		t.Fatalf("get order: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &o)
	return o
}

// payNow pays an order with the sandbox card and runs the jobs; the order is paid.
func payNow(t *testing.T, e *apptest.Env, token string, id int64, card string) {
	t.Helper()
	r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", id), token, apptest.MustJSON(map[string]string{"method": "sandbox", "card": card}))
	if r.Status != http.StatusAccepted {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}
	e.Tick(t)
}

func wantProblem(t *testing.T, r apptest.Response, status int, code string, fields ...string) apptest.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	p := r.Problem(t)
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, r.Body)
	}
	for _, f := range fields {
		found := false
		for _, fe := range p.Errors {
			found = found || fe.Field == f
		}
		if !found {
			t.Errorf("no field error on %s: %s", f, r.Body)
		}
	}
	return p
}

// manualStock uses the seeded stock counts (commerce.stock_source: manual): the demo catalogue's
// six plans show every level, ENT-2 none.
func manualStock(c *app.Config) { c.Commerce.StockSource = app.StockFromManual }

func TestCatalogueIsPublic(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Config: manualStock})
	var plans struct {
		Items []struct {
			Code     string `json:"code"`
			Range    string `json:"range"`
			Hardware struct {
				CPU    string `json:"cpu"`
				Cores  int    `json:"cores"`
				RAMGiB int    `json:"ramGiB"`
			} `json:"hardware"`
			OSImages     []string `json:"osImages"`
			SupportLevel string   `json:"supportLevel"`
			Prices       []struct {
				DurationMonths int   `json:"durationMonths"`
				SetupCents     int64 `json:"setupCents"`
				RecurringCents int64 `json:"recurringCents"`
			} `json:"prices"`
			Options []string `json:"options"`
			Stock   string   `json:"stock"`
			ETA     int      `json:"deliveryEstimateHours"`
		} `json:"items"`
	}
	r := e.Do(t, "GET", "/api/v1/catalog/plans", "", nil)
	if r.Status != 200 {
		t.Fatalf("plans: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &plans)
	ranges := map[string]bool{}
	stock := map[string]bool{}
	for _, p := range plans.Items {
		ranges[p.Range] = true
		stock[p.Stock] = true
		if len(p.Prices) != 5 || p.Hardware.Cores == 0 || p.Hardware.CPU == "" || len(p.OSImages) == 0 || len(p.Options) < 4 {
			t.Fatalf("plan %s incomplete: %+v", p.Code, p)
		}
		for i := 1; i < len(p.Prices); i++ {
			if p.Prices[i].RecurringCents >= p.Prices[i-1].RecurringCents || p.Prices[i].SetupCents > p.Prices[i-1].SetupCents {
				t.Errorf("plan %s: %d months is not cheaper per month than %d", p.Code, p.Prices[i].DurationMonths, p.Prices[i-1].DurationMonths)
			}
		}
		if (p.Range == "ECOGREEN") != (p.SupportLevel == "billingAndHardwareOnly") {
			t.Errorf("plan %s support %s", p.Code, p.SupportLevel)
		}
		if p.Stock == "empty" && p.ETA != 0 || p.Stock != "empty" && p.ETA == 0 {
			t.Errorf("plan %s: stock %s with estimate %dh", p.Code, p.Stock, p.ETA)
		}
	}
	if len(ranges) < 3 || !ranges["ECOGREEN"] || !stock["empty"] || !stock["low"] || !stock["available"] {
		t.Fatalf("ranges %v stock levels %v", ranges, stock)
	}
	for _, path := range []string{"/api/v1/catalog/ranges", "/api/v1/catalog/options", "/api/v1/catalog/plans/PERF-1"} {
		if r := e.Do(t, "GET", path, "", nil); r.Status != 200 {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
	wantProblem(t, e.Do(t, "GET", "/api/v1/catalog/plans/NOPE", "", nil), 404, "plan_not_found")
	// ordering is not public
	wantProblem(t, e.Do(t, "POST", "/api/v1/orders", "", apptest.MustJSON(map[string]any{"items": []any{item("ECO-1", 12)}})), 401, "unauthenticated")
}

func TestOrderBadInputIsFieldErrors(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Config: manualStock})
	tok := e.Creds.Customer.Token
	person := newCustomer(t, e, "person@example.fr", account.Customer{Type: account.Person, Country: "FR"}, "fr")
	for _, tc := range []struct {
		name, token string
		body        map[string]any
		code        string
		fields      []string
	}{
		{"unknown plan", tok, map[string]any{"items": []any{item("GOLD-9", 12)}}, "invalid_input", []string{"items[0].planCode"}},
		{"duration not offered", tok, map[string]any{"items": []any{item("ECO-1", 2)}}, "invalid_input", []string{"items[0].durationMonths"}},
		{"os not offered", tok, map[string]any{"items": []any{map[string]any{"planCode": "ECO-1", "durationMonths": 1, "osImage": "windows-server-2022"}}}, "invalid_input", []string{"items[0].osImage"}},
		{"zero quantity", tok, map[string]any{"items": []any{item("ECO-1", 1, map[string]any{"code": "extra-ipv4", "quantity": 0})}}, "invalid_input", []string{"items[0].options[0].quantity"}},
		{"negative quantity", tok, map[string]any{"items": []any{item("ECO-1", 1, map[string]any{"code": "extra-ipv4", "quantity": -3})}}, "invalid_input", []string{"items[0].options[0].quantity"}},
		{"too many", tok, map[string]any{"items": []any{item("ECO-1", 1, map[string]any{"code": "extra-ipv4", "quantity": 17})}}, "invalid_input", []string{"items[0].options[0].quantity"}},
		{"unknown option", tok, map[string]any{"items": []any{item("ECO-1", 1, map[string]any{"code": "unicorn"})}}, "invalid_input", []string{"items[0].options[0].code"}},
		{"firewall needs pro use", tok, map[string]any{"items": []any{item("PERF-1", 1, map[string]any{"code": "edge-firewall"})}}, "invalid_input", []string{"items[0].options[0].code"}},
		{"malformed VAT number", tok, map[string]any{"items": []any{item("ECO-1", 1)}, "vatNumber": "FR12-NOT-A-NUMBER"}, "invalid_input", []string{"vatNumber"}},
		{"wrong French VAT key", tok, map[string]any{"items": []any{item("ECO-1", 1)}, "vatNumber": "FR45732829320"}, "invalid_input", []string{"vatNumber"}},
		{"VAT number of a consumer", person, map[string]any{"items": []any{item("ECO-1", 1)}, "vatNumber": "FR44732829320"}, "invalid_input", []string{"vatNumber"}},
		{"currency mismatch", tok, map[string]any{"items": []any{item("ECO-1", 1)}, "currency": "USD"}, "invalid_input", []string{"currency"}},
		{"no item", tok, map[string]any{"items": []any{}}, "invalid_input", []string{"items"}},
		{"two servers", tok, map[string]any{"items": []any{item("ECO-1", 1), item("ECO-2", 1)}}, "invalid_input", []string{"items"}},
		{"several errors at once", tok, map[string]any{"items": []any{item("ECO-1", 5, map[string]any{"code": "extra-ipv4", "quantity": 0})}, "currency": "GBP"}, "invalid_input",
			[]string{"items[0].durationMonths", "items[0].options[0].quantity", "currency"}},
		{"out of stock", tok, map[string]any{"items": []any{item("ENT-2", 12)}}, "out_of_stock", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := placeOrder(t, e, tc.token, tc.body, "")
			status := 422
			if tc.code == "out_of_stock" {
				status = 409
			}
			wantProblem(t, r, status, tc.code, tc.fields...)
		})
	}
	var list struct{ Items []any }
	e.Do(t, "GET", "/api/v1/orders", tok, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("bad input stored orders: %v", list.Items)
	}
	// a staff member does not order
	wantProblem(t, e.Do(t, "POST", "/api/v1/orders", e.Creds.Staff.Token, apptest.MustJSON(map[string]any{"items": []any{item("ECO-1", 1)}})), 403, "customers_only")
}

func TestOrderFormDryRunIdempotencyAndPriceChange(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		body := map[string]any{"items": []any{item("ECO-1", 12, map[string]any{"code": "extra-ipv4", "quantity": 2}, map[string]any{"code": "pro-use"})}}
		body["dryRun"] = true
		prev, r := placeOrder(t, e, tok, body, "")
		if r.Status != 200 || !prev.DryRun || prev.ID != 0 {
			t.Fatalf("dry run: %d %s", r.Status, r.Body)
		}
		// ECO-1 12 months: 16.49 EUR a month, no setup; 2 extra IPs at 2 EUR a month + 2 EUR setup each; pro use 15 EUR a month
		want := int64(12*1649 + 2*12*200 + 2*200 + 12*1500)
		if prev.TotalExclTaxCents != want || prev.TaxCents != (want*2000+5000)/10000 || prev.TotalInclTaxCents != want+(want*2000+5000)/10000 || prev.VATScheme != "france" {
			t.Fatalf("totals: %+v want excl %d", prev, want)
		}
		if len(prev.VAT) != 1 || prev.VAT[0].Rate != 2000 || prev.Lines[0].Quantity != 12 || prev.Lines[0].UnitCents != 1649 {
			t.Fatalf("lines: %+v", prev)
		}
		var list struct{ Items []orderReply }
		e.Do(t, "GET", "/api/v1/orders", tok, nil).JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatal("a dry run stored an order")
		}
		delete(body, "dryRun")
		first, r1 := placeOrder(t, e, tok, body, "checkout-1")
		again, r2 := placeOrder(t, e, tok, body, "checkout-1")
		if r1.Status != 201 || r2.Status != 200 || first.ID == 0 || again.ID != first.ID {
			t.Fatalf("same Idempotency-Key: %d %d, ids %d %d", r1.Status, r2.Status, first.ID, again.ID)
		}
		if first.TotalInclTaxCents != prev.TotalInclTaxCents || first.Status != "notPaid" {
			t.Fatalf("order form differs from its preview: %+v", first)
		}
		e.Do(t, "GET", "/api/v1/orders", tok, nil).JSON(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("%d orders, want 1", len(list.Items))
		}
		// A price change applies only to orders placed after it.
		e.Clock.Advance(time.Hour)
		r = e.Do(t, "PUT", "/api/v1/staff/catalog/plans/ECO-1/prices", e.Creds.Staff.Token,
			apptest.MustJSON(map[string]any{"durationMonths": 12, "setupCents": 0, "recurringCents": 1899}))
		if r.Status != 200 {
			t.Fatalf("price change: %d %s", r.Status, r.Body)
		}
		wantProblem(t, e.Do(t, "PUT", "/api/v1/catalog/plans/ECO-1/prices", tok, apptest.MustJSON(map[string]any{})), 404, "no_route")
		wantProblem(t, e.Do(t, "PUT", "/api/v1/staff/catalog/plans/ECO-1/prices", tok,
			apptest.MustJSON(map[string]any{"durationMonths": 12, "recurringCents": 1})), 403, "insufficient_scope")
		if got := getOrder(t, e, tok, first.ID); got.TotalInclTaxCents != first.TotalInclTaxCents {
			t.Fatalf("the price change touched an issued order form: %d -> %d", first.TotalInclTaxCents, got.TotalInclTaxCents)
		}
		later, _ := placeOrder(t, e, tok, body, "checkout-2")
		if later.Lines[0].UnitCents != 1899 || later.TotalExclTaxCents != want+12*(1899-1649) {
			t.Fatalf("a later order did not take the new price: %+v", later.Lines[0])
		}
		// paying the first order charges its own total
		payNow(t, e, tok, first.ID, "4242424242424242")
		var inv struct {
			Number            string `json:"number"`
			TotalInclTaxCents int64  `json:"totalInclTaxCents"`
			Status            string `json:"status"`
		}
		o := getOrder(t, e, tok, first.ID)
		e.Do(t, "GET", fmt.Sprintf("/api/v1/invoices/%d", o.InvoiceID), tok, nil).JSON(t, &inv)
		if o.Status != "paid" || inv.TotalInclTaxCents != first.TotalInclTaxCents || inv.Status != "paid" || inv.Number != "F2026-000001" {
			t.Fatalf("paid order %+v invoice %+v", o, inv)
		}
	})
}

func TestSandboxDeclinesAndDuplicatedEvents(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("PERF-1", 1)}}, "")
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o.ID), tok, apptest.MustJSON(map[string]string{"method": "sandbox", "card": "1234"})), 422, "invalid_input", "card")
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o.ID), tok, apptest.MustJSON(map[string]string{"method": "cash"})), 422, "invalid_input", "method")
		payNow(t, e, tok, o.ID, "4000000000000002")
		var pays struct {
			Items []struct {
				Status  string `json:"status"`
				Failure string `json:"failure"`
			} `json:"items"`
		}
		e.Do(t, "GET", "/api/v1/payments", tok, nil).JSON(t, &pays)
		if got := getOrder(t, e, tok, o.ID); got.Status != "notPaid" || len(pays.Items) != 1 || pays.Items[0].Status != "failed" || pays.Items[0].Failure != "card_declined" {
			t.Fatalf("declined card: order %s payments %+v", got.Status, pays.Items)
		}
		// the provider sends the success event twice: one payment, one invoice, one delivery job
		hdr := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json", "Idempotency-Key": "pay-1"}
		body := apptest.MustJSON(map[string]string{"method": "sandbox", "card": "4000000000000259"})
		r1 := e.DoHeaders(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o.ID), body, hdr)
		r2 := e.DoHeaders(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o.ID), body, hdr)
		if r1.Status != 202 || r2.Status != 202 || !bytes.Equal(r1.Body, r2.Body) {
			t.Fatalf("same payment Idempotency-Key: %d %s / %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
		}
		e.Tick(t)
		e.Tick(t)
		got := getOrder(t, e, tok, o.ID)
		var invs struct{ Items []any }
		e.Do(t, "GET", "/api/v1/invoices", tok, nil).JSON(t, &invs)
		if got.Status != "paid" || len(invs.Items) != 1 {
			t.Fatalf("duplicated event: status %s, %d invoices", got.Status, len(invs.Items))
		}
		var n int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM payment_events WHERE outcome = 'succeeded'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("payment events recorded: %d %v", n, err)
		}
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = 'order.deliver'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("delivery jobs: %d %v", n, err)
		}
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o.ID), tok, apptest.MustJSON(map[string]string{"method": "sandbox"})), 409, "already_paid")
	})
}

func TestTransferConfirmedByStaff(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	tok, staff := e.Creds.Customer.Token, e.Creds.Staff.Token
	o, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-2", 3)}}, "")
	var p struct {
		ID        int64  `json:"id"`
		Status    string `json:"status"`
		Reference string `json:"reference"`
		IBAN      string `json:"iban"`
	}
	r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o.ID), tok, apptest.MustJSON(map[string]string{"method": "transfer"}))
	r.JSON(t, &p)
	if r.Status != 202 || p.Status != "pending" || p.IBAN == "" || p.Reference == "" {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	e.Tick(t)
	if got := getOrder(t, e, tok, o.ID); got.Status != "notPaid" {
		t.Fatalf("a transfer paid before staff saw the money: %s", got.Status)
	}
	var pending struct{ Items []struct{ ID int64 } }
	e.Do(t, "GET", "/api/v1/staff/payments?method=transfer&status=pending", staff, nil).JSON(t, &pending)
	if len(pending.Items) != 1 || pending.Items[0].ID != p.ID {
		t.Fatalf("pending transfers: %+v", pending.Items)
	}
	wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/payments/%d/confirm", p.ID), tok, nil), 403, "insufficient_scope")
	e.Clock.Advance(2 * time.Hour)
	if r := e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/payments/%d/confirm", p.ID), staff, nil); r.Status != 200 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/payments/%d/confirm", p.ID), staff, nil), 409, "payment_settled")
	got := getOrder(t, e, tok, o.ID)
	if got.Status != "paid" || !got.PaidAt.Equal(apptest.Start.Add(2*time.Hour)) || !got.DeliveryDeadline.Equal(apptest.Start.Add(2*time.Hour+7*policy.Day)) {
		t.Fatalf("confirmed transfer: %+v", got)
	}

	// A transfer chosen, then the order paid by card: the transfer that comes later is not
	// taken (the total is due once, Art. 10); staff are told to return it.
	o2, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-2", 3)}}, "")
	var p2 struct {
		ID int64 `json:"id"`
	}
	e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", o2.ID), tok, apptest.MustJSON(map[string]string{"method": "transfer"})).JSON(t, &p2)
	payNow(t, e, tok, o2.ID, "4242424242424242")
	wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/staff/payments/%d/confirm", p2.ID), staff, nil), 409, "order_not_payable")
	var ps struct {
		Items []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		}
	}
	e.Do(t, "GET", "/api/v1/staff/payments?status=succeeded", staff, nil).JSON(t, &ps)
	for _, x := range ps.Items {
		if x.ID == p2.ID {
			t.Fatalf("the second payment of an order recorded as succeeded: %+v", ps.Items)
		}
	}
}

// deadlineScenario pays an order at apptest.Start and returns its id.
func deadlineScenario(t *testing.T, e *apptest.Env) int64 {
	t.Helper()
	o, _ := placeOrder(t, e, e.Creds.Customer.Token, map[string]any{"items": []any{item("ECO-1", 1)}}, "")
	payNow(t, e, e.Creds.Customer.Token, o.ID, "4242424242424242")
	return o.ID
}

func stockOf(t *testing.T, e *apptest.Env, plan string) int {
	t.Helper()
	var n int
	if err := e.App.DB.SQL().QueryRow(`SELECT free FROM catalog_stock WHERE plan_code = '` + plan + `'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeliveryDeadlineLateCancelRefund(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		// no simulated datacenter: the paid order waits for a machine and goes late; with no
		// machine the fleet has no stock, so the seeded counts stand in (and are checked)
		e := apptest.New(t, apptest.Options{Postgres: pg, Config: func(c *app.Config) {
			c.Fleet.Simlab.Enabled = false
			manualStock(c)
		}})
		tok := e.Creds.Customer.Token
		before := stockOf(t, e, "ECO-1")
		id := deadlineScenario(t, e)
		if stockOf(t, e, "ECO-1") != before-1 {
			t.Fatal("payment reserved no server")
		}
		o := getOrder(t, e, tok, id)
		if !o.DeliveryDeadline.Equal(o.PaidAt.Add(7 * policy.Day)) {
			t.Fatalf("deadline %v, paid %v", o.DeliveryDeadline, o.PaidAt)
		}
		// 7 days minus a second: not late, cannot be cancelled
		e.Clock.Advance(7*policy.Day - time.Second)
		e.Tick(t)
		o = getOrder(t, e, tok, id)
		if o.Status != "paid" || o.LateCancellable || o.SecondsToDeadline != 1 {
			t.Fatalf("at 7d-1s: %+v", o)
		}
		p := wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), tok, nil), 409, "not_late")
		if !strings.Contains(string(e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), tok, nil).Body), `"secondsLeft":1`) {
			t.Errorf("not_late without secondsLeft: %+v", p)
		}
		// 7 days: late, the customer is told, and may cancel
		e.Clock.Advance(time.Second)
		e.Tick(t)
		o = getOrder(t, e, tok, id)
		if o.Status != "late" || !o.LateCancellable || o.SecondsToDeadline != 0 {
			t.Fatalf("at 7d: %+v", o)
		}
		if n := noticeCount(t, e, "order_late"); n != 1 {
			t.Fatalf("%d late notices, want 1", n)
		}
		e.Clock.Advance(time.Hour)
		e.Tick(t)
		if n := noticeCount(t, e, "order_late"); n != 1 {
			t.Fatalf("late notice sent again: %d", n)
		}
		r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), tok, nil)
		if r.Status != 200 {
			t.Fatalf("late cancel: %d %s", r.Status, r.Body)
		}
		o = getOrder(t, e, tok, id)
		if o.Status != "refunded" {
			t.Fatalf("after cancel: %s", o.Status)
		}
		assertRefunded(t, e, tok, o)
		if stockOf(t, e, "ECO-1") != before {
			t.Fatal("the reserved server was not released")
		}
		var n int
		if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM jobs WHERE kind = 'order.release'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("release jobs for the fleet: %d %v", n, err)
		}
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), tok, nil), 409, "order_closed")
	})
}

// assertRefunded checks a full refund: a credit note equal to the invoice, the invoice marked
// refunded, a refund record of the amount paid.
func assertRefunded(t *testing.T, e *apptest.Env, tok string, o orderReply) {
	t.Helper()
	var cns struct {
		Items []struct {
			Number            string `json:"number"`
			TotalInclTaxCents int64  `json:"totalInclTaxCents"`
			CreditsInvoiceID  int64  `json:"creditsInvoiceId"`
		} `json:"items"`
	}
	e.Do(t, "GET", "/api/v1/credit-notes", tok, nil).JSON(t, &cns)
	if len(cns.Items) != 1 || cns.Items[0].TotalInclTaxCents != o.TotalInclTaxCents || cns.Items[0].CreditsInvoiceID != o.InvoiceID ||
		!strings.HasPrefix(cns.Items[0].Number, "A2026-") {
		t.Fatalf("credit notes: %+v (order total %d)", cns.Items, o.TotalInclTaxCents)
	}
	var inv struct{ Status string }
	e.Do(t, "GET", fmt.Sprintf("/api/v1/invoices/%d", o.InvoiceID), tok, nil).JSON(t, &inv)
	var sum int64
	if err := e.App.DB.SQL().QueryRow(fmt.Sprintf(`SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE order_id = %d`, o.ID)).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if inv.Status != "refunded" || sum != o.TotalInclTaxCents {
		t.Fatalf("invoice %s, refunded %d of %d", inv.Status, sum, o.TotalInclTaxCents)
	}
}

func noticeCount(t *testing.T, e *apptest.Env, kind string) int {
	t.Helper()
	var n int
	if err := e.App.DB.SQL().QueryRow(`SELECT COUNT(*) FROM notices WHERE kind = '` + kind + `'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeliveryDeadlineSurvivesARestart(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		data := t.TempDir()
		var pgURL string
		opts := apptest.Options{Data: data, Postgres: pg}
		if pg {
			// both processes must use the same schema
			cfg := apptest.Config(t, apptest.Options{Postgres: true})
			pgURL = cfg.Database.URL
			opts.Postgres = false
			opts.Config = func(c *app.Config) { c.Database.URL = pgURL }
		}
		e := apptest.New(t, opts)
		id := deadlineScenario(t, e)
		e.Close()

		// a new process over the same data, started 7 days minus a second after the payment
		e2 := apptest.New(t, opts)
		e2.Clock.Set(apptest.Start.Add(7*policy.Day - time.Second))
		e2.Tick(t)
		if o := getOrder(t, e2, e2.Creds.Customer.Token, id); o.Status != "paid" {
			t.Fatalf("after restart at 7d-1s: %s", o.Status)
		}
		e2.Close()
		e3 := apptest.New(t, opts)
		e3.Clock.Set(apptest.Start.Add(7 * policy.Day))
		e3.Tick(t)
		o := getOrder(t, e3, e3.Creds.Customer.Token, id)
		if o.Status != "late" || !o.LateCancellable {
			t.Fatalf("after restart at 7d: %+v", o)
		}
		if r := e3.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), e3.Creds.Customer.Token, nil); r.Status != 200 {
			t.Fatalf("cancel after restart: %d %s", r.Status, r.Body)
		}
	})
}
