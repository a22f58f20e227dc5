package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/httpserver"
)

// FleetDeps are the services of servers, IPs, provisioning, incidents and planned works.
type FleetDeps struct {
	Fleet *fleet.Service
}

// fleetRoutes are the routes of servers, IPs, provisioning, incidents and planned works.
func (a *API) fleetRoutes() []Route {
	if a.deps.Fleet.Fleet == nil {
		return nil
	}
	sr, sw := account.ScopeServersRead, account.ScopeServersWrite
	page := []Param{{"limit", "integer", "page size (1-200)"}, {"cursor", "string", "nextCursor of the previous page"}}
	staffR, staffW := account.ScopeStaffRead, account.ScopeStaffWrite
	return []Route{
		{Method: "GET", Path: "/servers", Summary: "My servers with state, addresses, OS, contract and power", Tag: "servers",
			access: user, Scope: sr, Reply: Page[ServerDTO]{}, Status: 200, Query: page, handle: a.listServers},
		{Method: "GET", Path: "/servers/{id}", Summary: "One server", Tag: "servers",
			access: user, Scope: sr, Reply: ServerDTO{}, Status: 200, handle: a.getServer},
		{Method: "POST", Path: "/servers/{id}/reinstall", Summary: "Reinstall the server (save your data first); new credentials are shown once", Tag: "servers",
			access: user, Scope: sw, Request: ReinstallRequest{}, Reply: TaskDTO{}, Status: 202, handle: a.reinstall},
		{Method: "POST", Path: "/servers/{id}/reboot", Summary: "Reboot: soft (ACPI), hard (reset) or power (off and on)", Tag: "servers",
			access: user, Scope: sw, Request: RebootRequest{}, Reply: TaskDTO{}, Status: 202, handle: a.reboot},
		{Method: "POST", Path: "/servers/{id}/rescue", Summary: "Boot the rescue system (credentials shown once)", Tag: "servers",
			access: user, Scope: sw, Reply: TaskDTO{}, Status: 202, handle: a.rescue},
		{Method: "DELETE", Path: "/servers/{id}/rescue", Summary: "Leave rescue mode: boot the disk again", Tag: "servers",
			access: user, Scope: sw, Reply: TaskDTO{}, Status: 202, handle: a.exitRescue},
		{Method: "POST", Path: "/servers/{id}/console", Summary: "Open a time-limited BMC console (its password is shown once; 409 console_open while one is live)", Tag: "servers",
			access: user, Scope: sw, Reply: ConsoleDTO{}, Status: 201, handle: a.console},
		{Method: "GET", Path: "/servers/{id}/console", Summary: "The live console session, without its password (404 no_console)", Tag: "servers",
			access: user, Scope: sr, Reply: ConsoleDTO{}, Status: 200, handle: a.getConsole},
		{Method: "DELETE", Path: "/servers/{id}/console", Summary: "Close the console now: its BMC credential is revoked", Tag: "servers",
			access: user, Scope: sw, Status: 204, handle: a.closeConsole},
		{Method: "GET", Path: "/servers/{id}/tasks", Summary: "The server's tasks, newest first", Tag: "servers",
			access: user, Scope: sr, Reply: Page[TaskDTO]{}, Status: 200, handle: a.serverTasks},
		{Method: "GET", Path: "/tasks/{id}", Summary: "A task with its progress", Tag: "servers",
			access: user, Scope: sr, Reply: TaskDTO{}, Status: 200, handle: a.getTask},
		{Method: "POST", Path: "/tasks/{id}/credentials", Summary: "Show a task's credentials (once; 409 credentials_already_shown after)", Tag: "servers",
			access: user, Scope: sw, Reply: CredentialsDTO{}, Status: 200, handle: a.revealCredentials},
		{Method: "GET", Path: "/servers/{id}/interventions", Summary: "Incidents, intervention requests and technicians' interventions", Tag: "servers",
			access: user, Scope: sr, Reply: InterventionsDTO{}, Status: 200, handle: a.serverInterventions},
		{Method: "GET", Path: "/servers/{id}/planned-interventions", Summary: "Planned interventions on the server that have not ended", Tag: "servers",
			access: user, Scope: sr, Reply: Page[MaintenanceDTO]{}, Status: 200, handle: a.serverPlanned},
		{Method: "POST", Path: "/servers/{id}/incidents", Summary: "File an intervention request (Art. 5.3)", Tag: "servers",
			access: user, Scope: sw, Request: IncidentRequest{}, Reply: IncidentDTO{}, Status: 201, handle: a.fileIncident},
		{Method: "POST", Path: "/servers/{id}/termination", Summary: "Terminate the server now or at the end of its term", Tag: "servers",
			access: user, Scope: sw, Request: ServerTerminationRequest{}, Reply: ServerDTO{}, Status: 200, handle: a.terminate},
		{Method: "DELETE", Path: "/servers/{id}/termination", Summary: "Withdraw a termination at the end of the term", Tag: "servers",
			access: user, Scope: sw, Reply: ServerDTO{}, Status: 200, handle: a.withdrawTermination},
		{Method: "GET", Path: "/ips", Summary: "My IP addresses (main, additional, IPv6 /64)", Tag: "ips",
			access: user, Scope: account.ScopeIPRead, Reply: Page[IPDTO]{}, Status: 200, handle: a.listIPs},
		{Method: "GET", Path: "/ips/{ip}", Summary: "One of my IP addresses", Tag: "ips",
			access: user, Scope: account.ScopeIPRead, Reply: IPDTO{}, Status: 200, handle: a.getIP},
		{Method: "PUT", Path: "/ips/{ip}/reverse", Summary: "Set the reverse DNS of an IPv4 address", Tag: "ips",
			access: user, Scope: account.ScopeIPWrite, Request: ReverseRequest{}, Reply: IPDTO{}, Status: 200, handle: a.setReverse},
		{Method: "GET", Path: "/status", Summary: "Public status: ongoing incidents and planned works", Tag: "status",
			access: public, Reply: StatusDTO{}, Status: 200, handle: a.status},

		{Method: "GET", Path: "/staff/servers", Summary: "Every server", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleSupport, Reply: Page[ServerDTO]{}, Status: 200,
			Query: append([]Param{{"customerId", "integer", "only this customer's"}}, page...), handle: a.staffServers},
		{Method: "POST", Path: "/staff/servers", Summary: "Deliver a server (an order line; honours Idempotency-Key as orderRef)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: DeliveryRequestDTO{}, Reply: ServerDTO{}, Status: 202, handle: a.staffDeliver},
		{Method: "GET", Path: "/staff/servers/{id}", Summary: "One server (any customer)", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleSupport, Reply: ServerDTO{}, Status: 200, handle: a.staffServer},
		{Method: "POST", Path: "/staff/servers/{id}/suspend", Summary: "Suspend a server", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: ReasonRequest{}, Reply: ServerDTO{}, Status: 200, handle: a.staffSuspend(true)},
		{Method: "POST", Path: "/staff/servers/{id}/unsuspend", Summary: "Lift a suspension", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: ReasonRequest{}, Reply: ServerDTO{}, Status: 200, handle: a.staffSuspend(false)},
		{Method: "POST", Path: "/staff/servers/{id}/ips", Summary: "Give a server an additional IPv4 address", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Reply: IPDTO{}, Status: 201, handle: a.staffAddIP},
		{Method: "GET", Path: "/staff/machines", Summary: "The inventory: machines by datacenter and rack", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleTechnician, Reply: Page[MachineDTO]{}, Status: 200,
			Query: []Param{{"state", "string", "a machine state"}, {"datacenter", "string", ""}, {"rack", "string", ""}}, handle: a.staffMachines},
		{Method: "POST", Path: "/staff/machines", Summary: "Enroll a machine (its BMC password is sealed at rest)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleTechnician, Request: EnrollRequest{}, Reply: MachineDTO{}, Status: 201, handle: a.staffEnroll},
		{Method: "GET", Path: "/staff/machines/{id}", Summary: "A machine with its components and state history", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleTechnician, Reply: MachineDTO{}, Status: 200, handle: a.staffMachine},
		{Method: "POST", Path: "/staff/machines/{id}/maintenance", Summary: "Send a machine to maintenance, or back from it", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleTechnician, Request: MaintenanceModeRequest{}, Reply: MachineDTO{}, Status: 200, handle: a.staffMachineMaintenance},
		{Method: "GET", Path: "/staff/incidents", Summary: "Incidents and intervention requests with their age against the response target", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: Page[IncidentDTO]{}, Status: 200,
			Query: []Param{{"open", "boolean", "only open ones"}}, handle: a.staffIncidents},
		{Method: "POST", Path: "/staff/incidents/{id}/acknowledge", Summary: "Acknowledge an incident (first response)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Reply: IncidentDTO{}, Status: 200, handle: a.staffAck},
		{Method: "POST", Path: "/staff/incidents/{id}/resolve", Summary: "Resolve an incident", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: ResolveRequest{}, Reply: IncidentDTO{}, Status: 200, handle: a.staffResolve},
		{Method: "POST", Path: "/staff/interventions", Summary: "Record a technician's intervention or part replacement", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleTechnician, Request: InterventionRequest{}, Reply: InterventionDTO{}, Status: 201, handle: a.staffIntervention},
		{Method: "GET", Path: "/staff/maintenance", Summary: "Planned interventions", Tag: "staff",
			access: user, Scope: staffR, Role: account.RoleNOC, Reply: Page[MaintenanceDTO]{}, Status: 200, handle: a.staffMaintenances},
		{Method: "POST", Path: "/staff/maintenance", Summary: "Plan an intervention (at least policy.maintenance_notice ahead; customers notified)", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Request: MaintenanceRequest{}, Reply: MaintenanceDTO{}, Status: 201, handle: a.staffPlan},
		{Method: "DELETE", Path: "/staff/maintenance/{id}", Summary: "Cancel a planned intervention", Tag: "staff",
			access: user, Scope: staffW, Role: account.RoleNOC, Status: 204, handle: a.staffCancelPlan},
	}
}

// ---- DTOs

// ServerContractDTO is a server's term: its contract's (the end moves with each paid renewal, a
// termination asked through the server or the contract shows) when it has one, else the server's
// own first term from delivery.
type ServerContractDTO struct {
	StartedAt      *time.Time `json:"startedAt,omitempty"`
	EndsAt         *time.Time `json:"endsAt,omitempty"`
	DurationMonths int        `json:"durationMonths"`
	TerminateAt    *time.Time `json:"terminateAt,omitempty"`
	Renew          struct {
		Automatic bool `json:"automatic"`
	} `json:"renew"`
}

// ServerDTO is a rented server.
type ServerDTO struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	Plan         string            `json:"plan"`
	Range        string            `json:"range"`
	State        string            `json:"state"`
	MainIP       string            `json:"mainIp,omitempty"`
	IPs          []IPDTO           `json:"ips"`
	OS           string            `json:"os"`
	Hostname     string            `json:"hostname"`
	Datacenter   string            `json:"datacenter"`
	Rack         string            `json:"rack,omitempty"`
	PowerState   string            `json:"powerState"`
	Contract     ServerContractDTO `json:"contract"`
	Monitoring   bool              `json:"monitoring"`
	SupportLevel string            `json:"supportLevel,omitempty"`
	Suspensions  []string          `json:"suspensions"`
	RescueUntil  *time.Time        `json:"rescueUntil,omitempty"`
	CustomerID   int64             `json:"customerId,omitempty"`
	OrderRef     string            `json:"orderRef,omitempty"`
	Machine      string            `json:"machine,omitempty"` // staff only
	Tasks        []TaskDTO         `json:"tasks,omitempty"`
	CreatedAt    time.Time         `json:"createdAt"`
}

// IPDTO is an address.
type IPDTO struct {
	IP         string `json:"ip"`
	ServerID   int64  `json:"serverId"`
	Type       string `json:"type"` // main, additional, ipv6
	Reverse    string `json:"reverse"`
	Locked     bool   `json:"locked"`
	LockReason string `json:"lockReason,omitempty"`
}

// StepDTO is a task step.
type StepDTO struct {
	Name   string     `json:"name"`
	Status string     `json:"status"`
	At     *time.Time `json:"at,omitempty"`
}

// TaskDTO is a long operation (API.md conventions).
type TaskDTO struct {
	ID          int64      `json:"id"`
	ServerID    int64      `json:"serverId"`
	Function    string     `json:"function"`
	Status      string     `json:"status"`
	Progress    []StepDTO  `json:"progress"`
	Percent     int        `json:"percent"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	DoneAt      *time.Time `json:"doneAt,omitempty"`
	Comment     string     `json:"comment"`
	Credentials bool       `json:"credentialsAvailable"`
}

// CredentialsDTO is a login shown once.
type CredentialsDTO struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ConsoleDTO is a console session: reach url with username and password (given only when the
// session opens) until expiresAt, when the credential is revoked.
type ConsoleDTO struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	ConnectTypes []string  `json:"connectTypes"`
	URL          string    `json:"url"`
	Username     string    `json:"username"`
	Password     string    `json:"password,omitempty"`
	OpenedAt     time.Time `json:"openedAt"`
	ExpiresAt    time.Time `json:"expiresAt"`
}

func consoleDTO(c fleet.ConsoleSession, password fleet.Secret) ConsoleDTO {
	types := c.ConnectTypes
	if types == nil {
		types = []string{}
	}
	return ConsoleDTO{ID: int64(c.ID), Kind: string(c.Kind), ConnectTypes: types, URL: c.URL, Username: c.Username,
		Password: string(password), OpenedAt: c.OpenedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC()}
}

// IncidentDTO is an incident or intervention request.
type IncidentDTO struct {
	ID             int64      `json:"id"`
	ServerID       int64      `json:"serverId,omitempty"`
	Machine        string     `json:"machine,omitempty"`
	Kind           string     `json:"kind"`
	Origin         string     `json:"origin"`
	Description    string     `json:"description"`
	Status         string     `json:"status"`
	OpenedAt       time.Time  `json:"openedAt"`
	AcknowledgedAt *time.Time `json:"acknowledgedAt,omitempty"`
	ResolvedAt     *time.Time `json:"resolvedAt,omitempty"`
	ExpectedEnd    *time.Time `json:"expectedEnd,omitempty"`
	AgeSeconds     int64      `json:"ageSeconds"`
	TargetSeconds  int64      `json:"responseTargetSeconds"`
	Overdue        bool       `json:"overdue"`
	Resolution     string     `json:"resolution,omitempty"`
}

// InterventionDTO is a technician's intervention.
type InterventionDTO struct {
	ID          int64      `json:"id"`
	IncidentID  int64      `json:"incidentId,omitempty"`
	Kind        string     `json:"kind"`
	Notes       string     `json:"notes"`
	PartKind    string     `json:"partKind,omitempty"`
	OldSerial   string     `json:"oldSerial,omitempty"`
	NewSerial   string     `json:"newSerial,omitempty"`
	Technician  string     `json:"technician,omitempty"`
	At          time.Time  `json:"at"`
	ExpectedEnd *time.Time `json:"expectedEnd,omitempty"`
}

// InterventionsDTO is what a customer sees of the work on a server.
type InterventionsDTO struct {
	Incidents     []IncidentDTO     `json:"incidents"`
	Interventions []InterventionDTO `json:"interventions"`
}

// MaintenanceDTO is a planned intervention.
type MaintenanceDTO struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	StartsAt    time.Time  `json:"startsAt"`
	EndsAt      time.Time  `json:"endsAt"`
	ServerIDs   []int64    `json:"serverIds,omitempty"`
	CancelledAt *time.Time `json:"cancelledAt,omitempty"`
}

// StatusDTO is the public status.
type StatusDTO struct {
	Incidents []StatusIncidentDTO `json:"incidents"`
	Planned   []MaintenanceDTO    `json:"planned"`
}

// StatusIncidentDTO is an incident as the public sees it.
type StatusIncidentDTO struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Datacenter string    `json:"datacenter,omitempty"`
	Since      time.Time `json:"since"`
	Status     string    `json:"status"`
}

// ComponentDTO is a part of a machine.
type ComponentDTO struct {
	Kind      string     `json:"kind"`
	Model     string     `json:"model,omitempty"`
	Serial    string     `json:"serial,omitempty"`
	Detail    string     `json:"detail,omitempty"`
	Installed time.Time  `json:"installedAt"`
	Removed   *time.Time `json:"removedAt,omitempty"`
}

// TransitionDTO is a recorded state change.
type TransitionDTO struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// MachineDTO is an asset of the inventory (never its BMC password).
type MachineDTO struct {
	ID            int64           `json:"id"`
	Serial        string          `json:"serial"`
	Datacenter    string          `json:"datacenter"`
	Rack          string          `json:"rack"`
	U             int             `json:"u"`
	HeightU       int             `json:"heightU"`
	Profile       string          `json:"profile"`
	Range         string          `json:"range,omitempty"`
	Manufacturer  string          `json:"manufacturer,omitempty"`
	Model         string          `json:"model,omitempty"`
	BMCDriver     string          `json:"bmcDriver"`
	BMCAddress    string          `json:"bmcAddress"`
	State         string          `json:"state"`
	StateSince    time.Time       `json:"stateSince"`
	ServerID      int64           `json:"serverId,omitempty"`
	DesiredPower  string          `json:"desiredPower"`
	ObservedPower string          `json:"observedPower"`
	ObservedAt    *time.Time      `json:"observedAt,omitempty"`
	Failure       string          `json:"failure,omitempty"`
	Components    []ComponentDTO  `json:"components,omitempty"`
	Transitions   []TransitionDTO `json:"transitions,omitempty"`
}

// Requests.
type (
	// ReinstallRequest asks for a reinstall.
	ReinstallRequest struct {
		OSImage      string `json:"osImage"`
		Hostname     string `json:"hostname,omitempty"`
		SSHKey       string `json:"sshKey,omitempty"`
		PreserveData bool   `json:"preserveData,omitempty"`
	}
	// RebootRequest asks for a reboot.
	RebootRequest struct {
		Type string `json:"type"`
	}
	// IncidentRequest is an intervention request.
	IncidentRequest struct {
		Description string `json:"description"`
		Kind        string `json:"kind"`
	}
	// ServerTerminationRequest terminates a server.
	ServerTerminationRequest struct {
		Reason string `json:"reason"`
		At     string `json:"at"`
	}
	// ReverseRequest sets a reverse DNS.
	ReverseRequest struct {
		Reverse string `json:"reverse"`
	}
	// ReasonRequest carries a reason.
	ReasonRequest struct {
		Reason string `json:"reason"`
	}
	// ResolveRequest resolves an incident.
	ResolveRequest struct {
		Resolution string `json:"resolution"`
	}
	// MaintenanceModeRequest sends a machine to maintenance (on) or back (off).
	MaintenanceModeRequest struct {
		On     bool   `json:"on"`
		Reason string `json:"reason"`
	}
	// DeliveryRequestDTO delivers a server by hand.
	DeliveryRequestDTO struct {
		OrderRef       string `json:"orderRef,omitempty"`
		CustomerID     int64  `json:"customerId"`
		Plan           string `json:"plan"`
		Range          string `json:"range,omitempty"`
		Profile        string `json:"profile,omitempty"`
		OSImage        string `json:"osImage"`
		Datacenter     string `json:"datacenter,omitempty"`
		SSHKey         string `json:"sshKey,omitempty"`
		Hostname       string `json:"hostname,omitempty"`
		DurationMonths int    `json:"durationMonths,omitempty"`
		AdditionalIPs  int    `json:"additionalIps,omitempty"`
	}
	// EnrollRequest adds a machine.
	EnrollRequest struct {
		Serial     string `json:"serial"`
		Datacenter string `json:"datacenter"`
		Rack       string `json:"rack"`
		U          int    `json:"u"`
		HeightU    int    `json:"heightU,omitempty"`
		Profile    string `json:"profile"`
		Range      string `json:"range,omitempty"`
		BMC        struct {
			Driver   string `json:"driver"`
			Address  string `json:"address"`
			Username string `json:"username"`
			Password string `json:"password"`
		} `json:"bmc"`
	}
	// InterventionRequest records an intervention.
	InterventionRequest struct {
		IncidentID  int64      `json:"incidentId,omitempty"`
		MachineID   int64      `json:"machineId,omitempty"`
		Kind        string     `json:"kind"`
		Notes       string     `json:"notes,omitempty"`
		PartKind    string     `json:"partKind,omitempty"`
		OldSerial   string     `json:"oldSerial,omitempty"`
		NewSerial   string     `json:"newSerial,omitempty"`
		NewModel    string     `json:"newModel,omitempty"`
		ExpectedEnd *time.Time `json:"expectedEnd,omitempty"`
		Failure     bool       `json:"failure,omitempty"`
		Repaired    bool       `json:"repaired,omitempty"`
	}
	// MaintenanceRequest plans an intervention.
	MaintenanceRequest struct {
		Title       string    `json:"title"`
		Description string    `json:"description,omitempty"`
		StartsAt    time.Time `json:"startsAt"`
		EndsAt      time.Time `json:"endsAt"`
		ServerIDs   []int64   `json:"serverIds"`
	}
)

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func ipDTO(ip fleet.IP) IPDTO {
	return IPDTO{IP: ip.String(), ServerID: int64(ip.ServerID), Type: string(ip.Kind), Reverse: ip.Reverse}
}

// ServerDTOOf renders a server's detail.
func serverDTO(d fleet.ServerDetail, staff bool) ServerDTO {
	s := d.Server
	out := ServerDTO{ID: int64(s.ID), Name: s.Name, Plan: s.Plan, Range: s.Range, State: string(s.State), OS: s.OSImage, Hostname: s.Hostname,
		Datacenter: s.Datacenter, Rack: d.Machine.Rack, PowerState: string(d.Power), Monitoring: s.State == fleet.ServerActive,
		SupportLevel: s.SupportLevel, Suspensions: []string{}, IPs: []IPDTO{}, RescueUntil: tp(s.RescueUntil), CreatedAt: s.CreatedAt}
	if d.Power == "" {
		out.PowerState = string(fleet.PowerStateUnknown)
	}
	out.Contract = ServerContractDTO{StartedAt: tp(s.DeliveredAt), EndsAt: tp(d.TermEnd()), DurationMonths: s.DurationMonths, TerminateAt: tp(d.TerminateAt())}
	if c := d.Contract; c != nil {
		out.Contract.StartedAt, out.Contract.DurationMonths = tp(c.StartedAt), c.DurationMonths
	}
	out.Contract.Renew.Automatic = d.AutoRenew()
	if s.State == fleet.ServerSuspended {
		out.Suspensions = append(out.Suspensions, "suspended")
	}
	for _, ip := range d.IPs {
		out.IPs = append(out.IPs, ipDTO(ip))
		if ip.Kind == fleet.IPMain {
			out.MainIP = ip.String()
		}
	}
	for _, t := range d.Tasks {
		out.Tasks = append(out.Tasks, taskDTO(t))
	}
	if staff {
		out.CustomerID, out.OrderRef, out.Machine = int64(s.CustomerID), s.OrderRef, d.Machine.Serial
	}
	return out
}

func taskDTO(t fleet.Task) TaskDTO {
	d := TaskDTO{ID: int64(t.ID), ServerID: int64(t.ServerID), Function: t.Function, Status: string(t.Status), Percent: t.Percent(),
		StartedAt: tp(t.StartedAt), DoneAt: tp(t.DoneAt), Comment: t.Comment, Credentials: t.Credentials && t.Status == fleet.TaskDone,
		Progress: []StepDTO{}}
	for _, s := range t.Progress {
		d.Progress = append(d.Progress, StepDTO{Name: s.Name, Status: string(s.Status), At: tp(s.At)})
	}
	return d
}

func incidentDTO(i fleet.Incident, target time.Duration, now time.Time) IncidentDTO {
	return IncidentDTO{ID: int64(i.ID), ServerID: int64(i.ServerID), Kind: string(i.Kind), Origin: i.Origin, Description: i.Description,
		Status: string(i.Status), OpenedAt: i.OpenedAt, AcknowledgedAt: tp(i.AcknowledgedAt), ResolvedAt: tp(i.ResolvedAt),
		ExpectedEnd: tp(i.ExpectedEnd), AgeSeconds: int64(i.Age(now) / time.Second), TargetSeconds: int64(target / time.Second),
		Overdue: i.Overdue(target, now), Resolution: i.Resolution}
}

func interventionDTO(iv fleet.Intervention, staff bool) InterventionDTO {
	d := InterventionDTO{ID: iv.ID, IncidentID: int64(iv.IncidentID), Kind: string(iv.Kind), Notes: iv.Notes, PartKind: iv.PartKind,
		OldSerial: iv.OldSerial, NewSerial: iv.NewSerial, At: iv.At, ExpectedEnd: tp(iv.ExpectedEnd)}
	if staff {
		d.Technician = iv.Technician
	}
	return d
}

func maintenanceDTO(m fleet.Maintenance, staff bool) MaintenanceDTO {
	d := MaintenanceDTO{ID: int64(m.ID), Title: m.Title, Description: m.Description, StartsAt: m.StartsAt, EndsAt: m.EndsAt, CancelledAt: tp(m.CancelledAt)}
	if staff {
		for _, id := range m.ServerIDs {
			d.ServerIDs = append(d.ServerIDs, int64(id))
		}
	}
	return d
}

func machineDTO(m fleet.Machine) MachineDTO {
	return MachineDTO{ID: int64(m.ID), Serial: m.Serial, Datacenter: m.Datacenter, Rack: m.Rack, U: m.U, HeightU: m.HeightU, Profile: m.Profile,
		Range: m.Range, Manufacturer: m.Manufacturer, Model: m.Model, BMCDriver: m.BMC.Driver, BMCAddress: m.BMC.Address, State: string(m.State),
		StateSince: m.StateSince, ServerID: int64(m.ServerID), DesiredPower: string(m.DesiredPower), ObservedPower: string(m.ObservedPower),
		ObservedAt: tp(m.ObservedAt), Failure: m.Failure}
}

// ---- handlers

func (a *API) fl() *fleet.Service { return a.deps.Fleet.Fleet }

// customerOf is the customer a request acts for: staff see every server (0).
func customerOf(r *http.Request) account.ID {
	p := principal(r)
	if p.IsStaff() {
		return 0
	}
	return p.Account.ID
}

func serverID(r *http.Request) (fleet.ServerID, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, errs.Coded(errs.NotFound, "not_found", "server not found")
	}
	return fleet.ServerID(id), nil
}

func (a *API) listServers(w http.ResponseWriter, r *http.Request) error {
	return a.serverList(w, r, principal(r).Account.ID, false)
}

func (a *API) staffServers(w http.ResponseWriter, r *http.Request) error {
	var cust int64
	if s := r.URL.Query().Get("customerId"); s != "" {
		if _, err := fmt.Sscan(s, &cust); err != nil || cust <= 0 {
			return errs.Fields(errs.FieldError{Field: "customerId", Message: "must be a customer id"})
		}
	}
	return a.serverList(w, r, account.ID(cust), true)
}

func (a *API) serverList(w http.ResponseWriter, r *http.Request, customer account.ID, staff bool) error {
	limit, before, err := pageParams(r, 200)
	if err != nil {
		return err
	}
	ss, err := a.fl().Servers(r.Context(), fleet.ServerFilter{CustomerID: customer, BeforeID: fleet.ServerID(before), Limit: limit})
	if err != nil {
		return err
	}
	out := Page[ServerDTO]{Items: []ServerDTO{}}
	for _, s := range ss {
		d, err := a.fl().Detail(r.Context(), 0, s.ID)
		if err != nil {
			return err
		}
		d.Tasks = nil
		out.Items = append(out.Items, serverDTO(d, staff))
	}
	if len(ss) > 0 {
		out.NextCursor = cursorOf(len(ss), limit, int64(ss[len(ss)-1].ID))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getServer(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	d, err := a.fl().Detail(r.Context(), principal(r).Account.ID, id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, serverDTO(d, false))
}

func (a *API) staffServer(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	d, err := a.fl().Detail(r.Context(), 0, id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, serverDTO(d, true))
}

func (a *API) writeTask(w http.ResponseWriter, status int, t fleet.Task) error {
	w.Header().Set("Location", fmt.Sprintf("/api/v1/tasks/%d", t.ID))
	return httpserver.WriteJSON(w, status, taskDTO(t))
}

func (a *API) reinstall(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	var in ReinstallRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := a.fl().Reinstall(r.Context(), httpserver.Actor(r), customerOf(r), id, fleet.ReinstallRequest{OSImage: in.OSImage,
		Hostname: in.Hostname, SSHKey: in.SSHKey, PreserveData: in.PreserveData})
	if err != nil {
		return err
	}
	return a.writeTask(w, http.StatusAccepted, t)
}

func (a *API) reboot(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	var in RebootRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := a.fl().Reboot(r.Context(), httpserver.Actor(r), customerOf(r), id, fleet.RebootType(in.Type))
	if err != nil {
		return err
	}
	return a.writeTask(w, http.StatusAccepted, t)
}

func (a *API) rescue(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	t, err := a.fl().Rescue(r.Context(), httpserver.Actor(r), customerOf(r), id)
	if err != nil {
		return err
	}
	return a.writeTask(w, http.StatusAccepted, t)
}

func (a *API) exitRescue(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	t, err := a.fl().ExitRescue(r.Context(), httpserver.Actor(r), customerOf(r), id)
	if err != nil {
		return err
	}
	return a.writeTask(w, http.StatusAccepted, t)
}

func (a *API) console(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	c, err := a.fl().Console(r.Context(), httpserver.Actor(r), customerOf(r), id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, consoleDTO(c.ConsoleSession, c.Password))
}

func (a *API) getConsole(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	c, err := a.fl().CurrentConsole(r.Context(), customerOf(r), id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, consoleDTO(c, ""))
}

func (a *API) closeConsole(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	if err := a.fl().CloseConsole(r.Context(), httpserver.Actor(r), customerOf(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) serverTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	if _, err := a.fl().OwnServer(r.Context(), customerOf(r), id); err != nil {
		return err
	}
	ts, err := a.fl().Store().TasksOf(r.Context(), id, 100)
	if err != nil {
		return err
	}
	out := Page[TaskDTO]{Items: []TaskDTO{}}
	for _, t := range ts {
		out.Items = append(out.Items, taskDTO(t))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := a.fl().Task(r.Context(), customerOf(r), fleet.TaskID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, taskDTO(t))
}

func (a *API) revealCredentials(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.fl().RevealCredentials(r.Context(), httpserver.Actor(r), principal(r).Account.ID, fleet.TaskID(id))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpserver.WriteJSON(w, http.StatusOK, CredentialsDTO{Username: c.Username, Password: string(c.Password)})
}

func (a *API) serverInterventions(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	d, err := a.fl().Detail(r.Context(), customerOf(r), id)
	if err != nil {
		return err
	}
	now, target := a.fl().Now(), a.fl().Policy().InterventionResponseTarget
	out := InterventionsDTO{Incidents: []IncidentDTO{}, Interventions: []InterventionDTO{}}
	for _, i := range d.Incidents {
		if i.Kind == fleet.IncidentDeployTimeout {
			continue
		}
		out.Incidents = append(out.Incidents, incidentDTO(i, target, now))
	}
	for _, iv := range d.Interventions {
		out.Interventions = append(out.Interventions, interventionDTO(iv, false))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) serverPlanned(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	d, err := a.fl().Detail(r.Context(), customerOf(r), id)
	if err != nil {
		return err
	}
	out := Page[MaintenanceDTO]{Items: []MaintenanceDTO{}}
	for _, m := range d.Maintenances {
		if m.CancelledAt.IsZero() {
			out.Items = append(out.Items, maintenanceDTO(m, false))
		}
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) fileIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	var in IncidentRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	i, err := a.fl().RequestIntervention(r.Context(), httpserver.Actor(r), customerOf(r), id, fleet.IncidentKind(in.Kind), in.Description)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, incidentDTO(i, a.fl().Policy().InterventionResponseTarget, a.fl().Now()))
}

func (a *API) terminate(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	var in ServerTerminationRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.At == "" {
		in.At = string(fleet.TerminateEndOfTerm)
	}
	if _, err := a.fl().Terminate(r.Context(), httpserver.Actor(r), customerOf(r), id, in.Reason, fleet.TerminationAt(in.At)); err != nil {
		return err
	}
	return a.getServerAs(w, r, id)
}

func (a *API) withdrawTermination(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	if _, err := a.fl().WithdrawTermination(r.Context(), httpserver.Actor(r), customerOf(r), id); err != nil {
		return err
	}
	return a.getServerAs(w, r, id)
}

func (a *API) getServerAs(w http.ResponseWriter, r *http.Request, id fleet.ServerID) error {
	d, err := a.fl().Detail(r.Context(), customerOf(r), id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, serverDTO(d, principal(r).IsStaff()))
}

func parseIP(r *http.Request) (netip.Addr, error) {
	addr, err := netip.ParseAddr(strings.TrimSuffix(r.PathValue("ip"), "/64"))
	if err != nil {
		return netip.Addr{}, errs.Coded(errs.NotFound, "not_found", "IP not found")
	}
	return addr, nil
}

func (a *API) listIPs(w http.ResponseWriter, r *http.Request) error {
	ips, err := a.fl().Store().ListIPs(r.Context(), fleet.IPFilter{CustomerID: principal(r).Account.ID, State: fleet.IPAssigned, Limit: 1000})
	if err != nil {
		return err
	}
	out := Page[IPDTO]{Items: []IPDTO{}}
	for _, ip := range ips {
		out.Items = append(out.Items, ipDTO(ip))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getIP(w http.ResponseWriter, r *http.Request) error {
	addr, err := parseIP(r)
	if err != nil {
		return err
	}
	ip, err := a.fl().OwnIP(r.Context(), customerOf(r), addr)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, ipDTO(ip))
}

func (a *API) setReverse(w http.ResponseWriter, r *http.Request) error {
	addr, err := parseIP(r)
	if err != nil {
		return err
	}
	var in ReverseRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	ip, err := a.fl().SetReverse(r.Context(), httpserver.Actor(r), customerOf(r), addr, in.Reverse)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, ipDTO(ip))
}

func (a *API) status(w http.ResponseWriter, r *http.Request) error {
	st, err := a.fl().PublicStatus(r.Context())
	if err != nil {
		return err
	}
	out := StatusDTO{Incidents: []StatusIncidentDTO{}, Planned: []MaintenanceDTO{}}
	for _, i := range st.Incidents {
		out.Incidents = append(out.Incidents, StatusIncidentDTO{ID: int64(i.ID), Kind: string(i.Kind), Datacenter: i.Datacenter, Since: i.Since, Status: string(i.Status)})
	}
	for _, m := range st.Works {
		out.Planned = append(out.Planned, maintenanceDTO(m, false))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) staffDeliver(w http.ResponseWriter, r *http.Request) error {
	var in DeliveryRequestDTO
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.OrderRef == "" {
		in.OrderRef = r.Header.Get("Idempotency-Key")
	}
	if in.Profile == "" {
		in.Profile = in.Plan
	}
	srv, _, err := a.fl().Deliver(r.Context(), httpserver.Actor(r), fleet.DeliveryRequest{OrderRef: in.OrderRef, CustomerID: account.ID(in.CustomerID),
		Plan: in.Plan, Range: in.Range, Profile: in.Profile, OSImage: in.OSImage, Datacenter: in.Datacenter, SSHKey: in.SSHKey,
		Hostname: in.Hostname, DurationMonths: in.DurationMonths, AdditionalIPs: in.AdditionalIPs})
	if err != nil {
		return err
	}
	d, err := a.fl().Detail(r.Context(), 0, srv.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/staff/servers/%d", srv.ID))
	return httpserver.WriteJSON(w, http.StatusAccepted, serverDTO(d, true))
}

func (a *API) staffSuspend(on bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := serverID(r)
		if err != nil {
			return err
		}
		var in ReasonRequest
		if err := httpserver.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		if strings.TrimSpace(in.Reason) == "" {
			return errs.Fields(errs.FieldError{Field: "reason", Message: "is required"})
		}
		if on {
			err = a.fl().Suspend(r.Context(), httpserver.Actor(r), id, in.Reason)
		} else {
			err = a.fl().Unsuspend(r.Context(), httpserver.Actor(r), id, in.Reason)
		}
		if err != nil {
			return err
		}
		return a.getServerAs(w, r, id)
	}
}

func (a *API) staffAddIP(w http.ResponseWriter, r *http.Request) error {
	id, err := serverID(r)
	if err != nil {
		return err
	}
	ip, err := a.fl().AddIP(r.Context(), httpserver.Actor(r), id)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, ipDTO(ip))
}

func (a *API) staffMachines(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ms, err := a.fl().Store().ListMachines(r.Context(), fleet.MachineFilter{State: fleet.MachineState(q.Get("state")),
		Datacenter: q.Get("datacenter"), Rack: q.Get("rack")})
	if err != nil {
		return err
	}
	out := Page[MachineDTO]{Items: []MachineDTO{}}
	for _, m := range ms {
		out.Items = append(out.Items, machineDTO(m))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) staffMachine(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return a.writeMachine(w, r, fleet.MachineID(id), http.StatusOK)
}

func (a *API) writeMachine(w http.ResponseWriter, r *http.Request, id fleet.MachineID, status int) error {
	st := a.fl().Store()
	m, err := st.GetMachine(r.Context(), id)
	if err != nil {
		return err
	}
	d := machineDTO(m)
	cs, err := st.Components(r.Context(), id, true)
	if err != nil {
		return err
	}
	for _, c := range cs {
		d.Components = append(d.Components, ComponentDTO{Kind: c.Kind, Model: c.Model, Serial: c.Serial, Detail: c.Detail, Installed: c.InstalledAt, Removed: tp(c.RemovedAt)})
	}
	ts, err := st.Transitions(r.Context(), id, 100)
	if err != nil {
		return err
	}
	for _, t := range ts {
		d.Transitions = append(d.Transitions, TransitionDTO{From: string(t.From), To: string(t.To), Actor: t.Actor.Label, Reason: t.Reason, At: t.At})
	}
	return httpserver.WriteJSON(w, status, d)
}

func (a *API) staffEnroll(w http.ResponseWriter, r *http.Request) error {
	var in EnrollRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := a.fl().Enroll(r.Context(), httpserver.Actor(r), fleet.Enrollment{Serial: in.Serial, Datacenter: in.Datacenter, Rack: in.Rack,
		U: in.U, HeightU: in.HeightU, Profile: in.Profile, Range: in.Range,
		BMC: fleet.BMC{Driver: in.BMC.Driver, Address: in.BMC.Address, Username: in.BMC.Username, Password: fleet.Secret(in.BMC.Password)}})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/staff/machines/%d", m.ID))
	return a.writeMachine(w, r, m.ID, http.StatusCreated)
}

func (a *API) staffMachineMaintenance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in MaintenanceModeRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := a.fl().SetMachineMaintenance(r.Context(), httpserver.Actor(r), fleet.MachineID(id), in.On, in.Reason); err != nil {
		return err
	}
	return a.writeMachine(w, r, fleet.MachineID(id), http.StatusOK)
}

func (a *API) staffIncidents(w http.ResponseWriter, r *http.Request) error {
	open := r.URL.Query().Get("open") == "true"
	is, err := a.fl().Store().ListIncidents(r.Context(), fleet.IncidentFilter{Open: open, Limit: 200})
	if err != nil {
		return err
	}
	now, target := a.fl().Now(), a.fl().Policy().InterventionResponseTarget
	out := Page[IncidentDTO]{Items: []IncidentDTO{}}
	for _, i := range is {
		out.Items = append(out.Items, incidentDTO(i, target, now))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) staffAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	i, err := a.fl().AcknowledgeIncident(r.Context(), httpserver.Actor(r), fleet.IncidentID(id))
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, incidentDTO(i, a.fl().Policy().InterventionResponseTarget, a.fl().Now()))
}

func (a *API) staffResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ResolveRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	i, err := a.fl().ResolveIncident(r.Context(), httpserver.Actor(r), fleet.IncidentID(id), in.Resolution)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, incidentDTO(i, a.fl().Policy().InterventionResponseTarget, a.fl().Now()))
}

func (a *API) staffIntervention(w http.ResponseWriter, r *http.Request) error {
	var in InterventionRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	x := fleet.InterventionInput{IncidentID: fleet.IncidentID(in.IncidentID), MachineID: fleet.MachineID(in.MachineID), Kind: fleet.InterventionKind(in.Kind),
		Notes: in.Notes, PartKind: in.PartKind, OldSerial: in.OldSerial, NewSerial: in.NewSerial, NewModel: in.NewModel, Failure: in.Failure, Repaired: in.Repaired}
	if in.ExpectedEnd != nil {
		x.ExpectedEnd = *in.ExpectedEnd
	}
	iv, err := a.fl().RecordIntervention(r.Context(), httpserver.Actor(r), x)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, interventionDTO(iv, true))
}

func (a *API) staffMaintenances(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.fl().Store().ListMaintenances(r.Context(), fleet.MaintenanceFilter{Limit: 200})
	if err != nil {
		return err
	}
	out := Page[MaintenanceDTO]{Items: []MaintenanceDTO{}}
	for _, m := range ms {
		out.Items = append(out.Items, maintenanceDTO(m, true))
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
}

func (a *API) staffPlan(w http.ResponseWriter, r *http.Request) error {
	var in MaintenanceRequest
	if err := httpserver.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m := fleet.Maintenance{Title: in.Title, Description: in.Description, StartsAt: in.StartsAt, EndsAt: in.EndsAt}
	for _, id := range in.ServerIDs {
		m.ServerIDs = append(m.ServerIDs, fleet.ServerID(id))
	}
	m, err := a.fl().ScheduleMaintenance(r.Context(), httpserver.Actor(r), m)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusCreated, maintenanceDTO(m, true))
}

func (a *API) staffCancelPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.fl().CancelMaintenance(r.Context(), httpserver.Actor(r), fleet.MaintenanceID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
