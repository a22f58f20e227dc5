package simlab_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
)

func TestPowerAndBoot(t *testing.T) {
	t.Parallel()
	type step struct {
		boot       fleet.BootDevice // set before the power action when not ""
		persistent bool
		media      string
		action     fleet.PowerAction // "" for none
		advance    time.Duration     // after the action
		wantPower  fleet.PowerState
		wantPhase  simlab.Phase
		wantOS     string
	}
	const d = 10 * time.Minute
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "on with an empty disk", steps: []step{
			{action: fleet.PowerOn, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
			{action: fleet.PowerOn, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
			{action: fleet.PowerOff, wantPower: fleet.PowerStateOff, wantPhase: simlab.PhaseOff},
			{action: fleet.PowerForceOff, wantPower: fleet.PowerStateOff, wantPhase: simlab.PhaseOff},
		}},
		{name: "bios once", steps: []step{
			{boot: fleet.BootBIOS, action: fleet.PowerOn, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseBIOS},
			{action: fleet.PowerReset, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
		}},
		{name: "reset, cycle and soft power on a machine that is off", steps: []step{
			{action: fleet.PowerReset, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
			{action: fleet.PowerForceOff, wantPower: fleet.PowerStateOff, wantPhase: simlab.PhaseOff},
			{action: fleet.PowerCycle, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
			{action: fleet.PowerOff, wantPower: fleet.PowerStateOff, wantPhase: simlab.PhaseOff},
			{action: fleet.PowerSoft, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
		}},
		{name: "power off during the install wipes it", steps: []step{
			{boot: fleet.BootPXE, action: fleet.PowerOn, advance: d / 2, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseInstalling},
			{action: fleet.PowerForceOff, advance: d, wantPower: fleet.PowerStateOff, wantPhase: simlab.PhaseOff},
			{action: fleet.PowerOn, advance: d, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
		}},
		{name: "reset during the install", steps: []step{
			{boot: fleet.BootPXE, action: fleet.PowerOn, advance: d - time.Second, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseInstalling},
			{action: fleet.PowerReset, advance: d, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
		}},
		{name: "persistent pxe reinstalls at every boot", steps: []step{
			{boot: fleet.BootPXE, persistent: true, action: fleet.PowerOn, advance: d, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseRunning, wantOS: "debian-13"},
			{action: fleet.PowerCycle, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseInstalling},
			{boot: fleet.BootDisk, action: fleet.PowerSoft, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
		}},
		{name: "reinstall from media over an installed OS", steps: []step{
			{boot: fleet.BootPXE, action: fleet.PowerOn, advance: d, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseRunning, wantOS: "debian-13"},
			{media: iso, action: fleet.PowerReset, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseRunning, wantOS: "debian-13"},
			{boot: fleet.BootCDROM, action: fleet.PowerReset, advance: d, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseRunning, wantOS: "debian-13-amd64"},
		}},
		{name: "cdrom override without media boots the disk", steps: []step{
			{boot: fleet.BootCDROM, action: fleet.PowerOn, wantPower: fleet.PowerStateOn, wantPhase: simlab.PhaseNoOS},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lab, clk, drv := newLab(t, d)
			ctx := t.Context()
			for i, st := range tt.steps {
				if st.boot != "" {
					must(t, drv.SetBootDevice(ctx, st.boot, st.persistent))
				}
				if st.media != "" {
					must(t, drv.InsertMedia(ctx, st.media))
				}
				if st.action != "" {
					must(t, drv.SetPower(ctx, st.action))
				}
				clk.Advance(st.advance)
				power, err := drv.PowerState(ctx)
				must(t, err)
				m := machine(t, lab)
				if power != st.wantPower || m.Phase != st.wantPhase || m.InstalledOS != st.wantOS {
					t.Fatalf("step %d (%s): power %s phase %s OS %q; want %s %s %q",
						i, st.action, power, m.Phase, m.InstalledOS, st.wantPower, st.wantPhase, st.wantOS)
				}
			}
		})
	}
}

func TestBadOrders(t *testing.T) {
	t.Parallel()
	_, _, d := newLab(t, time.Minute)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		call func() error
		want func(error) bool
	}{
		{"unknown power action", func() error { return d.SetPower(t.Context(), "explode") },
			func(err error) bool { return errors.Is(err, fleet.ErrUnsupported) }},
		{"unknown boot device", func() error { return d.SetBootDevice(t.Context(), "floppy", false) },
			func(err error) bool { return errors.Is(err, fleet.ErrUnsupported) }},
		{"relative image URL", func() error { return d.InsertMedia(t.Context(), "debian.iso") },
			func(err error) bool { return errs.KindOf(err) == errs.Invalid }},
		{"nfs image URL", func() error { return d.InsertMedia(t.Context(), "nfs://images/debian.iso") },
			func(err error) bool { return errs.KindOf(err) == errs.Invalid }},
		{"console without lifetime", func() error { _, err := d.OpenConsole(t.Context(), 0); return err },
			func(err error) bool { return errs.KindOf(err) == errs.Invalid }},
		{"cancelled context", func() error { return d.SetPower(cancelled, fleet.PowerOn) },
			func(err error) bool {
				var be *fleet.BMCError
				return errors.As(err, &be) && errors.Is(err, context.Canceled) && !be.Temporary()
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.call(); !tt.want(err) {
				t.Fatalf("error %v (%T) is not the expected one", err, err)
			}
		})
	}
}

func TestConsole(t *testing.T) {
	t.Parallel()
	_, clk, d := newLab(t, time.Minute)
	c1, err := d.OpenConsole(t.Context(), 15*time.Minute)
	must(t, err)
	clk.Advance(time.Minute)
	c2, err := d.OpenConsole(t.Context(), time.Hour)
	must(t, err)
	if !c1.ExpiresAt.Equal(start.Add(15*time.Minute)) || !c2.ExpiresAt.Equal(start.Add(61*time.Minute)) {
		t.Errorf("expiries %s, %s", c1.ExpiresAt, c2.ExpiresAt)
	}
	if c1.URL == c2.URL {
		t.Errorf("two consoles share the URL %s", c1.URL)
	}
}

func TestAssignIP(t *testing.T) {
	t.Parallel()
	lab, _, _ := newLab(t, time.Minute)
	must(t, lab.AddMachine(simlab.MachineSpec{Serial: "LAB-0002", Datacenter: "RBX1", Rack: "A01", U: 2, Profile: simlab.DemoProfiles()[0]}))
	if err := lab.AssignIP("LAB-0002", addr); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("second owner of %s: %v, want a conflict", addr, err)
	}
	if err := lab.AssignIP("nope", addr); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("unknown machine: %v, want not found", err)
	}
	if ip := machine(t, lab).IP; ip != addr {
		t.Fatalf("IP %s, want %s", ip, addr)
	}
	must(t, lab.AssignIP(serial, netip.Addr{}))
	must(t, lab.AssignIP("LAB-0002", addr))
	if lab.Reachable(addr) {
		t.Error("a machine that is off answers probes")
	}
}
