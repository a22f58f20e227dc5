package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
)

// Incidents, interventions and planned works live in the fleet package rather than a separate
// ops package: each of them changes machine states (a hardware failure sends the machine to
// maintenance, a repair brings it back) in the same transaction as the incident, through the
// same state machine and Store; a second package would need the fleet's Tx anyway.

// RequestIntervention is a customer's intervention request on one of its servers (Art. 5.3).
func (s *Service) RequestIntervention(ctx context.Context, actor account.Actor, customer account.ID, id ServerID, kind IncidentKind, description string) (Incident, error) {
	var v errs.Validator
	v.Check(kind == IncidentHardware || kind == IncidentNetwork || kind == IncidentOther || kind == IncidentUnreachable, "kind", "must be hardware, network, unreachable or other")
	description = strings.TrimSpace(description)
	v.Check(description != "" && len(description) <= 4000, "description", "is required (at most 4000 characters)")
	if err := v.Err(); err != nil {
		return Incident{}, err
	}
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return Incident{}, err
	}
	if !srv.Live() {
		return Incident{}, &errs.Error{Kind: errs.Conflict, Code: "server_terminated", Msg: "the server is terminated"}
	}
	now := s.Now()
	inc := Incident{ServerID: srv.ID, MachineID: srv.MachineID, CustomerID: srv.CustomerID, Kind: kind, Origin: OriginCustomer,
		Description: description, Status: IncidentOpen, OpenedAt: now}
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.InsertIncident(ctx, &inc); err != nil {
			return err
		}
		if err := s.alertStaff(ctx, tx, "intervention request on "+srv.Name, description, fmt.Sprintf("request:%d", inc.ID)); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "incident.request", "incident", inc.ID, srv.CustomerID, map[string]any{"server": srv.ID, "kind": kind})
	})
	return inc, err
}

// AcknowledgeIncident records the staff's first response.
func (s *Service) AcknowledgeIncident(ctx context.Context, actor account.Actor, id IncidentID) (Incident, error) {
	return s.updateIncident(ctx, actor, id, "incident.acknowledge", func(tx Tx, i *Incident, now time.Time) error {
		if i.Status == IncidentOpen {
			i.Status, i.AcknowledgedAt = IncidentAcknowledged, now
		}
		return nil
	})
}

// ResolveIncident closes an incident.
func (s *Service) ResolveIncident(ctx context.Context, actor account.Actor, id IncidentID, resolution string) (Incident, error) {
	return s.updateIncident(ctx, actor, id, "incident.resolve", func(tx Tx, i *Incident, now time.Time) error {
		if i.AcknowledgedAt.IsZero() {
			i.AcknowledgedAt = now
		}
		i.Status, i.ResolvedAt, i.Resolution = IncidentResolved, now, strings.TrimSpace(resolution)
		return nil
	})
}

func (s *Service) updateIncident(ctx context.Context, actor account.Actor, id IncidentID, action string, fn func(Tx, *Incident, time.Time) error) (Incident, error) {
	now := s.Now()
	var inc Incident
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		if inc, err = tx.GetIncident(ctx, id); err != nil {
			return err
		}
		if inc.Status == IncidentResolved {
			return &errs.Error{Kind: errs.Conflict, Code: "incident_resolved", Msg: "the incident is resolved"}
		}
		if err := fn(tx, &inc, now); err != nil {
			return err
		}
		if err := tx.UpdateIncident(ctx, inc); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, action, "incident", inc.ID, inc.CustomerID, nil)
	})
	return inc, err
}

// InterventionInput is what a technician records.
type InterventionInput struct {
	IncidentID  IncidentID
	MachineID   MachineID // required without an incident
	Kind        InterventionKind
	Notes       string
	PartKind    string // partReplacement: cpu, memory, disk, nic, psu, other
	OldSerial   string
	NewSerial   string
	NewModel    string
	ExpectedEnd time.Time // the end of the repair as the technician sees it now
	// Failure sends the machine to maintenance (a hardware failure); Repaired brings it back
	// from maintenance (to its customer, or to inspection when it has none).
	Failure  bool
	Repaired bool
}

// RecordIntervention stores a technician's intervention; a part replacement closes the old
// component and adds the new one. If the expected end of the repair is past the usual repair
// time from the incident's opening, the customer is told at once (Art. 5.1).
func (s *Service) RecordIntervention(ctx context.Context, actor account.Actor, in InterventionInput) (Intervention, error) {
	var v errs.Validator
	v.Check(slices.Contains([]InterventionKind{InterventionDiagnosis, InterventionPartReplacement, InterventionReboot, InterventionOther}, in.Kind),
		"kind", "must be diagnosis, partReplacement, reboot or other")
	if in.Kind == InterventionPartReplacement {
		v.Check(slices.Contains(ComponentKinds, in.PartKind), "partKind", "must be one of "+strings.Join(ComponentKinds, ", "))
		v.Check(in.NewSerial != "", "newSerial", "is required for a part replacement")
	}
	v.Check(len(in.Notes) <= 4000, "notes", "at most 4000 characters")
	v.Check(!(in.Failure && in.Repaired), "repaired", "cannot be set with failure")
	if err := v.Err(); err != nil {
		return Intervention{}, err
	}
	now := s.Now()
	var iv Intervention
	err := s.inTx(ctx, func(tx Tx) error {
		var inc Incident
		if in.IncidentID != 0 {
			var err error
			if inc, err = tx.GetIncident(ctx, in.IncidentID); err != nil {
				return err
			}
			if in.MachineID == 0 {
				in.MachineID = inc.MachineID
			}
		}
		if in.MachineID == 0 {
			return errs.Fields(errs.FieldError{Field: "machineId", Message: "is required without an incident on a machine"})
		}
		m, err := tx.LockMachine(ctx, in.MachineID)
		if err != nil {
			return err
		}
		iv = Intervention{IncidentID: in.IncidentID, MachineID: m.ID, ServerID: m.ServerID, Kind: in.Kind, Notes: strings.TrimSpace(in.Notes),
			PartKind: in.PartKind, OldSerial: in.OldSerial, NewSerial: in.NewSerial, TechnicianID: actor.ID, Technician: actor.Label,
			At: now, ExpectedEnd: in.ExpectedEnd}
		if err := tx.InsertIntervention(ctx, &iv); err != nil {
			return err
		}
		if in.Kind == InterventionPartReplacement {
			cs, err := tx.Components(ctx, m.ID, false)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if in.OldSerial != "" && c.Serial == in.OldSerial {
					if err := tx.RemoveComponent(ctx, c.ID, now); err != nil {
						return err
					}
				}
			}
			if err := tx.InsertComponent(ctx, &Component{MachineID: m.ID, Kind: in.PartKind, Model: in.NewModel, Serial: in.NewSerial,
				Detail: "replaced " + in.OldSerial, InstalledAt: now}); err != nil {
				return err
			}
		}
		switch {
		case in.Failure && m.State != MachineMaintenance:
			m.Failure = "hardware failure: " + iv.Notes
			if err := s.move(ctx, tx, &m, MachineMaintenance, actor, m.Failure, now); err != nil {
				return err
			}
		case in.Repaired && m.State == MachineMaintenance:
			// Without a server, its disks may hold a former customer's data (a server terminated
			// or moved while the machine was here, an install that failed on it): the machine goes
			// back to stock through the wipe, as at a termination.
			to := MachineReleasing
			if m.ServerID != 0 {
				to = MachineDeployed
				if srv, err := tx.GetServer(ctx, m.ServerID); err == nil && srv.State == ServerSuspended {
					to = MachineSuspended
				}
			}
			if err := s.move(ctx, tx, &m, to, actor, "repaired: "+iv.Notes, now); err != nil {
				return err
			}
			if to == MachineReleasing {
				if err := s.enqueue(ctx, tx, JobWipe, wipeArgs{Machine: m.ID}, fmt.Sprintf("wipe:%d:%d", m.ID, now.UnixNano()), s.cfg.BMCAttempts); err != nil {
					return err
				}
			}
		}
		if inc.ID != 0 {
			if !in.ExpectedEnd.IsZero() {
				inc.ExpectedEnd = in.ExpectedEnd
			}
			if inc.Status == IncidentOpen {
				inc.Status, inc.AcknowledgedAt = IncidentAcknowledged, now
			}
			if err := tx.UpdateIncident(ctx, inc); err != nil {
				return err
			}
			if inc.ExpectedEnd.After(inc.OpenedAt.Add(s.deps.Policy.UsualRepairTime)) {
				if err := s.notifyLong(ctx, tx, &inc, now); err != nil {
					return err
				}
			}
		}
		return audit(ctx, tx, now, actor, "intervention.record", "machine", m.Serial, 0,
			map[string]any{"kind": in.Kind, "incident": in.IncidentID, "part": in.PartKind, "old": in.OldSerial, "new": in.NewSerial})
	})
	return iv, err
}

// notifyLong tells the customer, once, that the repair exceeds the usual time (Art. 5.1).
func (s *Service) notifyLong(ctx context.Context, tx Tx, inc *Incident, now time.Time) error {
	if !inc.LongNotifiedAt.IsZero() || inc.ServerID == 0 {
		return nil
	}
	srv, err := tx.GetServer(ctx, inc.ServerID)
	if err != nil {
		return err
	}
	expected := "—"
	if !inc.ExpectedEnd.IsZero() {
		expected = inc.ExpectedEnd.UTC().Format("2006-01-02 15:04 UTC")
	}
	data := map[string]any{"Server": srv.Name, "IncidentID": int64(inc.ID), "Since": inc.OpenedAt.UTC().Format("2006-01-02 15:04 UTC"),
		"Usual": s.deps.Policy.UsualRepairTime.String(), "Expected": expected}
	if err := s.notifyCustomer(ctx, tx, srv.CustomerID, "repair_delayed", data, fmt.Sprintf("repair-delayed:%d", inc.ID)); err != nil {
		return err
	}
	inc.LongNotifiedAt = now
	return tx.UpdateIncident(ctx, *inc)
}

// notifyLongRepairs tells customers whose incident is still open after the usual repair time.
func (s *Service) notifyLongRepairs(ctx context.Context, now time.Time) (int, error) {
	due, err := s.deps.Store.IncidentsToNotify(ctx, now.Add(-s.deps.Policy.UsualRepairTime), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, inc := range due {
		if !inc.RepairExceedsUsual(s.deps.Policy.UsualRepairTime, now) || inc.Kind == IncidentDeployTimeout {
			continue
		}
		err := s.inTx(ctx, func(tx Tx) error {
			cur, err := tx.GetIncident(ctx, inc.ID)
			if err != nil {
				return err
			}
			return s.notifyLong(ctx, tx, &cur, now)
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ScheduleMaintenance plans an intervention window on servers (Art. 5.2): it must start at
// least policy.maintenance_notice from now, and each customer concerned is told at once.
func (s *Service) ScheduleMaintenance(ctx context.Context, actor account.Actor, m Maintenance) (Maintenance, error) {
	now := s.Now()
	var v errs.Validator
	m.Title = strings.TrimSpace(m.Title)
	v.Check(m.Title != "" && len(m.Title) <= 200, "title", "is required (at most 200 characters)")
	v.Check(!m.StartsAt.IsZero(), "startsAt", "is required")
	v.Check(m.EndsAt.After(m.StartsAt), "endsAt", "must be after startsAt")
	v.Check(len(m.ServerIDs) > 0, "serverIds", "at least one server")
	if err := v.Err(); err != nil {
		return Maintenance{}, err
	}
	if !NoticeLongEnough(m.StartsAt, now, s.deps.Policy.MaintenanceNotice) {
		return Maintenance{}, &errs.Error{Kind: errs.Invalid, Code: "notice_too_short",
			Msg:    fmt.Sprintf("a planned intervention is announced at least %s ahead", s.deps.Policy.MaintenanceNotice),
			Fields: []errs.FieldError{{Field: "startsAt", Message: "must be at least " + now.Add(s.deps.Policy.MaintenanceNotice).UTC().Format(time.RFC3339)}}}
	}
	m.CreatedBy, m.CreatedAt = actor.Label, now
	slices.Sort(m.ServerIDs)
	m.ServerIDs = slices.Compact(m.ServerIDs)
	err := s.inTx(ctx, func(tx Tx) error {
		byCustomer := map[account.ID][]string{}
		var order []account.ID
		for _, id := range m.ServerIDs {
			srv, err := tx.GetServer(ctx, id)
			if err != nil {
				return errs.Fields(errs.FieldError{Field: "serverIds", Message: fmt.Sprintf("server %d does not exist", id)})
			}
			if !srv.Live() {
				continue
			}
			if _, ok := byCustomer[srv.CustomerID]; !ok {
				order = append(order, srv.CustomerID)
			}
			byCustomer[srv.CustomerID] = append(byCustomer[srv.CustomerID], srv.Name)
		}
		if err := tx.InsertMaintenance(ctx, &m); err != nil {
			return err
		}
		for _, c := range order {
			data := map[string]any{"Title": m.Title, "Description": m.Description, "Servers": strings.Join(byCustomer[c], ", "),
				"Start": m.StartsAt.UTC().Format("2006-01-02 15:04 UTC"), "End": m.EndsAt.UTC().Format("2006-01-02 15:04 UTC")}
			if err := s.notifyCustomer(ctx, tx, c, "maintenance_planned", data, fmt.Sprintf("maintenance:%d:%d", m.ID, c)); err != nil {
				return err
			}
		}
		return audit(ctx, tx, now, actor, "maintenance.schedule", "maintenance", m.ID, 0,
			map[string]any{"title": m.Title, "startsAt": m.StartsAt, "endsAt": m.EndsAt, "servers": m.ServerIDs})
	})
	return m, err
}

// CancelMaintenance cancels a planned intervention.
func (s *Service) CancelMaintenance(ctx context.Context, actor account.Actor, id MaintenanceID) error {
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		if err := tx.CancelMaintenance(ctx, id, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "maintenance.cancel", "maintenance", id, 0, nil)
	})
}

// Status is the public status page: ongoing incidents (no customer detail) and planned works.
type Status struct {
	Incidents []StatusIncident
	Works     []Maintenance
}

// StatusIncident is an incident as the public sees it.
type StatusIncident struct {
	ID         IncidentID
	Kind       IncidentKind
	Datacenter string
	Since      time.Time
	Status     IncidentStatus
}

// PublicStatus lists ongoing incidents and planned works that have not ended.
func (s *Service) PublicStatus(ctx context.Context) (Status, error) {
	now := s.Now()
	var st Status
	incs, err := s.deps.Store.ListIncidents(ctx, IncidentFilter{Open: true, Limit: 200})
	if err != nil {
		return st, err
	}
	for _, i := range incs {
		if i.Kind == IncidentDeployTimeout || i.Origin == OriginCustomer {
			continue // internal: nothing a customer can see from outside
		}
		dc := ""
		if i.MachineID != 0 {
			if m, err := s.deps.Store.GetMachine(ctx, i.MachineID); err == nil {
				dc = m.Datacenter
			}
		}
		st.Incidents = append(st.Incidents, StatusIncident{ID: i.ID, Kind: i.Kind, Datacenter: dc, Since: i.OpenedAt, Status: i.Status})
	}
	works, err := s.deps.Store.ListMaintenances(ctx, MaintenanceFilter{EndsAfter: now, Limit: 200})
	if err != nil {
		return st, err
	}
	for _, w := range works {
		if w.CancelledAt.IsZero() {
			st.Works = append(st.Works, w)
		}
	}
	return st, nil
}
