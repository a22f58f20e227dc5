package bgp_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/netguard/bgp"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// Loopback addresses of the speakers (all of 127.0.0.0/8 answers on lo).
var (
	ourAddr    = netip.MustParseAddr("127.0.0.10")
	birdAddr   = netip.MustParseAddr("127.0.0.20")
	routerAddr = netip.MustParseAddr("127.0.0.30")
	rogueAddr  = netip.MustParseAddr("127.0.0.40")
)

// freePort returns a TCP port free on addr right now.
func freePort(tb testing.TB, addr netip.Addr) uint16 {
	tb.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// waitFor polls cond every 50 ms until it holds, and fails the test after timeout with the
// last state cond described.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %v, still waiting for %s; last state:\n%s", timeout, what, state)
		}
		<-tick.C
	}
}

// testLogger writes through tb.Log, so that the log shows only for failing tests.
func testLogger(tb testing.TB, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: level}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// speaker starts our speaker with cfg and stops it at the end of the test.
func speaker(tb testing.TB, cfg bgp.Config) *bgp.Speaker {
	tb.Helper()
	if cfg.NextHop == (bgp.NextHop{}) {
		cfg.NextHop = bgp.DefaultConfig().NextHop
	}
	level := slog.LevelInfo
	if _, ok := tb.(*testing.B); ok {
		level = slog.LevelWarn
	}
	sp, err := bgp.New(cfg, bgp.Deps{Logger: testLogger(tb, level), Clock: clock.Real(), GoBGPLogLevel: slog.LevelError})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- sp.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			tb.Errorf("Run: %v", err)
		}
		if err := sp.Close(); err != nil {
			tb.Error(err)
		}
	})
	return sp
}

func apply(tb testing.TB, d edge.Driver, add, remove []edge.Rule) {
	tb.Helper()
	if err := d.Apply(context.Background(), add, remove); err != nil {
		tb.Fatal(err)
	}
}

// bird is a BIRD 2 daemon on loopback, in its own directory.
type bird struct {
	tb                 testing.TB
	dir, conf, sock    string
	port, neighborPort uint16
	mu                 sync.Mutex
	cmd                *exec.Cmd
	exited             chan struct{}
}

func birdPresent() bool {
	_, err1 := exec.LookPath("bird")
	_, err2 := exec.LookPath("birdc")
	return err1 == nil && err2 == nil
}

// startBird writes a configuration that peers with our speaker on neighborPort (flow4, flow6,
// ipv4 and ipv6 channels importing everything) and starts BIRD; it is stopped by PID at the end
// of the test.
func startBird(tb testing.TB, port, neighborPort uint16) *bird {
	tb.Helper()
	dir := tb.TempDir()
	b := &bird{tb: tb, dir: dir, conf: filepath.Join(dir, "bird.conf"), sock: filepath.Join(dir, "bird.ctl"),
		port: port, neighborPort: neighborPort}
	conf := fmt.Sprintf(`router id %[1]s;
flow4 table flowtab4;
flow6 table flowtab6;
protocol device { }
protocol bgp itsgow {
  local %[1]s port %[2]d as 65020;
  neighbor %[3]s port %[4]d as 65010;
  multihop 2;
  strict bind yes;
  connect retry time 2;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
  flow4 { table flowtab4; import all; export none; };
  flow6 { table flowtab6; import all; export none; };
}
`, birdAddr, port, ourAddr, neighborPort)
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	b.start()
	tb.Cleanup(b.stop)
	return b
}

func (b *bird) start() {
	b.tb.Helper()
	cmd := exec.Command("bird", "-f", "-c", b.conf, "-s", b.sock, "-P", filepath.Join(b.dir, "bird.pid"))
	cmd.Dir = b.dir
	log, err := os.Create(filepath.Join(b.dir, fmt.Sprintf("bird-%d.log", time.Now().UnixNano())))
	if err != nil {
		b.tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		b.tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	b.mu.Lock()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()
	waitFor(b.tb, 10*time.Second, "bird control socket", func() (bool, string) {
		out, err := b.birdc("show status")
		return err == nil && strings.Contains(out, "Daemon is up"), out
	})
}

// stop kills BIRD by its PID and waits for it to exit.
func (b *bird) stop() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		b.tb.Errorf("bird pid %d did not exit", cmd.Process.Pid)
	}
	_ = os.Remove(b.sock)
}

func (b *bird) birdc(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "birdc", append([]string{"-s", b.sock}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("birdc %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// established reports whether BIRD's session with us is up.
func (b *bird) established() (bool, string) {
	out, err := b.birdc("show protocols all itsgow")
	if err != nil {
		return false, err.Error()
	}
	return strings.Contains(out, "BGP state:          Established"), out
}

// routes returns `birdc show route [table T] all`.
func (b *bird) routes(table string) string {
	args := []string{"show", "route"}
	if table != "" {
		args = append(args, "table", table)
	}
	out, err := b.birdc(append(args, "all")...)
	if err != nil {
		return err.Error()
	}
	return out
}

// countRoutes returns the number of routes BIRD holds in table, from `show route count`.
func (b *bird) countRoutes(table string) (int, error) {
	out, err := b.birdc("show", "route", "table", table, "count")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[1] == "of" || strings.HasPrefix(f[1], "route")) {
			return strconv.Atoi(f[0])
		}
	}
	return 0, errors.New("no count in: " + out)
}

// gobgpStarted waits until sp's GoBGP server has started.
//
// GoBGP's StartBgp writes package-level variables (table.SelectionOptions) that every server of
// the process reads while it selects routes: two servers starting or running unordered in one
// process are a data race for the race detector (one speaker per process in production is
// safe). So the tests that run GoBGP servers are not parallel, and a test with two servers
// starts the second once the first has started (this wait orders the two) and before any
// session exists.
func gobgpStarted(tb testing.TB, sp *bgp.Speaker) {
	tb.Helper()
	waitFor(tb, 5*time.Second, "speaker started", func() (bool, string) {
		_, err := sp.Announced()
		return err == nil, fmt.Sprint(err)
	})
}
