package app_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/policy"
)

type siteStock struct {
	Code  string `json:"code"`
	Stock string `json:"stock"`
	Free  int    `json:"free"`
	ETA   int    `json:"deliveryEstimateHours"`
}

type sitePlan struct {
	Free        int         `json:"free"`
	Stock       string      `json:"stock"`
	Datacenters []siteStock `json:"datacenters"`
}

func planSites(t *testing.T, e *apptest.Env, code string) sitePlan {
	t.Helper()
	var p sitePlan
	r := e.Do(t, "GET", "/api/v1/catalog/plans/"+code, "", nil)
	if r.Status != 200 {
		t.Fatalf("plan %s: %d %s", code, r.Status, r.Body)
	}
	r.JSON(t, &p)
	return p
}

func orderIn(dc string) map[string]any {
	it := item("ECO-1", 1)
	it["datacenter"] = dc
	return map[string]any{"items": []any{it}}
}

// The fleet takes an order's machine in the datacenter the order names, so the catalogue shows
// the stock of each datacenter and an order naming one is checked against that datacenter's
// stock: the demo lab has two ECO-1 machines in RBX1 and two in GRA2; once both of RBX1 are
// taken, RBX1 is out of stock while the plan, and an order naming GRA2 or no datacenter, are not.
func TestStockPerDatacenter(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		p := planSites(t, e, "ECO-1")
		want := []siteStock{{"GRA2", "low", 2, 48}, {"RBX1", "low", 2, 48}}
		if p.Free != 4 || p.Stock != "available" || fmt.Sprint(p.Datacenters) != fmt.Sprint(want) {
			t.Fatalf("ECO-1: %+v, want 4 available in %+v", p, want)
		}
		if p := planSites(t, e, "PERF-1"); p.Free != 3 || fmt.Sprint(p.Datacenters) != fmt.Sprint([]siteStock{{"GRA2", "low", 2, 48}, {"RBX1", "low", 1, 48}}) {
			t.Fatalf("PERF-1 (the demo server is in RBX1): %+v", p)
		}
		_, r := placeOrder(t, e, tok, orderIn("PAR9"), "")
		wantProblem(t, r, http.StatusUnprocessableEntity, "invalid_input", "items[0].datacenter")
		waiting, r := placeOrder(t, e, tok, orderIn("RBX1"), "") // ordered now, paid once RBX1 is empty
		if r.Status != 201 {
			t.Fatalf("order in RBX1: %d %s", r.Status, r.Body)
		}
		for i := range 2 {
			o, r := placeOrder(t, e, tok, orderIn("rbx1"), "")
			if r.Status != 201 || o.Datacenter != "RBX1" {
				t.Fatalf("order %d in RBX1: %d %s", i, r.Status, r.Body)
			}
			payNow(t, e, tok, o.ID, "4242424242424242")
			e.Tick(t) // order.deliver: the fleet reserves a machine in RBX1
			srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), fmt.Sprintf("order-%d", o.ID))
			if err != nil || srv.Datacenter != "RBX1" || srv.MachineID == 0 {
				t.Fatalf("server of order %d: %+v %v", o.ID, srv, err)
			}
		}
		p = planSites(t, e, "ECO-1")
		want = []siteStock{{"GRA2", "low", 2, 48}, {"RBX1", "empty", 0, 0}}
		if p.Free != 2 || p.Stock != "low" || fmt.Sprint(p.Datacenters) != fmt.Sprint(want) {
			t.Fatalf("after RBX1 is taken: %+v, want %+v", p, want)
		}
		_, r = placeOrder(t, e, tok, orderIn("RBX1"), "")
		if pr := wantProblem(t, r, http.StatusConflict, "out_of_stock", "items[0].datacenter"); pr.Detail == "" {
			t.Fatal("out_of_stock without its reason")
		}
		// the money of an order that could not be delivered in time is not taken
		pr := wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", waiting.ID), tok,
			apptest.MustJSON(map[string]string{"method": "sandbox", "card": "4242424242424242"})), http.StatusConflict, "out_of_stock")
		if pr.Detail == "" || getOrder(t, e, tok, waiting.ID).Status != "notPaid" {
			t.Fatalf("paid an order with no free server in its datacenter: %+v", pr)
		}
		if o, r := placeOrder(t, e, tok, orderIn("GRA2"), ""); r.Status != 201 || o.Datacenter != "GRA2" {
			t.Fatalf("order in GRA2: %d %s", r.Status, r.Body)
		}
		if o, r := placeOrder(t, e, tok, orderIn(""), ""); r.Status != 201 || o.Datacenter != "" {
			t.Fatalf("order in any datacenter: %d %s", r.Status, r.Body)
		}
	})
}

// A late order whose machine the fleet had reserved (an install that never finished) is
// cancelled with a full refund, and what was reserved for it is released: order.release
// terminates its server and the machine is no longer held for the order.
func TestLateCancelReleasesTheFleetMachine(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg, Config: func(c *app.Config) {
			c.Fleet.Simlab.InstallDuration = 30 * policy.Day // the install hangs past the deadline
			c.Policy.DeployTimeout = 40 * policy.Day
		}})
		tok := e.Creds.Customer.Token
		before := planSites(t, e, "ECO-1")
		o, r := placeOrder(t, e, tok, orderIn("GRA2"), "")
		if r.Status != 201 {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
		payNow(t, e, tok, o.ID, "4242424242424242")
		e.Tick(t) // order.deliver: the fleet reserves a machine in GRA2 and starts installing
		srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), fmt.Sprintf("order-%d", o.ID))
		if err != nil || srv.MachineID == 0 {
			t.Fatalf("no machine reserved: %+v %v", srv, err)
		}
		if p := planSites(t, e, "ECO-1"); p.Free != before.Free-1 {
			t.Fatalf("stock after the reservation: %d, want %d", p.Free, before.Free-1)
		}
		e.Clock.Advance(7 * policy.Day)
		e.Tick(t)
		o = getOrder(t, e, tok, o.ID)
		if o.Status != "late" || !o.LateCancellable {
			t.Fatalf("at 7 days: %+v", o)
		}
		if r := e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", o.ID), tok, nil); r.Status != 200 {
			t.Fatalf("late cancel: %d %s", r.Status, r.Body)
		}
		assertRefunded(t, e, tok, getOrder(t, e, tok, o.ID))
		e.Tick(t) // order.release: the fleet terminates the order's server
		got, err := e.App.DB.Fleet().ServerByOrder(t.Context(), fmt.Sprintf("order-%d", o.ID))
		if err != nil || got.State != fleet.ServerTerminated {
			t.Fatalf("server of the cancelled order: %+v %v", got, err)
		}
		// the machine is no one's any more; an install cut short sends it to maintenance (the
		// fleet's rule), from where staff return it to stock
		m, err := e.App.DB.Fleet().GetMachine(t.Context(), srv.MachineID)
		if err != nil || m.ServerID != 0 || (m.State != fleet.MachineMaintenance && m.State != fleet.MachineAvailable &&
			m.State != fleet.MachineReleasing && m.State != fleet.MachineWiping) {
			t.Fatalf("machine of the cancelled order: %+v %v", m, err)
		}
	})
}

// With the seeded count, two unpaid orders for the last server: the first paid takes it, the
// second is refused before any money is taken (a retry of the first payment still answers it).
func TestPaymentNeedsAFreeServer(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Config: manualStock})
	tok := e.Creds.Customer.Token
	if _, err := e.App.DB.SQL().Exec(`UPDATE catalog_stock SET free = 1 WHERE plan_code = 'ECO-2'`); err != nil {
		t.Fatal(err)
	}
	a, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-2", 1)}}, "")
	b, _ := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-2", 1)}}, "")
	hdr := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json", "Idempotency-Key": "last-one"}
	body := apptest.MustJSON(map[string]string{"method": "sandbox", "card": "4242424242424242"})
	first := e.DoHeaders(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", a.ID), body, hdr)
	e.Tick(t)
	if first.Status != 202 || getOrder(t, e, tok, a.ID).Status != "paid" || stockOf(t, e, "ECO-2") != 0 {
		t.Fatalf("first payment: %d %s", first.Status, first.Body)
	}
	var p1, p2 struct{ ID int64 }
	first.JSON(t, &p1)
	again := e.DoHeaders(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", a.ID), body, hdr)
	if again.Status == 202 {
		again.JSON(t, &p2)
	}
	if again.Status != 202 || p2.ID != p1.ID {
		t.Fatalf("retry of the first payment: %d %s", again.Status, again.Body)
	}
	wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/orders/%d/pay", b.ID), tok, body), http.StatusConflict, "out_of_stock")
	var n int
	if err := e.App.DB.SQL().QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM payments WHERE order_id = %d`, b.ID)).Scan(&n); err != nil || n != 0 {
		t.Fatalf("payments of the second order: %d %v", n, err)
	}
}
