package simlab_test

import (
	"fmt"
	"testing"

	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
)

// BenchmarkInstall measures one zero-duration install through the driver (boot override,
// power cycle, state read) on a lab of 1,000 machines.
func BenchmarkInstall(b *testing.B) {
	clk := clocktest.New(start)
	cfg := simlab.DefaultConfig()
	cfg.InstallDuration = 0
	lab, err := simlab.New(cfg, simlab.Deps{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	must(b, lab.AddDatacenter(simlab.Datacenter{Code: "RBX1"}))
	p := simlab.DemoProfiles()[1]
	drivers := make([]*simlab.Driver, 0, 1000)
	for r := range 25 {
		rack := fmt.Sprintf("R%02d", r)
		must(b, lab.AddRack(simlab.Rack{Datacenter: "RBX1", Name: rack, Units: 42}))
		for u := 1; u <= 40; u++ {
			serial := fmt.Sprintf("B-%02d-%02d", r, u)
			must(b, lab.AddMachine(simlab.MachineSpec{Serial: serial, Datacenter: "RBX1", Rack: rack, U: u, Profile: p}))
			d, err := lab.Driver(serial)
			must(b, err)
			drivers = append(drivers, d)
		}
	}
	ctx := b.Context()
	b.ResetTimer()
	for i := range b.N {
		d := drivers[i%len(drivers)]
		must(b, d.SetBootDevice(ctx, fleet.BootPXE, false))
		must(b, d.SetPower(ctx, fleet.PowerCycle))
		if _, err := d.PowerState(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
