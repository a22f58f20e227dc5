package simlab_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
)

func TestDemoIsDeterministic(t *testing.T) {
	t.Parallel()
	a := simlab.NewDemo(clocktest.New(start)).Machines()
	b := simlab.NewDemo(clocktest.New(start)).Machines()
	if diff := cmp.Diff(a, b, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Fatalf("two demo labs differ (-a +b):\n%s", diff)
	}
}

func TestDemoContents(t *testing.T) {
	t.Parallel()
	lab := simlab.NewDemo(clocktest.New(start))
	wantDC := []simlab.Datacenter{
		{Code: "RBX1", Name: "Roubaix 1", City: "Roubaix"},
		{Code: "GRA2", Name: "Gravelines 2", City: "Gravelines"},
	}
	if diff := cmp.Diff(wantDC, lab.Datacenters()); diff != "" {
		t.Errorf("datacenters (-want +got):\n%s", diff)
	}
	if n := len(lab.Racks()); n != 4 {
		t.Errorf("%d racks, want 4", n)
	}
	machines := lab.Machines()
	if len(machines) != 24 {
		t.Fatalf("%d machines, want 24", len(machines))
	}
	ranges := map[string]int{}
	seen := map[string]string{}
	unique := func(kind, v, owner string) {
		t.Helper()
		if prev, dup := seen[kind+v]; dup {
			t.Errorf("%s %s of %s is also %s's", kind, v, owner, prev)
		}
		seen[kind+v] = owner
	}
	for _, m := range machines {
		ranges[m.Range]++
		unique("serial", m.Serial, m.Serial)
		unique("bmc", m.BMC.Address, m.Serial)
		for _, nic := range m.Inventory.NICs {
			unique("mac", nic.MAC, m.Serial)
		}
		for _, d := range m.Inventory.Disks {
			unique("disk", d.Serial, m.Serial)
		}
		if m.Power != fleet.PowerStateOff || m.Phase != simlab.PhaseOff || m.InstalledOS != "" {
			t.Errorf("%s starts %s/%s with %q, want off and empty", m.Serial, m.Power, m.Phase, m.InstalledOS)
		}
		if m.BMC.Driver != "simlab" || string(m.BMC.Password) != simlab.DemoPassword {
			t.Errorf("%s BMC %v", m.Serial, m.BMC)
		}
	}
	if diff := cmp.Diff(map[string]int{"ECOGREEN": 8, "ADVANCE": 8, "STORAGE": 8}, ranges); diff != "" {
		t.Errorf("machines per range (-want +got):\n%s", diff)
	}
	// Spot checks pin the numbering.
	first, err := lab.Machine("SIM-RBX1-0001")
	if err != nil {
		t.Fatal(err)
	}
	if first.Datacenter != "RBX1" || first.Rack != "A01" || first.U != 1 || first.Range != "ECOGREEN" ||
		first.BMC.Address != "198.19.1.11" || first.Inventory.NICs[0].MAC != "02:17:01:01:01:00" ||
		first.Inventory.Disks[0].Serial != "SIM-RBX1-0001-D00" {
		t.Errorf("SIM-RBX1-0001 = %+v", first)
	}
	last, err := lab.Machine("SIM-GRA2-0012")
	if err != nil {
		t.Fatal(err)
	}
	if last.Rack != "B02" || last.U != 7 || last.Range != "STORAGE" || len(last.Inventory.Disks) != 14 ||
		last.BMC.Address != "198.19.2.26" || last.Inventory.NICs[1].MAC != "02:17:02:02:06:01" {
		t.Errorf("SIM-GRA2-0012 = %+v", last)
	}
}

// Every demo machine installs through its driver; many goroutines at once.
func TestDemoConcurrentDelivery(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(start)
	lab := simlab.NewDemo(clk)
	machines := lab.Machines()
	var wg sync.WaitGroup
	errc := make(chan error, len(machines))
	for _, m := range machines {
		wg.Go(func() {
			d, err := lab.Driver(m.Serial)
			if err == nil {
				err = d.SetBootDevice(t.Context(), fleet.BootPXE, false)
			}
			if err == nil {
				err = d.SetPower(t.Context(), fleet.PowerOn)
			}
			if err != nil {
				errc <- fmt.Errorf("%s: %w", m.Serial, err)
			}
		})
	}
	wg.Go(func() { clk.Advance(time.Minute) })
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	clk.Advance(simlab.DefaultConfig().InstallDuration)
	for _, m := range lab.Machines() {
		if m.Phase != simlab.PhaseRunning || m.InstalledOS != "debian-13" {
			t.Errorf("%s: phase %s OS %q", m.Serial, m.Phase, m.InstalledOS)
		}
	}
}

func TestLabBuildErrors(t *testing.T) {
	t.Parallel()
	if _, err := simlab.New(simlab.Config{InstallDuration: -time.Second}, simlab.Deps{Clock: clocktest.New(start)}); err == nil {
		t.Error("negative install duration accepted")
	}
	if _, err := simlab.New(simlab.DefaultConfig(), simlab.Deps{}); err == nil {
		t.Error("lab without a clock accepted")
	}
	lab, _, _ := newLab(t, time.Minute)
	adv := simlab.DemoProfiles()[1]
	sto := simlab.DemoProfiles()[2]
	tests := []struct {
		name string
		err  error
		kind errs.Kind
	}{
		{"duplicate datacenter", lab.AddDatacenter(simlab.Datacenter{Code: "RBX1"}), errs.Conflict},
		{"rack in no datacenter", lab.AddRack(simlab.Rack{Datacenter: "SBG5", Name: "C01", Units: 42}), errs.NotFound},
		{"duplicate rack", lab.AddRack(simlab.Rack{Datacenter: "RBX1", Name: "A01", Units: 42}), errs.Conflict},
		{"duplicate serial", lab.AddMachine(simlab.MachineSpec{Serial: serial, Datacenter: "RBX1", Rack: "A01", U: 10, Profile: adv}), errs.Conflict},
		{"no rack", lab.AddMachine(simlab.MachineSpec{Serial: "X1", Datacenter: "RBX1", Rack: "Z99", U: 1, Profile: adv}), errs.NotFound},
		{"overlap", lab.AddMachine(simlab.MachineSpec{Serial: "X2", Datacenter: "RBX1", Rack: "A01", U: 1, Profile: adv}), errs.Conflict},
		{"2U over a 1U", lab.AddMachine(simlab.MachineSpec{Serial: "X3", Datacenter: "RBX1", Rack: "A01", U: 0, Profile: sto}), errs.Invalid},
		{"past the top", lab.AddMachine(simlab.MachineSpec{Serial: "X4", Datacenter: "RBX1", Rack: "A01", U: 42, Profile: sto}), errs.Invalid},
		{"MAC count", lab.AddMachine(simlab.MachineSpec{Serial: "X5", Datacenter: "RBX1", Rack: "A01", U: 5, Profile: adv, MACs: []string{"02:00:00:00:00:01"}}), errs.Invalid},
	}
	for _, tt := range tests {
		if errs.KindOf(tt.err) != tt.kind {
			t.Errorf("%s: %v, want kind %s", tt.name, tt.err, tt.kind)
		}
	}
	// Derived MACs are stable and distinct per port.
	must(t, lab.AddMachine(simlab.MachineSpec{Serial: "X6", Datacenter: "RBX1", Rack: "A01", U: 2, Profile: adv}))
	m, err := lab.Machine("X6")
	must(t, err)
	if m.Inventory.NICs[0].MAC == m.Inventory.NICs[1].MAC || m.BMC.Address != "simlab://X6" {
		t.Errorf("derived NICs %v, BMC %v", m.Inventory.NICs, m.BMC)
	}
}
