package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
)

// DeliveryRequest asks to deliver a paid order line: a server of a hardware profile with an OS
// image, in a datacenter if one was chosen, with the customer's SSH key if given.
type DeliveryRequest struct {
	OrderRef       string     `json:"orderRef"`
	CustomerID     account.ID `json:"customerId"`
	Plan           string     `json:"plan"`
	Range          string     `json:"range"`
	Profile        string     `json:"profile"` // hardware profile the machine must have
	OSImage        string     `json:"osImage"`
	Datacenter     string     `json:"datacenter,omitempty"`
	SSHKey         string     `json:"sshKey,omitempty"`
	Hostname       string     `json:"hostname,omitempty"`
	DurationMonths int        `json:"durationMonths"`
	SupportLevel   string     `json:"supportLevel,omitempty"`
	AdditionalIPs  int        `json:"additionalIps,omitempty"`
}

// The steps of a delivery or reinstall task.
const (
	stepReserve = "reserve"
	stepBoot    = "boot"
	stepInstall = "install"
	stepDeliver = "deliver"
)

// validHostname checks a hostname (RFC 1123 labels).
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (s *Service) checkImage(field, image string) error {
	if image == "" {
		return errs.Fields(errs.FieldError{Field: field, Message: "is required"})
	}
	if !slices.Contains(s.cfg.OSImages, image) {
		return &errs.Error{Kind: errs.Invalid, Code: ErrUnknownImage.Code, Msg: "unknown OS image " + image,
			Fields: []errs.FieldError{{Field: field, Message: "is not an offered OS image (" + strings.Join(s.cfg.OSImages, ", ") + ")"}}}
	}
	return nil
}

// Deliver takes a paid order line: it creates the server, reserves a matching free machine,
// gives the server its addresses and starts the install. It is idempotent by OrderRef: a second
// call returns the server of the first. Without a free machine the server waits (delivering)
// and the reconcile loop reserves one when stock comes back.
func (s *Service) Deliver(ctx context.Context, actor account.Actor, req DeliveryRequest) (Server, Task, error) {
	var v errs.Validator
	v.Check(strings.TrimSpace(req.OrderRef) != "" && len(req.OrderRef) <= 100, "orderRef", "is required (at most 100 characters)")
	v.Check(req.CustomerID > 0, "customerId", "is required")
	v.Check(req.Profile != "", "profile", "is required")
	v.Check(req.Plan != "", "plan", "is required")
	v.Check(req.Hostname == "" || validHostname(req.Hostname), "hostname", "is not a valid host name")
	v.Check(req.AdditionalIPs >= 0 && req.AdditionalIPs <= 16, "additionalIps", "between 0 and 16")
	if err := v.Err(); err != nil {
		return Server{}, Task{}, err
	}
	if err := s.checkImage("osImage", req.OSImage); err != nil {
		return Server{}, Task{}, err
	}
	key, err := NormalizeSSHKey("sshKey", req.SSHKey)
	if err != nil {
		return Server{}, Task{}, err
	}
	if req.DurationMonths <= 0 {
		req.DurationMonths = 1
	}
	now := s.Now()
	var srv Server
	var task Task
	err = s.inTx(ctx, func(tx Tx) error {
		if old, err := tx.ServerByOrder(ctx, req.OrderRef); err == nil {
			srv = old
			ts, err := tx.TasksOf(ctx, old.ID, 50)
			for _, t := range ts {
				if t.Function == "deliver" {
					task = t
				}
			}
			return err
		}
		acc, err := tx.AccountByID(ctx, req.CustomerID)
		if err != nil || acc.Kind != account.KindCustomer {
			return errs.Fields(errs.FieldError{Field: "customerId", Message: "is not a customer"})
		}
		srv = Server{CustomerID: req.CustomerID, OrderRef: req.OrderRef, Name: "pending", Plan: req.Plan, Range: req.Range,
			Profile: req.Profile, Datacenter: req.Datacenter, State: ServerDelivering, OSImage: req.OSImage,
			Hostname: req.Hostname, SSHKey: key, DurationMonths: req.DurationMonths, SupportLevel: req.SupportLevel,
			DesiredPower: PowerStateOn, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertServer(ctx, &srv); err != nil {
			return err
		}
		srv.Name = fmt.Sprintf("ns%d.%s", srv.ID, s.cfg.ServerDomain)
		if srv.Hostname == "" {
			srv.Hostname = srv.Name
		}
		if err := tx.UpdateServer(ctx, srv); err != nil {
			return err
		}
		task = Task{ServerID: srv.ID, CustomerID: srv.CustomerID, Function: "deliver", Status: TaskTodo,
			Progress: newSteps(stepReserve, stepBoot, stepInstall, stepDeliver), CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertTask(ctx, &task); err != nil {
			return err
		}
		if err := s.startDeployment(ctx, tx, &srv, &task, DeployDelivery, false, 1, actor, now); err != nil {
			if !errors.Is(err, ErrNoStock) {
				return err
			}
			task.Comment = "waiting for a free server of profile " + srv.Profile
			if err := tx.UpdateTask(ctx, task); err != nil {
				return err
			}
			// the addresses are the contract's, whatever machine comes
			if _, err := s.allocate(ctx, tx, srv, true, IPMain, now); err != nil {
				return err
			}
			if _, err := s.allocate(ctx, tx, srv, false, IPv6Block, now); err != nil && !errors.Is(err, ErrNoAddress) {
				return err
			}
		}
		for range req.AdditionalIPs {
			if _, err := s.allocate(ctx, tx, srv, true, IPAdditional, now); err != nil {
				return err
			}
		}
		return audit(ctx, tx, now, actor, "server.deliver", "server", srv.ID, srv.CustomerID,
			map[string]any{"orderRef": srv.OrderRef, "plan": srv.Plan, "profile": srv.Profile, "osImage": srv.OSImage, "machine": srv.MachineID})
	})
	if err != nil {
		return Server{}, Task{}, err
	}
	return srv, task, nil
}

// HandleDeliver is the job handler of JobDeliver: the commerce side may enqueue a delivery
// request (args: DeliveryRequest as JSON) in its own transaction instead of calling Deliver.
func (s *Service) HandleDeliver(ctx context.Context, j jobs.Job) error {
	req, err := jobs.Decode[DeliveryRequest](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	_, _, err = s.Deliver(ctx, account.System, req)
	if k := errs.KindOf(err); k == errs.Invalid || k == errs.NotFound {
		return jobs.Permanent(err)
	}
	return err
}

// startDeployment reserves a machine for srv when it has none (the profile, in its datacenter
// once it has addresses), gives a first delivery its addresses, and starts the install of
// srv.OSImage: the machine goes reserved -> deploying, the deployment's deadline is
// policy.deploy_timeout from now, and a job gives the BMC its orders.
func (s *Service) startDeployment(ctx context.Context, tx Tx, srv *Server, task *Task, kind DeploymentKind, preserve bool, attempt int, actor account.Actor, now time.Time) error {
	var m Machine
	var err error
	if srv.MachineID == 0 {
		m, err = tx.PickMachine(ctx, srv.Profile, srv.Datacenter)
		if errs.KindOf(err) == errs.NotFound {
			return ErrNoStock
		}
		if err != nil {
			return err
		}
		m.ServerID = srv.ID
		if err := s.move(ctx, tx, &m, MachineReserved, actor, "reserved for "+srv.Name, now); err != nil {
			return err
		}
		srv.MachineID = m.ID
		if srv.Datacenter == "" {
			srv.Datacenter = m.Datacenter
		}
	} else {
		m, err = tx.LockMachine(ctx, srv.MachineID)
		if err != nil {
			return err
		}
	}
	reason := fmt.Sprintf("%s of %s for %s", kind, srv.OSImage, srv.Name)
	if err := s.move(ctx, tx, &m, MachineDeploying, actor, reason, now); err != nil {
		return err
	}
	d := Deployment{ServerID: srv.ID, MachineID: m.ID, TaskID: task.ID, Kind: kind, Image: srv.OSImage, Hostname: srv.Hostname,
		SSHKey: srv.SSHKey, PreserveData: preserve, State: DeployRunning, Attempt: attempt, StartedAt: now,
		Deadline: now.Add(s.deps.Policy.DeployTimeout)}
	if err := tx.InsertDeployment(ctx, &d); err != nil {
		return err
	}
	srv.UpdatedAt = now
	if err := tx.UpdateServer(ctx, *srv); err != nil {
		return err
	}
	task.Status = TaskDoing
	if task.StartedAt.IsZero() {
		task.StartedAt = now
	}
	task.Comment = fmt.Sprintf("installing %s on %s (%s/%s)", srv.OSImage, m.Serial, m.Datacenter, m.Rack)
	task.setStep(stepBoot, TaskDoing, now)
	task.UpdatedAt = now
	if err := tx.UpdateTask(ctx, *task); err != nil {
		return err
	}
	if err := s.enqueue(ctx, tx, JobDeploy, deployArgs{Deployment: d.ID}, fmt.Sprintf("deploy:%d", d.ID), s.cfg.BMCAttempts); err != nil {
		return err
	}
	// A first delivery gets its addresses last: the pool's row lock (PostgreSQL) is then held
	// only until the commit that follows, which keeps concurrent deliveries from queueing on it.
	ips, err := tx.IPsOf(ctx, srv.ID)
	if err != nil || len(ips) > 0 {
		return err
	}
	if _, err := s.allocate(ctx, tx, *srv, true, IPMain, now); err != nil {
		return err
	}
	if _, err := s.allocate(ctx, tx, *srv, false, IPv6Block, now); err != nil && !errors.Is(err, ErrNoAddress) {
		return err
	}
	return nil
}

type deployArgs struct {
	Deployment int64 `json:"deployment"`
}

// HandleDeploy is the job handler of JobDeploy: prepare the install, then order the BMC to boot
// the image (virtual media when it has some, else PXE) and restart. A temporary BMC failure
// is retried; a permanent one, or the last attempt, fails the deployment: the machine goes to
// maintenance and another one is tried.
func (s *Service) HandleDeploy(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[deployArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	d, err := s.deps.Store.GetDeployment(ctx, a.Deployment)
	if err != nil {
		return err
	}
	if d.State != DeployRunning || TimedOut(d.StartedAt, s.deps.Policy.DeployTimeout, s.Now()) {
		return nil // done, or the watchdog takes it
	}
	err = s.runDeploy(ctx, d)
	if err == nil {
		if err := s.markBooted(ctx, d); err != nil {
			return err
		}
		if d.Kind == DeployReinstall {
			// The old system may answer on the main address for a moment after the restart:
			// the reconcile loop probes it later.
			return nil
		}
		return s.checkDeployment(ctx, d)
	}
	if fleetTemporary(err) && j.Attempt < j.MaxAttempts {
		return err
	}
	s.log.Warn("deploy failed", logkey.ServerID, d.ServerID, logkey.Error, err)
	return s.failDeployment(ctx, d, "BMC: "+errs.Public(err)+": "+err.Error(), IncidentHardware)
}

func fleetTemporary(err error) bool {
	return Temporary(err) || errors.Is(err, context.DeadlineExceeded)
}

func (s *Service) runDeploy(ctx context.Context, d Deployment) error {
	m, err := s.deps.Store.GetMachine(ctx, d.MachineID)
	if err != nil {
		return err
	}
	srv, err := s.deps.Store.GetServer(ctx, d.ServerID)
	if err != nil {
		return err
	}
	in := Install{Machine: m, Server: srv, Image: d.Image, Hostname: d.Hostname, SSHKey: d.SSHKey, Preserve: d.PreserveData}
	ips, err := s.deps.Store.IPsOf(ctx, srv.ID)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		switch ip.Kind {
		case IPMain:
			in.MainIP = ip.Addr()
		case IPv6Block:
			in.IPv6 = ip.Prefix
		}
	}
	if d.SSHKey == "" {
		if in.Password, err = s.taskPassword(ctx, srv.ID, d.TaskID, "root", "root"); err != nil {
			return err
		}
	}
	if s.deps.Provisioner != nil {
		if err := s.deps.Provisioner.Prepare(ctx, in); err != nil {
			return fmt.Errorf("prepare install: %w", err)
		}
	}
	drv, err := s.driver(ctx, m)
	if err != nil {
		return err
	}
	return s.bootImage(ctx, drv, s.imageURL(d.Image), PowerCycle)
}

// taskPassword returns the task's password, making and sealing it the first time.
func (s *Service) taskPassword(ctx context.Context, server ServerID, task TaskID, kind, user string) (Secret, error) {
	rec, err := s.deps.Store.SecretOfTask(ctx, task)
	if err == nil {
		return s.deps.Sealer.Open(rec.Sealed)
	}
	if errs.KindOf(err) != errs.NotFound {
		return "", err
	}
	pw := newPassword()
	sealed, err := s.deps.Sealer.Seal(pw)
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		return tx.InsertSecret(ctx, &SecretRecord{ServerID: server, TaskID: task, Kind: kind, Username: user, Sealed: sealed, CreatedAt: s.Now()})
	})
	if errs.KindOf(err) == errs.Conflict { // a concurrent attempt made it first
		return s.taskPassword(ctx, server, task, kind, user)
	}
	return pw, err
}

// bootImage makes the machine boot an image once: from virtual media when the BMC has some,
// else from the network (the PXE server offers the image), then applies the power action.
func (s *Service) bootImage(ctx context.Context, drv any, imageURL string, action PowerAction) error {
	boot, ok := drv.(BootDeviceSetter)
	if !ok {
		return fmt.Errorf("set boot device: %w", ErrUnsupported)
	}
	power, ok := drv.(PowerSetter)
	if !ok {
		return fmt.Errorf("power: %w", ErrUnsupported)
	}
	dev := BootPXE
	if vm, ok := drv.(VirtualMediaInserter); ok {
		if err := vm.InsertMedia(ctx, imageURL); err != nil {
			if !errors.Is(err, ErrUnsupported) {
				return fmt.Errorf("insert %s: %w", imageURL, err)
			}
		} else {
			dev = BootCDROM
		}
	}
	if err := boot.SetBootDevice(ctx, dev, false); err != nil {
		return fmt.Errorf("boot %s: %w", dev, err)
	}
	err := power.SetPower(ctx, action)
	if errors.Is(err, ErrUnsupported) && action == PowerCycle {
		err = power.SetPower(ctx, PowerReset) // BMCs without a power cycle (iLO) restart instead
	}
	if err != nil {
		return fmt.Errorf("power %s: %w", action, err)
	}
	return nil
}

// bootDisk makes the machine boot its disk: eject any media, then the power action.
func (s *Service) bootDisk(ctx context.Context, drv any, action PowerAction) error {
	if vm, ok := drv.(VirtualMediaInserter); ok {
		if err := vm.EjectMedia(ctx); err != nil && !errors.Is(err, ErrUnsupported) {
			return fmt.Errorf("eject: %w", err)
		}
	}
	if boot, ok := drv.(BootDeviceSetter); ok {
		if err := boot.SetBootDevice(ctx, BootDisk, false); err != nil && !errors.Is(err, ErrUnsupported) {
			return fmt.Errorf("boot disk: %w", err)
		}
	}
	power, ok := drv.(PowerSetter)
	if !ok {
		return fmt.Errorf("power: %w", ErrUnsupported)
	}
	return power.SetPower(ctx, action)
}

// mainTarget is the probe target of a server.
func (s *Service) mainTarget(ctx context.Context, srv Server, serial string) (Target, error) {
	t := Target{ServerID: srv.ID, Serial: serial}
	ips, err := s.deps.Store.IPsOf(ctx, srv.ID)
	if err != nil {
		return t, err
	}
	for _, ip := range ips {
		if ip.Kind == IPMain {
			t.Addr = ip.Addr()
		}
	}
	return t, nil
}

// checkDeployment completes a running deployment whose server answers on its main address.
func (s *Service) checkDeployment(ctx context.Context, d Deployment) error {
	t, err := s.deps.Store.GetTask(ctx, d.TaskID)
	if err != nil {
		return err
	}
	if !t.booted() {
		// The BMC has not taken the orders yet (the deploy job is to run, or retries): what
		// answers on the main address is not this install (for a reinstall, the old system).
		return nil
	}
	if s.deps.Prober != nil {
		srv, err := s.deps.Store.GetServer(ctx, d.ServerID)
		if err != nil {
			return err
		}
		m, err := s.deps.Store.GetMachine(ctx, d.MachineID)
		if err != nil {
			return err
		}
		t, err := s.mainTarget(ctx, srv, m.Serial)
		if err != nil {
			return err
		}
		if !s.deps.Prober.Probe(ctx, t) {
			return s.markStep(ctx, d, stepInstall)
		}
	}
	return s.completeDeployment(ctx, d)
}

// markBooted records that the BMC took a deployment's orders (its task's boot step is done).
func (s *Service) markBooted(ctx context.Context, d Deployment) error {
	return s.inTx(ctx, func(tx Tx) error {
		t, err := tx.GetTask(ctx, d.TaskID)
		if err != nil || t.Status.Finished() || t.booted() {
			return err
		}
		now := s.Now()
		t.setStep(stepBoot, TaskDone, now)
		t.UpdatedAt = now
		return tx.UpdateTask(ctx, t)
	})
}

// markStep records that a deployment's task reached step.
func (s *Service) markStep(ctx context.Context, d Deployment, step string) error {
	return s.inTx(ctx, func(tx Tx) error {
		t, err := tx.GetTask(ctx, d.TaskID)
		if err != nil || t.Status.Finished() {
			return err
		}
		for _, st := range t.Progress {
			if st.Name == step && st.Status != TaskTodo {
				return nil
			}
		}
		now := s.Now()
		t.setStep(step, TaskDoing, now)
		t.UpdatedAt = now
		return tx.UpdateTask(ctx, t)
	})
}

// completeDeployment ends an install that answered: the machine is deployed, the server
// active, the customer notified; a first delivery starts the contract (DeliveredAt) and tells
// the listener through a job.
func (s *Service) completeDeployment(ctx context.Context, d Deployment) error {
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, d.ServerID)
		if err != nil {
			return err
		}
		if d, err = tx.GetDeployment(ctx, d.ID); err != nil || d.State != DeployRunning {
			return err
		}
		m, err := tx.LockMachine(ctx, d.MachineID)
		if err != nil {
			return err
		}
		if err := s.move(ctx, tx, &m, MachineDeployed, account.System, fmt.Sprintf("%s installed for %s", d.Image, srv.Name), now); err != nil {
			return err
		}
		d.State, d.EndedAt = DeployDone, now
		if err := tx.UpdateDeployment(ctx, d); err != nil {
			return err
		}
		t, err := tx.GetTask(ctx, d.TaskID)
		if err != nil {
			return err
		}
		t.setStep(stepDeliver, TaskDone, now)
		t.Status, t.DoneAt, t.UpdatedAt = TaskDone, now, now
		t.Comment = fmt.Sprintf("%s installed on %s", d.Image, srv.Name)
		if err := tx.UpdateTask(ctx, t); err != nil {
			return err
		}
		first := srv.DeliveredAt.IsZero()
		srv.State, srv.OSImage, srv.Hostname, srv.UpdatedAt = ServerActive, d.Image, d.Hostname, now
		if first {
			srv.DeliveredAt = now
		}
		if err := tx.UpdateServer(ctx, srv); err != nil {
			return err
		}
		mainIP := ""
		ips, err := tx.IPsOf(ctx, srv.ID)
		if err != nil {
			return err
		}
		for _, ip := range ips {
			if ip.Kind == IPMain {
				mainIP = ip.String()
			}
		}
		access := "password"
		if d.SSHKey != "" {
			access = "sshKey"
		}
		data := map[string]any{"Server": srv.Name, "MainIP": mainIP, "OS": d.Image, "Hostname": d.Hostname,
			"Access": access, "At": now.UTC().Format("2006-01-02 15:04 UTC"), "TaskID": int64(t.ID), "ServerID": int64(srv.ID)}
		kind := "server_reinstalled"
		if first {
			kind = "server_delivered"
		}
		if err := s.notifyCustomer(ctx, tx, srv.CustomerID, kind, data, fmt.Sprintf("%s:%d", kind, d.ID)); err != nil {
			return err
		}
		if first {
			if err := s.enqueue(ctx, tx, JobDelivered, deliveredArgs{Server: srv.ID}, fmt.Sprintf("delivered:%d", srv.ID), 25); err != nil {
				return err
			}
		}
		return audit(ctx, tx, now, account.System, "server."+string(d.Kind)+".done", "server", srv.ID, srv.CustomerID,
			map[string]any{"machine": m.Serial, "image": d.Image, "mainIp": mainIP})
	})
}

type deliveredArgs struct {
	Server ServerID `json:"server"`
}

// HandleDelivered is the job handler of JobDelivered: it tells the listener (commerce) that
// the server was delivered, so that the contract starts at DeliveredAt.
func (s *Service) HandleDelivered(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[deliveredArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	if s.deps.Listener == nil {
		return nil
	}
	srv, err := s.deps.Store.GetServer(ctx, a.Server)
	if err != nil {
		return err
	}
	t, err := s.mainTarget(ctx, srv, "")
	if err != nil {
		return err
	}
	return s.deps.Listener.Delivered(ctx, Delivery{OrderRef: srv.OrderRef, ServerID: srv.ID, CustomerID: srv.CustomerID,
		MainIP: t.Addr, At: srv.DeliveredAt})
}

// failDeployment ends a deployment that failed or passed its deadline: the machine goes to
// maintenance (never handed to a customer), an incident opens, staff are alerted, and the
// server moves to another machine unless it tried too many.
func (s *Service) failDeployment(ctx context.Context, d Deployment, reason string, kind IncidentKind) error {
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, d.ServerID)
		if err != nil {
			return err
		}
		if d, err = tx.GetDeployment(ctx, d.ID); err != nil || d.State != DeployRunning {
			return err
		}
		m, err := tx.LockMachine(ctx, d.MachineID)
		if err != nil {
			return err
		}
		d.State, d.EndedAt, d.Failure = DeployFailed, now, reason
		if kind == IncidentDeployTimeout {
			d.State = DeployTimedOut
		}
		if err := tx.UpdateDeployment(ctx, d); err != nil {
			return err
		}
		m.ServerID, m.Failure = 0, reason
		if m.State == MachineMaintenance { // a technician put it there during the install
			if err := tx.UpdateMachine(ctx, m); err != nil {
				return err
			}
		} else if err := s.move(ctx, tx, &m, MachineMaintenance, account.System, reason, now); err != nil {
			return err
		}
		inc := Incident{MachineID: m.ID, ServerID: srv.ID, Kind: kind, Origin: OriginSystem, Status: IncidentOpen, OpenedAt: now,
			Description: fmt.Sprintf("%s of %s on %s for %s: %s", d.Kind, d.Image, m.Serial, srv.Name, reason)}
		if err := tx.InsertIncident(ctx, &inc); err != nil {
			return err
		}
		if err := s.alertStaff(ctx, tx, fmt.Sprintf("machine %s to maintenance: %s", m.Serial, kind),
			inc.Description+"\nIncident #"+fmt.Sprint(inc.ID)+". Another machine is tried for the server.", fmt.Sprintf("deploy-fail:%d", d.ID)); err != nil {
			return err
		}
		srv.MachineID = 0
		t, err := tx.GetTask(ctx, d.TaskID)
		if err != nil {
			return err
		}
		if d.Attempt >= s.cfg.MaxMachinesPerDelivery {
			t.Status, t.DoneAt = TaskProviderError, now
			t.Comment = "the install failed on several machines; our staff were alerted and will deliver by hand"
			t.UpdatedAt = now
			srv.UpdatedAt = now
			if err := tx.UpdateServer(ctx, srv); err != nil {
				return err
			}
			return tx.UpdateTask(ctx, t)
		}
		err = s.startDeployment(ctx, tx, &srv, &t, d.Kind, false, d.Attempt+1, account.System, now)
		if errors.Is(err, ErrNoStock) {
			t.Comment = "the first machine failed; waiting for another free server of profile " + srv.Profile
			t.UpdatedAt = now
			if err := tx.UpdateServer(ctx, srv); err != nil {
				return err
			}
			return tx.UpdateTask(ctx, t)
		}
		return err
	})
}

// DeployNow runs the BMC orders of the server's running deployment at once and completes it
// when the server answers (demo seed, tests), instead of waiting for the job runner.
func (s *Service) DeployNow(ctx context.Context, id ServerID) error {
	d, err := s.deps.Store.RunningDeployment(ctx, id)
	if err != nil {
		return err
	}
	if err := s.runDeploy(ctx, d); err != nil {
		return err
	}
	if err := s.markBooted(ctx, d); err != nil {
		return err
	}
	return s.checkDeployment(ctx, d)
}
