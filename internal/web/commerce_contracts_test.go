package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
)

// apiContract is what GET /api/v1/contracts/{id} says of a contract.
type apiContract struct {
	Status            string     `json:"status"`
	EndsAt            time.Time  `json:"endsAt"`
	TerminateAt       *time.Time `json:"terminateAt"`
	TerminationReason string     `json:"terminationReason"`
	Renew             struct {
		Automatic bool `json:"automatic"`
	} `json:"renew"`
}

func contractOfAPI(t *testing.T, e *env, id string) apiContract {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v1/contracts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+e.creds.Customer.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c apiContract
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/contracts/%s: %d", id, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

var renewForm = regexp.MustCompile(`action="/contracts/(\d+)/renew"`)

// TestContractPages orders a server, has it delivered, then, through the "My contracts" forms of
// /invoices, switches the renewal mode and terminates at the end of the term, checking each
// result through the API; a refused termination and a domain conflict show on the page.
func TestContractPages(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	e := startApp(t, clk)
	c := e.client(t)
	c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	form := c.get("/order/ECO-1")
	form.is(t, http.StatusOK)
	p := c.post("/orders", url.Values{"csrf": {form.csrf(t)}, "plan": {"ECO-1"}, "duration": {"3"}, "os": {"debian-12"},
		"idem": {"contract-1"}, "immediate": {"1"}})
	if p.status != http.StatusSeeOther || !orderLink.MatchString(p.location) {
		t.Fatalf("order: %d %q\n%s", p.status, p.location, p.body)
	}
	orderPath := p.location
	orderID := orderLink.FindStringSubmatch(orderPath)[1]
	page := c.get(orderPath)
	c.post(orderPath+"/pay", url.Values{"csrf": {page.csrf(t)}, "method": {"transfer"}, "idem": {"t1"}}).is(t, http.StatusSeeOther)
	s := e.client(t)
	s.login(e.creds.Staff.Email, e.creds.Staff.Password)
	pay := s.get("/staff/payments")
	m := regexp.MustCompile(`action="(/staff/payments/\d+/confirm)"`).FindStringSubmatch(pay.body)
	if m == nil {
		t.Fatalf("no transfer to confirm:\n%s", pay.body)
	}
	s.post(m[1], url.Values{"csrf": {pay.csrf(t)}}).is(t, http.StatusSeeOther)
	orders := s.get("/staff/orders")
	if d := s.post("/staff/orders/"+orderID+"/deliver", url.Values{"csrf": {orders.csrf(t)}}); d.status != http.StatusSeeOther {
		t.Fatalf("deliver: %d\n%s", d.status, d.body)
	}

	inv := c.get("/invoices")
	inv.is(t, http.StatusOK)
	inv.has(t, "Mes contrats", "Mode de renouvellement", "Je confirme la résiliation")
	cm := renewForm.FindStringSubmatch(inv.body)
	if cm == nil {
		t.Fatalf("no renewal form:\n%s", inv.body)
	}
	id := cm[1]
	before := contractOfAPI(t, e, id)
	if before.Status != "active" || before.TerminateAt != nil {
		t.Fatalf("new contract: %+v", before)
	}
	// the renewal mode, both ways
	for _, mode := range []string{"manual", "automatic"} {
		r := c.post("/contracts/"+id+"/renew", url.Values{"csrf": {inv.csrf(t)}, "renew": {mode}})
		if r.status != http.StatusSeeOther || !strings.Contains(r.location, "flash=renew_"+mode) {
			t.Fatalf("renew %s: %d %q\n%s", mode, r.status, r.location, r.body)
		}
		if got := contractOfAPI(t, e, id); got.Renew.Automatic != (mode == "automatic") {
			t.Fatalf("after %s: %+v", mode, got)
		}
	}
	c.post("/contracts/"+id+"/renew", url.Values{"csrf": {inv.csrf(t)}, "renew": {"sometimes"}}).is(t, http.StatusUnprocessableEntity)
	// no CSRF token, no change
	if r := c.post("/contracts/"+id+"/renew", url.Values{"renew": {"manual"}}); r.status != http.StatusForbidden {
		t.Fatalf("renew without CSRF: %d", r.status)
	}
	if got := contractOfAPI(t, e, id); !got.Renew.Automatic {
		t.Fatalf("a refused form changed the contract: %+v", got)
	}
	// termination needs the confirmation box
	r := c.post("/contracts/"+id+"/terminate", url.Values{"csrf": {inv.csrf(t)}, "at": {"endOfTerm"}})
	r.is(t, http.StatusUnprocessableEntity)
	r.has(t, `<p class="field-error">cochez la case pour confirmer la résiliation</p>`, `id="manage-`+id+`"`)
	if got := contractOfAPI(t, e, id); got.TerminateAt != nil {
		t.Fatalf("terminated without confirmation: %+v", got)
	}
	r = c.post("/contracts/"+id+"/terminate", url.Values{"csrf": {inv.csrf(t)}, "at": {"endOfTerm"}, "confirm": {"1"}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "flash=contract_ending") {
		t.Fatalf("terminate: %d %q\n%s", r.status, r.location, r.body)
	}
	after := contractOfAPI(t, e, id)
	if after.Status != "active" || after.TerminateAt == nil || !after.TerminateAt.Equal(before.EndsAt) || after.TerminationReason != "customer" {
		t.Fatalf("after terminating at the end of the term: %+v (term ends %v)", after, before.EndsAt)
	}
	inv = c.follow(r)
	inv.has(t, "Résiliation enregistrée", "La résiliation est demandée")
	if renewForm.MatchString(inv.body) {
		t.Fatal("the renewal form is still offered after the termination")
	}
	// changed her mind: the termination is withdrawn before the end of the term, the renewal
	// form is back; then she terminates again
	keep := c.post("/contracts/"+id+"/termination/withdraw", url.Values{"csrf": {inv.csrf(t)}})
	if keep.status != http.StatusSeeOther || !strings.Contains(keep.location, "flash=termination_withdrawn") {
		t.Fatalf("withdraw the termination: %d %q\n%s", keep.status, keep.location, keep.body)
	}
	if got := contractOfAPI(t, e, id); got.Status != "active" || got.TerminateAt != nil || got.TerminationReason != "" {
		t.Fatalf("after withdrawing the termination: %+v", got)
	}
	inv = c.follow(keep)
	inv.has(t, "Résiliation annulée")
	if !renewForm.MatchString(inv.body) {
		t.Fatal("no renewal form after the termination was withdrawn")
	}
	r = c.post("/contracts/"+id+"/termination/withdraw", url.Values{"csrf": {inv.csrf(t)}})
	r.is(t, http.StatusConflict)
	r.has(t, "Aucune résiliation n&#39;est demandée pour ce contrat.")
	c.post("/contracts/"+id+"/terminate", url.Values{"csrf": {inv.csrf(t)}, "at": {"endOfTerm"}, "confirm": {"1"}}).is(t, http.StatusSeeOther)
	// terminate now, then a stale form: the domain's 409 shows on the page
	c.post("/contracts/"+id+"/terminate", url.Values{"csrf": {inv.csrf(t)}, "at": {"now"}, "confirm": {"1"}}).is(t, http.StatusSeeOther)
	if got := contractOfAPI(t, e, id); got.Status != "terminated" {
		t.Fatalf("after terminating now: %+v", got)
	}
	r = c.post("/contracts/"+id+"/terminate", url.Values{"csrf": {inv.csrf(t)}, "at": {"now"}, "confirm": {"1"}})
	r.is(t, http.StatusConflict)
	r.has(t, `role="alert"`, "Le contrat est déjà résilié.", "Mes contrats")
	// someone else's contract does not exist
	s.post(fmt.Sprintf("/contracts/%s/renew", id), url.Values{"csrf": {orders.csrf(t)}, "renew": {"manual"}}).is(t, http.StatusNotFound)
}
