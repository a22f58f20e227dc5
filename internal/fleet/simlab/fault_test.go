package simlab_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
)

func TestBMCTimeouts(t *testing.T) {
	t.Parallel()
	lab, _, d := newLab(t, time.Minute)
	must(t, lab.InjectBMCTimeouts(serial, 2))
	ctx := t.Context()
	calls := []func() error{
		func() error { return d.SetPower(ctx, fleet.PowerOn) },
		func() error { _, err := d.Inventory(ctx); return err },
		func() error { _, err := d.PowerState(ctx); return err },
	}
	for i, call := range calls {
		err := call()
		if i < 2 {
			var be *fleet.BMCError
			if !errors.As(err, &be) || !be.Temporary() || !errors.Is(err, context.DeadlineExceeded) ||
				!strings.Contains(err.Error(), serial) {
				t.Fatalf("call %d: %v, want a temporary *fleet.BMCError naming the machine", i, err)
			}
			continue
		}
		must(t, err)
	}
	if m := machine(t, lab); m.Power != fleet.PowerStateOff {
		t.Errorf("a timed-out power on changed the power to %s", m.Power)
	}
}

func TestDiskFailureDuringInstall(t *testing.T) {
	t.Parallel()
	const d = 20 * time.Minute
	lab, clk, drv := newLab(t, d)
	ctx := t.Context()
	must(t, lab.InjectDiskFailure(serial))
	install := func() {
		t.Helper()
		must(t, drv.SetBootDevice(ctx, fleet.BootPXE, false))
		must(t, drv.SetPower(ctx, fleet.PowerCycle))
	}
	install()
	clk.Advance(d - time.Second)
	if m := machine(t, lab); m.Phase != simlab.PhaseInstalling {
		t.Fatalf("at duration-1s: phase %s, want installing", m.Phase)
	}
	inv, err := drv.Inventory(ctx)
	must(t, err)
	if len(inv.Disks) != 2 {
		t.Fatalf("%d disks before the failure, want 2", len(inv.Disks))
	}
	clk.Advance(time.Second)
	m := machine(t, lab)
	if m.Phase != simlab.PhaseFailed || m.InstalledOS != "" || m.Power != fleet.PowerStateOn ||
		m.Failure != "disk LAB-0001-D01 failed during the install of debian-13" {
		t.Fatalf("at duration: %+v; want failed on disk D01", m)
	}
	if lab.Reachable(addr) {
		t.Error("a failed machine answers probes")
	}
	if inv, _ := drv.Inventory(ctx); len(inv.Disks) != 1 || inv.Disks[0].Serial != "LAB-0001-D00" {
		t.Errorf("inventory disks %+v, want D00 only", inv.Disks)
	}
	// The disk stays failed: the next install fails too.
	install()
	clk.Advance(d)
	if m := machine(t, lab); m.Phase != simlab.PhaseFailed {
		t.Fatalf("second install: phase %s, want failed", m.Phase)
	}
	// A technician replaces the disk: the machine is off, whole, and installs again.
	must(t, lab.Repair(serial))
	if m := machine(t, lab); m.Phase != simlab.PhaseOff || m.Power != fleet.PowerStateOff || len(m.Inventory.Disks) != 2 {
		t.Fatalf("after repair: %+v", m)
	}
	install()
	clk.Advance(d)
	if m := machine(t, lab); m.Phase != simlab.PhaseRunning || m.InstalledOS != "debian-13" {
		t.Fatalf("after repair, install: phase %s OS %q", m.Phase, m.InstalledOS)
	}
}

func TestSlowInstall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		own  time.Duration
	}{
		{"slow", 3 * time.Hour},
		{"instant", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lab, clk, d := newLab(t, 10*time.Minute)
			must(t, lab.SetInstallDuration(serial, tt.own))
			must(t, d.SetBootDevice(t.Context(), fleet.BootPXE, false))
			must(t, d.SetPower(t.Context(), fleet.PowerOn))
			if tt.own > 0 {
				clk.Advance(tt.own - time.Second)
				if m := machine(t, lab); m.Phase != simlab.PhaseInstalling {
					t.Fatalf("at own duration-1s: phase %s, want installing", m.Phase)
				}
				clk.Advance(time.Second)
			}
			if m := machine(t, lab); m.Phase != simlab.PhaseRunning {
				t.Fatalf("at own duration: phase %s, want running", m.Phase)
			}
		})
	}
}

func TestPowerStuck(t *testing.T) {
	t.Parallel()
	lab, _, d := newLab(t, time.Minute)
	ctx := t.Context()
	must(t, lab.SetPowerStuck(serial, true))
	for _, a := range []fleet.PowerAction{fleet.PowerOn, fleet.PowerCycle, fleet.PowerReset} {
		if err := d.SetPower(ctx, a); err != nil {
			t.Fatalf("stuck power refused %s: %v (the BMC accepts, nothing happens)", a, err)
		}
		if got, _ := d.PowerState(ctx); got != fleet.PowerStateOff {
			t.Fatalf("stuck power moved to %s on %s", got, a)
		}
	}
	must(t, lab.SetPowerStuck(serial, false))
	must(t, d.SetPower(ctx, fleet.PowerOn))
	if got, _ := d.PowerState(ctx); got != fleet.PowerStateOn {
		t.Fatalf("unstuck power is %s, want on", got)
	}
}

func TestFaultsOnUnknownMachine(t *testing.T) {
	t.Parallel()
	lab, _, _ := newLab(t, time.Minute)
	for name, err := range map[string]error{
		"timeouts": lab.InjectBMCTimeouts("nope", 1),
		"disk":     lab.InjectDiskFailure("nope"),
		"duration": lab.SetInstallDuration("nope", time.Minute),
		"stuck":    lab.SetPowerStuck("nope", true),
		"repair":   lab.Repair("nope"),
		"pxe":      lab.SetPXEImage("nope", "x"),
	} {
		if errs.KindOf(err) != errs.NotFound {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if _, err := lab.Driver("nope"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("Driver: %v, want not found", err)
	}
	if err := lab.InjectBMCTimeouts(serial, -1); errs.KindOf(err) != errs.Invalid {
		t.Errorf("negative timeouts: %v, want invalid", err)
	}
}
