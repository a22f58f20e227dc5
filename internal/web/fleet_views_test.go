package web

import (
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
)

func fixtureServer() fleet.Server {
	return fleet.Server{ID: 1, CustomerID: 7, OrderRef: "order-12", Name: "ns1.itsgow.net", Plan: "PERF-1", Range: "PERFORMANCE", Profile: "PERF-1",
		Datacenter: "RBX1", MachineID: 3, State: fleet.ServerActive, OSImage: "debian-13", Hostname: "ns1.itsgow.net", DurationMonths: 12,
		DesiredPower: fleet.PowerStateOn, DeliveredAt: fixedTime.Add(-24 * time.Hour), CreatedAt: fixedTime.Add(-25 * time.Hour)}
}

func fixtureMachine() fleet.Machine {
	return fleet.Machine{ID: 3, Serial: "SIM-RBX1-0003", Datacenter: "RBX1", Rack: "A01", U: 3, HeightU: 1, Profile: "PERF-1",
		Manufacturer: "ASRockRack", Model: "1U4LW-B650/2L2T", BMC: fleet.BMC{Driver: "simlab", Address: "198.19.1.13", Username: "ADMIN", Password: "v1:sealed"},
		State: fleet.MachineDeployed, StateSince: fixedTime.Add(-24 * time.Hour), ServerID: 1, DesiredPower: fleet.PowerStateOn,
		ObservedPower: fleet.PowerStateOn, ObservedAt: fixedTime}
}

func fixtureServerDetail() fleet.ServerDetail {
	srv := fixtureServer()
	return fleet.ServerDetail{Server: srv, Machine: fixtureMachine(), Power: fleet.PowerStateOn,
		IPs: []fleet.IP{{ID: 1, Prefix: netip.MustParsePrefix("198.18.0.10/32"), ServerID: 1, Kind: fleet.IPMain, Reverse: "ns1.itsgow.net", State: fleet.IPAssigned},
			{ID: 2, Prefix: netip.MustParsePrefix("2001:db8:1000:1::/64"), ServerID: 1, Kind: fleet.IPv6Block, State: fleet.IPAssigned}},
		Tasks: []fleet.Task{
			{ID: 5, ServerID: 1, Function: "reinstall", Status: fleet.TaskDoing, StartedAt: fixedTime, Comment: "installing debian-12 on SIM-RBX1-0003",
				Progress: []fleet.Step{{Name: "reserve", Status: fleet.TaskDone, At: fixedTime}, {Name: "boot", Status: fleet.TaskDone, At: fixedTime},
					{Name: "install", Status: fleet.TaskDoing, At: fixedTime}, {Name: "deliver", Status: fleet.TaskTodo}}},
			{ID: 1, ServerID: 1, Function: "deliver", Status: fleet.TaskDone, Credentials: true, DoneAt: fixedTime.Add(-24 * time.Hour),
				Progress: []fleet.Step{{Name: "reserve", Status: fleet.TaskDone}, {Name: "deliver", Status: fleet.TaskDone}}}},
		Maintenances: []fleet.Maintenance{{ID: 1, Title: "RBX1 A01: switch firmware", Description: "10 minutes without network",
			StartsAt: fixedTime.Add(72 * time.Hour), EndsAt: fixedTime.Add(73 * time.Hour), ServerIDs: []fleet.ServerID{1}}},
		Incidents: []fleet.Incident{{ID: 2, ServerID: 1, Kind: fleet.IncidentHardware, Origin: fleet.OriginCustomer, Description: "disk errors in dmesg",
			Status: fleet.IncidentAcknowledged, OpenedAt: fixedTime.Add(-3 * time.Hour), AcknowledgedAt: fixedTime.Add(-2 * time.Hour)}},
		Interventions: []fleet.Intervention{{ID: 1, IncidentID: 2, MachineID: 3, Kind: fleet.InterventionPartReplacement, PartKind: "disk",
			OldSerial: "D01", NewSerial: "D99", Notes: "disk swapped", At: fixedTime.Add(-time.Hour)}},
	}
}

func fleetServerData() serverData {
	return serverData{Detail: fixtureServerDetail(), Images: []string{"debian-12", "debian-13"}, Now: fixedTime, Target: 2 * time.Hour,
		Form: map[string]string{}, Kinds: []string{"hardware", "network", "unreachable", "other"}, ConsoleMinutes: 15}
}

func fixtureConsole() fleet.ConsoleSession {
	return fleet.ConsoleSession{ID: 7, ServerID: 1, Kind: fleet.ConsoleGraphical, ConnectTypes: []string{"KVMIP"},
		URL: "https://198.19.0.3/", Username: "itsc1a2b3c4d", OpenedAt: fixedTime, ExpiresAt: fixedTime.Add(15 * time.Minute)}
}

// fleetFixtures are the fleet's pages in TestPagesGolden.
func fleetFixtures() []fixture {
	cust, staff := fixtureCustomer(), fixtureStaff()
	as := func(a account.Account, nav, here string, data any) *page {
		return &page{Nav: nav, User: &a, CSRF: "csrf-fixture", Here: here, Data: data}
	}
	maint := fixtureServerDetail().Maintenances
	return []fixture{
		{"fleet_servers", "fleet_servers", func() *page {
			return as(cust, "servers", "/servers", serversData{Servers: []serverRow{{Server: fixtureServer(), MainIP: "198.18.0.10", Power: "on"}}})
		}, nil},
		{"fleet_servers-empty", "fleet_servers", func() *page { return as(cust, "servers", "/servers", serversData{}) }, nil},
		{"fleet_server", "fleet_server", func() *page { return as(cust, "servers", "/servers/1", fleetServerData()) }, nil},
		{"fleet_server-credentials", "fleet_server", func() *page {
			d := fleetServerData()
			d.Credentials = &credView{Username: "root", Password: "FIXTUREpassword234"}
			d.Console = &fleet.ConsoleAccess{ConsoleSession: fixtureConsole(), Password: "FIXTUREconsole42"}
			d.ConsolePassword = "FIXTUREconsole42"
			return as(cust, "servers", "/servers/1", d)
		}, nil},
		{"fleet_server-console-serial", "fleet_server", func() *page {
			d := fleetServerData()
			c := fixtureConsole()
			c.Kind, c.ConnectTypes, c.URL = fleet.ConsoleSerial, []string{"SSH", "IPMI"}, "ssh://itsc1a2b3c4d@198.19.0.3"
			d.Console = &fleet.ConsoleAccess{ConsoleSession: c, Password: "FIXTUREconsole42"}
			d.ConsolePassword = "FIXTUREconsole42"
			return as(cust, "servers", "/servers/1", d)
		}, nil},
		{"fleet_server-console", "fleet_server", func() *page {
			d := fleetServerData()
			c := fixtureConsole()
			d.LiveConsole = &c
			return as(cust, "servers", "/servers/1", d)
		}, nil},
		{"fleet_server-error", "fleet_server", func() *page {
			d := fleetServerData()
			d.Form["sshKey"] = "ssh-rsa AAAA"
			return as(cust, "servers", "/servers/1", d)
		}, errs.Fields(errs.FieldError{Field: "sshKey", Message: "is not an OpenSSH public key (ssh-ed25519, ecdsa-sha2-*, ssh-rsa)"})},
		{"fleet_status", "fleet_status", func() *page {
			return &page{Nav: "status", Here: "/status", Data: statusData{Now: fixedTime, Status: fleet.Status{
				Incidents: []fleet.StatusIncident{{ID: 4, Kind: fleet.IncidentUnreachable, Datacenter: "GRA2", Since: fixedTime, Status: fleet.IncidentOpen}},
				Works:     maint}}}
		}, nil},
		{"staff_fleet_inventory", "staff_fleet_inventory", func() *page {
			m := fixtureMachine()
			m2 := m
			m2.ID, m2.Serial, m2.State, m2.ServerID, m2.Failure = 4, "SIM-RBX1-0004", fleet.MachineMaintenance, 0, "the install did not answer within 40m0s"
			return as(staff, "inventory", "/staff/inventory", inventoryData{Machines: []fleet.Machine{m, m2}, States: fleet.MachineStates(),
				Counts: map[fleet.MachineState]int{fleet.MachineDeployed: 1, fleet.MachineMaintenance: 1}})
		}, nil},
		{"staff_fleet_racks", "staff_fleet_racks", func() *page {
			return as(staff, "racks", "/staff/racks", buildRacks([]fleet.Rack{{Datacenter: "RBX1", Name: "A01", Units: 42, DatacenterName: "Roubaix 1", City: "Roubaix"}},
				[]fleet.Machine{fixtureMachine()}))
		}, nil},
		{"staff_fleet_machine", "staff_fleet_machine", func() *page {
			return as(staff, "inventory", "/staff/machines/3", machineData{Machine: fixtureMachine(),
				Components:    []fleet.Component{{ID: 1, MachineID: 3, Kind: "disk", Model: "SAMSUNG", Serial: "D01", Detail: "960 GB nvme", InstalledAt: fixedTime}},
				Transitions:   []fleet.Transition{{ID: 9, MachineID: 3, From: fleet.MachineDeploying, To: fleet.MachineDeployed, Actor: account.System, Reason: "debian-13 installed", At: fixedTime}},
				Interventions: fixtureServerDetail().Interventions, Kinds: []string{"diagnosis", "partReplacement", "reboot", "other"}, Parts: fleet.ComponentKinds})
		}, nil},
		{"staff_fleet_incidents", "staff_fleet_incidents", func() *page {
			i := fixtureServerDetail().Incidents[0]
			i.Status, i.AcknowledgedAt = fleet.IncidentOpen, time.Time{}
			return as(staff, "incidents", "/staff/incidents", incidentsData{Target: 2 * time.Hour, Rows: []incidentRow{{Incident: i, Age: "3h0m0s", Overdue: true}}})
		}, nil},
		{"staff_fleet_maintenance", "staff_fleet_maintenance", func() *page {
			return as(staff, "maintenance", "/staff/maintenance", maintenanceData{Works: maint, Servers: []fleet.Server{fixtureServer()},
				Form: map[string]string{"title": "x"}, Earliest: fixedTime.Add(48 * time.Hour)})
		}, errs.Fields(errs.FieldError{Field: "startsAt", Message: "must be at least 2026-03-16T09:30:00Z"})},
	}
}
