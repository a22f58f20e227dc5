package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
	"github.com/itsgow/itsgow/internal/fleet/ipmi"
	"github.com/itsgow/itsgow/internal/fleet/probe"
	"github.com/itsgow/itsgow/internal/fleet/redfish"
	"github.com/itsgow/itsgow/internal/fleet/simlab"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
	"github.com/itsgow/itsgow/internal/order"
	"github.com/itsgow/itsgow/internal/web"
)

// FleetConfig configures servers, IPs, provisioning, incidents and planned works.
type FleetConfig struct {
	fleet.Config `yaml:",inline"`
	// SecretsKeyFile holds the key that seals BMC passwords and pending root passwords at rest
	// (at least 16 bytes). Empty: DATA/fleet-secrets.key, made at first start.
	SecretsKeyFile string `yaml:"secrets_key_file"`
	// IPv4Pools and IPv6Pools are the address pools ("PREFIX" or "PREFIX@DATACENTER"); the
	// first ten addresses of an IPv4 pool (gateway, routers) and the first /64 of an IPv6 pool
	// are never handed out.
	IPv4Pools []string `yaml:"ipv4_pools"`
	IPv6Pools []string `yaml:"ipv6_pools"`
	// PlanProfiles maps a catalogue plan to the hardware profile of its machines
	// ("PLAN=PROFILE"); a plan not listed uses machines whose profile is the plan code.
	PlanProfiles []string `yaml:"plan_profiles"`
	// ReconcileEvery and ProbeEvery are the periods of the reconcile loop and of the probes.
	ReconcileEvery time.Duration  `yaml:"reconcile_every"`
	ProbeEvery     time.Duration  `yaml:"probe_every"`
	Probe          probe.Config   `yaml:"probe"`
	Redfish        redfish.Config `yaml:"redfish"`
	IPMI           ipmi.Config    `yaml:"ipmi"`
	Simlab         SimlabConfig   `yaml:"simlab"`
}

// SimlabConfig is the simulated datacenter.
type SimlabConfig struct {
	// Enabled builds the simulated datacenter (machines with driver "simlab"); the demo seeds
	// its machines into the inventory.
	Enabled         bool          `yaml:"enabled"`
	InstallDuration time.Duration `yaml:"install_duration"`
}

// DefaultFleetConfig returns its defaults.
func DefaultFleetConfig() FleetConfig {
	return FleetConfig{Config: fleet.DefaultConfig(), IPv4Pools: []string{"198.18.0.0/16"}, IPv6Pools: []string{"2001:db8:1000::/48"},
		ReconcileEvery: 30 * time.Second, ProbeEvery: time.Minute, Probe: probe.DefaultConfig(), Redfish: redfish.DefaultConfig(),
		IPMI: ipmi.DefaultConfig(), Simlab: SimlabConfig{Enabled: true, InstallDuration: 2 * time.Minute}}
}

// Validate checks it.
func (c FleetConfig) Validate() error {
	list := []error{c.Config.Validate(), c.Probe.Validate(), c.Redfish.Validate(), c.IPMI.Validate()}
	for _, p := range append(append([]string{}, c.IPv4Pools...), c.IPv6Pools...) {
		if _, err := fleet.ParsePool(p); err != nil {
			list = append(list, fmt.Errorf("fleet.ipv4_pools/ipv6_pools: %w", err))
		}
	}
	for _, m := range c.PlanProfiles {
		if k, v, ok := strings.Cut(m, "="); !ok || k == "" || v == "" {
			list = append(list, fmt.Errorf("fleet.plan_profiles: %q is not PLAN=PROFILE", m))
		}
	}
	if c.ReconcileEvery < time.Second || c.ProbeEvery < time.Second {
		list = append(list, errors.New("fleet.reconcile_every, fleet.probe_every: at least 1s"))
	}
	if c.Simlab.InstallDuration < 0 {
		list = append(list, errors.New("fleet.simlab.install_duration: must not be negative"))
	}
	return errors.Join(list...)
}

// FleetParts holds the services of servers, IPs, provisioning, incidents and planned works.
type FleetParts struct {
	Service *fleet.Service
	Lab     *simlab.Lab // nil unless fleet.simlab.enabled
}

// wireFleet builds the fleet service with its drivers (simlab, redfish, ipmi), the prober and
// the provisioner, registers its jobs and periodic passes (reconcile, probes), and connects the
// commerce side: order.deliver and order.release jobs, contract.suspend/lift/terminate jobs, and
// the delivery listener that marks the order delivered (the contract starts).
func (a *App) wireFleet(ctx context.Context) error {
	cfg := a.Cfg.Fleet
	key, err := a.fleetKey()
	if err != nil {
		return err
	}
	sealer, err := fleet.NewSealer(key)
	if err != nil {
		return err
	}
	p := &a.Fleet
	if cfg.Simlab.Enabled {
		p.Lab = demoLab(a)
		p.Lab.SetInstallDurationAll(cfg.Simlab.InstallDuration)
	}
	tcp, err := probe.New(cfg.Probe)
	if err != nil {
		return err
	}
	drivers := &fleetDrivers{lab: p.Lab, redfish: cfg.Redfish, ipmi: cfg.IPMI, cache: map[string]any{}}
	p.Service, err = fleet.New(cfg.Config, fleet.Deps{Logger: a.Log, Clock: a.Clock, Store: a.DB.Fleet(), Notify: a.Notify,
		Policy: a.Cfg.Policy, Drivers: drivers, Provisioner: labProvisioner{p.Lab}, Prober: fleetProber{lab: p.Lab, net: tcp},
		Listener: orderListener{a}, Contracts: fleetContracts{a}, Sealer: sealer, Wake: a.Runner.Wake})
	if err != nil {
		return err
	}
	var pools []fleet.Pool
	for _, s := range append(append([]string{}, cfg.IPv4Pools...), cfg.IPv6Pools...) {
		pool, _ := fleet.ParsePool(s)
		pools = append(pools, pool)
	}
	if err := p.Service.EnsurePools(ctx, pools); err != nil {
		return err
	}
	if err := a.restoreLab(ctx); err != nil {
		return err
	}
	s, r := p.Service, a.Runner
	r.Handle(fleet.JobDeploy, s.HandleDeploy)
	r.Handle(fleet.JobInspect, s.HandleInspect)
	r.Handle(fleet.JobPower, s.HandlePower)
	r.Handle(fleet.JobWipe, s.HandleWipe)
	r.Handle(fleet.JobConsoleRevoke, s.HandleConsoleRevoke)
	r.Handle(fleet.JobObserve, s.HandleObserve)
	r.Handle(fleet.JobDelivered, s.HandleDelivered)
	r.Handle(fleet.JobDeliver, s.HandleDeliver)
	r.Handle(fleet.JobReconcile, s.HandleReconcile)
	r.Handle(fleet.JobProbe, s.HandleProbe)
	r.Periodic(fleet.JobReconcile, cfg.ReconcileEvery)
	r.Periodic(fleet.JobProbe, cfg.ProbeEvery)
	r.Handle(order.JobDeliver, a.handleOrderDeliver)
	r.Handle(order.JobRelease, a.handleOrderRelease)
	r.Handle(billing.JobSuspend, a.handleContract(true))
	r.Handle(billing.JobLift, a.handleContract(false))
	r.Handle(billing.JobTerminate, a.handleContractTerminate)
	return nil
}

// fleetKey reads the secrets key, or makes DATA/fleet-secrets.key on first start.
func (a *App) fleetKey() ([]byte, error) {
	path := a.Cfg.Fleet.SecretsKeyFile
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("fleet.secrets_key_file: %w", err)
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	path = filepath.Join(a.Cfg.Data, "fleet-secrets.key")
	if b, err := os.ReadFile(path); err == nil {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	s := hex.EncodeToString(k)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return []byte(s), nil
}

// fleetDrivers opens the BMC driver of a machine by its driver name.
type fleetDrivers struct {
	lab     *simlab.Lab
	redfish redfish.Config
	ipmi    ipmi.Config
	mu      sync.Mutex
	cache   map[string]any // address|user|password hash -> redfish driver (keeps its session)
}

func (d *fleetDrivers) Driver(ctx context.Context, m fleet.Machine) (any, error) {
	switch m.BMC.Driver {
	case "simlab":
		if d.lab == nil {
			return nil, errs.Coded(errs.Unavailable, "no_simlab", "the simulated datacenter is off (fleet.simlab.enabled)")
		}
		return d.lab.Driver(m.Serial)
	case "redfish":
		key := m.BMC.Address + "|" + m.BMC.Username + "|" + string(m.BMC.Password)
		d.mu.Lock()
		defer d.mu.Unlock()
		if drv, ok := d.cache[key]; ok {
			return drv, nil
		}
		drv, err := redfish.New(m.BMC, d.redfish)
		if err != nil {
			return nil, err
		}
		d.cache[key] = drv
		return drv, nil
	case "ipmi":
		return ipmi.New(m.BMC, d.ipmi)
	}
	return nil, fmt.Errorf("driver %q: %w", m.BMC.Driver, fleet.ErrUnsupported)
}

// fleetProber probes simulated machines through the lab and the others over the network.
type fleetProber struct {
	lab *simlab.Lab
	net *probe.Prober
}

func (p fleetProber) Probe(ctx context.Context, t fleet.Target) bool {
	if p.lab != nil && strings.HasPrefix(t.Serial, "SIM-") {
		return p.lab.Reachable(t.Addr)
	}
	return p.net.Probe(ctx, t)
}

// labProvisioner gives a simulated machine the server's main address (the installed system's
// network configuration); real machines get theirs from the provisioning network.
type labProvisioner struct{ lab *simlab.Lab }

func (p labProvisioner) Prepare(ctx context.Context, in fleet.Install) error {
	if p.lab == nil || in.Machine.BMC.Driver != "simlab" || !in.MainIP.IsValid() {
		return nil
	}
	p.lab.ReleaseIP(in.MainIP)
	return p.lab.AssignIP(in.Machine.Serial, in.MainIP)
}

// restoreLab puts the simulated machines of delivered servers back on after a restart (the lab
// lives in memory, the store remembers).
func (a *App) restoreLab(ctx context.Context) error {
	lab := a.Fleet.Lab
	if lab == nil {
		return nil
	}
	st := a.DB.Fleet()
	servers, err := st.ListServers(ctx, fleet.ServerFilter{States: []fleet.ServerState{fleet.ServerActive, fleet.ServerRescue, fleet.ServerNetworkCut}})
	if err != nil {
		return err
	}
	for _, srv := range servers {
		if srv.MachineID == 0 {
			continue
		}
		m, err := st.GetMachine(ctx, srv.MachineID)
		if err != nil || m.BMC.Driver != "simlab" {
			continue
		}
		if err := lab.Restore(m.Serial, srv.OSImage, true); err != nil {
			continue // a machine of an older demo layout
		}
		ips, err := st.IPsOf(ctx, srv.ID)
		if err != nil {
			return err
		}
		for _, ip := range ips {
			if ip.Kind == fleet.IPMain {
				lab.ReleaseIP(ip.Addr())
				_ = lab.AssignIP(m.Serial, ip.Addr())
			}
		}
	}
	return nil
}

// demoLab is the simulated datacenter: RBX1 (Roubaix) and GRA2 (Gravelines), two 42U racks each,
// and in every rack one machine of each plan of the demo catalogue (ECOGREEN plans on the
// low-power box, PERFORMANCE on the EPYC 1U, ENTERPRISE on the 2U storage box): 24 machines.
func demoLab(a *App) *simlab.Lab {
	lab, err := simlab.New(simlab.DefaultConfig(), simlab.Deps{Clock: a.Clock})
	if err != nil {
		panic(err)
	}
	hw := map[string]simlab.Profile{}
	for _, p := range simlab.DemoProfiles() {
		hw[p.Range] = p
	}
	byRange := map[string]string{"ECOGREEN": "ECOGREEN", "PERFORMANCE": "ADVANCE", "ENTERPRISE": "STORAGE"}
	var plans []catalog.Plan
	for _, sp := range catalog.DemoSeed().Plans {
		plans = append(plans, sp.Plan)
	}
	sites := []struct {
		dc    simlab.Datacenter
		racks []string
	}{
		{simlab.Datacenter{Code: "RBX1", Name: "Roubaix 1", City: "Roubaix"}, []string{"A01", "A02"}},
		{simlab.Datacenter{Code: "GRA2", Name: "Gravelines 2", City: "Gravelines"}, []string{"B01", "B02"}},
	}
	for di, site := range sites {
		_ = lab.AddDatacenter(site.dc)
		n := 0
		for ri, rack := range site.racks {
			_ = lab.AddRack(simlab.Rack{Datacenter: site.dc.Code, Name: rack, Units: 42})
			u := 1
			for slot, plan := range plans {
				p := hw[byRange[plan.Range]]
				p.Name, p.Range = plan.Code, plan.Range
				n++
				err := lab.AddMachine(simlab.MachineSpec{Serial: fmt.Sprintf("SIM-%s-%04d", site.dc.Code, n), Datacenter: site.dc.Code,
					Rack: rack, U: u, Profile: p,
					BMC: fleet.BMC{Address: fmt.Sprintf("198.19.%d.%d", di+1, 10*(ri+1)+slot+1), Username: "ADMIN", Password: simlab.DemoPassword, Driver: "simlab"}})
				if err != nil {
					panic(err)
				}
				u += max(p.HeightU, 1)
			}
		}
	}
	return lab
}

// planProfile is the hardware profile of a plan.
func (a *App) planProfile(plan string) string {
	for _, m := range a.Cfg.Fleet.PlanProfiles {
		if k, v, _ := strings.Cut(m, "="); k == plan {
			return v
		}
	}
	return plan
}

// orderRef names the order of the commerce side in the fleet, and back.
func orderRef(id order.ID) string { return fmt.Sprintf("order-%d", id) }

func orderOf(ref string) (order.ID, bool) {
	s, ok := strings.CutPrefix(ref, "order-")
	n, err := strconv.ParseInt(s, 10, 64)
	return order.ID(n), ok && err == nil && n > 0
}

// handleOrderDeliver is the fleet's handler of order.deliver: a paid order becomes a delivery.
func (a *App) handleOrderDeliver(ctx context.Context, j jobs.Job) error {
	args, err := jobs.Decode[order.DeliverArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	o, err := a.Commerce.Orders.Order(ctx, 0, args.OrderID)
	if err != nil {
		return err
	}
	if !o.Undelivered() {
		// Cancelled (and refunded) while this job was retrying, or delivered already: a server
		// made now would run for nobody.
		return nil
	}
	req := fleet.DeliveryRequest{OrderRef: orderRef(o.ID), CustomerID: o.CustomerID, Plan: o.PlanCode, Range: o.Range,
		Profile: a.planProfile(o.PlanCode), OSImage: o.OSImage, Datacenter: o.Datacenter, DurationMonths: o.DurationMonths}
	for _, opt := range o.Options {
		if strings.HasPrefix(opt.Code, "extra-ipv4") {
			req.AdditionalIPs += opt.Quantity
		}
	}
	_, _, err = a.Fleet.Service.Deliver(ctx, account.System, req)
	if k := errs.KindOf(err); k == errs.Invalid || k == errs.NotFound {
		return jobs.Permanent(err)
	}
	return err
}

// handleOrderRelease frees what a cancelled order holds: its server, if one was made.
func (a *App) handleOrderRelease(ctx context.Context, j jobs.Job) error {
	args, err := jobs.Decode[order.ReleaseArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	srv, err := a.DB.Fleet().ServerByOrder(ctx, orderRef(args.OrderID))
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if srv.State == fleet.ServerTerminated {
		return nil
	}
	_, err = a.Fleet.Service.Terminate(ctx, account.System, 0, srv.ID, "order cancelled: "+args.Reason, fleet.TerminateNow)
	return err
}

// serverOfRef finds the server a contract names (ServerRef is the fleet's server id).
func (a *App) serverOfRef(ref string) (fleet.ServerID, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(ref, "server-"), 10, 64)
	return fleet.ServerID(n), err == nil && n > 0
}

func (a *App) handleContract(suspend bool) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		args, err := jobs.Decode[billing.ServerArgs](j)
		if err != nil {
			return jobs.Permanent(err)
		}
		id, ok := a.serverOfRef(args.ServerRef)
		if !ok {
			return nil // a contract delivered by hand (manual-N): no server to act on
		}
		actor := account.Actor{Kind: "system", Label: "billing"}
		if suspend {
			err = a.Fleet.Service.Suspend(ctx, actor, id, args.Reason)
		} else {
			err = a.Fleet.Service.Unsuspend(ctx, actor, id, args.Reason)
		}
		if errs.KindOf(err) == errs.NotFound {
			return jobs.Permanent(err)
		}
		return err
	}
}

func (a *App) handleContractTerminate(ctx context.Context, j jobs.Job) error {
	args, err := jobs.Decode[billing.ServerArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	id, ok := a.serverOfRef(args.ServerRef)
	if !ok {
		return nil
	}
	// the contract is terminated: the server goes whatever it says (Release does not ask the
	// contract again); a server released already, by a termination now through the server
	// (fleet.Service.Terminate) or an earlier run, is a no-op
	_, err = a.Fleet.Service.Release(ctx, account.Actor{Kind: "system", Label: "billing"}, id, args.Reason)
	if k := errs.KindOf(err); k == errs.NotFound || k == errs.Conflict {
		return nil
	}
	return err
}

// fleetContracts is the fleet's port to contracts (fleet.Contracts): a server delivered for an
// order (OrderRef order-N) has the contract the order started at its delivery, whose ServerRef
// names the server back (serverOfRef). Staff and demo deliveries, and a server whose order has
// no contract yet (before the delivered job ran), have none.
type fleetContracts struct{ a *App }

var _ fleet.Contracts = fleetContracts{}

func (f fleetContracts) contract(ctx context.Context, srv fleet.Server) (billing.Contract, bool, error) {
	com := f.a.Commerce
	oid, ok := orderOf(srv.OrderRef)
	if !ok || com.Orders == nil || com.Billing == nil {
		return billing.Contract{}, false, nil
	}
	o, err := com.Orders.Order(ctx, 0, oid)
	if errs.KindOf(err) == errs.NotFound {
		return billing.Contract{}, false, nil
	}
	if err != nil || o.ContractID == 0 {
		return billing.Contract{}, false, err
	}
	c, err := com.Billing.Contract(ctx, 0, o.ContractID)
	if err != nil {
		return c, false, err
	}
	if id, ok := f.a.serverOfRef(c.ServerRef); !ok || id != srv.ID || c.CustomerID != srv.CustomerID {
		return billing.Contract{}, false, nil
	}
	return c, true, nil
}

func termOf(c billing.Contract) fleet.ContractTerm {
	return fleet.ContractTerm{ID: int64(c.ID), StartedAt: c.StartedAt, TermEnd: c.TermEnd, DurationMonths: c.DurationMonths,
		AutoRenew: c.Renew == billing.RenewAutomatic, TerminateAt: c.TerminateAt, Terminated: c.Status == billing.ContractTerminated}
}

// ContractOf implements fleet.Contracts.
func (f fleetContracts) ContractOf(ctx context.Context, srv fleet.Server) (fleet.ContractTerm, bool, error) {
	c, ok, err := f.contract(ctx, srv)
	if !ok || err != nil {
		return fleet.ContractTerm{}, false, err
	}
	return termOf(c), true, nil
}

// TerminateContract implements fleet.Contracts with billing's termination.
func (f fleetContracts) TerminateContract(ctx context.Context, actor account.Actor, srv fleet.Server, at fleet.TerminationAt, reason string) (fleet.ContractTerm, error) {
	c, ok, err := f.contract(ctx, srv)
	if err == nil && !ok {
		err = errs.Coded(errs.NotFound, "contract_not_found", "contract not found")
	}
	if err != nil {
		return fleet.ContractTerm{}, err
	}
	when := billing.AtEndOfTerm
	if at == fleet.TerminateNow {
		when = billing.AtNow
	}
	if reason == "" || actor.Kind == "customer" {
		reason = "customer" // billing's reason code; the customer's words stay in the server's audit
	}
	c, err = f.a.Commerce.Billing.Terminate(ctx, actor, srv.CustomerID, c.ID, when, reason)
	return termOf(c), err
}

// WithdrawContractTermination implements fleet.Contracts with billing's withdrawal.
func (f fleetContracts) WithdrawContractTermination(ctx context.Context, actor account.Actor, srv fleet.Server) (fleet.ContractTerm, error) {
	c, ok, err := f.contract(ctx, srv)
	if err == nil && !ok {
		err = errs.Coded(errs.NotFound, "contract_not_found", "contract not found")
	}
	if err != nil {
		return fleet.ContractTerm{}, err
	}
	c, err = f.a.Commerce.Billing.WithdrawTermination(ctx, actor, srv.CustomerID, c.ID)
	return termOf(c), err
}

// orderListener tells the commerce side that an order's server is online: the order is
// delivered and its contract starts at the delivery time. Deliveries that do not come from an
// order (staff, demo) have nothing to tell.
type orderListener struct{ a *App }

func (l orderListener) Delivered(ctx context.Context, d fleet.Delivery) error {
	id, ok := orderOf(d.OrderRef)
	if !ok || l.a.Commerce.Orders == nil {
		return nil
	}
	mainIP := ""
	if d.MainIP.IsValid() {
		mainIP = d.MainIP.String()
	}
	_, err := l.a.Commerce.Orders.MarkDelivered(ctx, account.Actor{Kind: "system", Label: "fleet"}, id,
		strconv.FormatInt(int64(d.ServerID), 10), mainIP, d.At)
	if errs.KindOf(err) == errs.Conflict {
		return nil // already delivered: the job ran twice
	}
	return err
}

// FleetStock is the catalogue's stock when commerce.stock_source is fleet (catalog.StockSource
// and catalog.Estimator): for every plan of the catalogue, the machines in state available whose
// hardware profile is the plan's (planProfile). A paid order's order.deliver job reserves one of
// them, so the count drops as soon as the fleet takes the delivery; a cancelled order's
// order.release job gives it back once wiped.
type FleetStock struct{ A *App }

var (
	_ catalog.StockSource = FleetStock{}
	_ catalog.Estimator   = FleetStock{}
)

// FreeServers implements catalog.StockSource.
func (s FleetStock) FreeServers(ctx context.Context) (map[string]int, error) {
	if s.A.Fleet.Service == nil {
		return nil, errs.Coded(errs.Unavailable, "no_fleet", "the fleet is not ready")
	}
	byProfile, err := s.A.Fleet.Service.FreeByProfile(ctx)
	if err != nil {
		return nil, err
	}
	plans, err := s.A.DB.Catalog().ListPlans(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(plans))
	for _, p := range plans {
		out[p.Code] = byProfile[s.A.planProfile(p.Code)]
	}
	return out, nil
}

// InstallTime implements catalog.Estimator: how long the fleet takes to install a free machine,
// the simulated datacenter's install duration, or else the longest a real install may take
// (policy.deploy_timeout) before the deploy watchdog steps in.
func (s FleetStock) InstallTime(string) time.Duration {
	if s.A.Fleet.Lab != nil {
		return s.A.Cfg.Fleet.Simlab.InstallDuration
	}
	return s.A.Cfg.Policy.DeployTimeout
}

// fleetInventory is the order.Inventory of commerce.stock_source: fleet. The payment enqueues
// order.deliver in its transaction, and the fleet's handler reserves a matching free machine
// (or makes the delivery wait for one); a cancellation enqueues order.release, which terminates
// the server and returns its machine to stock after the wipe. Nothing is counted by hand.
type fleetInventory struct{}

func (fleetInventory) Reserve(context.Context, order.Tx, order.Order, time.Time) error { return nil }

func (fleetInventory) Release(context.Context, order.Tx, order.Order, time.Time) error { return nil }

// Demo addresses.
const (
	DemoServerOrder = "demo-1"
	DemoMainIP      = "198.18.0.10"
)

// seedFleet enrolls the simulated machines (inspected at once), and delivers one server to the
// demo customer (PERF-1 in RBX1 with debian-13, main IP 198.18.0.10), plus a planned
// intervention three days ahead on it.
func (a *App) seedFleet(ctx context.Context, c *DemoCredentials) error {
	s, lab := a.Fleet.Service, a.Fleet.Lab
	if lab == nil {
		return nil
	}
	actor := account.Actor{Kind: "system", Label: "demo seed"}
	dcs := map[string]simlab.Datacenter{}
	for _, dc := range lab.Datacenters() {
		dcs[dc.Code] = dc
	}
	for _, r := range lab.Racks() {
		dc := dcs[r.Datacenter]
		if err := s.AddRack(ctx, fleet.Rack{Datacenter: r.Datacenter, Name: r.Name, Units: r.Units, DatacenterName: dc.Name, City: dc.City}); err != nil {
			return err
		}
	}
	var batch []fleet.Enrollment
	for _, m := range lab.Machines() {
		h := 1
		if m.Range == "ENTERPRISE" {
			h = 2
		}
		batch = append(batch, fleet.Enrollment{Serial: m.Serial, Datacenter: m.Datacenter, Rack: m.Rack, U: m.U, HeightU: h,
			Profile: m.Profile, Range: m.Range, BMC: m.BMC})
	}
	machines, err := s.EnrollBatch(ctx, actor, batch)
	if err != nil {
		return err
	}
	for _, m := range machines {
		if err := s.Inspect(ctx, m.ID); err != nil {
			return err
		}
	}
	cust, err := a.Accounts.List(ctx, account.ListFilter{Kind: account.KindCustomer, Query: DemoCustomerEmail, Limit: 1})
	if err != nil || len(cust) == 0 {
		return fmt.Errorf("demo customer: %v", err)
	}
	srv, _, err := s.Deliver(ctx, actor, fleet.DeliveryRequest{OrderRef: DemoServerOrder, CustomerID: cust[0].ID, Plan: "PERF-1",
		Range: "PERFORMANCE", Profile: a.planProfile("PERF-1"), OSImage: "debian-13", Datacenter: "RBX1", DurationMonths: 12,
		SupportLevel: "standard"})
	if err != nil {
		return err
	}
	m, err := a.DB.Fleet().GetMachine(ctx, srv.MachineID)
	if err != nil {
		return err
	}
	if err := lab.SetInstallDuration(m.Serial, 0); err != nil {
		return err
	}
	if err := s.DeployNow(ctx, srv.ID); err != nil {
		return err
	}
	if err := lab.SetInstallDuration(m.Serial, a.Cfg.Fleet.Simlab.InstallDuration); err != nil {
		return err
	}
	if got, err := a.DB.Fleet().IPsOf(ctx, srv.ID); err != nil || len(got) == 0 || got[0].String() != DemoMainIP {
		return fmt.Errorf("demo server main IP: %v %v (want %s)", got, err, DemoMainIP)
	}
	now := a.Clock.Now().UTC().Truncate(time.Hour)
	_, err = s.ScheduleMaintenance(ctx, account.Actor{Kind: "staff", Label: "demo seed"}, fleet.Maintenance{
		Title: "RBX1 A01: top-of-rack switch firmware", Description: "Up to 10 minutes without network while the switch restarts.",
		StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(73 * time.Hour), ServerIDs: []fleet.ServerID{srv.ID}})
	return err
}

// fleetAPI gives the API its services of this capability.
func (a *App) fleetAPI() api.FleetDeps { return api.FleetDeps{Fleet: a.Fleet.Service} }

// fleetWeb gives the web interface its services of this capability.
func (a *App) fleetWeb() web.FleetDeps { return web.FleetDeps{Fleet: a.Fleet.Service} }

// fleetLoops are the long-running loops of this capability: none, the reconcile loop, the
// deploy watchdog (inside the reconcile pass) and the prober are periodic jobs of the runner,
// unique per period, so any number of workers share them and a test drives them with Tick.
func (a *App) fleetLoops() []func(context.Context) error { return nil }

// FleetDirectory tells network protection which customer and server hold an IP (an IPv6
// address inside a server's /64 counts): netguard wires it as its mitigation.Directory.
type FleetDirectory struct{ A *App }

var _ mitigation.Directory = FleetDirectory{}

// Owner implements mitigation.Directory.
func (d FleetDirectory) Owner(ctx context.Context, ip netip.Addr) (mitigation.Owner, bool, error) {
	ipr, err := d.A.Fleet.Service.OwnIP(ctx, 0, ip)
	if errs.KindOf(err) == errs.NotFound {
		return mitigation.Owner{}, false, nil
	}
	if err != nil {
		return mitigation.Owner{}, false, err
	}
	return ownerOf(ipr, ip), true, nil
}

// IPs implements mitigation.Directory: the customer's addresses (every customer's for 0).
func (d FleetDirectory) IPs(ctx context.Context, customer account.ID) ([]mitigation.Owner, error) {
	ips, err := d.A.DB.Fleet().ListIPs(ctx, fleet.IPFilter{CustomerID: customer, State: fleet.IPAssigned})
	if err != nil {
		return nil, err
	}
	out := make([]mitigation.Owner, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ownerOf(ip, ip.Addr()))
	}
	slices.SortFunc(out, func(a, b mitigation.Owner) int { return a.IP.Compare(b.IP) })
	return out, nil
}

func ownerOf(ip fleet.IP, addr netip.Addr) mitigation.Owner {
	kind := string(ip.Kind)
	if ip.Kind == fleet.IPv6Block {
		kind = "additional"
	}
	return mitigation.Owner{IP: addr, Customer: ip.CustomerID, ServerID: int64(ip.ServerID), Kind: kind, Reverse: ip.Reverse}
}
