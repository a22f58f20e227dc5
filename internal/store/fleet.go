package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Fleet returns the fleet store.
func (db *DB) Fleet() fleet.Store { return fleetStore{db.Read()} }

type fleetStore struct{ *Q }

var _ fleet.Store = fleetStore{}
var _ fleet.Tx = (*Q)(nil)

func (s fleetStore) InTx(ctx context.Context, fn func(fleet.Tx) error) error {
	return s.db.WithTx(ctx, func(q *Q) error { return fn(q) })
}

func (s fleetStore) RecordObservation(ctx context.Context, id fleet.MachineID, power fleet.PowerState, at time.Time, errMsg string) error {
	return s.db.WithTx(ctx, func(q *Q) error {
		return q.update1(ctx, "machine", `UPDATE machines SET observed_power = ?, observed_at = ?, observed_error = ? WHERE id = ?`,
			string(power), ts(at), truncate(errMsg, 500), id)
	})
}

func (s fleetStore) RecordProbe(ctx context.Context, id fleet.ServerID, failures int, at time.Time) error {
	return s.db.WithTx(ctx, func(q *Q) error {
		return q.update1(ctx, "server", `UPDATE servers SET probe_failures = ?, probed_at = ? WHERE id = ?`, failures, ts(at), id)
	})
}

// nz stores 0 as NULL (optional references).
func fleetNZ[T ~int64](v T) any {
	if v == 0 {
		return nil
	}
	return int64(v)
}

// forUpdate is the row lock suffix on PostgreSQL (SQLite has one writer).
func (q *Q) forUpdate(skipLocked bool) string {
	if q.db.engine != Postgres || !q.tx {
		return ""
	}
	if skipLocked {
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}

type fleetScanner interface{ Scan(...any) error }

// collect scans every row with scan.
func fleetRows[T any](rows *sql.Rows, err error, scan func(fleetScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func fleetLimit(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

// ---- racks and machines

func (q *Q) UpsertRack(ctx context.Context, r fleet.Rack) error {
	_, err := q.exec(ctx, `INSERT INTO fleet_racks (datacenter, name, units, datacenter_name, city) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (datacenter, name) DO UPDATE SET units = excluded.units, datacenter_name = excluded.datacenter_name, city = excluded.city`,
		r.Datacenter, r.Name, r.Units, r.DatacenterName, r.City)
	return err
}

func (q *Q) Racks(ctx context.Context) ([]fleet.Rack, error) {
	rows, err := q.query(ctx, `SELECT datacenter, name, units, datacenter_name, city FROM fleet_racks ORDER BY datacenter, name`)
	return fleetRows(rows, err, func(sc fleetScanner) (fleet.Rack, error) {
		var r fleet.Rack
		return r, sc.Scan(&r.Datacenter, &r.Name, &r.Units, &r.DatacenterName, &r.City)
	})
}

const machineCols = `id, serial, datacenter, rack, u, height_u, profile, range_code, manufacturer, model, bmc_driver, bmc_address,
	bmc_username, bmc_secret, state, state_since, COALESCE(server_id, 0), desired_power, observed_power, observed_at, observed_error,
	failure, created_at, updated_at`

func scanMachine(sc fleetScanner) (fleet.Machine, error) {
	var m fleet.Machine
	var secret string
	err := sc.Scan(&m.ID, &m.Serial, &m.Datacenter, &m.Rack, &m.U, &m.HeightU, &m.Profile, &m.Range, &m.Manufacturer, &m.Model,
		&m.BMC.Driver, &m.BMC.Address, &m.BMC.Username, &secret, &m.State, st(&m.StateSince), &m.ServerID, &m.DesiredPower,
		&m.ObservedPower, st(&m.ObservedAt), &m.ObservedError, &m.Failure, st(&m.CreatedAt), st(&m.UpdatedAt))
	m.BMC.Password = fleet.Secret(secret)
	return m, err
}

func (q *Q) machineWhere(ctx context.Context, where, lock string, args ...any) (fleet.Machine, error) {
	m, err := scanMachine(q.row(ctx, `SELECT `+machineCols+` FROM machines WHERE `+where+lock, args...))
	return m, q.scanErr(err, "machine")
}

func (q *Q) GetMachine(ctx context.Context, id fleet.MachineID) (fleet.Machine, error) {
	return q.machineWhere(ctx, `id = ?`, "", id)
}

func (q *Q) MachineBySerial(ctx context.Context, serial string) (fleet.Machine, error) {
	return q.machineWhere(ctx, `serial = ?`, "", serial)
}

func (q *Q) LockMachine(ctx context.Context, id fleet.MachineID) (fleet.Machine, error) {
	return q.machineWhere(ctx, `id = ?`, q.forUpdate(false), id)
}

func (q *Q) PickMachine(ctx context.Context, profile, datacenter string) (fleet.Machine, error) {
	where, args := `state = 'available' AND profile = ?`, []any{profile}
	if datacenter != "" {
		where += ` AND datacenter = ?`
		args = append(args, datacenter)
	}
	return q.machineWhere(ctx, where+` ORDER BY id LIMIT 1`, q.forUpdate(true), args...)
}

func (q *Q) ListMachines(ctx context.Context, f fleet.MachineFilter) ([]fleet.Machine, error) {
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Datacenter != "" {
		add("datacenter = ?", f.Datacenter)
	}
	if f.Rack != "" {
		add("rack = ?", f.Rack)
	}
	if f.Profile != "" {
		add("profile = ?", f.Profile)
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	rows, err := q.query(ctx, `SELECT `+machineCols+` FROM machines WHERE `+strings.Join(where, " AND ")+
		` ORDER BY datacenter, rack, u, id`+fleetLimit(f.Limit), args...)
	return fleetRows(rows, err, scanMachine)
}

func (q *Q) ReconcileView(ctx context.Context) ([]fleet.MachineView, error) {
	rows, err := q.query(ctx, `SELECT id, state, state_since, desired_power, observed_power, observed_at FROM machines ORDER BY id`)
	return fleetRows(rows, err, func(sc fleetScanner) (fleet.MachineView, error) {
		var v fleet.MachineView
		return v, sc.Scan(&v.ID, &v.State, st(&v.StateSince), &v.DesiredPower, &v.ObservedPower, st(&v.ObservedAt))
	})
}

func (q *Q) InsertMachine(ctx context.Context, m *fleet.Machine) error {
	err := q.row(ctx, `INSERT INTO machines (serial, datacenter, rack, u, height_u, profile, range_code, manufacturer, model, bmc_driver,
		bmc_address, bmc_username, bmc_secret, state, state_since, server_id, desired_power, observed_power, observed_at, observed_error,
		failure, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Serial, m.Datacenter, m.Rack, m.U, m.HeightU, m.Profile, m.Range, m.Manufacturer, m.Model, m.BMC.Driver, m.BMC.Address,
		m.BMC.Username, string(m.BMC.Password), string(m.State), ts(m.StateSince), fleetNZ(m.ServerID), string(m.DesiredPower),
		string(m.ObservedPower), tsp(m.ObservedAt), m.ObservedError, m.Failure, ts(m.CreatedAt), ts(m.UpdatedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert machine: %w", q.db.mapErr(err))
	}
	return nil
}

func (q *Q) UpdateMachine(ctx context.Context, m fleet.Machine) error {
	return q.update1(ctx, "machine", `UPDATE machines SET datacenter = ?, rack = ?, u = ?, height_u = ?, profile = ?, range_code = ?,
		manufacturer = ?, model = ?, bmc_driver = ?, bmc_address = ?, bmc_username = ?, bmc_secret = ?, state = ?, state_since = ?,
		server_id = ?, desired_power = ?, failure = ?, updated_at = ? WHERE id = ?`,
		m.Datacenter, m.Rack, m.U, m.HeightU, m.Profile, m.Range, m.Manufacturer, m.Model, m.BMC.Driver, m.BMC.Address, m.BMC.Username,
		string(m.BMC.Password), string(m.State), ts(m.StateSince), fleetNZ(m.ServerID), string(m.DesiredPower), truncate(m.Failure, 1000),
		ts(m.UpdatedAt), m.ID)
}

func (q *Q) InsertTransition(ctx context.Context, t fleet.Transition) error {
	_, err := q.exec(ctx, `INSERT INTO machine_transitions (machine_id, from_state, to_state, actor_kind, actor_id, actor_label, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.MachineID, string(t.From), string(t.To), t.Actor.Kind, fleetNZ(t.Actor.ID), t.Actor.Label,
		truncate(t.Reason, 1000), ts(t.At))
	return err
}

func (q *Q) Transitions(ctx context.Context, id fleet.MachineID, limit int) ([]fleet.Transition, error) {
	rows, err := q.query(ctx, `SELECT id, machine_id, from_state, to_state, actor_kind, COALESCE(actor_id, 0), actor_label, reason, at
		FROM machine_transitions WHERE machine_id = ? ORDER BY id DESC`+fleetLimit(limit), id)
	return fleetRows(rows, err, func(sc fleetScanner) (fleet.Transition, error) {
		var t fleet.Transition
		return t, sc.Scan(&t.ID, &t.MachineID, &t.From, &t.To, &t.Actor.Kind, &t.Actor.ID, &t.Actor.Label, &t.Reason, st(&t.At))
	})
}

func (q *Q) InsertComponent(ctx context.Context, c *fleet.Component) error {
	return q.row(ctx, `INSERT INTO machine_components (machine_id, kind, model, serial, detail, installed_at) VALUES (?, ?, ?, ?, ?, ?)
		RETURNING id`, c.MachineID, c.Kind, c.Model, c.Serial, c.Detail, ts(c.InstalledAt)).Scan(&c.ID)
}

func (q *Q) RemoveComponent(ctx context.Context, id int64, at time.Time) error {
	return q.update1(ctx, "component", `UPDATE machine_components SET removed_at = ? WHERE id = ? AND removed_at IS NULL`, ts(at), id)
}

func (q *Q) Components(ctx context.Context, id fleet.MachineID, withRemoved bool) ([]fleet.Component, error) {
	cond := ` AND removed_at IS NULL`
	if withRemoved {
		cond = ""
	}
	rows, err := q.query(ctx, `SELECT id, machine_id, kind, model, serial, detail, installed_at, removed_at FROM machine_components
		WHERE machine_id = ?`+cond+` ORDER BY id`, id)
	return fleetRows(rows, err, func(sc fleetScanner) (fleet.Component, error) {
		var c fleet.Component
		return c, sc.Scan(&c.ID, &c.MachineID, &c.Kind, &c.Model, &c.Serial, &c.Detail, st(&c.InstalledAt), st(&c.RemovedAt))
	})
}

// ---- servers

const serverCols = `id, customer_id, order_ref, name, plan, range_code, profile, datacenter, COALESCE(machine_id, 0), state, os_image,
	hostname, ssh_key, duration_months, support_level, desired_power, delivered_at, terminated_at, terminate_at, rescue_until,
	probe_failures, probed_at, created_at, updated_at`

func scanServer(sc fleetScanner) (fleet.Server, error) {
	var s fleet.Server
	err := sc.Scan(&s.ID, &s.CustomerID, &s.OrderRef, &s.Name, &s.Plan, &s.Range, &s.Profile, &s.Datacenter, &s.MachineID, &s.State,
		&s.OSImage, &s.Hostname, &s.SSHKey, &s.DurationMonths, &s.SupportLevel, &s.DesiredPower, st(&s.DeliveredAt), st(&s.TerminatedAt),
		st(&s.TerminateAt), st(&s.RescueUntil), &s.ProbeFailures, st(&s.ProbedAt), st(&s.CreatedAt), st(&s.UpdatedAt))
	return s, err
}

func (q *Q) serverWhere(ctx context.Context, where, lock string, args ...any) (fleet.Server, error) {
	s, err := scanServer(q.row(ctx, `SELECT `+serverCols+` FROM servers WHERE `+where+lock, args...))
	return s, q.scanErr(err, "server")
}

func (q *Q) GetServer(ctx context.Context, id fleet.ServerID) (fleet.Server, error) {
	return q.serverWhere(ctx, `id = ?`, "", id)
}

func (q *Q) LockServer(ctx context.Context, id fleet.ServerID) (fleet.Server, error) {
	return q.serverWhere(ctx, `id = ?`, q.forUpdate(false), id)
}

func (q *Q) ServerByOrder(ctx context.Context, ref string) (fleet.Server, error) {
	return q.serverWhere(ctx, `order_ref = ?`, "", ref)
}

func (q *Q) ListServers(ctx context.Context, f fleet.ServerFilter) ([]fleet.Server, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.CustomerID != 0 {
		where, args = append(where, "customer_id = ?"), append(args, f.CustomerID)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")+")")
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	rows, err := q.query(ctx, `SELECT `+serverCols+` FROM servers WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC`+fleetLimit(f.Limit), args...)
	return fleetRows(rows, err, scanServer)
}

func (q *Q) InsertServer(ctx context.Context, s *fleet.Server) error {
	err := q.row(ctx, `INSERT INTO servers (customer_id, order_ref, name, plan, range_code, profile, datacenter, machine_id, state, os_image,
		hostname, ssh_key, duration_months, support_level, desired_power, delivered_at, terminated_at, terminate_at, rescue_until,
		probe_failures, probed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.CustomerID, s.OrderRef, s.Name, s.Plan, s.Range, s.Profile, s.Datacenter, fleetNZ(s.MachineID), string(s.State), s.OSImage, s.Hostname,
		s.SSHKey, s.DurationMonths, s.SupportLevel, string(s.DesiredPower), tsp(s.DeliveredAt), tsp(s.TerminatedAt), tsp(s.TerminateAt),
		tsp(s.RescueUntil), s.ProbeFailures, tsp(s.ProbedAt), ts(s.CreatedAt), ts(s.UpdatedAt)).Scan(&s.ID)
	if err != nil {
		return fmt.Errorf("insert server: %w", q.db.mapErr(err))
	}
	return nil
}

func (q *Q) UpdateServer(ctx context.Context, s fleet.Server) error {
	return q.update1(ctx, "server", `UPDATE servers SET name = ?, datacenter = ?, machine_id = ?, state = ?, os_image = ?, hostname = ?,
		ssh_key = ?, desired_power = ?, delivered_at = ?, terminated_at = ?, terminate_at = ?, rescue_until = ?, updated_at = ? WHERE id = ?`,
		s.Name, s.Datacenter, fleetNZ(s.MachineID), string(s.State), s.OSImage, s.Hostname, s.SSHKey, string(s.DesiredPower),
		tsp(s.DeliveredAt), tsp(s.TerminatedAt), tsp(s.TerminateAt), tsp(s.RescueUntil), ts(s.UpdatedAt), s.ID)
}

// ---- tasks, deployments, secrets

const taskCols = `t.id, t.server_id, t.customer_id, t.function, t.status, t.progress, t.comment, t.created_at, t.started_at, t.done_at,
	t.updated_at, CASE WHEN s.id IS NOT NULL AND s.revealed_at IS NULL THEN 1 ELSE 0 END`

const taskFrom = ` FROM fleet_tasks t LEFT JOIN server_secrets s ON s.task_id = t.id`

func scanTask(sc fleetScanner) (fleet.Task, error) {
	var t fleet.Task
	var progress string
	var creds int
	err := sc.Scan(&t.ID, &t.ServerID, &t.CustomerID, &t.Function, &t.Status, &progress, &t.Comment, st(&t.CreatedAt), st(&t.StartedAt),
		st(&t.DoneAt), st(&t.UpdatedAt), &creds)
	if err != nil {
		return t, err
	}
	t.Credentials = creds == 1
	if err := json.Unmarshal([]byte(progress), &t.Progress); err != nil {
		return t, fmt.Errorf("task %d progress: %w", t.ID, err)
	}
	for i := range t.Progress {
		if !t.Progress[i].At.IsZero() {
			t.Progress[i].At = Trunc(t.Progress[i].At)
		}
	}
	return t, nil
}

func progressJSON(steps []fleet.Step) string {
	for i := range steps {
		if !steps[i].At.IsZero() {
			steps[i].At = Trunc(steps[i].At)
		}
	}
	b, _ := json.Marshal(steps)
	if steps == nil {
		return "[]"
	}
	return string(b)
}

func (q *Q) GetTask(ctx context.Context, id fleet.TaskID) (fleet.Task, error) {
	t, err := scanTask(q.row(ctx, `SELECT `+taskCols+taskFrom+` WHERE t.id = ?`, id))
	return t, q.scanErr(err, "task")
}

func (q *Q) TasksOf(ctx context.Context, id fleet.ServerID, limit int) ([]fleet.Task, error) {
	rows, err := q.query(ctx, `SELECT `+taskCols+taskFrom+` WHERE t.server_id = ? ORDER BY t.id DESC`+fleetLimit(limit), id)
	return fleetRows(rows, err, scanTask)
}

func (q *Q) InsertTask(ctx context.Context, t *fleet.Task) error {
	return q.row(ctx, `INSERT INTO fleet_tasks (server_id, customer_id, function, status, progress, comment, created_at, started_at, done_at,
		updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, t.ServerID, t.CustomerID, t.Function, string(t.Status),
		progressJSON(t.Progress), t.Comment, ts(t.CreatedAt), tsp(t.StartedAt), tsp(t.DoneAt), ts(t.UpdatedAt)).Scan(&t.ID)
}

func (q *Q) UpdateTask(ctx context.Context, t fleet.Task) error {
	return q.update1(ctx, "task", `UPDATE fleet_tasks SET status = ?, progress = ?, comment = ?, started_at = ?, done_at = ?, updated_at = ?
		WHERE id = ?`, string(t.Status), progressJSON(t.Progress), truncate(t.Comment, 1000), tsp(t.StartedAt), tsp(t.DoneAt), ts(t.UpdatedAt), t.ID)
}

const deploymentCols = `id, server_id, machine_id, task_id, kind, image, hostname, ssh_key, preserve_data, state, attempt, started_at,
	deadline, ended_at, failure`

func scanDeployment(sc fleetScanner) (fleet.Deployment, error) {
	var d fleet.Deployment
	var preserve int
	err := sc.Scan(&d.ID, &d.ServerID, &d.MachineID, &d.TaskID, &d.Kind, &d.Image, &d.Hostname, &d.SSHKey, &preserve, &d.State, &d.Attempt,
		st(&d.StartedAt), st(&d.Deadline), st(&d.EndedAt), &d.Failure)
	d.PreserveData = preserve == 1
	return d, err
}

func (q *Q) GetDeployment(ctx context.Context, id int64) (fleet.Deployment, error) {
	d, err := scanDeployment(q.row(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE id = ?`, id))
	return d, q.scanErr(err, "deployment")
}

func (q *Q) RunningDeployment(ctx context.Context, id fleet.ServerID) (fleet.Deployment, error) {
	d, err := scanDeployment(q.row(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE server_id = ? AND state = 'running' ORDER BY id DESC LIMIT 1`, id))
	return d, q.scanErr(err, "deployment")
}

func (q *Q) DeploymentsDue(ctx context.Context, now time.Time, limit int) ([]fleet.Deployment, error) {
	rows, err := q.query(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE state = 'running' AND deadline <= ? ORDER BY deadline, id`+
		fleetLimit(limit), ts(now))
	return fleetRows(rows, err, scanDeployment)
}

func (q *Q) ListDeployments(ctx context.Context, state fleet.DeploymentState, limit int) ([]fleet.Deployment, error) {
	rows, err := q.query(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE state = ? ORDER BY id`+fleetLimit(limit), string(state))
	return fleetRows(rows, err, scanDeployment)
}

func fleetBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (q *Q) InsertDeployment(ctx context.Context, d *fleet.Deployment) error {
	return q.row(ctx, `INSERT INTO deployments (server_id, machine_id, task_id, kind, image, hostname, ssh_key, preserve_data, state, attempt,
		started_at, deadline, ended_at, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.ServerID, d.MachineID, d.TaskID,
		string(d.Kind), d.Image, d.Hostname, d.SSHKey, fleetBool(d.PreserveData), string(d.State), d.Attempt, ts(d.StartedAt), ts(d.Deadline),
		tsp(d.EndedAt), d.Failure).Scan(&d.ID)
}

func (q *Q) UpdateDeployment(ctx context.Context, d fleet.Deployment) error {
	return q.update1(ctx, "deployment", `UPDATE deployments SET state = ?, ended_at = ?, failure = ? WHERE id = ?`,
		string(d.State), tsp(d.EndedAt), truncate(d.Failure, 1000), d.ID)
}

func (q *Q) InsertSecret(ctx context.Context, s *fleet.SecretRecord) error {
	err := q.row(ctx, `INSERT INTO server_secrets (server_id, task_id, kind, username, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		s.ServerID, s.TaskID, s.Kind, s.Username, s.Sealed, ts(s.CreatedAt)).Scan(&s.ID)
	if err != nil {
		return fmt.Errorf("insert secret: %w", q.db.mapErr(err))
	}
	return nil
}

const secretCols = `id, server_id, task_id, kind, username, sealed, created_at, revealed_at`

func scanSecret(sc fleetScanner) (fleet.SecretRecord, error) {
	var s fleet.SecretRecord
	err := sc.Scan(&s.ID, &s.ServerID, &s.TaskID, &s.Kind, &s.Username, &s.Sealed, st(&s.CreatedAt), st(&s.RevealedAt))
	return s, err
}

func (q *Q) SecretOfTask(ctx context.Context, id fleet.TaskID) (fleet.SecretRecord, error) {
	s, err := scanSecret(q.row(ctx, `SELECT `+secretCols+` FROM server_secrets WHERE task_id = ?`, id))
	return s, q.scanErr(err, "secret")
}

// RevealSecret marks the secret shown and wipes the sealed value: it can never be shown again.
func (q *Q) RevealSecret(ctx context.Context, id fleet.TaskID, at time.Time) (fleet.SecretRecord, error) {
	s, err := scanSecret(q.row(ctx, `SELECT `+secretCols+` FROM server_secrets WHERE task_id = ?`+q.forUpdate(false), id))
	if err != nil {
		return s, q.scanErr(err, "secret")
	}
	if !s.RevealedAt.IsZero() {
		return s, fleet.ErrShown
	}
	res, err := q.exec(ctx, `UPDATE server_secrets SET revealed_at = ?, sealed = '' WHERE id = ? AND revealed_at IS NULL`, ts(at), s.ID)
	if err != nil {
		return s, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s, fleet.ErrShown
	}
	return s, nil
}
