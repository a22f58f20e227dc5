package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
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

// fleetRoutes registers the pages of servers, IPs, provisioning, incidents and planned works.
func (u *ui) fleetRoutes(mux *http.ServeMux) {
	if u.deps.Fleet.Fleet == nil {
		return
	}
	mux.Handle("GET /status", u.wrap(public, "", u.statusPage))
	mux.Handle("GET /servers", u.wrap(user, "", u.serversPage))
	mux.Handle("GET /servers/{id}", u.wrap(user, "", u.serverPage))
	mux.Handle("POST /servers/{id}/reinstall", u.wrap(user, "", u.serverReinstall))
	mux.Handle("POST /servers/{id}/reboot", u.wrap(user, "", u.serverReboot))
	mux.Handle("POST /servers/{id}/rescue", u.wrap(user, "", u.serverRescue(true)))
	mux.Handle("POST /servers/{id}/rescue/exit", u.wrap(user, "", u.serverRescue(false)))
	mux.Handle("POST /servers/{id}/console", u.wrap(user, "", u.serverConsole))
	mux.Handle("POST /servers/{id}/console/close", u.wrap(user, "", u.serverConsoleClose))
	mux.Handle("POST /servers/{id}/incidents", u.wrap(user, "", u.serverIncident))
	mux.Handle("POST /servers/{id}/termination", u.wrap(user, "", u.serverTerminate))
	mux.Handle("POST /tasks/{id}/credentials", u.wrap(user, "", u.taskCredentials))

	mux.Handle("GET /staff/inventory", u.wrap(staff, account.RoleTechnician, u.staffInventory))
	mux.Handle("GET /staff/racks", u.wrap(staff, account.RoleTechnician, u.staffRacks))
	mux.Handle("GET /staff/machines/{id}", u.wrap(staff, account.RoleTechnician, u.staffMachine))
	mux.Handle("POST /staff/machines/{id}/interventions", u.wrap(staff, account.RoleTechnician, u.staffIntervene))
	mux.Handle("GET /staff/incidents", u.wrap(staff, account.RoleNOC, u.staffIncidents))
	mux.Handle("POST /staff/incidents/{id}/acknowledge", u.wrap(staff, account.RoleNOC, u.staffIncidentAct("ack")))
	mux.Handle("POST /staff/incidents/{id}/resolve", u.wrap(staff, account.RoleNOC, u.staffIncidentAct("resolve")))
	mux.Handle("GET /staff/maintenance", u.wrap(staff, account.RoleNOC, u.staffMaintenance))
	mux.Handle("POST /staff/maintenance", u.wrap(staff, account.RoleNOC, u.staffPlan))
}

func (u *ui) fl() *fleet.Service { return u.deps.Fleet.Fleet }

// serverRow is a line of the server list.
type serverRow struct {
	Server fleet.Server
	MainIP string
	Power  string
}

type serversData struct {
	Servers []serverRow
}

// serversPage is GET /servers: my servers.
func (u *ui) serversPage(w http.ResponseWriter, r *http.Request) error {
	p := sessionOf(r).Principal
	f := fleet.ServerFilter{CustomerID: p.Account.ID, Limit: 200}
	if p.IsStaff() {
		f.CustomerID = 0
	}
	ss, err := u.fl().Servers(r.Context(), f)
	if err != nil {
		return err
	}
	ips, err := u.fl().MainIPs(r.Context(), ss)
	if err != nil {
		return err
	}
	d := serversData{}
	for _, s := range ss {
		row := serverRow{Server: s, Power: string(fleet.PowerStateUnknown)}
		if ip, ok := ips[s.ID]; ok {
			row.MainIP = ip.String()
		}
		if s.MachineID != 0 {
			if m, err := u.fl().Store().GetMachine(r.Context(), s.MachineID); err == nil {
				row.Power = string(m.ObservedPower)
			}
		}
		d.Servers = append(d.Servers, row)
	}
	u.render(w, r, http.StatusOK, "fleet_servers", u.newPage(r, "servers", d))
	return nil
}

// serverData is the server page.
type serverData struct {
	Detail          fleet.ServerDetail
	Images          []string
	Now             time.Time
	Target          time.Duration
	Console         *fleet.ConsoleAccess  // just opened: with its password, shown once
	LiveConsole     *fleet.ConsoleSession // open before this page
	ConsoleMinutes  int                   // lifetime of a console
	ConsolePassword string                // its password in clear (a fleet.Secret prints redacted)
	Credentials     *credView
	Form            map[string]string
	Kinds           []string
}

// WebConsole reports whether a console URL opens in the browser (KVM in the BMC's web
// interface); ssh:// and ipmi:// ones are shown as text to copy (html/template would blank them
// in a link).
func (serverData) WebConsole(url string) bool {
	return strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")
}

func (u *ui) customerOf(r *http.Request) account.ID {
	p := sessionOf(r).Principal
	if p.IsStaff() {
		return 0
	}
	return p.Account.ID
}

func (u *ui) serverData(r *http.Request) (serverData, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return serverData{}, err
	}
	d, err := u.fl().Detail(r.Context(), u.customerOf(r), fleet.ServerID(id))
	if err != nil {
		return serverData{}, err
	}
	sd := serverData{Detail: d, Images: u.fl().Config().OSImages, Now: u.fl().Now(), Target: u.fl().Policy().InterventionResponseTarget,
		Form: map[string]string{}, Kinds: []string{"hardware", "network", "unreachable", "other"},
		ConsoleMinutes: int(u.fl().Config().ConsoleTTL / time.Minute)}
	c, err := u.fl().CurrentConsole(r.Context(), u.customerOf(r), fleet.ServerID(id))
	switch {
	case err == nil:
		sd.LiveConsole = &c
	case errs.KindOf(err) != errs.NotFound:
		return serverData{}, err
	}
	return sd, nil
}

// serverPage is GET /servers/{id}.
func (u *ui) serverPage(w http.ResponseWriter, r *http.Request) error {
	d, err := u.serverData(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "fleet_server", u.newPage(r, "servers", d))
	return nil
}

// serverAgain shows the server page with an error on a form, or redirects to it.
func (u *ui) serverAgain(w http.ResponseWriter, r *http.Request, err error, form map[string]string) error {
	if err == nil {
		u.redirect(w, r, "/servers/"+r.PathValue("id")+"#tasks")
		return nil
	}
	if errs.KindOf(err) == errs.Internal || errs.KindOf(err) == errs.NotFound {
		return err
	}
	d, derr := u.serverData(r)
	if derr != nil {
		return derr
	}
	for k, v := range form {
		d.Form[k] = v
	}
	p := u.newPage(r, "servers", d)
	p.Here = "/servers/" + r.PathValue("id")
	u.showError(p, err)
	u.render(w, r, formStatus(err), "fleet_server", p)
	return nil
}

func (u *ui) serverReinstall(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	form := map[string]string{"osImage": f.Get("osImage"), "hostname": f.Get("hostname"), "sshKey": f.Get("sshKey")}
	if f.Get("confirm") != "yes" {
		return u.serverAgain(w, r, errs.Fields(errs.FieldError{Field: "confirm", Message: "confirm that you saved your data"}), form)
	}
	_, err = u.fl().Reinstall(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id), fleet.ReinstallRequest{
		OSImage: f.Get("osImage"), Hostname: strings.TrimSpace(f.Get("hostname")), SSHKey: f.Get("sshKey"), PreserveData: f.Get("preserveData") == "on"})
	return u.serverAgain(w, r, err, form)
}

func (u *ui) serverReboot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = u.fl().Reboot(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id), fleet.RebootType(r.PostForm.Get("type")))
	return u.serverAgain(w, r, err, nil)
}

func (u *ui) serverRescue(enter bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if enter {
			_, err = u.fl().Rescue(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id))
		} else {
			_, err = u.fl().ExitRescue(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id))
		}
		return u.serverAgain(w, r, err, nil)
	}
}

func (u *ui) serverConsole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := u.fl().Console(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id))
	if err != nil {
		return u.serverAgain(w, r, err, nil)
	}
	d, err := u.serverData(r)
	if err != nil {
		return err
	}
	d.Console, d.LiveConsole, d.ConsolePassword = &c, nil, string(c.Password)
	p := u.newPage(r, "servers", d)
	p.Here = "/servers/" + r.PathValue("id")
	u.render(w, r, http.StatusOK, "fleet_server", p)
	return nil
}

func (u *ui) serverConsoleClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = u.fl().CloseConsole(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id))
	if err == nil || errs.KindOf(err) == errs.NotFound && errs.As(err) != nil && errs.As(err).Code == fleet.ErrNoConsole.Code {
		u.redirect(w, r, "/servers/"+r.PathValue("id")+"#power")
		return nil
	}
	return u.serverAgain(w, r, err, nil)
}

func (u *ui) serverIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	_, err = u.fl().RequestIntervention(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id), fleet.IncidentKind(f.Get("kind")), f.Get("description"))
	if err == nil {
		u.redirect(w, r, "/servers/"+r.PathValue("id")+"#interventions")
		return nil
	}
	return u.serverAgain(w, r, err, map[string]string{"description": f.Get("description")})
}

func (u *ui) serverTerminate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	if f.Get("withdraw") == "yes" {
		_, err = u.fl().WithdrawTermination(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id))
	} else {
		_, err = u.fl().Terminate(r.Context(), httpserver.Actor(r), u.customerOf(r), fleet.ServerID(id), f.Get("reason"), fleet.TerminationAt(f.Get("at")))
	}
	return u.serverAgain(w, r, err, nil)
}

// taskCredentials is POST /tasks/{id}/credentials: the password, once.
func (u *ui) taskCredentials(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := u.fl().Task(r.Context(), u.customerOf(r), fleet.TaskID(id))
	if err != nil {
		return err
	}
	c, err := u.fl().RevealCredentials(r.Context(), httpserver.Actor(r), sessionOf(r).Principal.Account.ID, fleet.TaskID(id))
	r.SetPathValue("id", strconv.FormatInt(int64(t.ServerID), 10))
	if err != nil {
		return u.serverAgain(w, r, err, nil)
	}
	d, err := u.serverData(r)
	if err != nil {
		return err
	}
	d.Credentials = &credView{Username: c.Username, Password: string(c.Password)}
	p := u.newPage(r, "servers", d)
	p.Here = fmt.Sprintf("/servers/%d", t.ServerID)
	u.render(w, r, http.StatusOK, "fleet_server", p)
	return nil
}

// credView is a password shown once (converted explicitly: a fleet.Secret prints redacted).
type credView struct{ Username, Password string }

// statusData is the public status page.
type statusData struct {
	Status fleet.Status
	Now    time.Time
}

func (u *ui) statusPage(w http.ResponseWriter, r *http.Request) error {
	st, err := u.fl().PublicStatus(r.Context())
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "fleet_status", u.newPage(r, "status", statusData{Status: st, Now: u.fl().Now()}))
	return nil
}

// inventoryData is the staff inventory.
type inventoryData struct {
	Machines []fleet.Machine
	State    string
	States   []fleet.MachineState
	Counts   map[fleet.MachineState]int
}

func (u *ui) staffInventory(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	all, err := u.fl().Store().ListMachines(r.Context(), fleet.MachineFilter{})
	if err != nil {
		return err
	}
	d := inventoryData{State: state, States: fleet.MachineStates(), Counts: map[fleet.MachineState]int{}}
	for _, m := range all {
		d.Counts[m.State]++
		if state == "" || string(m.State) == state {
			d.Machines = append(d.Machines, m)
		}
	}
	u.render(w, r, http.StatusOK, "staff_fleet_inventory", u.newPage(r, "inventory", d))
	return nil
}

// rackView is a rack drawn as SVG: one slot per unit, top unit first.
type rackView struct {
	Rack   fleet.Rack
	Height int // px
	Slots  []rackSlot
}

type rackSlot struct {
	Machine fleet.Machine
	Y, H    int
	Class   string
}

type racksData struct {
	Datacenters []dcView
}

type dcView struct {
	Code, Name, City string
	Racks            []rackView
}

const unitPx = 14

func (u *ui) staffRacks(w http.ResponseWriter, r *http.Request) error {
	racks, err := u.fl().Store().Racks(r.Context())
	if err != nil {
		return err
	}
	ms, err := u.fl().Store().ListMachines(r.Context(), fleet.MachineFilter{})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "staff_fleet_racks", u.newPage(r, "racks", buildRacks(racks, ms)))
	return nil
}

func buildRacks(racks []fleet.Rack, ms []fleet.Machine) racksData {
	var d racksData
	for _, rk := range racks {
		if len(d.Datacenters) == 0 || d.Datacenters[len(d.Datacenters)-1].Code != rk.Datacenter {
			d.Datacenters = append(d.Datacenters, dcView{Code: rk.Datacenter, Name: rk.DatacenterName, City: rk.City})
		}
		v := rackView{Rack: rk, Height: rk.Units * unitPx}
		for _, m := range ms {
			if m.Datacenter != rk.Datacenter || m.Rack != rk.Name {
				continue
			}
			h := max(m.HeightU, 1)
			v.Slots = append(v.Slots, rackSlot{Machine: m, Y: (rk.Units - (m.U + h - 1)) * unitPx, H: h*unitPx - 2, Class: "m-" + string(m.State)})
		}
		dc := &d.Datacenters[len(d.Datacenters)-1]
		dc.Racks = append(dc.Racks, v)
	}
	return d
}

// machineData is a machine page.
type machineData struct {
	Machine       fleet.Machine
	Components    []fleet.Component
	Transitions   []fleet.Transition
	Interventions []fleet.Intervention
	Kinds         []string
	Parts         []string
}

func (u *ui) staffMachine(w http.ResponseWriter, r *http.Request) error {
	d, err := u.machineData(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "staff_fleet_machine", u.newPage(r, "inventory", d))
	return nil
}

func (u *ui) machineData(r *http.Request) (machineData, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return machineData{}, err
	}
	st := u.fl().Store()
	m, err := st.GetMachine(r.Context(), fleet.MachineID(id))
	if err != nil {
		return machineData{}, err
	}
	d := machineData{Machine: m, Kinds: []string{"diagnosis", "partReplacement", "reboot", "other"}, Parts: fleet.ComponentKinds}
	if d.Components, err = st.Components(r.Context(), m.ID, true); err != nil {
		return d, err
	}
	if d.Transitions, err = st.Transitions(r.Context(), m.ID, 50); err != nil {
		return d, err
	}
	d.Interventions, err = st.Interventions(r.Context(), m.ID, 0, 50)
	return d, err
}

func (u *ui) staffIntervene(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	in := fleet.InterventionInput{MachineID: fleet.MachineID(id), Kind: fleet.InterventionKind(f.Get("kind")), Notes: f.Get("notes"),
		PartKind: f.Get("partKind"), OldSerial: strings.TrimSpace(f.Get("oldSerial")), NewSerial: strings.TrimSpace(f.Get("newSerial")),
		Failure: f.Get("state") == "failure", Repaired: f.Get("state") == "repaired"}
	if n, err := strconv.ParseInt(f.Get("incident"), 10, 64); err == nil {
		in.IncidentID = fleet.IncidentID(n)
	}
	if h, err := strconv.Atoi(f.Get("expectedHours")); err == nil && h > 0 {
		in.ExpectedEnd = u.fl().Now().Add(time.Duration(h) * time.Hour)
	}
	if _, err := u.fl().RecordIntervention(r.Context(), httpserver.Actor(r), in); err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		d, derr := u.machineData(r)
		if derr != nil {
			return derr
		}
		p := u.newPage(r, "inventory", d)
		p.Here = "/staff/machines/" + r.PathValue("id")
		u.showError(p, err)
		u.render(w, r, formStatus(err), "staff_fleet_machine", p)
		return nil
	}
	u.redirect(w, r, "/staff/machines/"+r.PathValue("id"))
	return nil
}

// incidentRow is an incident on the board.
type incidentRow struct {
	Incident fleet.Incident
	Age      string
	Overdue  bool
}

type incidentsData struct {
	Rows   []incidentRow
	Target time.Duration
}

func (u *ui) staffIncidents(w http.ResponseWriter, r *http.Request) error {
	is, err := u.fl().Store().ListIncidents(r.Context(), fleet.IncidentFilter{Open: r.URL.Query().Get("all") == "", Limit: 200})
	if err != nil {
		return err
	}
	now, target := u.fl().Now(), u.fl().Policy().InterventionResponseTarget
	d := incidentsData{Target: target}
	for _, i := range is {
		d.Rows = append(d.Rows, incidentRow{Incident: i, Age: i.Age(now).Truncate(time.Minute).String(), Overdue: i.Overdue(target, now)})
	}
	slices.SortStableFunc(d.Rows, func(a, b incidentRow) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return a.Incident.OpenedAt.Compare(b.Incident.OpenedAt)
	})
	u.render(w, r, http.StatusOK, "staff_fleet_incidents", u.newPage(r, "incidents", d))
	return nil
}

func (u *ui) staffIncidentAct(act string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if act == "ack" {
			_, err = u.fl().AcknowledgeIncident(r.Context(), httpserver.Actor(r), fleet.IncidentID(id))
		} else {
			_, err = u.fl().ResolveIncident(r.Context(), httpserver.Actor(r), fleet.IncidentID(id), r.PostForm.Get("resolution"))
		}
		if err != nil {
			return err
		}
		u.redirect(w, r, "/staff/incidents")
		return nil
	}
}

type maintenanceData struct {
	Works    []fleet.Maintenance
	Servers  []fleet.Server
	Form     map[string]string
	Earliest time.Time
}

func (u *ui) maintenanceData(r *http.Request) (maintenanceData, error) {
	ws, err := u.fl().Store().ListMaintenances(r.Context(), fleet.MaintenanceFilter{EndsAfter: u.fl().Now().Add(-30 * 24 * time.Hour), Limit: 200})
	if err != nil {
		return maintenanceData{}, err
	}
	ss, err := u.fl().Servers(r.Context(), fleet.ServerFilter{States: []fleet.ServerState{fleet.ServerActive, fleet.ServerSuspended, fleet.ServerRescue}, Limit: 500})
	if err != nil {
		return maintenanceData{}, err
	}
	return maintenanceData{Works: ws, Servers: ss, Form: map[string]string{}, Earliest: u.fl().Now().Add(u.fl().Policy().MaintenanceNotice)}, nil
}

func (u *ui) staffMaintenance(w http.ResponseWriter, r *http.Request) error {
	d, err := u.maintenanceData(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "staff_fleet_maintenance", u.newPage(r, "maintenance", d))
	return nil
}

// formTime reads a datetime-local field (UTC).
func formTime(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func (u *ui) staffPlan(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	m := fleet.Maintenance{Title: f.Get("title"), Description: f.Get("description"), StartsAt: formTime(f.Get("startsAt")), EndsAt: formTime(f.Get("endsAt"))}
	for _, s := range f["servers"] {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			m.ServerIDs = append(m.ServerIDs, fleet.ServerID(n))
		}
	}
	if _, err := u.fl().ScheduleMaintenance(r.Context(), httpserver.Actor(r), m); err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		d, derr := u.maintenanceData(r)
		if derr != nil {
			return derr
		}
		d.Form = map[string]string{"title": f.Get("title"), "description": f.Get("description"), "startsAt": f.Get("startsAt"), "endsAt": f.Get("endsAt")}
		p := u.newPage(r, "maintenance", d)
		p.Here = "/staff/maintenance"
		u.showError(p, err)
		u.render(w, r, formStatus(err), "staff_fleet_maintenance", p)
		return nil
	}
	u.redirect(w, r, "/staff/maintenance")
	return nil
}
