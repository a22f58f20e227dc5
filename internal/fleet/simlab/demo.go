package simlab

import (
	"fmt"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/fleet"
)

// DemoProfiles returns the demo hardware profiles, one per catalogue range: ECOGREEN (a
// low-power Xeon D box), ADVANCE (a single-socket EPYC with NVMe) and STORAGE (a 2U box with
// twelve large disks). Each call returns fresh values.
func DemoProfiles() []Profile {
	return []Profile{ecogreenProfile(), advanceProfile(), storageProfile()}
}

func ecogreenProfile() Profile {
	return Profile{
		Name: "ECOGREEN-1", Range: "ECOGREEN",
		Manufacturer: "Supermicro", Model: "SYS-E300-9D-4CN8TP", BIOSVersion: "1.6",
		CPUs:      []fleet.CPU{{Model: "Intel(R) Xeon(R) D-2123IT CPU @ 2.20GHz", Cores: 4}},
		MemoryGiB: 32,
		Disks: []fleet.Disk{
			{Model: "HGST HUS722T2TALA604", SizeGB: 2000, Media: fleet.DiskMediaHDD},
			{Model: "HGST HUS722T2TALA604", SizeGB: 2000, Media: fleet.DiskMediaHDD},
		},
		NICSpeeds: []int{1000, 1000},
		HeightU:   1,
	}
}

func advanceProfile() Profile {
	return Profile{
		Name: "ADVANCE-1", Range: "ADVANCE",
		Manufacturer: "ASRockRack", Model: "1U4LW-B650/2L2T", BIOSVersion: "10.03",
		CPUs:      []fleet.CPU{{Model: "AMD EPYC 4344P 8-Core Processor", Cores: 8}},
		MemoryGiB: 64,
		Disks: []fleet.Disk{
			{Model: "SAMSUNG MZQL2960HCJR-00A07", SizeGB: 960, Media: fleet.DiskMediaNVMe},
			{Model: "SAMSUNG MZQL2960HCJR-00A07", SizeGB: 960, Media: fleet.DiskMediaNVMe},
		},
		NICSpeeds: []int{10000, 10000},
		HeightU:   1,
	}
}

func storageProfile() Profile {
	return Profile{
		Name: "STORAGE-1", Range: "STORAGE",
		Manufacturer: "Supermicro", Model: "AS-2015CS-TNR", BIOSVersion: "2.1",
		CPUs:      []fleet.CPU{{Model: "AMD EPYC 9124 16-Core Processor", Cores: 16}},
		MemoryGiB: 128,
		Disks: append([]fleet.Disk{
			{Model: "SAMSUNG MZ7L3480HCHQ-00A07", SizeGB: 480, Media: fleet.DiskMediaSSD},
			{Model: "SAMSUNG MZ7L3480HCHQ-00A07", SizeGB: 480, Media: fleet.DiskMediaSSD},
		}, repeat(fleet.Disk{Model: "TOSHIBA MG09ACA18TE", SizeGB: 18000, Media: fleet.DiskMediaHDD}, 12)...),
		NICSpeeds: []int{25000, 25000},
		HeightU:   2,
	}
}

func repeat(d fleet.Disk, n int) []fleet.Disk {
	out := make([]fleet.Disk, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// DemoPassword is the BMC password of every demo machine.
const DemoPassword = "simlab-demo"

// NewDemo builds the demo lab with DefaultConfig: datacenters RBX1 (Roubaix) and GRA2
// (Gravelines), two 42U racks each, and in every rack two ECOGREEN, two ADVANCE and two STORAGE
// machines: 24 machines, all off with empty disks. Serials are SIM-<dc>-<nnnn>, numbered per
// datacenter in rack order; MACs are locally administered 02:17:<dc>:<rack>:<slot>:<port>; BMC
// addresses are in 198.19.0.0/16 (the half of the benchmarking range the customer addresses do
// not use). The same call always builds the same lab.
func NewDemo(clk clock.Clock) *Lab {
	lab, err := New(DefaultConfig(), Deps{Clock: clk})
	if err != nil {
		panic(err) // the demo data is fixed: a failure is a programming error, caught by its test
	}
	sites := []struct {
		dc    Datacenter
		racks []string
	}{
		{Datacenter{Code: "RBX1", Name: "Roubaix 1", City: "Roubaix"}, []string{"A01", "A02"}},
		{Datacenter{Code: "GRA2", Name: "Gravelines 2", City: "Gravelines"}, []string{"B01", "B02"}},
	}
	eco, adv, sto := ecogreenProfile(), advanceProfile(), storageProfile()
	layout := []Profile{eco, eco, adv, adv, sto, sto}
	for di, site := range sites {
		must(lab.AddDatacenter(site.dc))
		n := 0
		for ri, rack := range site.racks {
			must(lab.AddRack(Rack{Datacenter: site.dc.Code, Name: rack, Units: 42}))
			u := 1
			for slot, p := range layout {
				n++
				macs := make([]string, len(p.NICSpeeds))
				for port := range macs {
					macs[port] = fmt.Sprintf("02:17:%02x:%02x:%02x:%02x", di+1, ri+1, slot+1, port)
				}
				must(lab.AddMachine(MachineSpec{
					Serial:     fmt.Sprintf("SIM-%s-%04d", site.dc.Code, n),
					Datacenter: site.dc.Code,
					Rack:       rack,
					U:          u,
					Profile:    p,
					MACs:       macs,
					BMC: fleet.BMC{
						Address:  fmt.Sprintf("198.19.%d.%d", di+1, 10*(ri+1)+slot+1),
						Username: "ADMIN",
						Password: DemoPassword,
						Driver:   "simlab",
					},
				}))
				u += p.height()
			}
		}
	}
	return lab
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
