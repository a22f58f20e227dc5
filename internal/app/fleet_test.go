package app_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/fleet"
)

type fleetServer struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	State      string `json:"state"`
	MainIP     string `json:"mainIp"`
	OS         string `json:"os"`
	Datacenter string `json:"datacenter"`
	PowerState string `json:"powerState"`
	IPs        []struct {
		IP   string `json:"ip"`
		Type string `json:"type"`
	} `json:"ips"`
	Contract struct {
		StartedAt *time.Time `json:"startedAt"`
	} `json:"contract"`
	Tasks []fleetTask `json:"tasks"`
}

type fleetTask struct {
	ID          int64  `json:"id"`
	Function    string `json:"function"`
	Status      string `json:"status"`
	Percent     int    `json:"percent"`
	Comment     string `json:"comment"`
	Credentials bool   `json:"credentialsAvailable"`
}

func fleetDo(t *testing.T, e *apptest.Env, method, path, token string, body any, status int, out any) apptest.Response {
	t.Helper()
	var b []byte
	if body != nil {
		b = apptest.MustJSON(body)
	}
	r := e.Do(t, method, path, token, b)
	if r.Status != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	if out != nil {
		r.JSON(t, out)
	}
	return r
}

// The demo customer has one delivered server at 198.18.0.10; the public status page lists the
// planned work on it; the customer's IPs; another customer sees nothing of it.
func TestFleetDemoAndAPI(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		cust, staff := e.Creds.Customer.Token, e.Creds.Staff.Token
		var page struct{ Items []fleetServer }
		fleetDo(t, e, "GET", "/api/v1/servers", cust, nil, 200, &page)
		if len(page.Items) != 1 {
			t.Fatalf("demo servers %+v", page.Items)
		}
		s := page.Items[0]
		if s.MainIP != app.DemoMainIP || s.State != "active" || s.OS != "debian-13" || s.Datacenter != "RBX1" || s.Contract.StartedAt == nil || len(s.IPs) != 2 {
			t.Fatalf("demo server %+v", s)
		}
		var ips struct{ Items []struct{ IP, Type string } }
		fleetDo(t, e, "GET", "/api/v1/ips", cust, nil, 200, &ips)
		if len(ips.Items) != 2 || ips.Items[0].IP != app.DemoMainIP || ips.Items[0].Type != "main" {
			t.Fatalf("ips %+v", ips.Items)
		}
		fleetDo(t, e, "PUT", "/api/v1/ips/"+app.DemoMainIP+"/reverse", cust, map[string]string{"reverse": "www.martin.example"}, 200, nil)
		var one struct{ IP, Reverse string }
		fleetDo(t, e, "GET", "/api/v1/ips/"+app.DemoMainIP, cust, nil, 200, &one)
		if one.Reverse != "www.martin.example" {
			t.Fatalf("reverse %+v", one)
		}
		wantProblem(t, e.Do(t, "PUT", "/api/v1/ips/"+app.DemoMainIP+"/reverse", cust, apptest.MustJSON(map[string]string{"reverse": "not a name!"})),
			422, "invalid_input", "reverse")
		var st struct {
			Planned []struct{ Title string } `json:"planned"`
		}
		fleetDo(t, e, "GET", "/api/v1/status", "", nil, 200, &st)
		if len(st.Planned) != 1 {
			t.Fatalf("status %+v", st)
		}
		other := newFleetCustomer(t, e, "other@example.fr")
		fleetDo(t, e, "GET", fmt.Sprintf("/api/v1/servers/%d", s.ID), other, nil, 404, nil)
		fleetDo(t, e, "PUT", "/api/v1/ips/"+app.DemoMainIP+"/reverse", other, map[string]string{"reverse": "evil.example"}, 404, nil)
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/servers/%d/reboot", s.ID), other, map[string]string{"type": "soft"}, 404, nil)
		fleetDo(t, e, "GET", "/api/v1/staff/machines", cust, nil, 403, nil)

		// Reinstall: refusals with stable codes, then a reinstall with a progress and new credentials once.
		p := wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/servers/%d/reinstall", s.ID), cust, apptest.MustJSON(map[string]any{"osImage": "nope-1"})),
			422, "unknown_os_image", "osImage")
		_ = p
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/servers/%d/reinstall", s.ID), cust,
			apptest.MustJSON(map[string]any{"osImage": "debian-12", "sshKey": "ssh-rsa garbage"})), 422, "invalid_input", "sshKey")
		var task fleetTask
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/servers/%d/reinstall", s.ID), cust, map[string]any{"osImage": "debian-12"}, 202, &task)
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/servers/%d/reinstall", s.ID), cust, apptest.MustJSON(map[string]any{"osImage": "debian-12"})),
			409, "task_running")
		e.Tick(t)
		fleetDo(t, e, "GET", fmt.Sprintf("/api/v1/tasks/%d", task.ID), cust, nil, 200, &task)
		if task.Status != "doing" || task.Percent == 0 {
			t.Fatalf("reinstall task %+v", task)
		}
		e.Clock.Advance(3 * time.Minute) // simlab install_duration is 2m; the reconcile pass runs every 30s
		e.Tick(t)
		fleetDo(t, e, "GET", fmt.Sprintf("/api/v1/tasks/%d", task.ID), cust, nil, 200, &task)
		if task.Status != "done" || !task.Credentials {
			t.Fatalf("reinstall done %+v", task)
		}
		var creds struct{ Username, Password string }
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/tasks/%d/credentials", task.ID), cust, nil, 200, &creds)
		if creds.Username != "root" || len(creds.Password) < 16 {
			t.Fatalf("credentials %+v", creds)
		}
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/tasks/%d/credentials", task.ID), cust, nil), 409, "credentials_already_shown")

		// Staff suspend: the customer cannot reinstall a suspended server.
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/staff/servers/%d/suspend", s.ID), staff, map[string]string{"reason": "abuse"}, 200, nil)
		wantProblem(t, e.Do(t, "POST", fmt.Sprintf("/api/v1/servers/%d/reinstall", s.ID), cust, apptest.MustJSON(map[string]any{"osImage": "debian-12"})),
			409, "server_suspended")
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/staff/servers/%d/unsuspend", s.ID), staff, map[string]string{"reason": "fixed"}, 200, nil)

		// A console: its password shown once, one at a time, closed on request.
		var con struct {
			Kind, URL, Username, Password string
			ExpiresAt                     time.Time
		}
		consolePath := fmt.Sprintf("/api/v1/servers/%d/console", s.ID)
		fleetDo(t, e, "POST", consolePath, cust, nil, 201, &con)
		if con.Kind != "graphical" || con.URL == "" || con.Username == "" || con.Password == "" || !con.ExpiresAt.After(e.Clock.Now()) {
			t.Fatalf("console %+v", con)
		}
		wantProblem(t, e.Do(t, "POST", consolePath, cust, nil), 409, "console_open")
		con.Password = ""
		fleetDo(t, e, "GET", consolePath, cust, nil, 200, &con)
		if con.Password != "" || con.Username == "" {
			t.Fatalf("the live console shows %+v", con)
		}
		fleetDo(t, e, "GET", consolePath, other, nil, 404, nil)
		fleetDo(t, e, "DELETE", consolePath, cust, nil, 204, nil)
		wantProblem(t, e.Do(t, "GET", consolePath, cust, nil), 404, "no_console")

		// Intervention request, staff board, planned work too close refused.
		fleetDo(t, e, "POST", fmt.Sprintf("/api/v1/servers/%d/incidents", s.ID), cust, map[string]string{"kind": "hardware", "description": "fan noise"}, 201, nil)
		var incs struct {
			Items []struct {
				ID      int64 `json:"id"`
				Overdue bool  `json:"overdue"`
			}
		}
		e.Clock.Advance(2*time.Hour + time.Second)
		fleetDo(t, e, "GET", "/api/v1/staff/incidents?open=true", staff, nil, 200, &incs)
		if len(incs.Items) != 1 || !incs.Items[0].Overdue {
			t.Fatalf("incidents %+v", incs)
		}
		now := e.Clock.Now()
		wantProblem(t, e.Do(t, "POST", "/api/v1/staff/maintenance", staff, apptest.MustJSON(map[string]any{"title": "x", "startsAt": now.Add(47 * time.Hour),
			"endsAt": now.Add(49 * time.Hour), "serverIds": []int64{s.ID}})), 422, "notice_too_short", "startsAt")
		var ms struct{ Items []struct{ ID int64 } }
		fleetDo(t, e, "GET", "/api/v1/staff/machines", staff, nil, 200, &ms)
		if len(ms.Items) != 24 {
			t.Fatalf("%d machines in the demo inventory, want 24", len(ms.Items))
		}
	})
}

func newFleetCustomer(t *testing.T, e *apptest.Env, email string) string {
	t.Helper()
	return newCustomer(t, e, email, account.Customer{Type: account.Person, Country: "FR"}, "fr")
}

// A paid order is delivered by the fleet (order.deliver job), and the order becomes delivered
// with the server's main address: the contract starts at the delivery.
func TestOrderDeliveredByFleet(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg})
		tok := e.Creds.Customer.Token
		o, r := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-1", 3)}}, "fleet-order-1")
		if r.Status >= 300 {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
		payNow(t, e, tok, o.ID, "4242424242424242")
		e.Tick(t) // order.deliver: the fleet reserves a machine and starts the install
		e.Clock.Advance(3 * time.Minute)
		e.Tick(t) // the reconcile pass sees the install answer; the delivered job marks the order
		e.Tick(t)
		got := getOrder(t, e, tok, o.ID)
		if got.Status != "delivered" {
			t.Fatalf("order %s", got.Status)
		}
		srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), fmt.Sprintf("order-%d", o.ID))
		if err != nil || srv.State != fleet.ServerActive || srv.Plan != "ECO-1" || srv.DurationMonths != 3 {
			t.Fatalf("server %+v %v", srv, err)
		}
		var page struct{ Items []fleetServer }
		fleetDo(t, e, "GET", "/api/v1/servers", tok, nil, 200, &page)
		if len(page.Items) != 2 {
			t.Fatalf("servers %+v", page.Items)
		}
		if !strings.HasPrefix(page.Items[0].MainIP, "198.18.0.") || page.Items[0].MainIP == app.DemoMainIP {
			t.Fatalf("new server address %q", page.Items[0].MainIP)
		}
	})
}

// The pages: my servers, a server with its reinstall form, the staff inventory, racks,
// incidents and planned works, the public status.
func TestFleetPages(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	for _, tc := range []struct{ path, token, want string }{
		{"/status", "", "RBX1 A01: top-of-rack switch firmware"},
	} {
		r := e.Do(t, "GET", tc.path, tc.token, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), tc.want) {
			t.Fatalf("%s: %d %s", tc.path, r.Status, r.Body)
		}
	}
}

// Network protection asks the fleet who holds an IP (IPv6 inside a server's /64 included).
func TestFleetDirectory(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	d := app.FleetDirectory{A: e.App}
	o, ok, err := d.Owner(t.Context(), netip.MustParseAddr(app.DemoMainIP))
	if err != nil || !ok || o.Kind != "main" || o.ServerID == 0 || o.Customer == 0 {
		t.Fatalf("owner %+v %v %v", o, ok, err)
	}
	if o6, ok, _ := d.Owner(t.Context(), netip.MustParseAddr("2001:db8:1000:1::42")); !ok || o6.ServerID != o.ServerID {
		t.Fatalf("IPv6 owner %+v %v", o6, ok)
	}
	if _, ok, _ := d.Owner(t.Context(), netip.MustParseAddr("198.18.0.11")); ok {
		t.Fatal("a free address has an owner")
	}
	all, err := d.IPs(t.Context(), 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("IPs %+v %v", all, err)
	}
}

type stockPlan struct {
	Code  string `json:"code"`
	Free  int    `json:"free"`
	Stock string `json:"stock"`
	ETA   int    `json:"deliveryEstimateHours"`
}

func catalogueStock(t *testing.T, e *apptest.Env) map[string]stockPlan {
	t.Helper()
	var page struct{ Items []stockPlan }
	fleetDo(t, e, "GET", "/api/v1/catalog/plans", "", nil, 200, &page)
	out := map[string]stockPlan{}
	for _, p := range page.Items {
		out[p.Code] = p
	}
	return out
}

// The catalogue's stock is the fleet's free machines matching each plan's hardware profile: the
// demo lab has four machines per plan (PERF-1: three, one is the demo server); a delivered order
// takes one; a plan whose profile has no free machine is empty and cannot be ordered.
func TestCatalogueStockFromFleet(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		e := apptest.New(t, apptest.Options{Postgres: pg, Config: func(c *app.Config) {
			c.Commerce.Catalog.LowStock = 3
			c.Fleet.PlanProfiles = []string{"ENT-2=NO-SUCH-BOX"}
		}})
		tok := e.Creds.Customer.Token
		got := catalogueStock(t, e)
		want := map[string]stockPlan{
			"ECO-1": {"ECO-1", 4, "available", 1}, "ECO-2": {"ECO-2", 4, "available", 1},
			"PERF-1": {"PERF-1", 3, "low", 48}, "PERF-2": {"PERF-2", 4, "available", 1},
			"ENT-1": {"ENT-1", 4, "available", 1}, "ENT-2": {"ENT-2", 0, "empty", 0},
		}
		for code, w := range want {
			if got[code] != w {
				t.Errorf("plan %s: %+v, want %+v", code, got[code], w)
			}
		}
		// the seeded counts play no part
		if _, err := e.App.DB.SQL().Exec(`UPDATE catalog_stock SET free = 0`); err != nil {
			t.Fatal(err)
		}
		if p := catalogueStock(t, e)["ECO-2"]; p.Free != 4 {
			t.Fatalf("seeded counts changed the fleet's stock: %+v", p)
		}
		o, r := placeOrder(t, e, tok, map[string]any{"items": []any{item("ECO-2", 1)}}, "stock-1")
		if r.Status >= 300 {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
		payNow(t, e, tok, o.ID, "4242424242424242")
		e.Tick(t) // order.deliver: the fleet reserves a machine of the profile
		if p := catalogueStock(t, e)["ECO-2"]; p.Free != 3 || p.Stock != "low" || p.ETA != 48 {
			t.Fatalf("after a paid order: %+v", p)
		}
		srv, err := e.App.DB.Fleet().ServerByOrder(t.Context(), fmt.Sprintf("order-%d", o.ID))
		if err != nil || srv.MachineID == 0 || srv.Profile != "ECO-2" {
			t.Fatalf("server of the order: %+v %v", srv, err)
		}
		_, r = placeOrder(t, e, tok, map[string]any{"items": []any{item("ENT-2", 12)}}, "stock-2")
		wantProblem(t, r, http.StatusConflict, "out_of_stock")
		if p := catalogueStock(t, e)["ENT-1"]; p.Free != 4 {
			t.Fatalf("ENT-1 %+v", p)
		}
	})
}
