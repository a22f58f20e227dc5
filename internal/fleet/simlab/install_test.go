package simlab_test

import (
	"context"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
)

// An install ends exactly at its duration: one second before, the machine still installs.
func TestInstallAtDurationEdge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		duration time.Duration
		setup    func(ctx context.Context, lab *simlab.Lab, d *simlab.Driver) error
		wantOS   string
	}{
		{
			name:     "pxe once",
			duration: 10 * time.Minute,
			setup: func(ctx context.Context, _ *simlab.Lab, d *simlab.Driver) error {
				return d.SetBootDevice(ctx, fleet.BootPXE, false)
			},
			wantOS: "debian-13",
		},
		{
			name:     "pxe with the machine's own image",
			duration: 25 * time.Minute,
			setup: func(ctx context.Context, lab *simlab.Lab, d *simlab.Driver) error {
				if err := lab.SetPXEImage(serial, "ubuntu-24.04"); err != nil {
					return err
				}
				return d.SetBootDevice(ctx, fleet.BootPXE, false)
			},
			wantOS: "ubuntu-24.04",
		},
		{
			name:     "virtual media with a cdrom override",
			duration: 7 * time.Minute,
			setup: func(ctx context.Context, _ *simlab.Lab, d *simlab.Driver) error {
				if err := d.InsertMedia(ctx, iso); err != nil {
					return err
				}
				return d.SetBootDevice(ctx, fleet.BootCDROM, false)
			},
			wantOS: "debian-13-amd64",
		},
		{
			name:     "virtual media on an empty disk",
			duration: time.Hour,
			setup: func(ctx context.Context, _ *simlab.Lab, d *simlab.Driver) error {
				return d.InsertMedia(ctx, iso)
			},
			wantOS: "debian-13-amd64",
		},
		{
			name:     "zero duration",
			duration: 0,
			setup: func(ctx context.Context, _ *simlab.Lab, d *simlab.Driver) error {
				return d.SetBootDevice(ctx, fleet.BootPXE, false)
			},
			wantOS: "debian-13",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lab, clk, d := newLab(t, tt.duration)
			ctx := t.Context()
			must(t, tt.setup(ctx, lab, d))
			clk.Advance(3 * time.Second) // the order comes a little later
			must(t, d.SetPower(ctx, fleet.PowerOn))
			began := start.Add(3 * time.Second)
			if tt.duration > 0 {
				m := machine(t, lab)
				if m.Phase != simlab.PhaseInstalling || m.InstallImage != tt.wantOS || m.InstalledOS != "" ||
					!m.InstallStarted.Equal(began) || !m.InstallEnds.Equal(began.Add(tt.duration)) {
					t.Fatalf("after power on: %+v", m)
				}
				clk.Advance(tt.duration - time.Second)
				if m := machine(t, lab); m.Phase != simlab.PhaseInstalling || m.InstalledOS != "" || lab.Reachable(addr) {
					t.Fatalf("at duration-1s: phase %s, OS %q, reachable %v; want still installing", m.Phase, m.InstalledOS, lab.Reachable(addr))
				}
				clk.Advance(time.Second)
			}
			m := machine(t, lab)
			if m.Phase != simlab.PhaseRunning || m.InstalledOS != tt.wantOS || m.Power != fleet.PowerStateOn {
				t.Fatalf("at duration: phase %s, OS %q, power %s; want running %s", m.Phase, m.InstalledOS, m.Power, tt.wantOS)
			}
			if m.BootDevice != "" {
				t.Errorf("boot override %q left after a one-time boot", m.BootDevice)
			}
			if !lab.Reachable(addr) {
				t.Error("installed machine does not answer probes")
			}
			// A reboot goes to the disk: same OS, no new install.
			must(t, d.SetPower(ctx, fleet.PowerReset))
			if m := machine(t, lab); m.Phase != simlab.PhaseRunning || m.InstalledOS != tt.wantOS {
				t.Errorf("after reset: phase %s, OS %q", m.Phase, m.InstalledOS)
			}
		})
	}
}

// Tick settles at an explicit instant, ahead of the clock if asked; lab time never goes back.
func TestTick(t *testing.T) {
	t.Parallel()
	lab, clk, d := newLab(t, 10*time.Minute)
	ctx := t.Context()
	must(t, d.SetBootDevice(ctx, fleet.BootPXE, false))
	must(t, d.SetPower(ctx, fleet.PowerOn))
	lab.Tick(start.Add(10*time.Minute - time.Nanosecond))
	if m := machine(t, lab); m.Phase != simlab.PhaseInstalling {
		t.Fatalf("phase %s before the end, want installing", m.Phase)
	}
	lab.Tick(start.Add(10 * time.Minute))
	if m := machine(t, lab); m.Phase != simlab.PhaseRunning || clk.Now() != start {
		t.Fatalf("phase %s at the end (clock %s), want running", m.Phase, clk.Now())
	}
	// An action now happens at lab time, not at the (earlier) clock time.
	must(t, d.SetBootDevice(ctx, fleet.BootPXE, false))
	must(t, d.SetPower(ctx, fleet.PowerReset))
	if m := machine(t, lab); !m.InstallStarted.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("second install started %s, want at lab time %s", m.InstallStarted, start.Add(10*time.Minute))
	}
}
