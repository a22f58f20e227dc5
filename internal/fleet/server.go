package fleet

import (
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// ServerID identifies a rented server: what the customer sees and what the contract is about.
// It runs on a machine; if a machine fails before delivery the server moves to another one and
// keeps its id and addresses.
type ServerID int64

// ServerState is the state of a rented server as the API shows it.
type ServerState string

// The server states (API.md "Servers").
const (
	ServerDelivering   ServerState = "delivering"
	ServerActive       ServerState = "active"
	ServerSuspended    ServerState = "suspended"
	ServerReinstalling ServerState = "reinstalling"
	ServerRescue       ServerState = "rescue"
	ServerNetworkCut   ServerState = "networkCut"
	ServerTerminating  ServerState = "terminating"
	ServerTerminated   ServerState = "terminated"
)

// ServerStates lists the states.
func ServerStates() []ServerState {
	return []ServerState{ServerDelivering, ServerActive, ServerSuspended, ServerReinstalling, ServerRescue,
		ServerNetworkCut, ServerTerminating, ServerTerminated}
}

// Server is a dedicated server rented by a customer.
type Server struct {
	ID             ServerID
	CustomerID     account.ID
	OrderRef       string // the order (line) it delivers; unique, so a request is delivered once
	Name           string // ns<id>.<domain>
	Plan           string
	Range          string
	Profile        string
	Datacenter     string
	MachineID      MachineID // 0 while no machine is reserved
	State          ServerState
	OSImage        string
	Hostname       string
	SSHKey         string
	DurationMonths int
	SupportLevel   string
	DesiredPower   PowerState // what the customer asked for: on, or off
	DeliveredAt    time.Time  // the contract starts then (Art. 4)
	TerminatedAt   time.Time
	TerminateAt    time.Time // a termination asked for the end of the term
	RescueUntil    time.Time
	ProbeFailures  int
	ProbedAt       time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Live reports whether the server is still rented.
func (s Server) Live() bool { return s.State != ServerTerminated }

// TermEnd is the end of the first term, from delivery (zero before delivery).
func (s Server) TermEnd() time.Time {
	if s.DeliveredAt.IsZero() || s.DurationMonths <= 0 {
		return time.Time{}
	}
	return AddMonths(s.DeliveredAt, s.DurationMonths)
}

// AddMonths moves t by n calendar months, keeping the day when it exists, else the month's last.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// ServerFilter selects servers.
type ServerFilter struct {
	CustomerID account.ID
	States     []ServerState
	BeforeID   ServerID
	Limit      int // 0: all
}

// IPKind is the role of an address on a server.
type IPKind string

// The address kinds: the main IPv4 (fixed for the whole contract), additional IPv4s, and the
// server's IPv6 /64.
const (
	IPMain       IPKind = "main"
	IPAdditional IPKind = "additional"
	IPv6Block    IPKind = "ipv6"
)

// IPState is whether an address is assigned or waiting out its quarantine.
type IPState string

// The address states.
const (
	IPAssigned    IPState = "assigned"
	IPQuarantined IPState = "quarantined"
)

// IP is an address (or, for IPv6, a /64) of the host's pools and who holds it.
type IP struct {
	ID          int64
	Prefix      netip.Prefix // /32 for an IPv4 address, /64 for an IPv6 block
	PoolID      int64
	N           int64 // offset in the pool (address index, or /64 index)
	ServerID    ServerID
	CustomerID  account.ID
	Kind        IPKind
	Reverse     string
	State       IPState
	AssignedAt  time.Time
	ReleasedAt  time.Time
	AvailableAt time.Time // end of the quarantine
}

// Addr is the address (the first one of an IPv6 block).
func (ip IP) Addr() netip.Addr { return ip.Prefix.Addr() }

// String is the address, or the block for IPv6.
func (ip IP) String() string {
	if ip.Prefix.Bits() == ip.Prefix.Addr().BitLen() {
		return ip.Prefix.Addr().String()
	}
	return ip.Prefix.String()
}

// IPFilter selects addresses.
type IPFilter struct {
	CustomerID account.ID
	ServerID   ServerID
	State      IPState
	AfterID    int64
	Limit      int
}

// TaskID identifies a task.
type TaskID int64

// TaskStatus is the API's task status.
type TaskStatus string

// Task statuses (API.md conventions).
const (
	TaskTodo          TaskStatus = "todo"
	TaskDoing         TaskStatus = "doing"
	TaskDone          TaskStatus = "done"
	TaskCustomerError TaskStatus = "customerError"
	TaskProviderError TaskStatus = "providerError"
	TaskCancelled     TaskStatus = "cancelled"
)

// Finished reports whether the task ended.
func (s TaskStatus) Finished() bool { return s != TaskTodo && s != TaskDoing }

// Task is a long operation on a server with its progress.
type Task struct {
	ID         TaskID
	ServerID   ServerID
	CustomerID account.ID
	Function   string // deliver, reinstall, reboot, rescue, rescueExit, terminate
	Status     TaskStatus
	Progress   []Step
	Comment    string
	CreatedAt  time.Time
	StartedAt  time.Time
	DoneAt     time.Time
	UpdatedAt  time.Time
	// Credentials is true when the task produced a password not yet shown.
	Credentials bool
}

// Step is one step of a task.
type Step struct {
	Name   string     `json:"name"`
	Status TaskStatus `json:"status"` // todo, doing, done, providerError
	At     time.Time  `json:"at,omitzero"`
}

// Percent is how far the task went, from its steps.
func (t Task) Percent() int {
	if t.Status == TaskDone {
		return 100
	}
	if len(t.Progress) == 0 {
		return 0
	}
	done := 0
	for _, s := range t.Progress {
		switch s.Status {
		case TaskDone:
			done += 2
		case TaskDoing:
			done++
		}
	}
	return done * 100 / (2 * len(t.Progress))
}

// setStep marks step name with status and every earlier step done.
func (t *Task) setStep(name string, st TaskStatus, at time.Time) {
	for i := range t.Progress {
		if t.Progress[i].Name == name {
			t.Progress[i].Status, t.Progress[i].At = st, at
			for j := range i {
				if t.Progress[j].Status != TaskDone {
					t.Progress[j].Status, t.Progress[j].At = TaskDone, at
				}
			}
			return
		}
	}
}

// booted reports whether the task's boot step is done: the BMC took the install's orders.
func (t *Task) booted() bool {
	for _, st := range t.Progress {
		if st.Name == stepBoot {
			return st.Status == TaskDone
		}
	}
	return false
}

func newSteps(names ...string) []Step {
	out := make([]Step, len(names))
	for i, n := range names {
		out[i] = Step{Name: n, Status: TaskTodo}
	}
	return out
}

// DeploymentKind is why an OS is installed.
type DeploymentKind string

// Deployment kinds.
const (
	DeployDelivery  DeploymentKind = "delivery"
	DeployReinstall DeploymentKind = "reinstall"
)

// DeploymentState is how an install went.
type DeploymentState string

// Deployment states.
const (
	DeployRunning  DeploymentState = "running"
	DeployDone     DeploymentState = "done"
	DeployTimedOut DeploymentState = "timedOut"
	DeployFailed   DeploymentState = "failed"
)

// Deployment is one install of an OS image on one machine for one server.
type Deployment struct {
	ID           int64
	ServerID     ServerID
	MachineID    MachineID
	TaskID       TaskID
	Kind         DeploymentKind
	Image        string
	Hostname     string
	SSHKey       string
	PreserveData bool
	State        DeploymentState
	Attempt      int
	StartedAt    time.Time
	Deadline     time.Time
	EndedAt      time.Time
	Failure      string
}

// TimedOut reports whether a deploy started at start has passed the timeout at now: at exactly
// start+timeout it has.
func TimedOut(start time.Time, timeout time.Duration, now time.Time) bool {
	return !now.Before(start.Add(timeout))
}

// SecretRecord is a password produced by a task, sealed, shown once.
type SecretRecord struct {
	ID         int64
	ServerID   ServerID
	TaskID     TaskID
	Kind       string // root, rescue
	Username   string
	Sealed     string
	CreatedAt  time.Time
	RevealedAt time.Time
}

// Credentials are a login shown once.
type Credentials struct {
	Username string
	Password Secret
}
