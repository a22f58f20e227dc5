package simlab

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
)

// Config tunes a lab.
type Config struct {
	// InstallDuration is how long an install takes unless the machine has its own.
	InstallDuration time.Duration `yaml:"install_duration"`
	// PXEImage is the OS image the PXE server offers unless the machine has its own.
	PXEImage string `yaml:"pxe_image"`
}

// DefaultConfig returns a lab whose installs take 8 minutes and PXE offers debian-13.
func DefaultConfig() Config {
	return Config{InstallDuration: 8 * time.Minute, PXEImage: "debian-13"}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.InstallDuration < 0 {
		return fmt.Errorf("simlab config: install_duration must not be negative, got %s", c.InstallDuration)
	}
	return nil
}

// Deps are what a lab uses.
type Deps struct {
	Clock clock.Clock
}

// Datacenter is a site.
type Datacenter struct {
	Code string // "RBX1"
	Name string // "Roubaix 1"
	City string // "Roubaix"
}

// Rack is a rack in a datacenter.
type Rack struct {
	Datacenter string // datacenter code
	Name       string // unique within the datacenter
	Units      int    // height in U
}

// Profile is a hardware configuration.
type Profile struct {
	Name         string // "ADVANCE-1"
	Range        string // catalogue range: "ECOGREEN", "ADVANCE", "STORAGE"
	Manufacturer string
	Model        string
	BIOSVersion  string
	CPUs         []fleet.CPU
	MemoryGiB    int
	Disks        []fleet.Disk // Serial is ignored: each machine gets its own
	NICSpeeds    []int        // link speed of each port, Mbps
	HeightU      int          // 0 counts as 1
}

func (p Profile) height() int { return max(p.HeightU, 1) }

// MachineSpec describes a machine to add.
type MachineSpec struct {
	Serial     string
	Datacenter string
	Rack       string
	U          int // lowest unit the machine occupies, from 1
	Profile    Profile
	BMC        fleet.BMC
	MACs       []string // one per NIC port; derived from the serial when empty
}

// Lab is a simulated datacenter. Build it with New or NewDemo.
type Lab struct {
	cfg Config
	clk clock.Clock

	mu          sync.Mutex
	now         time.Time // lab time: never goes backwards
	datacenters []Datacenter
	racks       []Rack
	order       []string // serials in insertion order
	machines    map[string]*machine
	byRack      map[string][]*machine // "dc/rack" -> machines, for the overlap check
	byIP        map[netip.Addr]string
}

// New returns an empty lab.
func New(cfg Config, deps Deps) (*Lab, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Clock == nil {
		return nil, errors.New("simlab: no clock")
	}
	return &Lab{cfg: cfg, clk: deps.Clock, machines: map[string]*machine{}, byRack: map[string][]*machine{}, byIP: map[netip.Addr]string{}}, nil
}

// AddDatacenter adds a site.
func (l *Lab) AddDatacenter(dc Datacenter) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if dc.Code == "" {
		return errs.Errorf(errs.Invalid, "simlab: datacenter without a code")
	}
	if l.datacenter(dc.Code) {
		return errs.Errorf(errs.Conflict, "simlab: datacenter %s exists", dc.Code)
	}
	l.datacenters = append(l.datacenters, dc)
	return nil
}

// AddRack adds a rack to a datacenter.
func (l *Lab) AddRack(r Rack) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.datacenter(r.Datacenter) {
		return errs.Errorf(errs.NotFound, "simlab: no datacenter %s", r.Datacenter)
	}
	if r.Name == "" || r.Units < 1 {
		return errs.Errorf(errs.Invalid, "simlab: rack needs a name and units")
	}
	if _, ok := l.rack(r.Datacenter, r.Name); ok {
		return errs.Errorf(errs.Conflict, "simlab: rack %s/%s exists", r.Datacenter, r.Name)
	}
	l.racks = append(l.racks, r)
	return nil
}

// AddMachine racks a machine, powered off, with an empty disk.
func (l *Lab) AddMachine(spec MachineSpec) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if spec.Serial == "" {
		return errs.Errorf(errs.Invalid, "simlab: machine without a serial")
	}
	if _, ok := l.machines[spec.Serial]; ok {
		return errs.Errorf(errs.Conflict, "simlab: machine %s exists", spec.Serial)
	}
	r, ok := l.rack(spec.Datacenter, spec.Rack)
	if !ok {
		return errs.Errorf(errs.NotFound, "simlab: no rack %s/%s", spec.Datacenter, spec.Rack)
	}
	top := spec.U + spec.Profile.height() - 1
	if spec.U < 1 || top > r.Units {
		return errs.Errorf(errs.Invalid, "simlab: %s at U%d-%d does not fit rack %s/%s of %dU",
			spec.Serial, spec.U, top, r.Datacenter, r.Name, r.Units)
	}
	rackKey := spec.Datacenter + "/" + spec.Rack
	for _, other := range l.byRack[rackKey] {
		o := other.spec
		if spec.U <= o.U+o.Profile.height()-1 && o.U <= top {
			return errs.Errorf(errs.Conflict, "simlab: %s at U%d overlaps %s at U%d", spec.Serial, spec.U, o.Serial, o.U)
		}
	}
	if len(spec.MACs) == 0 {
		spec.MACs = deriveMACs(spec.Serial, len(spec.Profile.NICSpeeds))
	}
	if len(spec.MACs) != len(spec.Profile.NICSpeeds) {
		return errs.Errorf(errs.Invalid, "simlab: %s has %d MACs for %d NIC ports", spec.Serial, len(spec.MACs), len(spec.Profile.NICSpeeds))
	}
	if spec.BMC.Driver == "" {
		spec.BMC.Driver = "simlab"
	}
	if spec.BMC.Address == "" {
		spec.BMC.Address = "simlab://" + spec.Serial
	}
	spec.Profile.CPUs = slices.Clone(spec.Profile.CPUs)
	spec.Profile.Disks = slices.Clone(spec.Profile.Disks)
	spec.Profile.NICSpeeds = slices.Clone(spec.Profile.NICSpeeds)
	spec.MACs = slices.Clone(spec.MACs)
	m := &machine{spec: spec, power: fleet.PowerStateOff, phase: PhaseOff}
	l.machines[spec.Serial] = m
	l.byRack[rackKey] = append(l.byRack[rackKey], m)
	l.order = append(l.order, spec.Serial)
	return nil
}

// deriveMACs makes locally administered MACs from a hash of the serial.
func deriveMACs(serial string, n int) []string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(serial))
	s := h.Sum32()
	macs := make([]string, n)
	for i := range macs {
		macs[i] = fmt.Sprintf("06:%02x:%02x:%02x:%02x:%02x", byte(s>>24), byte(s>>16), byte(s>>8), byte(s), i)
	}
	return macs
}

func (l *Lab) datacenter(code string) bool {
	return slices.ContainsFunc(l.datacenters, func(d Datacenter) bool { return d.Code == code })
}

func (l *Lab) rack(dc, name string) (Rack, bool) {
	i := slices.IndexFunc(l.racks, func(r Rack) bool { return r.Datacenter == dc && r.Name == name })
	if i < 0 {
		return Rack{}, false
	}
	return l.racks[i], true
}

// Datacenters lists the sites in the order added.
func (l *Lab) Datacenters() []Datacenter {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.datacenters)
}

// Racks lists the racks in the order added.
func (l *Lab) Racks() []Rack {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.racks)
}

// Machines returns every machine, settled at the clock's time, sorted by datacenter, rack and
// position.
func (l *Lab) Machines() []Machine {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.advance(l.clk.Now())
	out := make([]Machine, 0, len(l.order))
	for _, serial := range l.order {
		m := l.machines[serial]
		m.settle(now)
		out = append(out, m.snapshot())
	}
	slices.SortFunc(out, func(a, b Machine) int {
		return cmp.Or(cmp.Compare(a.Datacenter, b.Datacenter), cmp.Compare(a.Rack, b.Rack), cmp.Compare(a.U, b.U))
	})
	return out
}

// Machine returns one machine settled at the clock's time.
func (l *Lab) Machine(serial string) (Machine, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.lookup(serial)
	if err != nil {
		return Machine{}, err
	}
	m.settle(l.advance(l.clk.Now()))
	return m.snapshot(), nil
}

// Tick settles every machine at now (or at the lab time, if later): installs that end by
// then complete. Calls settle lazily anyway; Tick is for a loop that wants to see them all.
func (l *Lab) Tick(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.advance(now)
	for _, m := range l.machines {
		m.settle(now)
	}
}

// Driver returns the BMC driver of one machine.
func (l *Lab) Driver(serial string) (*Driver, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.lookup(serial); err != nil {
		return nil, err
	}
	return &Driver{lab: l, serial: serial}, nil
}

// SetPXEImage sets the OS image the PXE server offers a machine ("" returns to the lab's).
func (l *Lab) SetPXEImage(serial, image string) error {
	return l.with(serial, func(m *machine, _ time.Time) { m.pxeImage = image })
}

// AssignIP gives a machine the address its installed OS answers on; the zero Addr removes it.
// An address belongs to one machine at a time.
func (l *Lab) AssignIP(serial string, addr netip.Addr) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.lookup(serial)
	if err != nil {
		return err
	}
	if owner, ok := l.byIP[addr]; ok && owner != serial {
		return errs.Errorf(errs.Conflict, "simlab: %s is assigned to %s", addr, owner)
	}
	if m.ip.IsValid() {
		delete(l.byIP, m.ip)
	}
	m.ip = addr
	if addr.IsValid() {
		l.byIP[addr] = serial
	}
	return nil
}

// ReleaseIP takes addr away from whichever machine has it (a server moved to another machine).
func (l *Lab) ReleaseIP(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if serial, ok := l.byIP[addr]; ok {
		l.machines[serial].ip = netip.Addr{}
		delete(l.byIP, addr)
	}
}

// Reachable reports whether addr answers probes: it is assigned to a machine that is on and
// running its installed OS.
func (l *Lab) Reachable(addr netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	serial, ok := l.byIP[addr]
	if !ok {
		return false
	}
	m := l.machines[serial]
	m.settle(l.advance(l.clk.Now()))
	return m.power == fleet.PowerStateOn && (m.phase == PhaseRunning || m.phase == PhaseRescue)
}

// Restore puts a machine back in the state a store remembers after a restart of the process
// (the simulated datacenter lives in memory): os installed on its disk, powered on and running
// it when on. It clears any pending boot override and media.
func (l *Lab) Restore(serial, os string, on bool) error {
	return l.with(serial, func(m *machine, _ time.Time) {
		m.os, m.boot, m.bootPersistent, m.media, m.installImage, m.failure = os, "", false, "", "", ""
		m.power, m.phase = fleet.PowerStateOff, PhaseOff
		if on {
			m.power, m.phase = fleet.PowerStateOn, PhaseNoOS
			if os != "" {
				m.phase = PhaseRunning
			}
		}
	})
}

// SetInstallDurationAll sets the lab's default install duration (installs that start from
// now on); the demo shortens it, benchmarks make it zero.
func (l *Lab) SetInstallDurationAll(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg.InstallDuration = max(d, 0)
}

// advance moves the lab time to t unless it is already later, and returns it. Callers hold mu.
func (l *Lab) advance(t time.Time) time.Time {
	if t.After(l.now) {
		l.now = t
	}
	return l.now
}

// lookup finds a machine. Callers hold mu.
func (l *Lab) lookup(serial string) (*machine, error) {
	m, ok := l.machines[serial]
	if !ok {
		return nil, errs.E(errs.NotFound, "simlab: no machine "+serial, nil)
	}
	return m, nil
}

// with runs fn on a settled machine under the lock.
func (l *Lab) with(serial string, fn func(m *machine, now time.Time)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.lookup(serial)
	if err != nil {
		return err
	}
	now := l.advance(l.clk.Now())
	m.settle(now)
	fn(m, now)
	m.settle(now)
	return nil
}
