package simlab_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	serial = "LAB-0001"
	iso    = "https://images.itsgow.example/debian-13-amd64.iso"
)

var addr = netip.MustParseAddr("198.18.0.10")

// newLab returns a lab with one ADVANCE machine (serial) whose installs take install, the
// fake clock driving it, and the machine's driver.
func newLab(tb testing.TB, install time.Duration) (*simlab.Lab, *clocktest.Fake, *simlab.Driver) {
	tb.Helper()
	clk := clocktest.New(start)
	cfg := simlab.DefaultConfig()
	cfg.InstallDuration = install
	lab, err := simlab.New(cfg, simlab.Deps{Clock: clk})
	if err != nil {
		tb.Fatal(err)
	}
	for _, err := range []error{
		lab.AddDatacenter(simlab.Datacenter{Code: "RBX1", Name: "Roubaix 1", City: "Roubaix"}),
		lab.AddRack(simlab.Rack{Datacenter: "RBX1", Name: "A01", Units: 42}),
		lab.AddMachine(simlab.MachineSpec{Serial: serial, Datacenter: "RBX1", Rack: "A01", U: 1, Profile: simlab.DemoProfiles()[1]}),
		lab.AssignIP(serial, addr),
	} {
		if err != nil {
			tb.Fatal(err)
		}
	}
	d, err := lab.Driver(serial)
	if err != nil {
		tb.Fatal(err)
	}
	return lab, clk, d
}

func machine(tb testing.TB, lab *simlab.Lab) simlab.Machine {
	tb.Helper()
	m, err := lab.Machine(serial)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
