package simlab

import (
	"fmt"
	"maps"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Phase is what a machine is doing.
type Phase string

// The phases.
const (
	PhaseOff        Phase = "off"        // powered off
	PhaseNoOS       Phase = "no-os"      // on, nothing bootable
	PhaseBIOS       Phase = "bios"       // on, in firmware setup
	PhaseInstalling Phase = "installing" // on, the installer runs
	PhaseRunning    Phase = "running"    // on, the installed OS runs and answers probes
	PhaseFailed     Phase = "failed"     // on, the install failed (hardware); needs Repair
	PhaseRescue     Phase = "rescue"     // on, a live rescue image runs from the CD; the disk is untouched
)

// Machine is a snapshot of one machine.
type Machine struct {
	Serial         string
	Datacenter     string
	Rack           string
	U              int
	Profile        string // profile name
	Range          string
	BMC            fleet.BMC
	IP             netip.Addr // zero until AssignIP
	Power          fleet.PowerState
	BootDevice     fleet.BootDevice // pending override, "" when none
	BootPersistent bool
	Media          string // inserted image URL, "" when none
	Phase          Phase
	InstalledOS    string    // image on the disk, "" when none
	InstallImage   string    // image being installed (PhaseInstalling) or that failed (PhaseFailed)
	InstallStarted time.Time // zero when no install ran
	InstallEnds    time.Time
	Failure        string // why the machine is in PhaseFailed
	Inventory      fleet.Inventory
	Consoles       []string // usernames of the console credentials not revoked yet, sorted
}

// machine is the mutable state behind a Machine. The Lab's mutex guards it.
type machine struct {
	spec     MachineSpec
	ip       netip.Addr
	pxeImage string

	power          fleet.PowerState
	boot           fleet.BootDevice
	bootPersistent bool
	media          string
	phase          Phase
	os             string
	installImage   string
	installStart   time.Time
	installEnd     time.Time
	failure        string

	// faults
	installDuration *time.Duration // slow (or fast) install, nil for the lab default
	timeouts        int            // BMC calls left to time out
	diskFault       bool           // a disk fails during the next install
	diskFailed      bool           // a disk has failed: it is gone from the inventory
	powerStuck      bool

	consoles     int               // consoles opened, for distinct tokens
	consoleUsers map[string]string // console credentials not revoked yet: username -> password
}

// settle completes the install if its end has come.
func (m *machine) settle(now time.Time) {
	if m.phase != PhaseInstalling || now.Before(m.installEnd) {
		return
	}
	if m.diskFault || m.diskFailed {
		m.diskFault = false
		m.diskFailed = true
		m.phase = PhaseFailed
		m.failure = fmt.Sprintf("disk %s failed during the install of %s", m.failedDisk().Serial, m.installImage)
		return
	}
	if strings.HasPrefix(m.installImage, "wipe") {
		// a wipe image erases the disks, then powers the machine off
		m.os = ""
		m.powerOff()
		return
	}
	m.os = m.installImage
	m.installImage = ""
	m.phase = PhaseRunning
}

// powerAction applies a power action at now. Callers settled the machine.
func (m *machine) powerAction(a fleet.PowerAction, lab *Lab, now time.Time) error {
	if !a.Valid() {
		return fmt.Errorf("simlab power %q: %w", a, fleet.ErrUnsupported)
	}
	if m.powerStuck {
		return nil // the BMC takes the order; the relay does not move
	}
	on := m.power == fleet.PowerStateOn
	switch a {
	case fleet.PowerOn:
		if !on {
			m.bootUp(lab, now)
		}
	case fleet.PowerOff, fleet.PowerForceOff:
		if on {
			m.powerOff()
		}
	case fleet.PowerReset, fleet.PowerCycle, fleet.PowerSoft:
		if on {
			m.powerOff()
		}
		m.bootUp(lab, now)
	}
	return nil
}

// powerOff cuts the power. An install it interrupts leaves nothing bootable: the installer
// wiped the disk when it started.
func (m *machine) powerOff() {
	m.power = fleet.PowerStateOff
	m.phase = PhaseOff
	m.installImage = ""
	m.failure = ""
}

// bootUp powers the machine on and boots it: the pending override (consumed unless
// persistent), else the disk, else the virtual CD.
func (m *machine) bootUp(lab *Lab, now time.Time) {
	m.power = fleet.PowerStateOn
	dev := m.boot
	if !m.bootPersistent {
		m.boot, m.bootPersistent = "", false
	}
	switch dev {
	case fleet.BootPXE:
		image := cmpOr(m.pxeImage, lab.cfg.PXEImage)
		if image == "" {
			m.phase = PhaseNoOS // no PXE offer
			return
		}
		m.install(image, lab, now)
	case fleet.BootCDROM:
		if m.media != "" && strings.HasPrefix(imageName(m.media), "rescue") {
			m.phase = PhaseRescue // a live image: nothing is installed
			return
		}
		if m.media != "" {
			m.install(imageName(m.media), lab, now)
			return
		}
		m.bootDisk(lab, now)
	case fleet.BootBIOS:
		m.phase = PhaseBIOS
	default:
		m.bootDisk(lab, now)
	}
}

func (m *machine) bootDisk(lab *Lab, now time.Time) {
	switch {
	case m.os != "":
		m.phase = PhaseRunning
	case m.media != "":
		m.install(imageName(m.media), lab, now) // the firmware falls through to the CD
	default:
		m.phase = PhaseNoOS
	}
}

func (m *machine) install(image string, lab *Lab, now time.Time) {
	d := lab.cfg.InstallDuration
	if m.installDuration != nil {
		d = *m.installDuration
	}
	m.phase = PhaseInstalling
	m.os = "" // the installer wipes the disk first
	m.installImage = image
	m.installStart = now
	m.installEnd = now.Add(d)
	m.failure = ""
	m.settle(now)
}

// imageName is the OS image an install URL carries: its last path element without extension.
func imageName(u string) string {
	base := path.Base(strings.TrimRight(strings.SplitN(strings.SplitN(u, "?", 2)[0], "#", 2)[0], "/"))
	for _, ext := range []string{".iso", ".img", ".raw"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// disks returns the machine's disks with their serials; a failed disk is gone.
func (m *machine) disks() []fleet.Disk {
	out := make([]fleet.Disk, 0, len(m.spec.Profile.Disks))
	for i, d := range m.spec.Profile.Disks {
		d.Serial = fmt.Sprintf("%s-D%02d", m.spec.Serial, i)
		out = append(out, d)
	}
	if m.diskFailed && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}

// failedDisk is the disk a disk fault takes: the last one.
func (m *machine) failedDisk() fleet.Disk {
	d := fleet.Disk{Serial: m.spec.Serial + "-D??"}
	if n := len(m.spec.Profile.Disks); n > 0 {
		d = m.spec.Profile.Disks[n-1]
		d.Serial = fmt.Sprintf("%s-D%02d", m.spec.Serial, n-1)
	}
	return d
}

func (m *machine) inventory() fleet.Inventory {
	p := m.spec.Profile
	inv := fleet.Inventory{
		Manufacturer: p.Manufacturer,
		Model:        p.Model,
		Serial:       m.spec.Serial,
		BIOSVersion:  p.BIOSVersion,
		CPUs:         slices.Clone(p.CPUs),
		MemoryGiB:    p.MemoryGiB,
		Disks:        m.disks(),
	}
	for i, speed := range p.NICSpeeds {
		inv.NICs = append(inv.NICs, fleet.NIC{MAC: m.spec.MACs[i], SpeedMbps: speed})
	}
	return inv
}

func (m *machine) snapshot() Machine {
	return Machine{
		Serial:         m.spec.Serial,
		Datacenter:     m.spec.Datacenter,
		Rack:           m.spec.Rack,
		U:              m.spec.U,
		Profile:        m.spec.Profile.Name,
		Range:          m.spec.Profile.Range,
		BMC:            m.spec.BMC,
		IP:             m.ip,
		Power:          m.power,
		BootDevice:     m.boot,
		BootPersistent: m.bootPersistent,
		Media:          m.media,
		Phase:          m.phase,
		InstalledOS:    m.os,
		InstallImage:   m.installImage,
		InstallStarted: m.installStart,
		InstallEnds:    m.installEnd,
		Failure:        m.failure,
		Inventory:      m.inventory(),
		Consoles:       slices.Sorted(maps.Keys(m.consoleUsers)),
	}
}
