package redfish_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/redfish/redfishtest"
)

func TestInventory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vendor string
		want   fleet.Inventory
	}{
		{redfishtest.Dell, fleet.Inventory{
			Manufacturer: "Dell Inc.", Model: "PowerEdge R650", Serial: "CNIVC0021C0123", BIOSVersion: "1.10.2",
			CPUs: []fleet.CPU{
				{Model: "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", Cores: 28},
				{Model: "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", Cores: 28},
			},
			MemoryGiB: 256,
			Disks: []fleet.Disk{
				{Model: "MZILT960HBHQAD3", Serial: "S5LXNA0R101234", SizeGB: 959, Media: fleet.DiskMediaSSD},
				{Model: "MZILT960HBHQAD3", Serial: "S5LXNA0R101235", SizeGB: 959, Media: fleet.DiskMediaSSD},
				{Model: "Dell Ent NVMe v2 AGN MU U.2 3.2TB", Serial: "S61ANA0R305678", SizeGB: 3200, Media: fleet.DiskMediaNVMe},
			},
			NICs: []fleet.NIC{
				{MAC: "b4:96:91:a7:3c:10", SpeedMbps: 25000},
				{MAC: "b4:96:91:a7:3c:11", SpeedMbps: 0},
				{MAC: "c8:4b:d6:12:0a:f0", SpeedMbps: 1000},
			},
		}},
		{redfishtest.HPE, fleet.Inventory{
			Manufacturer: "HPE", Model: "ProLiant DL325 Gen10 Plus", Serial: "CZJ2140ABC", BIOSVersion: "A43 v2.72 (09/29/2022)",
			CPUs:      []fleet.CPU{{Model: "AMD EPYC 7443P 24-Core Processor", Cores: 24}},
			MemoryGiB: 128,
			Disks: []fleet.Disk{ // bay 3 is Absent
				{Model: "VK000960GXAVL", Serial: "PHYH2104001D960CGN", SizeGB: 960, Media: fleet.DiskMediaSSD},
				{Model: "VK000960GXAVL", Serial: "PHYH2104001E960CGN", SizeGB: 960, Media: fleet.DiskMediaSSD},
			},
			NICs: []fleet.NIC{
				{MAC: "88:e9:a4:5c:21:f0", SpeedMbps: 10000},
				{MAC: "88:e9:a4:5c:21:f1", SpeedMbps: 0}, // SpeedMbps null
			},
		}},
		{redfishtest.Supermicro, fleet.Inventory{
			Manufacturer: "Supermicro", Model: "SYS-E300-12D-4CN6P", Serial: "S421070X2A12345", BIOSVersion: "1.4",
			CPUs:      []fleet.CPU{{Model: "Intel(R) Xeon(R) D-2733NT CPU @ 2.10GHz", Cores: 8}}, // the FPGA is not a CPU
			MemoryGiB: 32,
			Disks: []fleet.Disk{
				{Model: "SAMSUNG MZQL2960HCJR-00A07", Serial: "S64FNE0R700123", SizeGB: 960, Media: fleet.DiskMediaNVMe},
				{Model: "SAMSUNG MZQL2960HCJR-00A07", Serial: "S64FNE0R700124", SizeGB: 960, Media: fleet.DiskMediaNVMe},
			},
			NICs: []fleet.NIC{
				{MAC: "3c:ec:ef:8a:12:b6", SpeedMbps: 10000}, // dashes and upper case
				{MAC: "3c:ec:ef:8a:12:b7", SpeedMbps: 10000}, // empty MACAddress: the permanent one
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(t, tt.vendor, redfishtest.Options{})
			got, err := newDriver(t, srv, nil).Inventory(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("inventory (-want +got):\n%s", diff)
			}
			if w := writes(srv.Calls()); len(w) != 0 {
				t.Errorf("inventory wrote %v", w)
			}
		})
	}
}

// Without a Processors collection, the ProcessorSummary gives the sockets and their model.
func TestInventoryProcessorSummary(t *testing.T) {
	t.Parallel()
	srv := redfishtest.New(t, redfishtest.Dell, redfishtest.Options{})
	srv.Set(dellSys, "Processors", nil)
	srv.Set(dellSys, "Storage", nil)
	srv.Set(dellSys, "EthernetInterfaces", nil)
	got, err := newDriver(t, srv, nil).Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []fleet.CPU{{Model: "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz"}, {Model: "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz"}}
	if diff := cmp.Diff(want, got.CPUs); diff != "" {
		t.Errorf("CPUs (-want +got):\n%s", diff)
	}
	if got.Disks != nil || got.NICs != nil {
		t.Errorf("disks %v, NICs %v; want none", got.Disks, got.NICs)
	}
}
