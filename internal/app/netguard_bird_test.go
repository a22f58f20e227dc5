package app_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/testenv"
)

// ngBird is a BIRD 2 router on loopback peering with itsgow's speaker (the notes in
// shared/notes/bird-flowspec.md).
type ngBird struct {
	t    *testing.T
	sock string
}

func ngFreeTCP(t *testing.T, addr string) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func ngStartBird(t *testing.T, birdPort, ourPort uint16) *ngBird {
	t.Helper()
	dir := t.TempDir()
	conf := fmt.Sprintf(`router id 127.0.0.20;
flow4 table flowtab4;
flow6 table flowtab6;
protocol device { }
protocol bgp itsgow {
  local 127.0.0.20 port %d as 65020;
  neighbor 127.0.0.10 port %d as 65010;
  multihop 2;
  strict bind yes;
  connect retry time 1;
  ipv4 { import all; export none; };
  flow4 { table flowtab4; import all; export none; };
  flow6 { table flowtab6; import all; export none; };
}
`, birdPort, ourPort)
	path := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &ngBird{t: t, sock: filepath.Join(dir, "bird.ctl")}
	cmd := exec.Command("bird", "-f", "-c", path, "-s", b.sock, "-P", filepath.Join(dir, "bird.pid"))
	log, err := os.Create(filepath.Join(dir, "bird.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	ngWaitFor(t, "bird control socket", 10*time.Second, func() bool { return strings.Contains(b.birdc("show status"), "Daemon is up") })
	return b
}

func (b *ngBird) birdc(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "birdc", append([]string{"-s", b.sock}, strings.Fields(strings.Join(args, " "))...)...).CombinedOutput()
	return string(out)
}

// gobgpMu lets one test of this binary at a time run a GoBGP speaker: GoBGP's StartBgp writes
// package-level variables (table.SelectionOptions) that every server of the process reads while
// it selects routes, a data race between two apps of one test binary (one speaker per process
// in production is safe; internal/netguard/bgp's tests do the same).
var gobgpMu sync.Mutex

// oneGoBGP holds gobgpMu until the end of t, after the app's own cleanup has stopped its
// speaker (cleanups run last registered first).
func oneGoBGP(t *testing.T) {
	gobgpMu.Lock()
	t.Cleanup(gobgpMu.Unlock)
}

// TestBIRDReceivesTheMitigation runs the whole chain against a real router: flowgen datagrams
// to the collector, detection, a FlowSpec route in BIRD's flowtab4, withdrawn at the end of
// the mitigation; a staff-forced level 3 puts an RTBH route in BIRD, released afterwards.
func TestBIRDReceivesTheMitigation(t *testing.T) {
	testenv.Need(t, ngBirdPresent(), "bird2 missing (apt-get install bird2)")
	if testing.Short() {
		t.Skip("slow (a few seconds of BGP): not with -short")
	}
	t.Parallel()
	oneGoBGP(t)
	birdPort, ourPort := ngFreeTCP(t, "127.0.0.20"), ngFreeTCP(t, "127.0.0.10")
	b := ngStartBird(t, birdPort, ourPort)
	e := apptest.New(t, apptest.Options{Config: func(c *app.Config) {
		c.Roles = []string{"api", "web", "edge"}
		c.Netguard.BGP = bgp.Config{ASN: 65010, RouterID: netip.MustParseAddr("127.0.0.10"), Listen: fmt.Sprintf("127.0.0.10:%d", ourPort),
			Peers: []bgp.PeerConfig{{Address: netip.MustParseAddr("127.0.0.20"), Port: birdPort, ASN: 65020, Multihop: 2,
				Families: []bgp.PeerFamily{bgp.IPv4FlowSpec, bgp.IPv6FlowSpec, bgp.IPv4Unicast}}},
			NextHop: bgp.DefaultConfig().NextHop, HoldTime: 9 * time.Second, ConnectRetry: time.Second}
	}})
	ngWaitFor(t, "BGP session with BIRD", 20*time.Second, func() bool {
		return strings.Contains(b.birdc("show protocols all itsgow"), "Established")
	})
	ngTick(t, e)
	c, to := ngCollector(t, e)
	ngAttack(t, e, c, to, 300_000, 3)
	ngTick(t, e)
	const route = "flow4 { dst 198.18.0.10/32; proto 17; }"
	ngWaitFor(t, "the FlowSpec route in BIRD", 10*time.Second, func() bool {
		out := b.birdc("show route table flowtab4 all")
		return strings.Contains(out, route) && strings.Contains(out, "(generic, 0x8006fdf2, 0x0)") // traffic-rate 0: discard
	})
	r := e.Do(t, "GET", "/api/v1/staff/edge/rules", e.Creds.Staff.Token, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"applied":true`) || !strings.Contains(string(r.Body), `"state":"established"`) {
		t.Errorf("staff edge rules: %s", r.Body)
	}
	since := getMitigation(t, e, e.Creds.Customer.Token).Since
	e.Clock.Set(since.Add(26 * time.Hour))
	ngTick(t, e)
	ngWaitFor(t, "the withdrawal of the FlowSpec route", 10*time.Second, func() bool {
		return !strings.Contains(b.birdc("show route table flowtab4 all"), route)
	})

	// Staff blackhole the IP (level 3): an RTBH route with the BLACKHOLE community.
	r = e.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/force", e.Creds.Staff.Token, []byte(`{"level":3,"reason":"test"}`))
	if r.Status != 200 {
		t.Fatalf("force: %d %s", r.Status, r.Body)
	}
	ngWaitFor(t, "the RTBH route in BIRD", 10*time.Second, func() bool {
		out := b.birdc("show route all")
		return strings.Contains(out, "198.18.0.10/32") && strings.Contains(out, "(65535,666)")
	})
	r = e.Do(t, "POST", "/api/v1/staff/mitigations/"+app.DemoMainIP+"/release", e.Creds.Staff.Token, []byte(`{"reason":"test"}`))
	if r.Status != 200 {
		t.Fatalf("release: %d %s", r.Status, r.Body)
	}
	ngWaitFor(t, "the withdrawal of the RTBH route", 10*time.Second, func() bool {
		return !strings.Contains(b.birdc("show route all"), "198.18.0.10/32")
	})
}

func ngBirdPresent() bool {
	_, err1 := exec.LookPath("bird")
	_, err2 := exec.LookPath("birdc")
	return err1 == nil && err2 == nil
}
