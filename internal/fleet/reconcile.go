package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
)

// ActionKind is what the reconcile pass decided for a machine.
type ActionKind string

// Reconcile actions.
const (
	ActObserve  ActionKind = "observe"  // read the power state from the BMC again
	ActPower    ActionKind = "power"    // order the desired power
	ActWipeDone ActionKind = "wipeDone" // the wipe ran its course: back to stock
)

// Action is one step the reconcile pass takes for a machine.
type Action struct {
	Machine MachineID
	Kind    ActionKind
	Power   PowerAction
}

// powerManaged are the states whose power the reconcile loop holds to the desired one; the
// others are driven by their jobs (deploy, wipe) or by technicians (maintenance).
func powerManaged(st MachineState) bool {
	return st == MachineAvailable || st == MachineDeployed || st == MachineSuspended
}

// Plan is the reconcile rule, a pure function of the machines and the time: a managed machine
// whose observation is older than observeEvery is observed again; one observed in another
// power state than desired gets a power order; a wiping machine whose wipe ran wipeDuration
// goes back to stock. It appends to out and returns it.
func Plan(out []Action, ms []MachineView, now time.Time, observeEvery, wipeDuration time.Duration) []Action {
	for i := range ms {
		m := &ms[i]
		switch {
		case m.State == MachineWiping:
			if !now.Before(m.StateSince.Add(wipeDuration)) {
				out = append(out, Action{Machine: m.ID, Kind: ActWipeDone})
			}
		case powerManaged(m.State):
			if m.ObservedAt.IsZero() || now.Sub(m.ObservedAt) >= observeEvery {
				out = append(out, Action{Machine: m.ID, Kind: ActObserve})
			} else if m.ObservedPower != PowerStateUnknown && m.ObservedPower != m.DesiredPower {
				a := PowerOn
				if m.DesiredPower == PowerStateOff {
					a = PowerOff
				}
				out = append(out, Action{Machine: m.ID, Kind: ActPower, Power: a})
			}
		}
	}
	return out
}

// ReconcileStats says what one pass did.
type ReconcileStats struct {
	Machines    int
	Observe     int
	Power       int
	WipeDone    int
	TimedOut    int
	Completed   int
	Reserved    int
	RescueEnded int
	Terminated  int
	Notified    int
	Consoles    int // console credentials whose revocation was (re)enqueued
}

// HandleReconcile is the periodic job of the reconcile loop.
func (s *Service) HandleReconcile(ctx context.Context, _ jobs.Job) error {
	_, err := s.Reconcile(ctx)
	return err
}

// Reconcile runs one pass: it closes the gap between desired and observed machine state
// (through jobs), ends deploys past policy.deploy_timeout, completes installs that answer,
// reserves machines for servers waiting for stock, ends forgotten rescues and due terminations,
// tells customers whose repair exceeds policy.usual_repair_time, and revokes the credentials of
// console sessions that ended.
func (s *Service) Reconcile(ctx context.Context) (ReconcileStats, error) {
	var st ReconcileStats
	now := s.Now()
	view, err := s.deps.Store.ReconcileView(ctx)
	if err != nil {
		return st, err
	}
	st.Machines = len(view)
	acts := Plan(nil, view, now, s.cfg.ObserveEvery, s.cfg.WipeDuration)
	if err := s.apply(ctx, acts, now, &st); err != nil {
		return st, err
	}
	var list []error
	due, err := s.deps.Store.DeploymentsDue(ctx, now, 500)
	if err != nil {
		return st, err
	}
	for _, d := range due {
		reason := fmt.Sprintf("the install did not answer within %s", s.deps.Policy.DeployTimeout)
		if err := s.failDeployment(ctx, d, reason, IncidentDeployTimeout); err != nil {
			list = append(list, err)
		}
		st.TimedOut++
	}
	running, err := s.deps.Store.ListDeployments(ctx, DeployRunning, 2000)
	if err != nil {
		return st, err
	}
	for _, d := range running {
		if TimedOut(d.StartedAt, s.deps.Policy.DeployTimeout, now) {
			continue
		}
		before := d.State
		if err := s.checkDeployment(ctx, d); err != nil {
			list = append(list, err)
		} else if d2, err := s.deps.Store.GetDeployment(ctx, d.ID); err == nil && d2.State != before {
			st.Completed++
		}
	}
	waiting, err := s.deps.Store.ListServers(ctx, ServerFilter{States: []ServerState{ServerDelivering, ServerReinstalling, ServerRescue, ServerActive,
		ServerSuspended, ServerNetworkCut}}) // a suspended server's term ends all the same
	if err != nil {
		return st, err
	}
	for _, srv := range waiting {
		switch {
		case (srv.State == ServerDelivering || srv.State == ServerReinstalling) && srv.MachineID == 0:
			ok, err := s.retryReservation(ctx, srv.ID, now)
			if err != nil {
				list = append(list, err)
			} else if ok {
				st.Reserved++
			}
		case srv.State == ServerRescue && !srv.RescueUntil.IsZero() && !now.Before(srv.RescueUntil):
			if _, err := s.ExitRescue(ctx, account.System, 0, srv.ID); err != nil && errs.KindOf(err) != errs.Conflict {
				list = append(list, err)
			}
			st.RescueEnded++
		}
		if !srv.TerminateAt.IsZero() && !now.Before(srv.TerminateAt) {
			if done, err := s.endOfTerm(ctx, srv, now); err != nil {
				list = append(list, err)
			} else if done {
				st.Terminated++
			}
		}
	}
	n, err := s.notifyLongRepairs(ctx, now)
	st.Notified = n
	if err != nil {
		list = append(list, err)
	}
	if st.Consoles, err = s.revokeDueConsoles(ctx, now); err != nil {
		list = append(list, err)
	}
	return st, errors.Join(list...)
}

// endOfTerm carries out a server's own termination date, due at now. A server rented under a
// contract is never released on such a date: its contract owns the term, which paid renewals
// move past the first term's end. A date the server holds from before the contract owned
// terminations is handed to the contract (a termination at the end of its current term) and
// dropped; a contract already terminated lets the server go.
func (s *Service) endOfTerm(ctx context.Context, srv Server, now time.Time) (bool, error) {
	c, ok, err := s.contractOf(ctx, srv)
	if err != nil {
		return false, err
	}
	actor := account.Actor{Kind: "system", Label: "fleet reconcile"}
	if ok && !c.Terminated {
		if c.TerminateAt.IsZero() {
			if _, err := s.deps.Contracts.TerminateContract(ctx, actor, srv, TerminateEndOfTerm, "customer"); err != nil {
				return false, err
			}
		}
		return false, s.inTx(ctx, func(tx Tx) error {
			srv, err := tx.LockServer(ctx, srv.ID)
			if err != nil || srv.TerminateAt.IsZero() {
				return err
			}
			srv.TerminateAt, srv.UpdatedAt = time.Time{}, now
			if err := tx.UpdateServer(ctx, srv); err != nil {
				return err
			}
			return audit(ctx, tx, now, actor, "server.termination.to_contract", "server", srv.ID, srv.CustomerID, map[string]any{"contract": c.ID})
		})
	}
	done := false
	err = s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, srv.ID)
		if err != nil || srv.TerminateAt.IsZero() || srv.State == ServerTerminated {
			return err
		}
		done = true
		return s.release(ctx, tx, &srv, account.System, "end of term", now)
	})
	return done, err
}

// apply carries out the planned actions: jobs for BMC work (unique per machine and period, so
// a slow BMC never gets the same order twice), and the end of wipes.
func (s *Service) apply(ctx context.Context, acts []Action, now time.Time, st *ReconcileStats) error {
	if len(acts) == 0 {
		return nil
	}
	slot := now.Truncate(s.cfg.ObserveEvery).Unix()
	const batch = 500
	for i := 0; i < len(acts); i += batch {
		part := acts[i:min(i+batch, len(acts))]
		err := s.inTx(ctx, func(tx Tx) error {
			for _, a := range part {
				var err error
				switch a.Kind {
				case ActObserve:
					st.Observe++
					err = s.enqueue(ctx, tx, JobObserve, observeArgs{Machine: a.Machine}, fmt.Sprintf("observe:%d:%d", a.Machine, slot), 1)
				case ActPower:
					st.Power++
					err = s.enqueue(ctx, tx, JobPower, powerArgs{Machine: a.Machine, Action: a.Power},
						fmt.Sprintf("power:%d:%s:%d", a.Machine, a.Power, slot), s.cfg.BMCAttempts)
				case ActWipeDone:
					st.WipeDone++
					err = s.finishWipe(ctx, tx, a.Machine, now)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// finishWipe returns a wiped machine to stock: wiping -> available (powered off by the loop).
func (s *Service) finishWipe(ctx context.Context, tx Tx, id MachineID, now time.Time) error {
	m, err := tx.LockMachine(ctx, id)
	if err != nil || m.State != MachineWiping {
		return err
	}
	return s.move(ctx, tx, &m, MachineAvailable, account.System, "wiped", now)
}

type observeArgs struct {
	Machine MachineID `json:"machine"`
}

// HandleObserve is the job handler of JobObserve: read the power state from the BMC.
func (s *Service) HandleObserve(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[observeArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	m, err := s.deps.Store.GetMachine(ctx, a.Machine)
	if err != nil {
		return err
	}
	power, msg := PowerStateUnknown, ""
	drv, err := s.driver(ctx, m)
	if err == nil {
		if pg, ok := drv.(PowerGetter); ok {
			power, err = pg.PowerState(ctx)
		} else {
			err = ErrUnsupported
		}
	}
	if err != nil {
		power, msg = PowerStateUnknown, err.Error()
	}
	return s.deps.Store.RecordObservation(ctx, m.ID, power, s.Now(), msg)
}

// retryReservation starts the install of a server that waits for a machine.
func (s *Service) retryReservation(ctx context.Context, id ServerID, now time.Time) (bool, error) {
	ok := false
	err := s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil || srv.MachineID != 0 || (srv.State != ServerDelivering && srv.State != ServerReinstalling) {
			return err
		}
		ts, err := tx.TasksOf(ctx, id, 1)
		if err != nil {
			return err
		}
		if len(ts) == 0 || ts[0].Status.Finished() {
			return nil // staff took it over
		}
		t := ts[0]
		kind := DeployDelivery
		if t.Function == "reinstall" {
			kind = DeployReinstall
		}
		err = s.startDeployment(ctx, tx, &srv, &t, kind, false, 1, account.System, now)
		if errors.Is(err, ErrNoStock) {
			return nil
		}
		ok = err == nil
		return err
	})
	return ok, err
}

// HandleProbe is the periodic job that probes delivered servers.
func (s *Service) HandleProbe(ctx context.Context, _ jobs.Job) error {
	_, err := s.ProbeAll(ctx)
	return err
}

// ProbeAll probes every active server on its main address (skipping those inside a planned
// intervention). ProbeFailures failures in a row open an unreachable incident, tell the
// customer and alert staff; an answer again resolves the probe's incident.
func (s *Service) ProbeAll(ctx context.Context) (opened int, err error) {
	if s.deps.Prober == nil {
		return 0, nil
	}
	now := s.Now()
	servers, err := s.deps.Store.ListServers(ctx, ServerFilter{States: []ServerState{ServerActive}})
	if err != nil {
		return 0, err
	}
	works, err := s.deps.Store.ListMaintenances(ctx, MaintenanceFilter{EndsAfter: now, Limit: 200})
	if err != nil {
		return 0, err
	}
	inWork := map[ServerID]bool{}
	for _, w := range works {
		if w.Ongoing(now) {
			for _, id := range w.ServerIDs {
				inWork[id] = true
			}
		}
	}
	type result struct {
		srv Server
		ok  bool
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, srv := range servers {
		if inWork[srv.ID] || srv.MachineID == 0 {
			continue
		}
		t, err := s.mainTarget(ctx, srv, "")
		if err != nil {
			return 0, err
		}
		if m, err := s.deps.Store.GetMachine(ctx, srv.MachineID); err == nil {
			t.Serial = m.Serial
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			ok := s.deps.Prober.Probe(ctx, t)
			<-sem
			mu.Lock()
			results = append(results, result{srv, ok})
			mu.Unlock()
		}()
	}
	wg.Wait()
	var list []error
	for _, r := range results {
		fails := 0
		if !r.ok {
			fails = r.srv.ProbeFailures + 1
		}
		if err := s.deps.Store.RecordProbe(ctx, r.srv.ID, fails, now); err != nil {
			list = append(list, err)
			continue
		}
		switch {
		case !r.ok && fails == s.cfg.ProbeFailures:
			if err := s.openUnreachable(ctx, r.srv, now); err != nil {
				list = append(list, err)
			} else {
				opened++
			}
		case r.ok && r.srv.ProbeFailures > 0:
			if err := s.resolveUnreachable(ctx, r.srv.ID, now); err != nil {
				list = append(list, err)
			}
		}
	}
	return opened, errors.Join(list...)
}

func (s *Service) openUnreachable(ctx context.Context, srv Server, now time.Time) error {
	s.log.Warn("server stopped answering", logkey.ServerID, srv.ID)
	return s.inTx(ctx, func(tx Tx) error {
		open, err := tx.ListIncidents(ctx, IncidentFilter{ServerID: srv.ID, Open: true, Limit: 20})
		if err != nil {
			return err
		}
		for _, i := range open {
			if i.Kind == IncidentUnreachable {
				return nil
			}
		}
		inc := Incident{ServerID: srv.ID, MachineID: srv.MachineID, CustomerID: srv.CustomerID, Kind: IncidentUnreachable,
			Origin: OriginProbe, Status: IncidentOpen, OpenedAt: now,
			Description: fmt.Sprintf("%s stopped answering %d probes in a row", srv.Name, s.cfg.ProbeFailures)}
		if err := tx.InsertIncident(ctx, &inc); err != nil {
			return err
		}
		if err := s.notifyCustomer(ctx, tx, srv.CustomerID, "incident_opened", map[string]any{"Server": srv.Name,
			"IncidentID": int64(inc.ID), "At": now.UTC().Format("2006-01-02 15:04 UTC")}, fmt.Sprintf("incident:%d", inc.ID)); err != nil {
			return err
		}
		return s.alertStaff(ctx, tx, "server "+srv.Name+" stopped answering", inc.Description+"\nIncident #"+fmt.Sprint(inc.ID),
			fmt.Sprintf("incident:%d", inc.ID))
	})
}

func (s *Service) resolveUnreachable(ctx context.Context, id ServerID, now time.Time) error {
	return s.inTx(ctx, func(tx Tx) error {
		open, err := tx.ListIncidents(ctx, IncidentFilter{ServerID: id, Open: true, Limit: 20})
		if err != nil {
			return err
		}
		for _, i := range open {
			if i.Kind == IncidentUnreachable && i.Origin == OriginProbe {
				i.Status, i.ResolvedAt, i.Resolution = IncidentResolved, now, "the server answers again"
				if err := tx.UpdateIncident(ctx, i); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
