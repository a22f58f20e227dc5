package app_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// The profiles of the configuration drive detection: a lower UDP threshold for "default" makes
// a flood the built-in profile lets through an attack; a new profile is offered to customers;
// an infrastructure IP is watched with its own profile, its attack reported, and the guard rails
// keep every rule off it.
func TestNetguardConfiguredProfiles(t *testing.T) {
	t.Parallel()
	infra := netip.MustParseAddr("198.18.200.1")
	e := apptest.New(t, apptest.Options{Config: func(c *app.Config) {
		c.Netguard.Detect.Profiles = []app.NetguardProfile{
			{Name: "default", UDP: detect.Limit{PPS: 20_000}},
			{Name: "routers", Base: "strict", UDP: detect.Limit{PPS: 10_000}},
			{Name: "voip", Base: "gaming"},
		}
		c.Netguard.Detect.CustomerProfiles = []string{"default", "web", "voip"}
		c.Netguard.Detect.Infrastructure = []string{"198.18.200.0/30"}
		c.Netguard.Detect.InfrastructureProfile = "routers"
	}})
	cust, staff := e.Creds.Customer.Token, e.Creds.Staff.Token
	base := "/api/v1/ips/" + app.DemoMainIP
	if r := e.Do(t, "GET", base+"/mitigation/profiles", cust, nil); !strings.Contains(string(r.Body), `"profiles":["default","web","voip"]`) {
		t.Errorf("profiles: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "PUT", base+"/mitigation/profile", cust, []byte(`{"profile":"gaming"}`)); r.Status != 422 {
		t.Errorf("a profile not offered: %d %s", r.Status, r.Body)
	}
	ngTick(t, e)
	c, to := ngCollector(t, e)
	// 30,000 UDP packets/s: below the built-in 50,000, above the configured 20,000.
	ngAttack(t, e, c, to, 30_000, 3)
	ngTick(t, e)
	if m := getMitigation(t, e, cust); m.State != "auto" || len(m.Vectors) != 1 || m.Vectors[0] != "udp-flood" {
		t.Fatalf("mitigation with the configured default profile: %+v", m)
	}

	// 15,000 packets/s to a router: above its profile's 10,000.
	ngFlood(t, e, c, to, infra, 15_000, 3)
	ngTick(t, e)
	r := e.Do(t, "GET", "/api/v1/staff/attacks", staff, nil)
	if !strings.Contains(string(r.Body), `"ip":"198.18.200.1"`) || !strings.Contains(string(r.Body), `"profile":"routers"`) {
		t.Errorf("staff attacks: %d %s", r.Status, r.Body)
	}
	rules := e.Do(t, "GET", "/api/v1/staff/edge/rules", staff, nil)
	body := string(rules.Body)
	if strings.Contains(body, `dst 198.18.200.1/32 proto 17`) && !strings.Contains(body, `"reason":"infrastructure"`) {
		t.Errorf("a rule touches the infrastructure IP: %s", body)
	}
	if !strings.Contains(body, `"reason":"infrastructure"`) || !strings.Contains(logRules(e), "dst 198.18.0.10/32") ||
		strings.Contains(logRules(e), "198.18.200.1") {
		t.Errorf("edge: %s\nannounced:\n%s", body, logRules(e))
	}
}
