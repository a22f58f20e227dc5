package ipmi_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/ipmi"
	"github.com/itsgow/itsgow/internal/testenv"
)

// chassisScript is ipmi_sim's chassis control program: it keeps the power and boot device in
// files of its directory and logs every order.
const chassisScript = `#!/bin/sh
dir=$(dirname "$0")
mc=$1; op=$2; shift 2
case "$op" in
check) exit 0 ;;
get)
  for p in "$@"; do
    case "$p" in
    power) echo "power:$(cat "$dir/power" 2>/dev/null || echo 0)" ;;
    boot) echo "boot:$(cat "$dir/boot" 2>/dev/null || echo default)" ;;
    esac
  done ;;
set)
  while [ $# -ge 2 ]; do
    case "$1" in
    power) echo "$2" > "$dir/power" ;;
    reset) echo 1 > "$dir/power" ;;
    boot) echo "$2" > "$dir/boot" ;;
    esac
    echo "set $1 $2" >> "$dir/log"
    shift 2
  done ;;
esac
`

// startSim starts ipmi_sim from Debian's openipmi on a free loopback UDP port and returns the
// BMC to talk to and the directory of its chassis state.
func startSim(t *testing.T) (fleet.BMC, string) {
	t.Helper()
	return startSimWith(t, "")
}

// startSimWith starts ipmi_sim with extra lines in the MC's configuration.
func startSimWith(t *testing.T, extra string) (fleet.BMC, string) {
	t.Helper()
	bin, err := exec.LookPath("ipmi_sim")
	testenv.Need(t, err == nil, "ipmi_sim is not installed (Debian package openipmi; scripts/test-deps.sh installs it)")
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	dir := t.TempDir()
	conf := fmt.Sprintf(`name "itsgow"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 %d
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "%s 0x20"
  user 2 true "ADMIN" "s3cret-ipmi" admin 10 none md2 md5 straight
%s
`, port, filepath.Join(dir, "chassis.sh"), extra)
	files := map[string]string{"lan.conf": conf, "chassis.sh": chassisScript,
		"sim.emu": "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "state"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "lan.conf"), "-f", filepath.Join(dir, "sim.emu"), "-s", filepath.Join(dir, "state"), "-n")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return fleet.BMC{Address: fmt.Sprintf("127.0.0.1:%d", port), Username: "ADMIN", Password: "s3cret-ipmi", Driver: "ipmi"}, dir
}

func newDriver(t *testing.T, bmc fleet.BMC) *ipmi.Driver {
	t.Helper()
	cfg := ipmi.DefaultConfig()
	cfg.Timeout = 300 * time.Millisecond
	d, err := ipmi.New(bmc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAgainstIPMISim(t *testing.T) {
	t.Parallel()
	bmc, dir := startSim(t)
	d := newDriver(t, bmc)
	ctx := context.Background()
	var st fleet.PowerState
	var err error
	for range 20 { // ipmi_sim binds its port shortly after it starts
		if st, err = d.PowerState(ctx); err == nil {
			break
		}
		tm := time.NewTimer(100 * time.Millisecond)
		<-tm.C
	}
	if err != nil || st != fleet.PowerStateOff {
		t.Fatalf("power state %s %v", st, err)
	}
	if err := d.SetBootDevice(ctx, fleet.BootPXE, false); err != nil {
		t.Fatalf("boot pxe: %v", err)
	}
	if err := d.SetPower(ctx, fleet.PowerCycle); err != nil {
		t.Fatalf("power cycle: %v", err)
	}
	if st, err := d.PowerState(ctx); err != nil || st != fleet.PowerStateOn {
		t.Fatalf("after cycle from off: %s %v", st, err)
	}
	if err := d.SetPower(ctx, fleet.PowerOn); err != nil { // already on: nothing
		t.Fatal(err)
	}
	if err := d.SetPower(ctx, fleet.PowerForceOff); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.PowerState(ctx); st != fleet.PowerStateOff {
		t.Fatalf("after force off: %s", st)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !strings.Contains(string(log), "set boot pxe") || !strings.Contains(string(log), "set power 1") || !strings.Contains(string(log), "set power 0") {
		t.Fatalf("chassis orders: %s", log)
	}
	if err := d.SetBootDevice(ctx, "floppy", false); !errors.Is(err, fleet.ErrUnsupported) {
		t.Fatalf("floppy: %v", err)
	}

	// wrong password: a clear, non-temporary error
	bad := bmc
	bad.Password = "wrong"
	_, err = newDriver(t, bad).PowerState(ctx)
	var be *fleet.BMCError
	if !errors.As(err, &be) {
		t.Fatalf("wrong password: %v", err)
	}
}

// A BMC that does not answer times out with a temporary error.
func TestIPMITimeout(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // swallows every packet
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cfg := ipmi.DefaultConfig()
	cfg.Timeout, cfg.Retries = 200*time.Millisecond, 0
	d, err := ipmi.New(fleet.BMC{Address: pc.LocalAddr().String(), Username: "ADMIN", Password: "x"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.PowerState(context.Background())
	if err == nil || !fleet.Temporary(err) {
		t.Fatalf("silent BMC: %v (temporary %v)", err, fleet.Temporary(err))
	}
}
