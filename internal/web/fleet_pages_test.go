package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
)

// The customer's server pages and the staff's fleet pages, through forms, without JavaScript.
func TestFleetPages(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clock.Real().Now()) // the cookie jar expires cookies by the real clock
	e := startApp(t, clk)
	c := e.client(t)
	c.lang = "en"
	c.login(e.creds.Customer.Email, e.creds.Customer.Password)
	list := c.get("/servers")
	list.is(t, http.StatusOK)
	list.has(t, "198.18.0.10", "ns1.itsgow.net", "debian-13")
	id := regexp.MustCompile(`href="/servers/(\d+)"`).FindStringSubmatch(list.body)[1]
	p := c.get("/servers/" + id)
	p.is(t, http.StatusOK)
	p.has(t, `id="reinstall"`, "progress", `id="reveal-`, "RBX1 A01: top-of-rack switch firmware")
	// the root password of the delivery, once
	task := regexp.MustCompile(`id="reveal-(\d+)"`).FindStringSubmatch(p.body)[1]
	shown := c.post("/tasks/"+task+"/credentials", url.Values{"csrf": {p.csrf(t)}})
	shown.is(t, http.StatusOK)
	if pw := shown.byID(t, "password"); len(pw) != 20 {
		t.Fatalf("password %q", pw)
	}
	again := c.post("/tasks/"+task+"/credentials", url.Values{"csrf": {p.csrf(t)}})
	again.is(t, http.StatusConflict)
	// a console: its password once with the expiry, then only the expiry, closed on request
	con := c.post("/servers/"+id+"/console", url.Values{"csrf": {p.csrf(t)}})
	con.is(t, http.StatusOK)
	con.has(t, `id="console-expiry"`, `id="console-close"`)
	if pw := con.byID(t, "console-password"); len(pw) < 8 {
		t.Fatalf("console password %q", pw)
	}
	live := c.get("/servers/" + id)
	live.has(t, `id="console-expiry"`, `id="console-user"`)
	if regexp.MustCompile(`id="console-password"|id="console-open"`).MatchString(live.body) {
		t.Fatal("the live console shows its password again, or offers a second one")
	}
	closed := c.post("/servers/"+id+"/console/close", url.Values{"csrf": {p.csrf(t)}})
	closed.is(t, http.StatusSeeOther)
	c.follow(closed).has(t, `id="console-open"`)
	// reinstall without confirming the data is saved, then with a malformed key
	r := c.post("/servers/"+id+"/reinstall", url.Values{"csrf": {p.csrf(t)}, "osImage": {"debian-12"}})
	r.is(t, http.StatusUnprocessableEntity)
	r = c.post("/servers/"+id+"/reinstall", url.Values{"csrf": {p.csrf(t)}, "osImage": {"debian-12"}, "confirm": {"yes"}, "sshKey": {"ssh-rsa nope"}})
	r.is(t, http.StatusUnprocessableEntity)
	r.has(t, "is not an OpenSSH public key")
	r = c.post("/servers/"+id+"/reinstall", url.Values{"csrf": {p.csrf(t)}, "osImage": {"debian-12"}, "confirm": {"yes"}})
	r.is(t, http.StatusSeeOther)
	c.follow(r).has(t, "reinstall", "<progress")
	// an intervention request
	r = c.post("/servers/"+id+"/incidents", url.Values{"csrf": {p.csrf(t)}, "kind": {"hardware"}, "description": {"noisy fan"}})
	r.is(t, http.StatusSeeOther)

	s := e.client(t)
	s.lang = "en"
	s.login(e.creds.Staff.Email, e.creds.Staff.Password)
	for path, want := range map[string]string{"/staff/inventory": "SIM-RBX1-0001", "/staff/racks": "<svg", "/staff/incidents": "noisy fan",
		"/staff/maintenance": "top-of-rack switch"} {
		pg := s.get(path)
		pg.is(t, http.StatusOK)
		pg.has(t, want)
	}
	c.get("/staff/inventory").is(t, http.StatusForbidden)
	pub := e.client(t).get("/status")
	pub.is(t, http.StatusOK)
	pub.has(t, "top-of-rack switch")
}
