package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/policy"
)

// Config tunes the fleet service.
type Config struct {
	// ImageBaseURL is where the OS images are served over http(s); an image NAME is
	// ImageBaseURL + NAME + ".iso" (virtual media) and the PXE server offers the same names.
	ImageBaseURL string `yaml:"image_base_url"`
	// OSImages are the images a server may be installed or reinstalled with.
	OSImages []string `yaml:"os_images"`
	// RescueImage boots a server in rescue mode without touching its disks.
	RescueImage string `yaml:"rescue_image"`
	// WipeImage erases the disks of a released machine; WipeDuration is how long it runs.
	WipeImage    string        `yaml:"wipe_image"`
	WipeDuration time.Duration `yaml:"wipe_duration"`
	// ServerDomain names servers ns<ID>.<domain>, the default reverse DNS.
	ServerDomain string `yaml:"server_domain"`
	// ConsoleTTL is the lifetime of a BMC console session handed to a customer.
	ConsoleTTL time.Duration `yaml:"console_ttl"`
	// RescueTTL ends a forgotten rescue session: the server boots its disk again.
	RescueTTL time.Duration `yaml:"rescue_ttl"`
	// ProbeFailures is how many probes in a row must fail before an incident opens.
	ProbeFailures int `yaml:"probe_failures"`
	// ObserveEvery is how old a power observation may get before the reconcile loop reads the
	// BMC again.
	ObserveEvery time.Duration `yaml:"observe_every"`
	// BMCAttempts is how many times a BMC order is tried (with backoff) before the machine
	// goes to maintenance.
	BMCAttempts int `yaml:"bmc_attempts"`
	// MaxMachinesPerDelivery bounds how many machines one delivery tries before it waits for
	// staff.
	MaxMachinesPerDelivery int `yaml:"max_machines_per_delivery"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		ImageBaseURL: "https://images.itsgow.example/",
		OSImages:     []string{"debian-12", "debian-13", "ubuntu-24.04", "almalinux-9", "rocky-9", "proxmox-8", "windows-server-2022"},
		RescueImage:  "rescue-13", WipeImage: "wipe", WipeDuration: 30 * time.Minute,
		ServerDomain: "itsgow.net", ConsoleTTL: 15 * time.Minute, RescueTTL: 24 * time.Hour,
		ProbeFailures: 3, ObserveEvery: 5 * time.Minute, BMCAttempts: 5, MaxMachinesPerDelivery: 3,
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var list []error
	bad := func(k, msg string) { list = append(list, fmt.Errorf("fleet.%s: %s", k, msg)) }
	if !strings.HasPrefix(c.ImageBaseURL, "http://") && !strings.HasPrefix(c.ImageBaseURL, "https://") {
		bad("image_base_url", "must be an http(s) URL")
	}
	if len(c.OSImages) == 0 {
		bad("os_images", "at least one image")
	}
	for _, img := range append(slices.Clone(c.OSImages), c.RescueImage, c.WipeImage) {
		if !validImageName(img) {
			bad("os_images", fmt.Sprintf("%q is not an image name (letters, digits, . _ -)", img))
		}
	}
	if c.WipeDuration < 0 {
		bad("wipe_duration", "must not be negative")
	}
	if c.ServerDomain == "" || strings.ContainsAny(c.ServerDomain, " /") {
		bad("server_domain", "must be a domain name")
	}
	if c.ConsoleTTL < time.Minute || c.ConsoleTTL > 4*time.Hour {
		bad("console_ttl", "between 1m and 4h")
	}
	if c.RescueTTL < time.Minute {
		bad("rescue_ttl", "at least 1m")
	}
	if c.ProbeFailures < 1 {
		bad("probe_failures", "at least 1")
	}
	if c.ObserveEvery < time.Second {
		bad("observe_every", "at least 1s")
	}
	if c.BMCAttempts < 1 || c.BMCAttempts > 20 {
		bad("bmc_attempts", "between 1 and 20")
	}
	if c.MaxMachinesPerDelivery < 1 {
		bad("max_machines_per_delivery", "at least 1")
	}
	return errors.Join(list...)
}

func validImageName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Drivers opens the BMC driver of a machine; the value implements the capability interfaces
// its hardware offers. The machine's BMC password is open.
type Drivers interface {
	Driver(ctx context.Context, m Machine) (any, error)
}

// Install is what the provisioning system needs to install a machine for a server: the
// answer file (hostname, root password, SSH key, addresses) served to the installer.
type Install struct {
	Machine  Machine
	Server   Server
	Image    string
	Hostname string
	SSHKey   string
	Password Secret // empty with an SSH key
	MainIP   netip.Addr
	IPv6     netip.Prefix
	Preserve bool
}

// Provisioner prepares the network side of an install (DHCP reservation, answer file). It is
// optional.
type Provisioner interface {
	Prepare(ctx context.Context, in Install) error
}

// Target is what a probe checks.
type Target struct {
	ServerID ServerID
	Serial   string
	Addr     netip.Addr
}

// Prober tells whether a server answers on its main address (ICMP, TCP, or simlab).
type Prober interface {
	Probe(ctx context.Context, t Target) bool
}

// Delivery is a delivered server, reported to the commerce side (the contract starts).
type Delivery struct {
	OrderRef   string
	ServerID   ServerID
	CustomerID account.ID
	MainIP     netip.Addr
	At         time.Time
}

// DeliveryListener hears about deliveries. It is called by a job after the delivery committed,
// retried until it succeeds, so it must be idempotent (keyed by OrderRef).
type DeliveryListener interface {
	Delivered(ctx context.Context, d Delivery) error
}

// Deps of the service.
type Deps struct {
	Logger      *slog.Logger
	Clock       clock.Clock
	Store       Store
	Notify      *notify.Service
	Policy      policy.Config
	Drivers     Drivers
	Provisioner Provisioner      // nil: nothing to prepare
	Prober      Prober           // nil: servers are not probed
	Listener    DeliveryListener // nil: nobody listens
	Contracts   Contracts        // nil: no server has a contract (terms and terminations are the server's own)
	Sealer      *Sealer
	Wake        func() // wakes the job runner after commit; may be nil
}

// Service is the fleet's use cases.
type Service struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
}

// New makes the service.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil || deps.Clock == nil || deps.Store == nil || deps.Notify == nil || deps.Drivers == nil || deps.Sealer == nil {
		return nil, errors.New("fleet: logger, clock, store, notify, drivers and sealer are required")
	}
	if deps.Policy.DeployTimeout <= 0 {
		return nil, errors.New("fleet: policy.deploy_timeout must be set")
	}
	return &Service{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "fleet")}, nil
}

// Config returns the configuration in force.
func (s *Service) Config() Config { return s.cfg }

// Policy returns the contract's numbers in force.
func (s *Service) Policy() policy.Config { return s.deps.Policy }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.deps.Clock.Now() }

func (s *Service) inTx(ctx context.Context, fn func(Tx) error) error {
	return s.deps.Store.InTx(ctx, fn)
}

// Job kinds of the fleet.
const (
	JobDeploy    = "fleet.deploy"
	JobInspect   = "fleet.inspect"
	JobPower     = "fleet.power"
	JobRescue    = "fleet.rescue"
	JobWipe      = "fleet.wipe"
	JobObserve   = "fleet.observe"
	JobDelivered = "fleet.delivered"
	JobDeliver   = "fleet.deliver"
	JobReconcile = "fleet.reconcile"
	JobProbe     = "fleet.probe"
)

// enqueue adds a job in tx and wakes the runner after commit.
func (s *Service) enqueue(ctx context.Context, tx Tx, kind string, args any, key string, attempts int) error {
	if _, _, err := jobs.Enqueue(ctx, tx, s.Now(), kind, args, jobs.Opts{UniqueKey: key, MaxAttempts: attempts}); err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if s.deps.Wake != nil {
		tx.AfterCommit(s.deps.Wake)
	}
	return nil
}

// move changes a machine's state, recording who, why and when; it sets the desired power the
// new state implies.
func (s *Service) move(ctx context.Context, tx Tx, m *Machine, to MachineState, actor account.Actor, reason string, now time.Time) error {
	if !CanTransition(m.State, to) {
		return &errs.Error{Kind: errs.Conflict, Code: ErrBadTransition.Code,
			Msg: fmt.Sprintf("machine %s cannot go from %s to %s", m.Serial, m.State, to)}
	}
	t := Transition{MachineID: m.ID, From: m.State, To: to, Actor: actor, Reason: reason, At: now}
	m.State, m.StateSince, m.UpdatedAt = to, now, now
	switch to {
	case MachineAvailable, MachineSuspended, MachineReleasing:
		m.DesiredPower = PowerStateOff
	case MachineDeploying, MachineDeployed, MachineWiping:
		m.DesiredPower = PowerStateOn
	}
	if to != MachineMaintenance {
		m.Failure = ""
	} else if m.Failure == "" {
		m.Failure = reason
	}
	if err := tx.UpdateMachine(ctx, *m); err != nil {
		return err
	}
	return tx.InsertTransition(ctx, t)
}

func audit(ctx context.Context, tx Tx, now time.Time, actor account.Actor, action, objType string, objID any, customer account.ID, details any) error {
	if details == nil {
		details = map[string]any{}
	}
	return account.Audit(ctx, tx, now, actor, action, objType, fmt.Sprint(objID), customer, details)
}

// notifyCustomer queues a notice to the customer of a server.
func (s *Service) notifyCustomer(ctx context.Context, tx Tx, customer account.ID, kind string, data map[string]any, dedup string) error {
	acc, err := tx.AccountByID(ctx, customer)
	if err != nil {
		return fmt.Errorf("notice %s: %w", kind, err)
	}
	data["Name"] = acc.Name
	_, err = s.deps.Notify.Queue(ctx, tx, notify.Recipient{AccountID: int64(acc.ID), Email: acc.Email, Name: acc.Name,
		Language: acc.Language}, kind, data, dedup)
	return err
}

// alertStaff queues a staff_alert notice to every NOC member (admins included).
func (s *Service) alertStaff(ctx context.Context, tx Tx, subject, body, dedup string) error {
	staff, err := tx.ListAccounts(ctx, account.ListFilter{Kind: account.KindStaff, Limit: 200})
	if err != nil {
		return err
	}
	for _, a := range staff {
		if a.Disabled || !a.HasRole(account.RoleNOC) {
			continue
		}
		_, err := s.deps.Notify.Queue(ctx, tx, notify.Recipient{AccountID: int64(a.ID), Email: a.Email, Name: a.Name, Language: a.Language},
			"staff_alert", map[string]any{"Name": a.Name, "Subject": subject, "Body": body}, dedup+":"+fmt.Sprint(a.ID))
		if err != nil {
			return err
		}
	}
	return nil
}

// imageURL is the http(s) URL of an OS image.
func (s *Service) imageURL(name string) string {
	return strings.TrimRight(s.cfg.ImageBaseURL, "/") + "/" + name + ".iso"
}

// driver opens the BMC driver of a machine with its password unsealed.
func (s *Service) driver(ctx context.Context, m Machine) (any, error) {
	pw, err := s.deps.Sealer.Open(string(m.BMC.Password))
	if err != nil {
		return nil, err
	}
	m.BMC.Password = pw
	return s.deps.Drivers.Driver(ctx, m)
}

// Errors of the use cases.
var (
	ErrUnknownImage   = errs.Coded(errs.Invalid, "unknown_os_image", "this OS image is not offered")
	ErrSuspended      = errs.Coded(errs.Conflict, "server_suspended", "the server is suspended")
	ErrTaskRunning    = errs.Coded(errs.Conflict, "task_running", "another operation is running on this server")
	ErrNotActive      = errs.Coded(errs.Conflict, "server_not_active", "the server is not active")
	ErrNoStock        = errs.Coded(errs.Unavailable, "no_stock", "no free server matches this plan now")
	ErrShown          = errs.Coded(errs.Conflict, "credentials_already_shown", "these credentials were shown once already; reinstall or use rescue to get new ones")
	ErrCredentialsNot = errs.Coded(errs.NotFound, "no_credentials", "this task has no credentials to show")
)

func serverNotFound() error { return errs.Coded(errs.NotFound, "not_found", "server not found") }

// OwnServer returns a server when customer may see it (staff pass 0): another customer's
// server is NotFound (API.md).
func (s *Service) OwnServer(ctx context.Context, customer account.ID, id ServerID) (Server, error) {
	srv, err := s.deps.Store.GetServer(ctx, id)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return Server{}, serverNotFound()
		}
		return Server{}, err
	}
	if customer != 0 && srv.CustomerID != customer {
		return Server{}, serverNotFound()
	}
	return srv, nil
}
