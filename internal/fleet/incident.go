package fleet

import (
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// IncidentID identifies an incident.
type IncidentID int64

// IncidentKind is what went wrong.
type IncidentKind string

// Incident kinds.
const (
	IncidentUnreachable   IncidentKind = "unreachable"
	IncidentHardware      IncidentKind = "hardware"
	IncidentDeployTimeout IncidentKind = "deployTimeout"
	IncidentNetwork       IncidentKind = "network"
	IncidentOther         IncidentKind = "other"
)

// IncidentKinds lists the kinds; the customer may file hardware, network or other.
func IncidentKinds() []IncidentKind {
	return []IncidentKind{IncidentUnreachable, IncidentHardware, IncidentDeployTimeout, IncidentNetwork, IncidentOther}
}

// Incident origins.
const (
	OriginProbe    = "probe"
	OriginCustomer = "customer" // an intervention request (Art. 5.3)
	OriginStaff    = "staff"
	OriginSystem   = "system"
)

// IncidentStatus is where an incident is.
type IncidentStatus string

// Incident statuses.
const (
	IncidentOpen         IncidentStatus = "open"
	IncidentAcknowledged IncidentStatus = "acknowledged"
	IncidentResolved     IncidentStatus = "resolved"
)

// Incident is a problem on a server or machine: a probe that stopped answering, a failed part,
// a deploy past its deadline, or a customer's intervention request.
type Incident struct {
	ID             IncidentID
	ServerID       ServerID
	MachineID      MachineID
	CustomerID     account.ID
	Kind           IncidentKind
	Origin         string
	Description    string
	Status         IncidentStatus
	OpenedAt       time.Time
	AcknowledgedAt time.Time
	ResolvedAt     time.Time
	ExpectedEnd    time.Time // the technicians' estimate of the end of the repair
	LongNotifiedAt time.Time // when the customer was told the repair exceeds the usual time
	Resolution     string
}

// Age is how long the incident has waited for a first response at now (or waited, once
// acknowledged).
func (i Incident) Age(now time.Time) time.Duration {
	if !i.AcknowledgedAt.IsZero() {
		return i.AcknowledgedAt.Sub(i.OpenedAt)
	}
	return now.Sub(i.OpenedAt)
}

// Overdue reports whether a customer's request waited past the response target at now.
func (i Incident) Overdue(target time.Duration, now time.Time) bool {
	return i.Origin == OriginCustomer && i.Age(now) > target
}

// RepairExceedsUsual reports whether the repair runs (or is expected to run) past the usual
// repair time (Art. 5.1): the expected end is after opened+usual, or the incident is still open
// at opened+usual.
func (i Incident) RepairExceedsUsual(usual time.Duration, now time.Time) bool {
	limit := i.OpenedAt.Add(usual)
	if i.Status == IncidentResolved {
		return false
	}
	return i.ExpectedEnd.After(limit) || !now.Before(limit)
}

// IncidentFilter selects incidents.
type IncidentFilter struct {
	ServerID   ServerID
	CustomerID account.ID
	Open       bool // only open and acknowledged
	BeforeID   IncidentID
	Limit      int
}

// InterventionKind is what a technician did.
type InterventionKind string

// Intervention kinds.
const (
	InterventionDiagnosis       InterventionKind = "diagnosis"
	InterventionPartReplacement InterventionKind = "partReplacement"
	InterventionReboot          InterventionKind = "reboot"
	InterventionOther           InterventionKind = "other"
)

// Intervention is a technician's work on a machine, possibly a part replacement.
type Intervention struct {
	ID           int64
	IncidentID   IncidentID
	MachineID    MachineID
	ServerID     ServerID
	Kind         InterventionKind
	Notes        string
	PartKind     string
	OldSerial    string
	NewSerial    string
	TechnicianID account.ID
	Technician   string
	At           time.Time
	ExpectedEnd  time.Time
}

// MaintenanceID identifies a planned intervention.
type MaintenanceID int64

// Maintenance is a planned intervention window on servers (Art. 5.2), announced
// policy.maintenance_notice ahead.
type Maintenance struct {
	ID          MaintenanceID
	Title       string
	Description string
	StartsAt    time.Time
	EndsAt      time.Time
	CreatedBy   string
	CreatedAt   time.Time
	CancelledAt time.Time
	ServerIDs   []ServerID
}

// Ongoing reports whether the window covers now.
func (m Maintenance) Ongoing(now time.Time) bool {
	return m.CancelledAt.IsZero() && !now.Before(m.StartsAt) && now.Before(m.EndsAt)
}

// NoticeLongEnough reports whether a window starting at start, scheduled at now, respects the
// notice: exactly the notice is enough.
func NoticeLongEnough(start, now time.Time, notice time.Duration) bool {
	return !start.Before(now.Add(notice))
}

// MaintenanceFilter selects planned interventions.
type MaintenanceFilter struct {
	ServerID   ServerID
	CustomerID account.ID
	EndsAfter  time.Time // zero: any
	Limit      int
}
