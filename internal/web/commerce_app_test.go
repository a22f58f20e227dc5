package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
)

var orderLink = regexp.MustCompile(`^/orders/(\d+)$`)

// TestCommercePages goes through the pages as a browser without JavaScript would: the public
// catalogue, the order form with its preview, payment by transfer, staff confirming it, the
// delivery deadline passing, the cancel button with a full refund, and the invoice PDFs.
func TestCommercePages(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)) // after the wall clock: cookies carry real expiry dates
	e := startApp(t, clk)
	anon := e.client(t)
	cat := anon.get("/catalog")
	cat.is(t, http.StatusOK)
	cat.has(t, "ECOGREEN", "Sans support technique", `id="plan-ENT-2"`, "Disponible", "livraison ≈ 1 h", `href="/login?next=%2Forder%2FECO-1"`)

	c := e.client(t)
	c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	form := c.get("/order/PERF-1")
	form.is(t, http.StatusOK)
	vals := url.Values{"csrf": {form.csrf(t)}, "plan": {"PERF-1"}, "duration": {"12"}, "os": {"debian-12"}, "opt_extra-ipv4": {"2"},
		"idem": {"form-1"}, "preview": {"1"}}
	prev := c.post("/orders", vals)
	prev.is(t, http.StatusOK)
	prev.has(t, `id="preview"`, "Total TTC", "Adresse IPv4 supplémentaire × 2")
	bad := url.Values{}
	for k, v := range vals {
		bad[k] = v
	}
	bad.Set("opt_extra-ipv4", "-1")
	bad.Set("vat_number", "XX")
	form.has(t, `<select id="datacenter" name="datacenter">`, `<option value="RBX1">RBX1`, `<option value="GRA2">GRA2`)
	bad.Set("datacenter", "PAR9")
	p := c.post("/orders", bad)
	p.is(t, http.StatusUnprocessableEntity)
	p.has(t, `<p class="field-error">n&#39;est pas un centre de données de cette offre ; choisissez indifférent ou l&#39;un de : GRA2, RBX1</p>`)
	p.has(t, `<p class="field-error">doit être compris entre 1 et 16</p>`, `<p class="field-error">doit être un numéro de TVA intracommunautaire valide`)
	vals.Del("preview")
	p = c.post("/orders", vals)
	if p.status != http.StatusSeeOther || !orderLink.MatchString(p.location) {
		t.Fatalf("order: %d %q", p.status, p.location)
	}
	orderPath := p.location
	// the same form sent twice makes one order
	if again := c.post("/orders", vals); again.location != orderPath {
		t.Fatalf("form sent twice: %q then %q", orderPath, again.location)
	}
	page := c.get(orderPath)
	page.has(t, `id="pay-transfer"`, `id="pay-sandbox"`, "Non payée")
	p = c.post(orderPath+"/pay", url.Values{"csrf": {page.csrf(t)}, "method": {"transfer"}, "idem": {"t1"}})
	p.is(t, http.StatusSeeOther)

	s := e.client(t)
	s.login(e.creds.Staff.Email, e.creds.Staff.Password)
	pay := s.get("/staff/payments")
	pay.is(t, http.StatusOK)
	m := regexp.MustCompile(`action="(/staff/payments/\d+/confirm)"`).FindStringSubmatch(pay.body)
	if m == nil {
		t.Fatalf("no transfer to confirm:\n%s", pay.body)
	}
	s.post(m[1], url.Values{"csrf": {pay.csrf(t)}}).is(t, http.StatusSeeOther)
	list := c.get("/orders")
	list.has(t, "Payée", "7 j 00 h 00 min")

	clk.Advance(7*24*time.Hour + time.Minute)
	if _, err := e.app.Runner.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	// sessions last 12 hours: log in again a week later
	c, s = e.client(t), e.client(t)
	c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	s.login(e.creds.Staff.Email, e.creds.Staff.Password)
	near := s.get("/staff/orders")
	near.has(t, "Deadline passed", "Late")
	list = c.get("/orders")
	list.has(t, "En retard", "Annuler et être remboursé")
	id := orderLink.FindStringSubmatch(orderPath)[1]
	p = c.post(orderPath+"/cancel", url.Values{"csrf": {list.csrf(t)}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "flash=order_refunded") {
		t.Fatalf("cancel: %d %q", p.status, p.location)
	}
	c.get(orderPath).has(t, "Remboursée")
	inv := c.get("/invoices")
	inv.has(t, "F2027-000001", "A2027-000001", "Avoir", "Remboursée")
	pdfs := regexp.MustCompile(`href="(/invoices/\d+/pdf)"`).FindAllStringSubmatch(inv.body, -1)
	if len(pdfs) != 2 {
		t.Fatalf("PDF links: %v", pdfs)
	}
	a, b := c.get(pdfs[0][1]), c.get(pdfs[0][1])
	if a.status != 200 || a.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(a.body, "%PDF-") || a.body != b.body {
		t.Fatalf("pdf: %d %s, identical %v", a.status, a.header.Get("Content-Type"), a.body == b.body)
	}
	if other := s.get("/invoices/1/pdf"); other.status != http.StatusNotFound {
		t.Fatalf("staff opened a customer's invoice page as theirs: %d", other.status)
	}
	s.get("/staff/invoices").has(t, "F2027-000001", "A2027-000001")
	s.get("/staff/invoices/1/pdf").is(t, http.StatusOK)
	_ = id
	// the catalogue editor: a new price, for later orders
	ed := s.get("/staff/catalog")
	ed.is(t, http.StatusOK)
	s.post("/staff/catalog/price", url.Values{"csrf": {ed.csrf(t)}, "plan": {"ECO-1"}, "duration": {"1"}, "setup": {"0"}, "recurring": {"21,50"}}).is(t, http.StatusSeeOther)
	anon.get("/catalog").has(t, "21,50")
	s.post("/staff/catalog/price", url.Values{"csrf": {ed.csrf(t)}, "plan": {"ECO-1"}, "duration": {"2"}, "setup": {"x"}, "recurring": {"1"}}).is(t, http.StatusUnprocessableEntity)
	// customers do not reach the staff pages
	if r := c.get("/staff/payments"); r.status != http.StatusForbidden {
		t.Fatalf("customer on staff page: %d", r.status)
	}
}
