package fleet

import (
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
)

// MachineID identifies a physical machine (an asset of the host).
type MachineID int64

// MachineState is where a machine is in its life.
type MachineState string

// The machine states (issue 4): enrolling -> inspecting -> available -> reserved -> deploying ->
// deployed, deployed <-> suspended, deployed -> deploying (reinstall), releasing -> wiping ->
// available; any failure goes to maintenance, which is never handed to a customer.
const (
	MachineEnrolling   MachineState = "enrolling"
	MachineInspecting  MachineState = "inspecting"
	MachineAvailable   MachineState = "available"
	MachineReserved    MachineState = "reserved"
	MachineDeploying   MachineState = "deploying"
	MachineDeployed    MachineState = "deployed"
	MachineSuspended   MachineState = "suspended"
	MachineReleasing   MachineState = "releasing"
	MachineWiping      MachineState = "wiping"
	MachineMaintenance MachineState = "maintenance"
)

// MachineStates lists every state in life order.
func MachineStates() []MachineState {
	return []MachineState{MachineEnrolling, MachineInspecting, MachineAvailable, MachineReserved, MachineDeploying,
		MachineDeployed, MachineSuspended, MachineReleasing, MachineWiping, MachineMaintenance}
}

// transitions are the allowed moves besides "anything -> maintenance".
var transitions = map[MachineState][]MachineState{
	MachineEnrolling:   {MachineInspecting},
	MachineInspecting:  {MachineAvailable},
	MachineAvailable:   {MachineReserved, MachineInspecting},
	MachineReserved:    {MachineDeploying, MachineAvailable},
	MachineDeploying:   {MachineDeployed},
	MachineDeployed:    {MachineSuspended, MachineDeploying, MachineReleasing},
	MachineSuspended:   {MachineDeployed, MachineReleasing},
	MachineReleasing:   {MachineWiping},
	MachineWiping:      {MachineAvailable},
	MachineMaintenance: {MachineInspecting, MachineDeployed, MachineSuspended, MachineReleasing},
}

// CanTransition reports whether a machine may move from one state to another. Every state may
// go to maintenance (a failure); maintenance leaves to inspecting (repaired stock), or back to
// the customer who rents it (deployed, suspended) or to release.
func CanTransition(from, to MachineState) bool {
	if to == MachineMaintenance {
		return from != MachineMaintenance
	}
	return slices.Contains(transitions[from], to)
}

// ErrBadTransition is a state change the machine state machine forbids.
var ErrBadTransition = errs.Coded(errs.Conflict, "bad_transition", "this machine cannot change to that state now")

// Machine is a physical server: the host's asset (Art. 4), whoever rents it.
type Machine struct {
	ID           MachineID
	Serial       string
	Datacenter   string
	Rack         string
	U            int // lowest rack unit
	HeightU      int
	Profile      string // hardware profile, e.g. "ADVANCE-1"
	Range        string // catalogue range of the profile
	Manufacturer string
	Model        string
	BMC          BMC // Password is sealed at rest; the service opens it only to talk to the BMC
	State        MachineState
	StateSince   time.Time
	ServerID     ServerID // the rented server on it, 0 when none
	// Desired and observed power: the reconcile loop closes the gap.
	DesiredPower  PowerState
	ObservedPower PowerState
	ObservedAt    time.Time
	ObservedError string
	Failure       string // why it is in maintenance
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Component is a part of a machine with its serial; part replacements close one and add one.
type Component struct {
	ID          int64
	MachineID   MachineID
	Kind        string // cpu, memory, disk, nic, psu, other
	Model       string
	Serial      string
	Detail      string // size, speed, MAC...
	InstalledAt time.Time
	RemovedAt   time.Time
}

// ComponentKinds are the kinds of parts.
var ComponentKinds = []string{"cpu", "memory", "disk", "nic", "psu", "other"}

// Transition is one recorded state change of a machine: who, why, when.
type Transition struct {
	ID        int64
	MachineID MachineID
	From      MachineState
	To        MachineState
	Actor     account.Actor
	Reason    string
	At        time.Time
}

// Rack is a rack of a datacenter.
type Rack struct {
	Datacenter     string
	Name           string
	Units          int
	DatacenterName string
	City           string
}

// MachineFilter selects machines.
type MachineFilter struct {
	State      MachineState
	Datacenter string
	Rack       string
	Profile    string
	AfterID    MachineID
	Limit      int // 0: all
}

// MachineView is the part of a machine the reconcile pass reads.
type MachineView struct {
	ID            MachineID
	State         MachineState
	StateSince    time.Time
	DesiredPower  PowerState
	ObservedPower PowerState
	ObservedAt    time.Time
}

// componentsOf turns a BMC inventory into components.
func componentsOf(inv Inventory, at time.Time) []Component {
	var out []Component
	for _, c := range inv.CPUs {
		out = append(out, Component{Kind: "cpu", Model: c.Model, Detail: coresText(c.Cores), InstalledAt: at})
	}
	if inv.MemoryGiB > 0 {
		out = append(out, Component{Kind: "memory", Detail: itoa(inv.MemoryGiB) + " GiB", InstalledAt: at})
	}
	for _, d := range inv.Disks {
		out = append(out, Component{Kind: "disk", Model: d.Model, Serial: d.Serial, Detail: sizeText(d.SizeGB) + " " + string(d.Media), InstalledAt: at})
	}
	for _, n := range inv.NICs {
		out = append(out, Component{Kind: "nic", Serial: n.MAC, Detail: speedText(n.SpeedMbps), InstalledAt: at})
	}
	return out
}
