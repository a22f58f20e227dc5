package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
)

// ReinstallRequest is what a customer asks for a reinstall (Art. 7.3).
type ReinstallRequest struct {
	OSImage      string
	Hostname     string
	SSHKey       string
	PreserveData bool
}

// busy reports whether a task is running on the server.
func busy(ctx context.Context, tx Tx, id ServerID) (bool, error) {
	ts, err := tx.TasksOf(ctx, id, 20)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if !t.Status.Finished() {
			return true, nil
		}
	}
	return false, nil
}

// usable checks that an active server may take an operation: not suspended, not cut, no other
// operation running.
func usable(ctx context.Context, tx Tx, srv Server) error {
	switch srv.State {
	case ServerSuspended:
		return ErrSuspended
	case ServerActive, ServerRescue:
	default:
		if b, _ := busy(ctx, tx, srv.ID); b {
			return ErrTaskRunning
		}
		return &errs.Error{Kind: errs.Conflict, Code: ErrNotActive.Code, Msg: "the server is " + string(srv.State)}
	}
	b, err := busy(ctx, tx, srv.ID)
	if err != nil {
		return err
	}
	if b {
		return ErrTaskRunning
	}
	return nil
}

// Reinstall installs a new system on a customer's server (Art. 7.3): the image must be offered,
// the server active (not suspended) with nothing else running. New credentials are shown once
// when it ends; the main address stays.
func (s *Service) Reinstall(ctx context.Context, actor account.Actor, customer account.ID, id ServerID, req ReinstallRequest) (Task, error) {
	if err := s.checkImage("osImage", req.OSImage); err != nil {
		return Task{}, err
	}
	if req.Hostname != "" && !validHostname(req.Hostname) {
		return Task{}, errs.Fields(errs.FieldError{Field: "hostname", Message: "is not a valid host name"})
	}
	key, err := NormalizeSSHKey("sshKey", req.SSHKey)
	if err != nil {
		return Task{}, err
	}
	if _, err := s.OwnServer(ctx, customer, id); err != nil {
		return Task{}, err
	}
	now := s.Now()
	var task Task
	err = s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if err := usable(ctx, tx, srv); err != nil {
			return err
		}
		if srv.State == ServerRescue {
			return &errs.Error{Kind: errs.Conflict, Code: ErrNotActive.Code, Msg: "leave rescue mode before reinstalling"}
		}
		srv.State, srv.OSImage, srv.SSHKey = ServerReinstalling, req.OSImage, key
		if req.Hostname != "" {
			srv.Hostname = req.Hostname
		}
		task = Task{ServerID: srv.ID, CustomerID: srv.CustomerID, Function: "reinstall", Status: TaskTodo,
			Progress: newSteps(stepReserve, stepBoot, stepInstall, stepDeliver), CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertTask(ctx, &task); err != nil {
			return err
		}
		if err := s.startDeployment(ctx, tx, &srv, &task, DeployReinstall, req.PreserveData, 1, actor, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "server.reinstall", "server", srv.ID, srv.CustomerID,
			map[string]any{"osImage": req.OSImage, "hostname": srv.Hostname, "sshKey": key != "", "preserveData": req.PreserveData, "task": task.ID})
	})
	return task, err
}

// RebootType is the kind of reboot (API: soft, hard, power).
type RebootType string

// Reboot types.
const (
	RebootSoft  RebootType = "soft"  // ACPI: the OS restarts cleanly
	RebootHard  RebootType = "hard"  // reset button
	RebootPower RebootType = "power" // power off, then on
)

func (t RebootType) action() (PowerAction, bool) {
	switch t {
	case RebootSoft:
		return PowerSoft, true
	case RebootHard:
		return PowerReset, true
	case RebootPower:
		return PowerCycle, true
	}
	return "", false
}

type powerArgs struct {
	Machine MachineID   `json:"machine"`
	Action  PowerAction `json:"action"`
	Task    TaskID      `json:"task,omitempty"`
	Disk    bool        `json:"disk,omitempty"` // boot the disk (leave rescue)
	Rescue  bool        `json:"rescue,omitempty"`
}

// Reboot restarts a customer's server through its BMC; the task ends when the BMC took the order.
func (s *Service) Reboot(ctx context.Context, actor account.Actor, customer account.ID, id ServerID, typ RebootType) (Task, error) {
	action, ok := typ.action()
	if !ok {
		return Task{}, errs.Fields(errs.FieldError{Field: "type", Message: "must be soft, hard or power"})
	}
	return s.serverTask(ctx, actor, customer, id, "reboot", func(tx Tx, srv *Server, t *Task) (powerArgs, error) {
		return powerArgs{Machine: srv.MachineID, Action: action, Task: t.ID}, nil
	})
}

// Rescue boots the server on the rescue image without touching its disks; the rescue root
// password is shown once. The server returns to its disk with ExitRescue, or after RescueTTL.
func (s *Service) Rescue(ctx context.Context, actor account.Actor, customer account.ID, id ServerID) (Task, error) {
	return s.serverTask(ctx, actor, customer, id, "rescue", func(tx Tx, srv *Server, t *Task) (powerArgs, error) {
		if srv.State == ServerRescue {
			return powerArgs{}, &errs.Error{Kind: errs.Conflict, Code: "already_in_rescue", Msg: "the server is already in rescue mode"}
		}
		return powerArgs{Machine: srv.MachineID, Action: PowerCycle, Task: t.ID, Rescue: true}, nil
	})
}

// ExitRescue boots the server on its disk again.
func (s *Service) ExitRescue(ctx context.Context, actor account.Actor, customer account.ID, id ServerID) (Task, error) {
	return s.serverTask(ctx, actor, customer, id, "rescueExit", func(tx Tx, srv *Server, t *Task) (powerArgs, error) {
		if srv.State != ServerRescue {
			return powerArgs{}, &errs.Error{Kind: errs.Conflict, Code: "not_in_rescue", Msg: "the server is not in rescue mode"}
		}
		return powerArgs{Machine: srv.MachineID, Action: PowerCycle, Task: t.ID, Disk: true}, nil
	})
}

// serverTask creates a one-step task on a usable server and enqueues its BMC order.
func (s *Service) serverTask(ctx context.Context, actor account.Actor, customer account.ID, id ServerID, fn string,
	build func(tx Tx, srv *Server, t *Task) (powerArgs, error)) (Task, error) {
	if _, err := s.OwnServer(ctx, customer, id); err != nil {
		return Task{}, err
	}
	now := s.Now()
	var task Task
	err := s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if err := usable(ctx, tx, srv); err != nil {
			return err
		}
		task = Task{ServerID: srv.ID, CustomerID: srv.CustomerID, Function: fn, Status: TaskTodo,
			Progress: newSteps("order", "done"), CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertTask(ctx, &task); err != nil {
			return err
		}
		args, err := build(tx, &srv, &task)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, JobPower, args, fmt.Sprintf("task:%d", task.ID), s.cfg.BMCAttempts); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "server."+fn, "server", srv.ID, srv.CustomerID, map[string]any{"task": task.ID, "action": args.Action})
	})
	return task, err
}

// HandlePower is the job handler of JobPower: a power order from a task (reboot, rescue) or
// from the reconcile loop. A BMC that times out is retried; garbage or a refusal ends the task
// in providerError with the reason, and the server stays as it was.
func (s *Service) HandlePower(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[powerArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	m, err := s.deps.Store.GetMachine(ctx, a.Machine)
	if err != nil {
		return err
	}
	err = s.power(ctx, m, a)
	if err != nil && fleetTemporary(err) && j.Attempt < j.MaxAttempts {
		return err
	}
	if a.Task == 0 {
		if err != nil {
			return s.deps.Store.RecordObservation(ctx, m.ID, PowerStateUnknown, s.Now(), err.Error())
		}
		return nil
	}
	return s.finishPowerTask(ctx, a, err)
}

func (s *Service) power(ctx context.Context, m Machine, a powerArgs) error {
	drv, err := s.driver(ctx, m)
	if err != nil {
		return err
	}
	switch {
	case a.Rescue:
		srv, err := s.deps.Store.GetServer(ctx, m.ServerID)
		if err != nil {
			return err
		}
		if _, err := s.taskPassword(ctx, srv.ID, a.Task, "rescue", "root"); err != nil {
			return err
		}
		return s.bootImage(ctx, drv, s.imageURL(s.cfg.RescueImage), a.Action)
	case a.Disk:
		return s.bootDisk(ctx, drv, a.Action)
	}
	p, ok := drv.(PowerSetter)
	if !ok {
		return fmt.Errorf("power: %w", ErrUnsupported)
	}
	return p.SetPower(ctx, a.Action)
}

func (s *Service) finishPowerTask(ctx context.Context, a powerArgs, cause error) error {
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		t, err := tx.GetTask(ctx, a.Task)
		if err != nil || t.Status.Finished() {
			return err
		}
		srv, err := tx.LockServer(ctx, t.ServerID)
		if err != nil {
			return err
		}
		t.DoneAt, t.UpdatedAt = now, now
		if cause != nil {
			t.Status = TaskProviderError
			t.Comment = "the server's management controller refused or did not answer: " + errs.Public(cause)
			var be *BMCError
			if errors.As(cause, &be) {
				t.Comment = "the server's management controller failed: " + be.Error()
			}
			t.setStep("order", TaskProviderError, now)
			return tx.UpdateTask(ctx, t)
		}
		t.Status = TaskDone
		t.setStep("done", TaskDone, now)
		switch {
		case a.Rescue:
			srv.State, srv.RescueUntil = ServerRescue, now.Add(s.cfg.RescueTTL)
			t.Comment = "rescue mode until " + srv.RescueUntil.UTC().Format("2006-01-02 15:04 UTC")
		case a.Disk:
			srv.State, srv.RescueUntil = ServerActive, time.Time{}
			t.Comment = "booted on its disk"
		default:
			t.Comment = "reboot (" + string(a.Action) + ") ordered"
		}
		srv.UpdatedAt = now
		if err := tx.UpdateServer(ctx, srv); err != nil {
			return err
		}
		return tx.UpdateTask(ctx, t)
	})
}

// RevealCredentials shows a finished task's password once (delivery, reinstall or rescue); a
// second call is ErrShown.
func (s *Service) RevealCredentials(ctx context.Context, actor account.Actor, customer account.ID, id TaskID) (Credentials, error) {
	t, err := s.Task(ctx, customer, id)
	if err != nil {
		return Credentials{}, err
	}
	if t.Status != TaskDone {
		return Credentials{}, &errs.Error{Kind: errs.Conflict, Code: "task_not_done", Msg: "the credentials are shown when the task is done"}
	}
	var rec SecretRecord
	err = s.inTx(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.RevealSecret(ctx, id, s.Now())
		if errs.KindOf(err) == errs.NotFound {
			return ErrCredentialsNot
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, s.Now(), actor, "server.credentials.reveal", "task", id, t.CustomerID, map[string]any{"kind": rec.Kind})
	})
	if err != nil {
		return Credentials{}, err
	}
	pw, err := s.deps.Sealer.Open(rec.Sealed)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{Username: rec.Username, Password: pw}, nil
}

// Task returns a task the customer may see (0: staff).
func (s *Service) Task(ctx context.Context, customer account.ID, id TaskID) (Task, error) {
	t, err := s.deps.Store.GetTask(ctx, id)
	if err != nil || (customer != 0 && t.CustomerID != customer) {
		return Task{}, errs.Coded(errs.NotFound, "not_found", "task not found")
	}
	return t, nil
}

// Suspend suspends a server (unpaid renewal, abuse): the machine is powered off, the server
// kept. Idempotent.
func (s *Service) Suspend(ctx context.Context, actor account.Actor, id ServerID, reason string) error {
	return s.setSuspended(ctx, actor, id, reason, true)
}

// Unsuspend lifts a suspension: the machine is powered on again.
func (s *Service) Unsuspend(ctx context.Context, actor account.Actor, id ServerID, reason string) error {
	return s.setSuspended(ctx, actor, id, reason, false)
}

func (s *Service) setSuspended(ctx context.Context, actor account.Actor, id ServerID, reason string, on bool) error {
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if on == (srv.State == ServerSuspended) {
			return nil
		}
		if on && srv.State != ServerActive && srv.State != ServerRescue && srv.State != ServerNetworkCut {
			return &errs.Error{Kind: errs.Conflict, Code: ErrNotActive.Code, Msg: "only a delivered server can be suspended (it is " + string(srv.State) + ")"}
		}
		if srv.MachineID != 0 {
			m, err := tx.LockMachine(ctx, srv.MachineID)
			if err != nil {
				return err
			}
			to := MachineDeployed
			if on {
				to = MachineSuspended
			}
			if m.State != MachineMaintenance {
				if err := s.move(ctx, tx, &m, to, actor, reason, now); err != nil {
					return err
				}
			}
		}
		action := "server.unsuspend"
		srv.State = ServerActive
		if on {
			srv.State, action = ServerSuspended, "server.suspend"
			if _, err := s.closeConsoles(ctx, tx, srv.ID, "server suspended: "+reason, now); err != nil {
				return err
			}
		}
		srv.UpdatedAt = now
		if err := tx.UpdateServer(ctx, srv); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, action, "server", srv.ID, srv.CustomerID, map[string]any{"reason": reason})
	})
}

// TerminationAt says when a termination takes effect.
type TerminationAt string

// Termination times.
const (
	TerminateNow       TerminationAt = "now"
	TerminateEndOfTerm TerminationAt = "endOfTerm"
)

// Terminate ends a server now (release, wipe, back to stock) or at the end of its term.
//
// A server rented under a contract (Deps.Contracts) is terminated through its contract, which
// owns the term: at now the contract is terminated (its pending renewal invoice cancelled by a
// credit note) and the server released at once; at the end of the term the contract records
// the termination at its current term's end (moved by each paid renewal) and the contract side
// ends it then (job contract.terminate), the server showing the date through Detail. A server
// without a contract records its own date at the end of its first term, which the reconcile
// loop carries out.
func (s *Service) Terminate(ctx context.Context, actor account.Actor, customer account.ID, id ServerID, reason string, at TerminationAt) (Server, error) {
	if at != TerminateNow && at != TerminateEndOfTerm {
		return Server{}, errs.Fields(errs.FieldError{Field: "at", Message: "must be now or endOfTerm"})
	}
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return Server{}, err
	}
	if srv.State == ServerTerminated || srv.State == ServerTerminating {
		return Server{}, errAlreadyTerminated()
	}
	c, ok, err := s.contractOf(ctx, srv)
	if err != nil {
		return Server{}, err
	}
	if ok {
		return s.terminateByContract(ctx, actor, srv, c, reason, at)
	}
	now := s.Now()
	var out Server
	err = s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if srv.State == ServerTerminated || srv.State == ServerTerminating {
			return errAlreadyTerminated()
		}
		if at == TerminateEndOfTerm && !srv.TermEnd().IsZero() && srv.TermEnd().After(now) {
			srv.TerminateAt, srv.UpdatedAt = srv.TermEnd(), now
			out = srv
			if err := tx.UpdateServer(ctx, srv); err != nil {
				return err
			}
			return audit(ctx, tx, now, actor, "server.termination.schedule", "server", srv.ID, srv.CustomerID,
				map[string]any{"reason": reason, "at": srv.TerminateAt})
		}
		if err := s.release(ctx, tx, &srv, actor, reason, now); err != nil {
			return err
		}
		out = srv
		return nil
	})
	return out, err
}

func errNoTermination() error {
	return &errs.Error{Kind: errs.Conflict, Code: "no_termination", Msg: "no termination is scheduled"}
}

// isNoTermination reports a 409 no_termination, from the server or its contract.
func isNoTermination(err error) bool {
	e := errs.As(err)
	return e != nil && e.Code == "no_termination"
}

func errAlreadyTerminated() error {
	return &errs.Error{Kind: errs.Conflict, Code: "already_terminated", Msg: "the server is already terminated"}
}

// terminateByContract terminates a server through its contract. The contract side commits
// first: should the release fail after it, the contract's own job (contract.terminate) releases
// the server. A contract already terminated (its job not run yet) only lets the server go.
func (s *Service) terminateByContract(ctx context.Context, actor account.Actor, srv Server, c ContractTerm, reason string, at TerminationAt) (Server, error) {
	if !c.Terminated {
		var err error
		if c, err = s.deps.Contracts.TerminateContract(ctx, actor, srv, at, reason); err != nil {
			return Server{}, err
		}
	}
	now := s.Now()
	var out Server
	err := s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, srv.ID)
		if err != nil {
			return err
		}
		out = srv
		if srv.State == ServerTerminated {
			return nil // the contract's job was quicker
		}
		if c.Terminated {
			return s.release(ctx, tx, &out, actor, reason, now)
		}
		// the contract holds the date; a date of the server's own (asked before the contract
		// owned terminations) is dropped
		out.TerminateAt, out.UpdatedAt = time.Time{}, now
		if err := tx.UpdateServer(ctx, out); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "server.termination.schedule", "server", srv.ID, srv.CustomerID,
			map[string]any{"reason": reason, "at": c.TerminateAt, "contract": c.ID})
	})
	return out, err
}

// Release ends a server at once whatever its contract says, for the contract side carrying
// out its own termination (job contract.terminate): 409 already_terminated when it is.
func (s *Service) Release(ctx context.Context, actor account.Actor, id ServerID, reason string) (Server, error) {
	var out Server
	err := s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if srv.State == ServerTerminated {
			return errAlreadyTerminated()
		}
		out = srv
		return s.release(ctx, tx, &out, actor, reason, s.Now())
	})
	return out, err
}

// WithdrawTermination cancels a termination asked for at the end of the term. A server rented
// under a contract withdraws it from its contract, with the contract's rules (409
// termination_due once the term ended, a renewal invoice issued again); when its contract has
// none pending, a date of the server's own (asked before the contract existed) is withdrawn.
func (s *Service) WithdrawTermination(ctx context.Context, actor account.Actor, customer account.ID, id ServerID) (Server, error) {
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return Server{}, err
	}
	c, ok, err := s.contractOf(ctx, srv)
	if err != nil {
		return Server{}, err
	}
	if ok {
		wc, err := s.deps.Contracts.WithdrawContractTermination(ctx, actor, srv)
		switch {
		case err == nil:
			c = wc
		case isNoTermination(err) && !srv.TerminateAt.IsZero():
			// a date of the server's own, asked before the contract existed: the server
			// withdraws it below
			ok = false
		default:
			return Server{}, err
		}
	}
	now := s.Now()
	var out Server
	err = s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if !ok && srv.TerminateAt.IsZero() {
			return errNoTermination()
		}
		srv.TerminateAt, srv.UpdatedAt = time.Time{}, now
		out = srv
		if err := tx.UpdateServer(ctx, srv); err != nil {
			return err
		}
		details := map[string]any{}
		if ok {
			details["contract"] = c.ID
		}
		return audit(ctx, tx, now, actor, "server.termination.withdraw", "server", srv.ID, srv.CustomerID, details)
	})
	return out, err
}

// release ends a server: its addresses go to quarantine, its machine to releasing then wiping
// (a job boots the wipe image), the server is terminated.
func (s *Service) release(ctx context.Context, tx Tx, srv *Server, actor account.Actor, reason string, now time.Time) error {
	if _, err := tx.ReleaseIPs(ctx, srv.ID, now, now.Add(s.deps.Policy.IPQuarantine)); err != nil {
		return err
	}
	if _, err := s.closeConsoles(ctx, tx, srv.ID, "server terminated", now); err != nil {
		return err
	}
	if srv.MachineID != 0 {
		m, err := tx.LockMachine(ctx, srv.MachineID)
		if err != nil {
			return err
		}
		m.ServerID = 0
		if m.State == MachineDeploying {
			if d, err := tx.RunningDeployment(ctx, srv.ID); err == nil {
				d.State, d.EndedAt, d.Failure = DeployFailed, now, "server terminated"
				if err := tx.UpdateDeployment(ctx, d); err != nil {
					return err
				}
			}
			if err := s.move(ctx, tx, &m, MachineMaintenance, actor, "terminated during an install: "+reason, now); err != nil {
				return err
			}
		} else if m.State == MachineMaintenance {
			if err := tx.UpdateMachine(ctx, m); err != nil {
				return err
			}
		} else {
			if err := s.move(ctx, tx, &m, MachineReleasing, actor, "terminated: "+reason, now); err != nil {
				return err
			}
			if err := s.enqueue(ctx, tx, JobWipe, wipeArgs{Machine: m.ID}, fmt.Sprintf("wipe:%d:%d", m.ID, now.UnixNano()), s.cfg.BMCAttempts); err != nil {
				return err
			}
		}
	}
	ts, err := tx.TasksOf(ctx, srv.ID, 50)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if !t.Status.Finished() {
			t.Status, t.DoneAt, t.UpdatedAt, t.Comment = TaskCancelled, now, now, "server terminated"
			if err := tx.UpdateTask(ctx, t); err != nil {
				return err
			}
		}
	}
	srv.State, srv.TerminatedAt, srv.TerminateAt, srv.MachineID, srv.UpdatedAt = ServerTerminated, now, time.Time{}, 0, now
	if err := tx.UpdateServer(ctx, *srv); err != nil {
		return err
	}
	return audit(ctx, tx, now, actor, "server.terminate", "server", srv.ID, srv.CustomerID, map[string]any{"reason": reason})
}

type wipeArgs struct {
	Machine MachineID `json:"machine"`
}

// HandleWipe is the job handler of JobWipe: a released machine boots the wipe image
// (releasing -> wiping); the reconcile loop returns it to stock after WipeDuration.
func (s *Service) HandleWipe(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[wipeArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	m, err := s.deps.Store.GetMachine(ctx, a.Machine)
	if err != nil || m.State != MachineReleasing {
		return err
	}
	drv, bmcErr := s.driver(ctx, m)
	if bmcErr == nil {
		bmcErr = s.bootImage(ctx, drv, s.imageURL(s.cfg.WipeImage), PowerCycle)
	}
	if bmcErr != nil && fleetTemporary(bmcErr) && j.Attempt < j.MaxAttempts {
		return bmcErr
	}
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		m, err := tx.LockMachine(ctx, a.Machine)
		if err != nil || m.State != MachineReleasing {
			return err
		}
		if bmcErr != nil {
			m.Failure = "wipe: " + bmcErr.Error()
			return s.move(ctx, tx, &m, MachineMaintenance, account.System, "the wipe could not start: "+bmcErr.Error(), now)
		}
		return s.move(ctx, tx, &m, MachineWiping, account.System, "wipe image "+s.cfg.WipeImage+" booted", now)
	})
}
