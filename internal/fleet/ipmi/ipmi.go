// Package ipmi drives a server's BMC over IPMI v2.0 (RMCP+, lanplus) or v1.5 (lan) with
// github.com/bougou/go-ipmi: chassis power state and control (on, off, soft off, reset, cycle)
// and the boot device of the next boot (or every boot). IPMI has no virtual media and no
// hardware inventory worth the name, so the driver offers PowerGetter, PowerSetter,
// BootDeviceSetter, and consoles (ConsoleOpener, ConsoleCloser: a short-lived user for serial
// over LAN, when the BMC has SOL); provisioning over IPMI boots from the network (PXE).
//
// Each call opens a session, runs its commands and closes the session (BMCs allow few
// sessions). Failures are *fleet.BMCError; a timeout is temporary.
//
// It is an adapter: it imports internal/fleet, github.com/bougou/go-ipmi and the standard
// library. A *Driver is safe for concurrent use (its calls are serialised).
package ipmi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bougou/go-ipmi/pkg/client"
	"github.com/bougou/go-ipmi/pkg/command/chassis"
	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/itsgow/itsgow/internal/fleet"
)

// Compile-time guards: the capabilities an IPMI BMC offers.
var (
	_ fleet.PowerGetter      = (*Driver)(nil)
	_ fleet.PowerSetter      = (*Driver)(nil)
	_ fleet.BootDeviceSetter = (*Driver)(nil)
)

// Config tunes the IPMI driver.
type Config struct {
	// Interface is lanplus (IPMI v2.0, default) or lan (v1.5).
	Interface string `yaml:"interface"`
	// Timeout bounds each exchange; Retries are extra tries of an exchange.
	Timeout time.Duration `yaml:"timeout"`
	Retries int           `yaml:"retries"`
	// EFI boots the next boot in EFI mode (else legacy BIOS).
	EFI bool `yaml:"efi"`
}

// DefaultConfig returns lanplus, 5 s, 1 retry, EFI.
func DefaultConfig() Config {
	return Config{Interface: "lanplus", Timeout: 5 * time.Second, Retries: 1, EFI: true}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Interface != "lanplus" && c.Interface != "lan" {
		return fmt.Errorf("ipmi.interface: %q is neither lanplus nor lan", c.Interface)
	}
	if c.Timeout <= 0 || c.Retries < 0 || c.Retries > 5 {
		return errors.New("ipmi: timeout must be positive and retries between 0 and 5")
	}
	return nil
}

// Driver talks to one BMC.
type Driver struct {
	cfg  Config
	bmc  fleet.BMC
	host string
	port int
	mu   sync.Mutex
}

// New returns a driver for bmc (address host or host:port, default port 623). It does no I/O.
func New(bmc fleet.BMC, cfg Config) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, port := strings.TrimPrefix(bmc.Address, "ipmi://"), 623
	if h, p, err := net.SplitHostPort(host); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("ipmi bmc address %q: bad port", bmc.Address)
		}
		host, port = h, n
	}
	if host == "" {
		return nil, fmt.Errorf("ipmi bmc address %q: no host", bmc.Address)
	}
	return &Driver{cfg: cfg, bmc: bmc, host: host, port: port}, nil
}

// session runs fn in an open session.
func (d *Driver) session(ctx context.Context, op string, fn func(c *client.Client) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := client.NewClient(d.host, d.port, d.bmc.Username, string(d.bmc.Password))
	if err != nil {
		return &fleet.BMCError{Op: "ipmi " + op, Err: err}
	}
	c.WithTimeout(d.cfg.Timeout).WithRetry(d.cfg.Retries)
	if d.cfg.Interface == "lan" {
		c.WithInterface(client.InterfaceLan)
	} else {
		c.WithInterface(client.InterfaceLanplus)
	}
	if err := c.Connect(ctx); err != nil {
		return bmcErr("ipmi "+op+" connect "+d.host, err)
	}
	defer c.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the session ends anyway on the BMC's timeout
	if err := fn(c); err != nil {
		return bmcErr("ipmi "+op+" "+d.host, err)
	}
	return nil
}

// bmcErr wraps a go-ipmi error; timeouts (the library reports them as i/o timeouts or
// deadline errors) are temporary.
func bmcErr(op string, err error) error {
	be := &fleet.BMCError{Op: op, Err: err}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") || strings.Contains(err.Error(), "deadline") {
		be.Msg = "timed out"
		if !errors.Is(err, context.DeadlineExceeded) {
			be.Err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
	}
	return be
}

// PowerState reads the chassis power.
func (d *Driver) PowerState(ctx context.Context) (fleet.PowerState, error) {
	state := fleet.PowerStateUnknown
	err := d.session(ctx, "chassis status", func(c *client.Client) error {
		st, err := c.GetChassisStatus(ctx)
		if err != nil {
			return err
		}
		state = fleet.PowerStateOff
		if st.PowerIsOn {
			state = fleet.PowerStateOn
		}
		return nil
	})
	return state, err
}

// SetPower applies a power action; On, Off and ForceOff in the current state do nothing, and
// Reset, Cycle and Soft on a machine that is off power it up.
func (d *Driver) SetPower(ctx context.Context, a fleet.PowerAction) error {
	if !a.Valid() {
		return fmt.Errorf("ipmi power %q: %w", a, fleet.ErrUnsupported)
	}
	return d.session(ctx, "power "+string(a), func(c *client.Client) error {
		st, err := c.GetChassisStatus(ctx)
		if err != nil {
			return err
		}
		on := st.PowerIsOn
		var ctl chassis.ChassisControl
		switch a {
		case fleet.PowerOn:
			if on {
				return nil
			}
			ctl = chassis.ChassisControlPowerUp
		case fleet.PowerOff:
			if !on {
				return nil
			}
			ctl = chassis.ChassisControlSoftShutdown
		case fleet.PowerForceOff:
			if !on {
				return nil
			}
			ctl = chassis.ChassisControlPowerDown
		case fleet.PowerReset, fleet.PowerCycle, fleet.PowerSoft:
			switch {
			case !on:
				ctl = chassis.ChassisControlPowerUp
			case a == fleet.PowerReset:
				ctl = chassis.ChassisControlHardReset
			case a == fleet.PowerSoft:
				ctl = chassis.ChassisControlSoftShutdown // ACPI: the OS shuts down; the reconcile loop powers it on
			default:
				ctl = chassis.ChassisControlPowerCycle
			}
		}
		_, err = c.ChassisControl(ctx, ctl)
		return err
	})
}

// SetBootDevice sets the boot device of the next boot (or every boot when persistent).
func (d *Driver) SetBootDevice(ctx context.Context, dev fleet.BootDevice, persistent bool) error {
	sel := map[fleet.BootDevice]types.BootDeviceSelector{
		fleet.BootPXE:   types.BootDeviceSelectorForcePXE,
		fleet.BootDisk:  types.BootDeviceSelectorForceHardDrive,
		fleet.BootCDROM: types.BootDeviceSelectorForceCDROM,
		fleet.BootBIOS:  types.BootDeviceSelectorForceBIOSSetup,
	}
	s, ok := sel[dev]
	if !ok {
		return fmt.Errorf("ipmi boot %q: %w", dev, fleet.ErrUnsupported)
	}
	bt := types.BIOSBootTypeLegacy
	if d.cfg.EFI {
		bt = types.BIOSBootTypeEFI
	}
	return d.session(ctx, "boot "+string(dev), func(c *client.Client) error {
		return c.SetBootDevice(ctx, s, bt, persistent)
	})
}
