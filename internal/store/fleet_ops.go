package store

import (
	"context"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
)

const incidentCols = `id, COALESCE(server_id, 0), COALESCE(machine_id, 0), COALESCE(customer_id, 0), kind, origin, description, status,
	opened_at, acknowledged_at, resolved_at, expected_end, long_notified_at, resolution`

func scanIncident(sc fleetScanner) (fleet.Incident, error) {
	var i fleet.Incident
	err := sc.Scan(&i.ID, &i.ServerID, &i.MachineID, &i.CustomerID, &i.Kind, &i.Origin, &i.Description, &i.Status, st(&i.OpenedAt),
		st(&i.AcknowledgedAt), st(&i.ResolvedAt), st(&i.ExpectedEnd), st(&i.LongNotifiedAt), &i.Resolution)
	return i, err
}

func (q *Q) GetIncident(ctx context.Context, id fleet.IncidentID) (fleet.Incident, error) {
	i, err := scanIncident(q.row(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
	return i, q.scanErr(err, "incident")
}

func (q *Q) ListIncidents(ctx context.Context, f fleet.IncidentFilter) ([]fleet.Incident, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.ServerID != 0 {
		where, args = append(where, "server_id = ?"), append(args, f.ServerID)
	}
	if f.CustomerID != 0 {
		where, args = append(where, "customer_id = ?"), append(args, f.CustomerID)
	}
	if f.Open {
		where = append(where, "status <> 'resolved'")
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	rows, err := q.query(ctx, `SELECT `+incidentCols+` FROM incidents WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC`+fleetLimit(f.Limit), args...)
	return fleetRows(rows, err, scanIncident)
}

func (q *Q) IncidentsToNotify(ctx context.Context, openedBefore time.Time, limit int) ([]fleet.Incident, error) {
	rows, err := q.query(ctx, `SELECT `+incidentCols+` FROM incidents WHERE status <> 'resolved' AND server_id IS NOT NULL
		AND long_notified_at IS NULL AND opened_at <= ? ORDER BY opened_at, id`+fleetLimit(limit), ts(openedBefore))
	return fleetRows(rows, err, scanIncident)
}

func (q *Q) InsertIncident(ctx context.Context, i *fleet.Incident) error {
	return q.row(ctx, `INSERT INTO incidents (server_id, machine_id, customer_id, kind, origin, description, status, opened_at, acknowledged_at,
		resolved_at, expected_end, long_notified_at, resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		fleetNZ(i.ServerID), fleetNZ(i.MachineID), fleetNZ(i.CustomerID), string(i.Kind), i.Origin, truncate(i.Description, 4000), string(i.Status),
		ts(i.OpenedAt), tsp(i.AcknowledgedAt), tsp(i.ResolvedAt), tsp(i.ExpectedEnd), tsp(i.LongNotifiedAt), i.Resolution).Scan(&i.ID)
}

func (q *Q) UpdateIncident(ctx context.Context, i fleet.Incident) error {
	return q.update1(ctx, "incident", `UPDATE incidents SET status = ?, acknowledged_at = ?, resolved_at = ?, expected_end = ?,
		long_notified_at = ?, resolution = ? WHERE id = ?`, string(i.Status), tsp(i.AcknowledgedAt), tsp(i.ResolvedAt), tsp(i.ExpectedEnd),
		tsp(i.LongNotifiedAt), truncate(i.Resolution, 4000), i.ID)
}

const interventionCols = `id, COALESCE(incident_id, 0), machine_id, COALESCE(server_id, 0), kind, notes, part_kind, old_serial, new_serial,
	COALESCE(technician_id, 0), technician, at, expected_end`

func (q *Q) InsertIntervention(ctx context.Context, iv *fleet.Intervention) error {
	return q.row(ctx, `INSERT INTO interventions (incident_id, machine_id, server_id, kind, notes, part_kind, old_serial, new_serial,
		technician_id, technician, at, expected_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, fleetNZ(iv.IncidentID), iv.MachineID,
		fleetNZ(iv.ServerID), string(iv.Kind), iv.Notes, iv.PartKind, iv.OldSerial, iv.NewSerial, fleetNZ(iv.TechnicianID), iv.Technician, ts(iv.At),
		tsp(iv.ExpectedEnd)).Scan(&iv.ID)
}

func (q *Q) Interventions(ctx context.Context, machine fleet.MachineID, server fleet.ServerID, limit int) ([]fleet.Intervention, error) {
	where, args := []string{"1 = 1"}, []any{}
	if machine != 0 {
		where, args = append(where, "machine_id = ?"), append(args, machine)
	}
	if server != 0 {
		where, args = append(where, "server_id = ?"), append(args, server)
	}
	rows, err := q.query(ctx, `SELECT `+interventionCols+` FROM interventions WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC`+fleetLimit(limit), args...)
	return fleetRows(rows, err, func(sc fleetScanner) (fleet.Intervention, error) {
		var iv fleet.Intervention
		return iv, sc.Scan(&iv.ID, &iv.IncidentID, &iv.MachineID, &iv.ServerID, &iv.Kind, &iv.Notes, &iv.PartKind, &iv.OldSerial, &iv.NewSerial,
			&iv.TechnicianID, &iv.Technician, st(&iv.At), st(&iv.ExpectedEnd))
	})
}

const maintenanceCols = `id, title, description, starts_at, ends_at, created_by, created_at, cancelled_at`

func scanMaintenance(sc fleetScanner) (fleet.Maintenance, error) {
	var m fleet.Maintenance
	err := sc.Scan(&m.ID, &m.Title, &m.Description, st(&m.StartsAt), st(&m.EndsAt), &m.CreatedBy, st(&m.CreatedAt), st(&m.CancelledAt))
	return m, err
}

func (q *Q) maintenanceServers(ctx context.Context, ms []fleet.Maintenance) error {
	for i := range ms {
		rows, err := q.query(ctx, `SELECT server_id FROM maintenance_servers WHERE maintenance_id = ? ORDER BY server_id`, ms[i].ID)
		ids, err := fleetRows(rows, err, func(sc fleetScanner) (fleet.ServerID, error) {
			var id fleet.ServerID
			return id, sc.Scan(&id)
		})
		if err != nil {
			return err
		}
		ms[i].ServerIDs = ids
	}
	return nil
}

func (q *Q) GetMaintenance(ctx context.Context, id fleet.MaintenanceID) (fleet.Maintenance, error) {
	m, err := scanMaintenance(q.row(ctx, `SELECT `+maintenanceCols+` FROM maintenances WHERE id = ?`, id))
	if err != nil {
		return m, q.scanErr(err, "planned intervention")
	}
	ms := []fleet.Maintenance{m}
	err = q.maintenanceServers(ctx, ms)
	return ms[0], err
}

func (q *Q) ListMaintenances(ctx context.Context, f fleet.MaintenanceFilter) ([]fleet.Maintenance, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.ServerID != 0 {
		where, args = append(where, "id IN (SELECT maintenance_id FROM maintenance_servers WHERE server_id = ?)"), append(args, f.ServerID)
	}
	if f.CustomerID != 0 {
		where = append(where, "id IN (SELECT ms.maintenance_id FROM maintenance_servers ms JOIN servers s ON s.id = ms.server_id WHERE s.customer_id = ?)")
		args = append(args, f.CustomerID)
	}
	if !f.EndsAfter.IsZero() {
		where, args = append(where, "ends_at > ?"), append(args, ts(f.EndsAfter))
	}
	rows, err := q.query(ctx, `SELECT `+maintenanceCols+` FROM maintenances WHERE `+strings.Join(where, " AND ")+` ORDER BY starts_at, id`+fleetLimit(f.Limit), args...)
	ms, err := fleetRows(rows, err, scanMaintenance)
	if err != nil {
		return nil, err
	}
	return ms, q.maintenanceServers(ctx, ms)
}

func (q *Q) InsertMaintenance(ctx context.Context, m *fleet.Maintenance) error {
	err := q.row(ctx, `INSERT INTO maintenances (title, description, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Title, m.Description, ts(m.StartsAt), ts(m.EndsAt), m.CreatedBy, ts(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return err
	}
	for _, id := range m.ServerIDs {
		if _, err := q.exec(ctx, `INSERT INTO maintenance_servers (maintenance_id, server_id) VALUES (?, ?)`, m.ID, id); err != nil {
			return err
		}
	}
	return nil
}

func (q *Q) CancelMaintenance(ctx context.Context, id fleet.MaintenanceID, at time.Time) error {
	return q.update1(ctx, "planned intervention", `UPDATE maintenances SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL`, ts(at), id)
}
