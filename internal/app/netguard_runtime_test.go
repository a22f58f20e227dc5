package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/netguard/collector"
	"github.com/itsgow/itsgow/internal/netguard/flowgen"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/store"
)

// ngSplit starts itsgow twice on one database (and one data directory, for the demo
// credentials), as `serve --roles` on two machines would: a process running the collector and
// edge roles, without HTTP, and one running api and web.
func ngSplit(t *testing.T, pg bool) (back, front *apptest.Env) {
	t.Helper()
	data := t.TempDir()
	back = apptest.New(t, apptest.Options{Data: data, Postgres: pg, Config: func(c *app.Config) {
		c.Roles = []string{"collector", "edge"}
		c.Netguard.Collector.NetFlow, c.Netguard.Collector.IPFIX, c.Netguard.Collector.SFlow = "127.0.0.1:0", "", ""
	}})
	if back.URL != "" {
		t.Fatalf("the collector and edge process serves HTTP at %s", back.URL)
	}
	front = apptest.New(t, apptest.Options{Data: data, Config: func(c *app.Config) {
		c.Roles = []string{"api", "web"}
		c.Database.URL = back.App.Cfg.Database.URL // the same PostgreSQL schema ("" on SQLite: the same file)
	}})
	return back, front
}

// ngSendV5 sends one NetFlow v5 datagram from 127.0.0.1 to the collector of e and waits until
// the collector heard its exporter.
func ngSendV5(t *testing.T, e *apptest.Env) {
	t.Helper()
	c := e.App.Netguard.Collector
	if err := c.Listen(context.Background()); err != nil { // bound already by Run, or now
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(c.Addrs(collector.ListenerNetFlow)[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	g, err := flowgen.NewGenerator(flowgen.ScenarioConfig{Scenario: flowgen.Benign, Target: netip.MustParsePrefix(app.DemoMainIP + "/32"),
		PPS: 10_000, SamplingRate: 100, ActiveTimeout: time.Second, Sources: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := flowgen.NewEncoder(flowgen.EncoderConfig{Format: flowgen.NetflowV5})
	if err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	dgs, err := enc.Encode(now, g.Records(nil, now.Add(-time.Second)))
	if err != nil || len(dgs) == 0 {
		t.Fatalf("encode: %d datagrams, %v", len(dgs), err)
	}
	if _, err := conn.Write(dgs[0]); err != nil {
		t.Fatal(err)
	}
	ngWaitFor(t, "the exporter", 10*time.Second, func() bool { return len(c.Exporters()) == 1 })
}

type ngExportersReply struct {
	Items []struct {
		Address      string `json:"address"`
		Format       string `json:"format"`
		SamplingRate uint32 `json:"samplingRate"`
	} `json:"items"`
	TrafficQueued  *int    `json:"trafficQueued"`
	TrafficDropped *uint64 `json:"trafficDropped"`
	Error          string  `json:"error"`
}

type ngEdgeReply struct {
	Rules   []json.RawMessage `json:"rules"`
	Applied *bool             `json:"applied"`
	Peers   []struct {
		Peer string `json:"peer"`
		Up   bool   `json:"up"`
		Sent int    `json:"sent"`
	} `json:"peers"`
	Error string `json:"error"`
}

func ngExporters(t *testing.T, e *apptest.Env) ngExportersReply {
	t.Helper()
	r := e.Do(t, "GET", "/api/v1/staff/exporters", e.Creds.Staff.Token, nil)
	if r.Status != 200 {
		t.Fatalf("GET /staff/exporters: %d %s", r.Status, r.Body)
	}
	var out ngExportersReply
	r.JSON(t, &out)
	return out
}

func ngEdge(t *testing.T, e *apptest.Env) ngEdgeReply {
	t.Helper()
	r := e.Do(t, "GET", "/api/v1/staff/edge/rules", e.Creds.Staff.Token, nil)
	if r.Status != 200 {
		t.Fatalf("GET /staff/edge/rules: %d %s", r.Status, r.Body)
	}
	var out ngEdgeReply
	r.JSON(t, &out)
	return out
}

// ngStaffPage logs the demo staff member in on the web interface of e and returns the network
// dashboard. The cookies are kept by hand: their expiry follows the fake clock, in the past of
// a cookie jar's real one.
func ngStaffPage(t *testing.T, e *apptest.Env) string {
	t.Helper()
	cookies := map[string]*http.Cookie{}
	cl := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values, want int) string {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, e.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		for _, c := range resp.Cookies() {
			cookies[c.Name] = c
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		return string(b)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(do("GET", "/login", nil, http.StatusOK))
	if m == nil {
		t.Fatal("no csrf field on /login")
	}
	do("POST", "/login", url.Values{"csrf": {html.UnescapeString(m[1])}, "email": {e.Creds.Staff.Email},
		"password": {e.Creds.Staff.Password}}, http.StatusSeeOther)
	return do("GET", "/staff/network", nil, http.StatusOK)
}

// With the roles split over two processes sharing the database, the process running api and
// web shows the exporters the collector process hears and the edge process's sessions and
// applied set, as they published them; once their latest report is older than three publish
// periods it shows none, and says so.
func TestNetguardSplitRolesShareRuntimeStatus(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		back, front := ngSplit(t, pg)
		ngSendV5(t, back)
		// Staff force a mitigation on the front: the edge process applies it.
		if r := front.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/force", front.Creds.Staff.Token,
			[]byte(`{"level":2,"reason":"ticket 9"}`)); r.Status != 200 {
			t.Fatalf("force: %d %s", r.Status, r.Body)
		}
		if err := back.App.Netguard.Edge.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if err := back.App.NetguardPublish(ctx); err != nil {
			t.Fatal(err)
		}

		ex := ngExporters(t, front)
		if len(ex.Items) != 1 || ex.Items[0].Address != "127.0.0.1" || ex.Items[0].Format != "netflow5" || ex.Items[0].SamplingRate != 100 || ex.Error != "" {
			t.Errorf("exporters on the api process: %+v", ex)
		}
		edge := ngEdge(t, front)
		if len(edge.Rules) != 1 || edge.Applied == nil || !*edge.Applied || len(edge.Peers) != 1 || edge.Peers[0].Peer != "log" ||
			!edge.Peers[0].Up || edge.Peers[0].Sent != 1 || edge.Error != "" {
			t.Errorf("edge on the api process: %+v", edge)
		}
		page := ngStaffPage(t, front)
		for _, want := range []string{"<code>127.0.0.1</code></td><td>netflow5</td>", "<code>log</code>", "rules applied"} {
			if !strings.Contains(page, want) {
				t.Errorf("/staff/network on the web process lacks %q:\n%s", want, page)
			}
		}

		// The back process stops reporting: 15 s later the front shows neither, and says why.
		front.Clock.Advance(15*time.Second + time.Microsecond)
		if ex := ngExporters(t, front); len(ex.Items) != 0 ||
			!strings.HasPrefix(ex.Error, "no process running the collector role reported in the last 15s (last report from ") {
			t.Errorf("stale exporters: %+v", ex)
		}
		edge = ngEdge(t, front)
		if edge.Applied != nil || len(edge.Peers) != 0 || len(edge.Rules) != 1 ||
			!strings.HasPrefix(edge.Error, "no process running the edge role reported in the last 15s (last report from ") {
			t.Errorf("stale edge state: %+v", edge)
		}
		page = ngStaffPage(t, front)
		for _, want := range []string{"No process running the collector role reported its exporters in the last 15s",
			"No process running the edge role reported its state in the last 15s", "Last report: "} {
			if !strings.Contains(page, want) {
				t.Errorf("/staff/network with stale reports lacks %q", want)
			}
		}
		if strings.Contains(page, "<code>127.0.0.1</code>") || strings.Contains(page, "<code>log</code>") {
			t.Error("/staff/network shows stale reports")
		}

		// It reports again: shown again.
		back.Clock.Advance(15 * time.Second)
		if err := back.App.NetguardPublish(ctx); err != nil {
			t.Fatal(err)
		}
		if ex := ngExporters(t, front); len(ex.Items) != 1 || ex.Error != "" {
			t.Errorf("exporters after a new report: %+v", ex)
		}
		if edge := ngEdge(t, front); edge.Applied == nil || !*edge.Applied {
			t.Errorf("edge after a new report: %+v", edge)
		}

		// The back process stops (a restart would start another, under another node name): its
		// reports go with it at once, so the two are never counted together.
		back.Close()
		if ex := ngExporters(t, front); len(ex.Items) != 0 || ex.Error != "no process running the collector role reported in the last 15s" {
			t.Errorf("exporters once the collector stopped: %+v", ex)
		}
		if edge := ngEdge(t, front); edge.Applied != nil || len(edge.Peers) != 0 ||
			edge.Error != "no process running the edge role reported in the last 15s" {
			t.Errorf("edge once the edge process stopped: %+v", edge)
		}
	})
}

// Several collector and edge processes: the exporters are merged (the latest heard of each
// address), the peers listed together, and the set is applied only when every edge holds it.
func TestNetguardRuntimeMergesProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := apptest.New(t, apptest.Options{})
	now := e.Clock.Now()
	put := func(kind, node string, at time.Time, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.App.DB.PutNetguardRuntime(ctx, store.RuntimeSnapshot{Kind: kind, Node: node, UpdatedAt: at, Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	a1, a2, a3 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	put("exporters", "c1:1", now.Add(-2*time.Second), []mitigation.Exporter{{Addr: a2, Format: "ipfix", LastSeen: now.Add(-time.Second)},
		{Addr: a1, Format: "sflow", LastSeen: now.Add(-3 * time.Second)}})
	put("exporters", "c2:1", now, []mitigation.Exporter{{Addr: a1, Format: "netflow9", LastSeen: now, SamplingRate: 1000}})
	put("exporters", "c3:1", now.Add(-16*time.Second), []mitigation.Exporter{{Addr: a3, Format: "netflow5", LastSeen: now.Add(-16 * time.Second)}})
	ex := ngExporters(t, e)
	if len(ex.Items) != 2 || ex.Items[0].Address != "192.0.2.1" || ex.Items[0].Format != "netflow9" || ex.Items[1].Address != "192.0.2.2" {
		t.Errorf("merged exporters: %+v", ex)
	}

	put("traffic", "c1:1", now.Add(-2*time.Second), mitigation.TrafficBacklog{Queued: 3, Dropped: 5})
	put("traffic", "c2:1", now, mitigation.TrafficBacklog{Queued: 4})
	put("traffic", "c3:1", now.Add(-16*time.Second), mitigation.TrafficBacklog{Queued: 100, Dropped: 100})
	if ex := ngExporters(t, e); ex.TrafficQueued == nil || *ex.TrafficQueued != 7 || ex.TrafficDropped == nil || *ex.TrafficDropped != 5 {
		t.Errorf("traffic backlog summed over the fresh collector processes: queued %v, dropped %v", ex.TrafficQueued, ex.TrafficDropped)
	}

	put("edge", "e1:1", now, mitigation.EdgeState{Synced: true, At: now})
	put("edge", "e2:1", now.Add(-time.Second), mitigation.EdgeState{Synced: false, Error: "peer down", At: now})
	edge := ngEdge(t, e)
	if edge.Applied == nil || *edge.Applied || edge.Error != "e2:1: peer down" {
		t.Errorf("merged edge states: %+v", edge)
	}
}

// With the roles split, the front process shows the traffic backlog of the collector process:
// a store refusing the traffic points for a minute (the table is away) makes the back's
// writer drop them, and the front's API and dashboard say so; once its report is stale the
// front shows no backlog.
func TestNetguardSplitRolesShareTrafficBacklog(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		back, front := ngSplit(t, pg)
		w := back.App.Netguard.Watch
		if err := back.App.NetguardPublish(ctx); err != nil {
			t.Fatal(err)
		}
		ex := ngExporters(t, front)
		if ex.TrafficQueued == nil || *ex.TrafficQueued != 0 || ex.TrafficDropped == nil || *ex.TrafficDropped != 0 || ex.Error != "" {
			t.Fatalf("traffic backlog of an idle collector: %+v", ex)
		}
		if page := ngStaffPage(t, front); strings.Contains(page, `id="traffic-dropped"`) || strings.Contains(page, `id="traffic-queued"`) {
			t.Error("/staff/network warns of a traffic backlog with none")
		}

		// The store refuses every traffic point: the writer tries each batch a minute (60 times,
		// a second apart on the back's clock), then drops it.
		sqlDB := back.App.DB.SQL()
		if _, err := sqlDB.ExecContext(ctx, `ALTER TABLE netguard_traffic RENAME TO netguard_traffic_away`); err != nil {
			t.Fatal(err)
		}
		ngWaitFor(t, "the demo IP tracked", 10*time.Second, func() bool {
			back.Clock.Advance(time.Second)
			return w.Stats().Tracked > 0
		})
		ngSendV5(t, back)
		ngWaitFor(t, "the flows counted", 10*time.Second, func() bool { st := w.Stats(); return st.Flows > st.Untracked })
		ngWaitFor(t, "traffic points dropped", 60*time.Second, func() bool {
			back.Clock.Advance(time.Second)
			return w.TrafficBacklog().Dropped > 0
		})
		if _, err := sqlDB.ExecContext(ctx, `ALTER TABLE netguard_traffic_away RENAME TO netguard_traffic`); err != nil {
			t.Fatal(err)
		}
		ngWaitFor(t, "the traffic points left written", 30*time.Second, func() bool {
			back.Clock.Advance(time.Second)
			return w.TrafficBacklog().Queued == 0
		})
		dropped := w.TrafficBacklog().Dropped
		if err := back.App.NetguardPublish(ctx); err != nil {
			t.Fatal(err)
		}
		ex = ngExporters(t, front)
		if ex.TrafficDropped == nil || *ex.TrafficDropped != dropped || ex.TrafficQueued == nil || ex.Error != "" {
			t.Errorf("traffic backlog on the api process: %+v, want %d dropped", ex, dropped)
		}
		page := ngStaffPage(t, front)
		if want := fmt.Sprintf(`<div class="flash flash-warn" role="alert" id="traffic-dropped">%d traffic points were dropped`, dropped); !strings.Contains(page, want) {
			t.Errorf("/staff/network on the web process lacks %q:\n%s", want, page)
		}

		// The back process stops reporting: once its report is stale, no backlog is shown.
		front.Clock.Advance(back.Clock.Now().Sub(front.Clock.Now()) + 15*time.Second + time.Microsecond)
		if ex := ngExporters(t, front); *ex.TrafficDropped != 0 || *ex.TrafficQueued != 0 ||
			!strings.HasPrefix(ex.Error, "no process running the collector role reported in the last 15s") {
			t.Errorf("stale traffic backlog: %+v", ex)
		}
		if page := ngStaffPage(t, front); strings.Contains(page, `id="traffic-dropped"`) {
			t.Error("/staff/network shows a stale traffic backlog")
		}
	})
}
