package fleet

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
)

// Enrollment is a machine racked by technicians, to add to the inventory.
type Enrollment struct {
	Serial     string
	Datacenter string
	Rack       string
	U          int
	HeightU    int
	Profile    string
	Range      string
	BMC        BMC // Password in clear: the service seals it
}

// EnrollBatch adds many machines at once (an inventory import, the demo's simulated
// datacenter) in one transaction with one audit row naming them; each machine still records
// its transitions and gets its inspection job.
func (s *Service) EnrollBatch(ctx context.Context, actor account.Actor, ins []Enrollment) ([]Machine, error) {
	out := make([]Machine, 0, len(ins))
	serials := make([]string, 0, len(ins))
	err := s.inTx(ctx, func(tx Tx) error {
		for _, in := range ins {
			m, err := s.enroll(ctx, tx, actor, in, false)
			if err != nil {
				return fmt.Errorf("enroll %s: %w", in.Serial, err)
			}
			out = append(out, m)
			serials = append(serials, m.Serial)
		}
		return audit(ctx, tx, s.Now(), actor, "machine.enroll.batch", "machine", len(serials), 0, map[string]any{"serials": serials})
	})
	return out, err
}

// Enroll adds a machine to the inventory (enrolling) with its BMC credentials sealed, and
// enqueues its inspection: the BMC's inventory gives the components, then the machine is
// available (or in maintenance when its BMC does not answer).
func (s *Service) Enroll(ctx context.Context, actor account.Actor, in Enrollment) (Machine, error) {
	var m Machine
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		m, err = s.enroll(ctx, tx, actor, in, true)
		return err
	})
	return m, err
}

func (s *Service) enroll(ctx context.Context, tx Tx, actor account.Actor, in Enrollment, auditIt bool) (Machine, error) {
	var v errs.Validator
	v.Check(strings.TrimSpace(in.Serial) != "" && len(in.Serial) <= 64, "serial", "is required (at most 64 characters)")
	v.Check(in.Datacenter != "", "datacenter", "is required")
	v.Check(in.Rack != "", "rack", "is required")
	v.Check(in.U >= 1 && in.U <= 60, "u", "between 1 and 60")
	v.Check(in.Profile != "", "profile", "is required")
	v.Check(in.BMC.Driver == "redfish" || in.BMC.Driver == "ipmi" || in.BMC.Driver == "simlab", "bmc.driver", "must be redfish, ipmi or simlab")
	v.Check(in.BMC.Address != "", "bmc.address", "is required")
	if err := v.Err(); err != nil {
		return Machine{}, err
	}
	sealed, err := s.deps.Sealer.Seal(in.BMC.Password)
	if err != nil {
		return Machine{}, err
	}
	now := s.Now()
	m := Machine{Serial: strings.TrimSpace(in.Serial), Datacenter: in.Datacenter, Rack: in.Rack, U: in.U, HeightU: max(in.HeightU, 1),
		Profile: in.Profile, Range: in.Range, BMC: BMC{Address: in.BMC.Address, Username: in.BMC.Username, Password: Secret(sealed), Driver: in.BMC.Driver},
		State: MachineEnrolling, StateSince: now, DesiredPower: PowerStateOff, ObservedPower: PowerStateUnknown, CreatedAt: now, UpdatedAt: now}
	if err := tx.InsertMachine(ctx, &m); err != nil {
		if errs.KindOf(err) == errs.Conflict {
			return m, errs.Fields(errs.FieldError{Field: "serial", Message: "is already in the inventory"})
		}
		return m, err
	}
	if err := tx.InsertTransition(ctx, Transition{MachineID: m.ID, From: "", To: MachineEnrolling, Actor: actor, Reason: "racked", At: now}); err != nil {
		return m, err
	}
	if err := s.move(ctx, tx, &m, MachineInspecting, actor, "inspection of the hardware", now); err != nil {
		return m, err
	}
	if err := s.enqueue(ctx, tx, JobInspect, inspectArgs{Machine: m.ID}, fmt.Sprintf("inspect:%d:%d", m.ID, now.UnixNano()), s.cfg.BMCAttempts); err != nil {
		return m, err
	}
	if !auditIt {
		return m, nil
	}
	return m, audit(ctx, tx, now, actor, "machine.enroll", "machine", m.Serial, 0,
		map[string]any{"datacenter": m.Datacenter, "rack": m.Rack, "u": m.U, "profile": m.Profile, "bmc": m.BMC.Address, "driver": m.BMC.Driver})
}

// AddRack records a rack (and its datacenter's name).
func (s *Service) AddRack(ctx context.Context, r Rack) error {
	if r.Datacenter == "" || r.Name == "" || r.Units < 1 {
		return errs.Errorf(errs.Invalid, "a rack needs a datacenter, a name and units")
	}
	return s.inTx(ctx, func(tx Tx) error { return tx.UpsertRack(ctx, r) })
}

type inspectArgs struct {
	Machine MachineID `json:"machine"`
}

// HandleInspect is the job handler of JobInspect.
func (s *Service) HandleInspect(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[inspectArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	err = s.Inspect(ctx, a.Machine)
	if err != nil && fleetTemporary(err) && j.Attempt < j.MaxAttempts {
		return err
	}
	if err != nil {
		return s.inTx(ctx, func(tx Tx) error {
			m, e := tx.LockMachine(ctx, a.Machine)
			if e != nil || m.State != MachineInspecting {
				return e
			}
			m.Failure = "inspection: " + err.Error()
			return s.move(ctx, tx, &m, MachineMaintenance, account.System, m.Failure, s.Now())
		})
	}
	return nil
}

// Inspect reads a machine's inventory from its BMC, records its components and makes it
// available. A machine that reports fewer disks than it had (a failed disk) goes to maintenance.
func (s *Service) Inspect(ctx context.Context, id MachineID) error {
	m, err := s.deps.Store.GetMachine(ctx, id)
	if err != nil {
		return err
	}
	if m.State != MachineInspecting {
		return nil
	}
	drv, err := s.driver(ctx, m)
	if err != nil {
		return err
	}
	ig, ok := drv.(InventoryGetter)
	if !ok {
		return fmt.Errorf("inventory: %w", ErrUnsupported)
	}
	inv, err := ig.Inventory(ctx)
	if err != nil {
		return err
	}
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		m, err := tx.LockMachine(ctx, id)
		if err != nil || m.State != MachineInspecting {
			return err
		}
		old, err := tx.Components(ctx, id, false)
		if err != nil {
			return err
		}
		oldDisks := 0
		for _, c := range old {
			if c.Kind == "disk" {
				oldDisks++
			}
			if err := tx.RemoveComponent(ctx, c.ID, now); err != nil {
				return err
			}
		}
		for _, c := range componentsOf(inv, now) {
			c.MachineID = id
			if err := tx.InsertComponent(ctx, &c); err != nil {
				return err
			}
		}
		m.Manufacturer, m.Model = inv.Manufacturer, inv.Model
		if inv.Serial != "" && inv.Serial != m.Serial {
			m.Failure = fmt.Sprintf("the BMC reports serial %s, the inventory says %s", inv.Serial, m.Serial)
			return s.move(ctx, tx, &m, MachineMaintenance, account.System, m.Failure, now)
		}
		if oldDisks > len(inv.Disks) {
			m.Failure = fmt.Sprintf("%d disks reported, %d expected", len(inv.Disks), oldDisks)
			return s.move(ctx, tx, &m, MachineMaintenance, account.System, m.Failure, now)
		}
		return s.move(ctx, tx, &m, MachineAvailable, account.System, fmt.Sprintf("inspected: %d CPU, %d GiB, %d disks", len(inv.CPUs), inv.MemoryGiB, len(inv.Disks)), now)
	})
}

// SetMachineMaintenance sends a machine to maintenance (staff) or brings it back to inspection.
func (s *Service) SetMachineMaintenance(ctx context.Context, actor account.Actor, id MachineID, on bool, reason string) (Machine, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Machine{}, errs.Fields(errs.FieldError{Field: "reason", Message: "is required"})
	}
	_, err := s.RecordIntervention(ctx, actor, InterventionInput{MachineID: id, Kind: InterventionOther, Notes: reason, Failure: on, Repaired: !on})
	if err != nil {
		return Machine{}, err
	}
	return s.deps.Store.GetMachine(ctx, id)
}

// EnsurePools adds the pools that do not exist yet (configuration, demo).
func (s *Service) EnsurePools(ctx context.Context, pools []Pool) error {
	have, err := s.deps.Store.Pools(ctx)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx Tx) error {
	next:
		for _, p := range pools {
			if err := p.Validate(); err != nil {
				return err
			}
			for _, h := range have {
				if h.Prefix.Overlaps(p.Prefix) {
					if h.Prefix == p.Prefix {
						continue next
					}
					return fmt.Errorf("pool %s overlaps %s", p.Prefix, h.Prefix)
				}
			}
			p.CreatedAt = s.Now()
			if err := tx.InsertPool(ctx, &p); err != nil {
				return err
			}
			have = append(have, p)
		}
		return nil
	})
}

// AddIP gives a live server one more IPv4 address (an additional IP option).
func (s *Service) AddIP(ctx context.Context, actor account.Actor, id ServerID) (IP, error) {
	now := s.Now()
	var ip IP
	err := s.inTx(ctx, func(tx Tx) error {
		srv, err := tx.LockServer(ctx, id)
		if err != nil {
			return err
		}
		if !srv.Live() || srv.State == ServerDelivering {
			return ErrNotActive
		}
		if ip, err = s.allocate(ctx, tx, srv, true, IPAdditional, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "ip.assign", "ip", ip.String(), srv.CustomerID, map[string]any{"server": srv.ID})
	})
	return ip, err
}

// SetReverse sets the reverse DNS of one of the customer's IPv4 addresses.
func (s *Service) SetReverse(ctx context.Context, actor account.Actor, customer account.ID, addr netip.Addr, reverse string) (IP, error) {
	reverse = strings.TrimSuffix(strings.TrimSpace(reverse), ".")
	if reverse != "" && !validHostname(reverse) {
		return IP{}, errs.Fields(errs.FieldError{Field: "reverse", Message: "is not a valid host name"})
	}
	ip, err := s.OwnIP(ctx, customer, addr)
	if err != nil {
		return IP{}, err
	}
	if !ip.Addr().Is4() {
		return IP{}, errs.Fields(errs.FieldError{Field: "ip", Message: "reverse DNS is set per IPv4 address"})
	}
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.SetReverse(ctx, ip.ID, reverse); err != nil {
			return err
		}
		return audit(ctx, tx, s.Now(), actor, "ip.reverse", "ip", ip.String(), ip.CustomerID, map[string]any{"reverse": reverse})
	})
	ip.Reverse = reverse
	return ip, err
}

// OwnIP returns an assigned address of the customer (0: staff); anything else is NotFound.
func (s *Service) OwnIP(ctx context.Context, customer account.ID, addr netip.Addr) (IP, error) {
	ip, err := s.ipOf(ctx, addr)
	if err != nil || ip.State != IPAssigned || (customer != 0 && ip.CustomerID != customer) {
		return IP{}, errs.Coded(errs.NotFound, "not_found", "IP not found")
	}
	return ip, nil
}

func (s *Service) ipOf(ctx context.Context, addr netip.Addr) (IP, error) {
	addr = addr.Unmap()
	if addr.Is4() {
		return s.deps.Store.IPByAddress(ctx, addr.String())
	}
	block, err := addr.Prefix(64)
	if err != nil {
		return IP{}, err
	}
	return s.deps.Store.IPByAddress(ctx, block.String())
}

// IPOwner tells which customer and server hold an address now (an IPv6 address inside a
// server's /64 counts), for network protection and abuse handling.
func (s *Service) IPOwner(ctx context.Context, addr netip.Addr) (account.ID, ServerID, bool, error) {
	ip, err := s.ipOf(ctx, addr)
	if errs.KindOf(err) == errs.NotFound {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	if ip.State != IPAssigned {
		return 0, 0, false, nil
	}
	return ip.CustomerID, ip.ServerID, true, nil
}

// CustomerIPs lists every assigned address (IPv4 and IPv6 blocks), for network protection.
func (s *Service) CustomerIPs(ctx context.Context) ([]IP, error) {
	return s.deps.Store.ListIPs(ctx, IPFilter{State: IPAssigned})
}

// ServerDetail is a server with what its pages and the API show.
type ServerDetail struct {
	Server        Server
	Contract      *ContractTerm // the server's contract, nil when it has none (see TermEnd)
	Machine       Machine       // zero while none is reserved
	IPs           []IP
	Tasks         []Task
	Power         PowerState
	Maintenances  []Maintenance
	Incidents     []Incident
	Interventions []Intervention
}

// Detail gathers a server's detail for customer (0: staff).
func (s *Service) Detail(ctx context.Context, customer account.ID, id ServerID) (ServerDetail, error) {
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return ServerDetail{}, err
	}
	d := ServerDetail{Server: srv, Power: PowerStateUnknown}
	c, ok, err := s.contractOf(ctx, srv)
	if err != nil {
		return d, err
	}
	if ok {
		d.Contract = &c
	}
	st := s.deps.Store
	if srv.MachineID != 0 {
		if d.Machine, err = st.GetMachine(ctx, srv.MachineID); err != nil {
			return d, err
		}
		d.Power = d.Machine.ObservedPower
	}
	if d.IPs, err = st.IPsOf(ctx, id); err != nil {
		return d, err
	}
	if d.Tasks, err = st.TasksOf(ctx, id, 10); err != nil {
		return d, err
	}
	if d.Maintenances, err = st.ListMaintenances(ctx, MaintenanceFilter{ServerID: id, EndsAfter: s.Now(), Limit: 20}); err != nil {
		return d, err
	}
	if d.Incidents, err = st.ListIncidents(ctx, IncidentFilter{ServerID: id, Limit: 20}); err != nil {
		return d, err
	}
	d.Interventions, err = st.Interventions(ctx, 0, id, 50)
	return d, err
}

// Servers lists servers (a customer's, or all for staff with customer 0).
func (s *Service) Servers(ctx context.Context, f ServerFilter) ([]Server, error) {
	return s.deps.Store.ListServers(ctx, f)
}

// MainIPs returns the main address of each server of the list.
func (s *Service) MainIPs(ctx context.Context, servers []Server) (map[ServerID]IP, error) {
	out := make(map[ServerID]IP, len(servers))
	for _, srv := range servers {
		ips, err := s.deps.Store.IPsOf(ctx, srv.ID)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if ip.Kind == IPMain {
				out[srv.ID] = ip
			}
		}
	}
	return out, nil
}

// Store returns the store, for read-only listings of the interfaces.
func (s *Service) Store() Reader { return s.deps.Store }

// FreeByProfile counts the available machines of each hardware profile (the stock the
// catalogue shows).
func (s *Service) FreeByProfile(ctx context.Context) (map[string]int, error) {
	ms, err := s.deps.Store.ListMachines(ctx, MachineFilter{State: MachineAvailable})
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, m := range ms {
		out[m.Profile]++
	}
	return out, nil
}

// IPHolder tells who held an address at a time (abuse reports, Art. 7.8 retention).
type IPHolder struct {
	ServerID   ServerID
	CustomerID account.ID
	From, To   time.Time
}
