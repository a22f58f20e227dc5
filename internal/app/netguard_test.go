package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/edge"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
)

// ngWaitFor polls cond until it holds or timeout passes (real time: sockets are involved).
func ngWaitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ngCollector starts a real collector on loopback feeding the app's detector, as the collector
// role does, and returns the address of its NetFlow listener.
func ngCollector(t *testing.T, e *apptest.Env) (*collector.Collector, netip.AddrPort) {
	t.Helper()
	cfg := collector.DefaultConfig()
	cfg.NetFlow, cfg.IPFIX, cfg.SFlow, cfg.SocketsPerPort = "127.0.0.1:0", "", "", 1
	c, err := collector.New(cfg, collector.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.Clock,
		Sink: e.App.Netguard.Watch})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		c.Close()
	})
	return c, c.Addrs(collector.ListenerNetFlow)[0]
}

// ngAttack sends secs seconds of a UDP flood at pps toward the demo IP, as `itsgow flowgen`
// does, moving the fake clock one second per interval, and waits until the collector handed
// every record to the detector.
func ngAttack(t *testing.T, e *apptest.Env, c *collector.Collector, to netip.AddrPort, pps uint64, secs int) {
	t.Helper()
	ngFlood(t, e, c, to, netip.MustParseAddr(app.DemoMainIP), pps, secs)
}

// ngFlood is ngAttack toward target.
func ngFlood(t *testing.T, e *apptest.Env, c *collector.Collector, to netip.AddrPort, target netip.Addr, pps uint64, secs int) {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s, err := flowgen.NewSender(flowgen.SenderConfig{Encoder: flowgen.EncoderConfig{Format: flowgen.NetflowV9},
		Scenarios: []flowgen.ScenarioConfig{{Scenario: flowgen.UDPFlood, Target: netip.PrefixFrom(target, target.BitLen()),
			PPS: pps, SamplingRate: 100, Seed: 7}}, Duration: time.Duration(secs) * time.Second},
		flowgen.SenderDeps{Clock: e.Clock, Writer: conn})
	if err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Flows
	for i := 0; !s.Done(); i++ {
		if i > 0 {
			e.Clock.Advance(time.Second)
		}
		dgs, err := s.Step(e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dgs {
			if _, err := conn.Write(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := before + s.Stats().Flows
	ngWaitFor(t, fmt.Sprintf("%d flow records", want-before), 10*time.Second, func() bool { return c.Stats().Flows >= want })
}

func ngTick(t *testing.T, e *apptest.Env) {
	t.Helper()
	if err := e.App.NetguardTick(context.Background()); err != nil {
		t.Fatalf("netguard tick: %v", err)
	}
}

type mitigationReply struct {
	State       string    `json:"state"`
	Level       int       `json:"level"`
	MinUntil    time.Time `json:"minUntil"`
	Since       time.Time `json:"since"`
	Vectors     []string  `json:"vectors"`
	Locked      bool      `json:"locked"`
	SecondsLeft int64     `json:"secondsLeft"`
}

func getMitigation(t *testing.T, e *apptest.Env, token string) mitigationReply {
	t.Helper()
	r := e.Do(t, "GET", "/api/v1/ips/"+app.DemoMainIP+"/mitigation", token, nil)
	if r.Status != 200 {
		t.Fatalf("GET mitigation: %d %s", r.Status, r.Body)
	}
	var m mitigationReply
	r.JSON(t, &m)
	return m
}

func logRules(e *apptest.Env) string {
	return e.App.Netguard.Driver.(*edge.LogDriver).Rules().String()
}

// An attack sent as NetFlow v9 datagrams over real UDP is detected, mitigated for 26 hours
// (a restart in the middle changes nothing), told to the customer, compiled into edge rules,
// charted, and ended once its hold is over.
func TestFlowgenAttackIsMitigatedEndToEnd(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		data := t.TempDir()
		opts := apptest.Options{Data: data}
		if pg {
			url := apptest.Config(t, apptest.Options{Postgres: true}).Database.URL
			opts.Config = func(c *app.Config) { c.Database.URL = url }
		}
		e := apptest.New(t, opts)
		cust, staff := e.Creds.Customer.Token, e.Creds.Staff.Token
		ngTick(t, e) // tracks the fleet's IPs
		c, to := ngCollector(t, e)
		ngAttack(t, e, c, to, 300_000, 3) // 6 times the UDP threshold of the default profile
		ngTick(t, e)
		m := getMitigation(t, e, cust)
		activated := m.Since
		if m.State != "auto" || m.Level != 1 || !m.Locked || !m.MinUntil.Equal(activated.Add(26*time.Hour)) ||
			len(m.Vectors) != 1 || m.Vectors[0] != "udp-flood" {
			t.Fatalf("mitigation after the attack: %+v", m)
		}
		if got := logRules(e); !strings.Contains(got, "flow4 dst 198.18.0.10/32 proto 17 then discard") {
			t.Fatalf("edge rules:\n%s", got)
		}
		if n := noticeCount(t, e, "mitigation_started"); n != 1 {
			t.Errorf("%d start notices", n)
		}

		// The customer cannot switch it off (the demo IP has the pro option): 409 with the time left.
		r := e.Do(t, "PUT", "/api/v1/ips/"+app.DemoMainIP+"/mitigation", cust, []byte(`{"permanent":false}`))
		if r.Status != 409 || r.Problem(t).Code != "mitigation_locked" || !strings.Contains(string(r.Body), `"secondsLeft":`) {
			t.Fatalf("switch off: %d %s", r.Status, r.Body)
		}
		// Another customer sees nothing; staff sees the compiled set.
		other := newCustomer(t, e, "other@example.com", account.Customer{Type: account.Person, Country: "FR"}, "en")
		if r := e.Do(t, "GET", "/api/v1/ips/"+app.DemoMainIP+"/mitigation", other, nil); r.Status != 404 {
			t.Errorf("another customer: %d", r.Status)
		}
		if r := e.Do(t, "GET", "/api/v1/staff/edge/rules", staff, nil); r.Status != 200 || !strings.Contains(string(r.Body), `proto 17`) {
			t.Errorf("staff edge rules: %d %s", r.Status, r.Body)
		}
		r = e.Do(t, "GET", "/api/v1/ips/"+app.DemoMainIP+"/attacks", cust, nil)
		var atks struct {
			Items []struct {
				ID      int64                `json:"id"`
				Vectors []string             `json:"vectors"`
				Peak    struct{ PPS uint64 } `json:"peak"`
			} `json:"items"`
		}
		r.JSON(t, &atks)
		if len(atks.Items) != 1 || atks.Items[0].Peak.PPS < 250_000 {
			t.Fatalf("attacks: %s", r.Body)
		}

		// The chart is live: a second after the attack's first 10-second interval ends, its
		// point is there.
		e.Clock.Set(e.Clock.Now().Truncate(10 * time.Second).Add(11 * time.Second))
		ngTick(t, e)
		r = e.Do(t, "GET", "/api/v1/ips/"+app.DemoMainIP+"/mitigation/stats?scale=10s&from="+
			e.Clock.Now().Add(-time.Minute).Format(time.RFC3339), cust, nil)
		var live []struct {
			In struct{ PPS uint64 } `json:"in"`
		}
		r.JSON(t, &live)
		var packets uint64
		for _, p := range live {
			packets += p.In.PPS * 10
		}
		if len(live) != 6 || packets < 3*300_000*9/10 {
			t.Errorf("live stats 11 s after the attack began: %s", r.Body)
		}

		// The attack goes on under mitigation: its traffic counts as dropped. The traffic points
		// are written as each interval ends, and again once complete.
		ngAttack(t, e, c, to, 300_000, 2)
		ngTick(t, e)
		for range 3 {
			e.Clock.Advance(time.Minute)
			ngTick(t, e)
		}
		r = e.Do(t, "GET", "/api/v1/ips/"+app.DemoMainIP+"/mitigation/stats?scale=10s", cust, nil)
		var pts []struct {
			In      struct{ PPS uint64 } `json:"in"`
			Dropped struct{ PPS uint64 } `json:"dropped"`
		}
		r.JSON(t, &pts)
		var in, dropped uint64
		for _, p := range pts {
			in, dropped = in+p.In.PPS, dropped+p.Dropped.PPS
		}
		if len(pts) != 360 || in == 0 || dropped == 0 {
			t.Errorf("stats: %d points, in %d, dropped %d", len(pts), in, dropped)
		}
		if r := e.Do(t, "GET", "/ips/"+app.DemoMainIP, "", nil); r.Status != 200 && r.Status != 303 {
			t.Errorf("page: %d", r.Status)
		}

		// 10 hours later itsgow restarts: the mitigation is announced again and keeps its deadline.
		e.Clock.Set(activated.Add(10 * time.Hour))
		ngTick(t, e)
		e.Close()
		e2 := apptest.New(t, opts)
		e2.Clock.Set(activated.Add(10 * time.Hour))
		ngTick(t, e2)
		if got := logRules(e2); !strings.Contains(got, "proto 17 then discard") {
			t.Fatalf("after restart the edge holds:\n%s", got)
		}
		e2.Clock.Set(activated.Add(26*time.Hour - time.Second))
		ngTick(t, e2)
		if m := getMitigation(t, e2, cust); m.State != "auto" || m.SecondsLeft != 1 {
			t.Fatalf("at 26h-1s: %+v", m)
		}
		e2.Clock.Set(activated.Add(26 * time.Hour))
		ngTick(t, e2)
		if m := getMitigation(t, e2, cust); m.State != "off" {
			t.Fatalf("at 26h (quiet for long): %+v", m)
		}
		if got := logRules(e2); got != "" {
			t.Errorf("rules left after the end:\n%s", got)
		}
		if n := noticeCount(t, e2, "mitigation_ended"); n != 1 {
			t.Errorf("%d end notices", n)
		}
	})
}

// The other routes of API.md "Mitigation": profiles, the pro switch, staff force, raise and
// release, bad input, and the OpenAPI document.
func TestNetguardAPI(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	cust, staff := e.Creds.Customer.Token, e.Creds.Staff.Token
	base := "/api/v1/ips/" + app.DemoMainIP
	r := e.Do(t, "GET", base+"/mitigation/profiles", cust, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"profiles":["default","gaming","strict","web"]`) ||
		!strings.Contains(string(r.Body), `"choosable":true`) {
		t.Fatalf("profiles: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "PUT", base+"/mitigation/profile", cust, []byte(`{"profile":"web"}`)); r.Status != 200 || !strings.Contains(string(r.Body), `"profile":"web"`) {
		t.Errorf("put profile: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "PUT", base+"/mitigation/profile", cust, []byte(`{"profile":"carpet"}`)); r.Status != 422 {
		t.Errorf("carpet profile: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "PUT", base+"/mitigation", cust, []byte(`{}`)); r.Status != 422 || r.Problem(t).Errors[0].Field != "permanent" {
		t.Errorf("no permanent: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "PUT", base+"/mitigation", cust, []byte(`{"permanent":true}`)); r.Status != 200 || !strings.Contains(string(r.Body), `"state":"permanent"`) {
		t.Errorf("permanent on: %d %s", r.Status, r.Body)
	}
	// Without the option: 403 pro_use_required.
	if r := e.Do(t, "PUT", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/pro-use", staff, []byte(`{"proUse":false}`)); r.Status != 200 {
		t.Fatalf("pro-use off: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "PUT", base+"/mitigation", cust, []byte(`{"permanent":false}`)); r.Status != 403 || r.Problem(t).Code != "pro_use_required" {
		t.Errorf("without pro use: %d %s", r.Status, r.Body)
	}
	// Staff force, raise and release; the customer is told each time.
	for _, step := range []struct{ path, body, want string }{
		{"force", `{"level":1,"reason":"ticket 12"}`, `"state":"forced"`},
		{"raise", `{"level":3,"reason":"uplink full"}`, `"level":3`},
		{"release", `{"reason":"over"}`, `"state":"off"`},
	} {
		r := e.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/"+step.path, staff, []byte(step.body))
		if r.Status != 200 || !strings.Contains(string(r.Body), step.want) {
			t.Fatalf("%s: %d %s", step.path, r.Status, r.Body)
		}
		if step.path == "raise" {
			rules := e.Do(t, "GET", "/api/v1/staff/edge/rules", staff, nil)
			if !strings.Contains(string(rules.Body), `"kind":"rtbh"`) {
				t.Errorf("level 3 without blackhole: %s", rules.Body)
			}
			active := e.Do(t, "GET", "/api/v1/staff/mitigations", staff, nil)
			if !strings.Contains(string(active.Body), `"ip":"198.18.0.10"`) {
				t.Errorf("active: %s", active.Body)
			}
		}
	}
	if r := e.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/force", staff, []byte(`{"level":4}`)); r.Status != 422 {
		t.Errorf("level 4: %d", r.Status)
	}
	if r := e.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/force", cust, []byte(`{"level":1}`)); r.Status != 403 {
		t.Errorf("customer on a staff route: %d", r.Status)
	}
	if n := noticeCount(t, e, "mitigation_started") + noticeCount(t, e, "mitigation_raised") + noticeCount(t, e, "mitigation_ended"); n != 3 {
		t.Errorf("%d mitigation notices, want 3 (forced, raised, released)", n)
	}
	for path, status := range map[string]int{
		base + "/mitigation/stats?scale=2m":                         422,
		base + "/mitigation/stats?from=yesterday":                   422,
		base + "/mitigation/stats?scale=5m":                         200,
		base + "/attacks/1":                                         404,
		"/api/v1/ips/198.18.0.99/mitigation":                        404,
		"/api/v1/ips/not-an-ip/mitigation":                          404,
		"/api/v1/staff/attacks?ongoing=true":                        403, // a customer token
		"/api/v1/ips/2001:db8:1000:1::42/mitigation/stats?scale=1m": 200,
	} {
		if r := e.Do(t, "GET", path, cust, nil); r.Status != status {
			t.Errorf("GET %s: %d, want %d: %s", path, r.Status, status, r.Body)
		}
	}
	doc := e.Do(t, "GET", "/api/v1/openapi.json", "", nil)
	for _, p := range []string{"/api/v1/ips/{ip}/mitigation", "/api/v1/ips/{ip}/mitigation/stats", "/api/v1/ips/{ip}/attacks/{id}",
		"/api/v1/staff/edge/rules", "/api/v1/staff/mitigations/{ip}/force"} {
		if !strings.Contains(string(doc.Body), `"`+p+`"`) {
			t.Errorf("openapi lacks %s", p)
		}
	}
}

// Until the fleet knows them, customer IPs come from netguard.customers ("PREFIX=EMAIL").
func TestConfiguredCustomerPrefixes(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Config: func(c *app.Config) {
		c.Fleet.Simlab.Enabled = false
		c.Netguard.Customers = []string{"198.18.5.0/30=" + app.DemoCustomerEmail}
	}})
	cust := e.Creds.Customer.Token
	if r := e.Do(t, "GET", "/api/v1/ips/198.18.5.3/mitigation", cust, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"state":"off"`) {
		t.Errorf("configured IP: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, "GET", "/api/v1/ips/198.18.5.4/mitigation", cust, nil); r.Status != 404 {
		t.Errorf("outside the prefix: %d", r.Status)
	}
	ips, err := e.App.Netguard.Service.IPs(context.Background(), 0)
	if err != nil || len(ips) != 4 || ips[0].Owner.IP.String() != "198.18.5.0" || ips[0].Owner.Customer == 0 {
		t.Errorf("IPs %+v %v", ips, err)
	}
	if err := (app.NetguardConfig{Customers: []string{"198.18.0.0/16=a@b.c"}}).Validate(); err == nil || !strings.Contains(err.Error(), "1024") {
		t.Errorf("a /16 of customer IPs: %v", err)
	}
}
