package fleet

import (
	"context"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/notify"
)

// Reader reads the fleet.
type Reader interface {
	GetMachine(ctx context.Context, id MachineID) (Machine, error)
	MachineBySerial(ctx context.Context, serial string) (Machine, error)
	ListMachines(ctx context.Context, f MachineFilter) ([]Machine, error)
	Transitions(ctx context.Context, id MachineID, limit int) ([]Transition, error)
	Components(ctx context.Context, id MachineID, withRemoved bool) ([]Component, error)
	Racks(ctx context.Context) ([]Rack, error)
	// ReconcileView lists every machine's states and power, by id.
	ReconcileView(ctx context.Context) ([]MachineView, error)

	GetServer(ctx context.Context, id ServerID) (Server, error)
	ServerByOrder(ctx context.Context, orderRef string) (Server, error)
	ListServers(ctx context.Context, f ServerFilter) ([]Server, error)

	Pools(ctx context.Context) ([]Pool, error)
	IPsOf(ctx context.Context, id ServerID) ([]IP, error)
	ListIPs(ctx context.Context, f IPFilter) ([]IP, error)
	// IPByAddress finds the row of an address (IPv4) or block (IPv6, as "prefix/64").
	IPByAddress(ctx context.Context, address string) (IP, error)

	GetTask(ctx context.Context, id TaskID) (Task, error)
	TasksOf(ctx context.Context, id ServerID, limit int) ([]Task, error)
	GetDeployment(ctx context.Context, id int64) (Deployment, error)
	// RunningDeployment is the server's running deployment (NotFound when none).
	RunningDeployment(ctx context.Context, id ServerID) (Deployment, error)
	// DeploymentsDue lists running deployments whose deadline is at or before now.
	DeploymentsDue(ctx context.Context, now time.Time, limit int) ([]Deployment, error)
	ListDeployments(ctx context.Context, state DeploymentState, limit int) ([]Deployment, error)
	SecretOfTask(ctx context.Context, id TaskID) (SecretRecord, error)

	GetIncident(ctx context.Context, id IncidentID) (Incident, error)
	ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	// IncidentsToNotify lists open incidents on servers not yet told that the repair is long.
	IncidentsToNotify(ctx context.Context, openedBefore time.Time, limit int) ([]Incident, error)
	Interventions(ctx context.Context, machine MachineID, server ServerID, limit int) ([]Intervention, error)
	GetConsole(ctx context.Context, id ConsoleID) (ConsoleSession, error)
	// ConsolesOf lists a server's console sessions, newest first.
	ConsolesOf(ctx context.Context, id ServerID, limit int) ([]ConsoleSession, error)
	// ConsolesToRevoke lists sessions closed, or expired at or before now, whose credential
	// is not revoked yet.
	ConsolesToRevoke(ctx context.Context, now time.Time, limit int) ([]ConsoleSession, error)
	GetMaintenance(ctx context.Context, id MaintenanceID) (Maintenance, error)
	ListMaintenances(ctx context.Context, f MaintenanceFilter) ([]Maintenance, error)
}

// Tx is what the fleet changes in one transaction: its rows, the notices and jobs they need,
// and the audit log.
type Tx interface {
	Reader
	notify.Tx
	AccountByID(ctx context.Context, id account.ID) (account.Account, error)
	ListAccounts(ctx context.Context, f account.ListFilter) ([]account.Account, error)
	Audit(ctx context.Context, e account.AuditEntry) error

	UpsertRack(ctx context.Context, r Rack) error
	InsertMachine(ctx context.Context, m *Machine) error
	// UpdateMachine writes every mutable column of m.
	UpdateMachine(ctx context.Context, m Machine) error
	// LockMachine reads a machine for update (PostgreSQL row lock).
	LockMachine(ctx context.Context, id MachineID) (Machine, error)
	// PickMachine locks and returns an available machine of the profile (in the datacenter
	// when not ""), lowest id first, skipping rows other transactions hold; NotFound when none.
	PickMachine(ctx context.Context, profile, datacenter string) (Machine, error)
	InsertTransition(ctx context.Context, t Transition) error
	InsertComponent(ctx context.Context, c *Component) error
	RemoveComponent(ctx context.Context, id int64, at time.Time) error

	InsertServer(ctx context.Context, s *Server) error
	UpdateServer(ctx context.Context, s Server) error
	LockServer(ctx context.Context, id ServerID) (Server, error)

	InsertPool(ctx context.Context, p *Pool) error
	// ClaimSlot returns an index in [first, last] that no row holds and no other running
	// transaction has claimed, the lowest one as far as concurrency allows; the claim lasts until
	// the transaction ends. ok is false when every index is taken.
	ClaimSlot(ctx context.Context, pool int64, first, last int64) (n int64, ok bool, err error)
	// ReusableIP returns the quarantined address of the pool whose quarantine ended first, at
	// or before now, skipping those other running transactions are reusing (NotFound when none).
	ReusableIP(ctx context.Context, pool int64, now time.Time) (IP, error)
	// InsertIP stores a new assignment; Conflict when the address is taken (the constraint).
	InsertIP(ctx context.Context, ip *IP) error
	// ReassignIP gives a quarantined address whose quarantine ended at or before now to ip's
	// server; Conflict when it is not (or no longer) reusable.
	ReassignIP(ctx context.Context, ip IP, now time.Time) error
	// ReleaseIPs quarantines the server's addresses until availableAt and closes their history.
	ReleaseIPs(ctx context.Context, id ServerID, at, availableAt time.Time) (int, error)
	SetReverse(ctx context.Context, id int64, reverse string) error

	InsertTask(ctx context.Context, t *Task) error
	UpdateTask(ctx context.Context, t Task) error
	InsertDeployment(ctx context.Context, d *Deployment) error
	UpdateDeployment(ctx context.Context, d Deployment) error
	InsertSecret(ctx context.Context, s *SecretRecord) error
	// RevealSecret marks the task's secret shown at at and returns it; Conflict when it was
	// shown already.
	RevealSecret(ctx context.Context, id TaskID, at time.Time) (SecretRecord, error)

	InsertConsole(ctx context.Context, c *ConsoleSession) error
	// UpdateConsole writes the mutable columns of c: what the BMC handed out (kind, connect
	// types, URL, username, ref: filled once it answered) and the close and revocation.
	UpdateConsole(ctx context.Context, c ConsoleSession) error
	InsertIncident(ctx context.Context, i *Incident) error
	UpdateIncident(ctx context.Context, i Incident) error
	InsertIntervention(ctx context.Context, iv *Intervention) error
	InsertMaintenance(ctx context.Context, m *Maintenance) error
	CancelMaintenance(ctx context.Context, id MaintenanceID, at time.Time) error
}

// Store is the fleet's persistence.
type Store interface {
	Reader
	InTx(ctx context.Context, fn func(Tx) error) error
	// RecordObservation stores what a BMC said about a machine's power (outside any change).
	RecordObservation(ctx context.Context, id MachineID, power PowerState, at time.Time, errMsg string) error
	// RecordProbe stores a probe result of a server.
	RecordProbe(ctx context.Context, id ServerID, failures int, at time.Time) error
}
