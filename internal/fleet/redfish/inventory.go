package redfish

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Inventory reads the system (manufacturer, model, serial, BIOS version, memory), its
// Processors (CPUs only; ProcessorSummary when the collection is missing), the Drives of every
// Storage controller (each drive once), and its EthernetInterfaces. Absent components are
// skipped.
func (d *Driver) Inventory(ctx context.Context) (fleet.Inventory, error) {
	inv, err := d.inventory(ctx)
	if err != nil {
		return fleet.Inventory{}, fmt.Errorf("redfish inventory %s: %w", d.base.Host, err)
	}
	return inv, nil
}

func (d *Driver) inventory(ctx context.Context) (fleet.Inventory, error) {
	sys, _, _, err := d.getSystem(ctx)
	if err != nil {
		return fleet.Inventory{}, err
	}
	inv := systemInventory(sys)
	if sys.Processors.ID != "" {
		var cpus []fleet.CPU
		err := d.eachMember(ctx, sys.Processors.ID, func(path string) error {
			var p processor
			if _, err := d.getJSON(ctx, path, &p); err != nil {
				return err
			}
			if p.Status.absent() || (p.ProcessorType != "" && p.ProcessorType != "CPU") {
				return nil
			}
			cpus = append(cpus, fleet.CPU{Model: strings.TrimSpace(p.Model), Cores: p.TotalCores})
			return nil
		})
		if err != nil {
			return fleet.Inventory{}, err
		}
		inv.CPUs = cpus
	}
	if sys.Storage.ID != "" {
		seen := map[string]bool{}
		err := d.eachMember(ctx, sys.Storage.ID, func(path string) error {
			var st storage
			if _, err := d.getJSON(ctx, path, &st); err != nil {
				return err
			}
			for _, ref := range st.Drives {
				if ref.ID == "" || seen[ref.ID] {
					continue
				}
				seen[ref.ID] = true
				var dr drive
				if _, err := d.getJSON(ctx, ref.ID, &dr); err != nil {
					return err
				}
				if !dr.Status.absent() {
					inv.Disks = append(inv.Disks, diskOf(dr))
				}
			}
			return nil
		})
		if err != nil {
			return fleet.Inventory{}, err
		}
	}
	if sys.EthernetInterfaces.ID != "" {
		err := d.eachMember(ctx, sys.EthernetInterfaces.ID, func(path string) error {
			var e ethernetInterface
			if _, err := d.getJSON(ctx, path, &e); err != nil {
				return err
			}
			mac := normalizeMAC(e.MACAddress)
			if mac == "" {
				mac = normalizeMAC(e.PermanentMACAddress)
			}
			if e.Status.absent() || mac == "" {
				return nil
			}
			inv.NICs = append(inv.NICs, fleet.NIC{MAC: mac, SpeedMbps: max(e.SpeedMbps, 0)})
			return nil
		})
		if err != nil {
			return fleet.Inventory{}, err
		}
	}
	return inv, nil
}

// systemInventory is what the ComputerSystem resource alone says.
func systemInventory(sys system) fleet.Inventory {
	inv := fleet.Inventory{
		Manufacturer: strings.TrimSpace(sys.Manufacturer),
		Model:        strings.TrimSpace(sys.Model),
		Serial:       strings.TrimSpace(sys.SerialNumber),
		BIOSVersion:  strings.TrimSpace(sys.BiosVersion),
	}
	if gib := sys.MemorySummary.TotalSystemMemoryGiB; gib > 0 && gib < 1<<40 {
		inv.MemoryGiB = int(math.Round(gib))
	}
	for i := 0; i < sys.ProcessorSummary.Count && i < 64; i++ {
		inv.CPUs = append(inv.CPUs, fleet.CPU{Model: strings.TrimSpace(sys.ProcessorSummary.Model)})
	}
	return inv
}

func diskOf(dr drive) fleet.Disk {
	disk := fleet.Disk{
		Model:  strings.TrimSpace(dr.Model),
		Serial: strings.TrimSpace(dr.SerialNumber),
		SizeGB: max(dr.CapacityBytes, 0) / 1e9,
	}
	switch {
	case strings.EqualFold(dr.Protocol, "NVMe"):
		disk.Media = fleet.DiskMediaNVMe
	case dr.MediaType == "SSD":
		disk.Media = fleet.DiskMediaSSD
	case dr.MediaType == "HDD" || dr.MediaType == "SMR":
		disk.Media = fleet.DiskMediaHDD
	}
	return disk
}

// normalizeMAC returns a MAC address as lowercase colon-separated hex, or "" when s is not one.
func normalizeMAC(s string) string {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil || len(hw) != 6 {
		return ""
	}
	return hw.String()
}

// eachMember calls fn with the path of every member of a collection.
func (d *Driver) eachMember(ctx context.Context, coll string, fn func(path string) error) error {
	var c collection
	if _, err := d.getJSON(ctx, coll, &c); err != nil {
		return err
	}
	for _, m := range c.Members {
		if m.ID == "" {
			continue
		}
		if err := fn(m.ID); err != nil {
			return err
		}
	}
	return nil
}
