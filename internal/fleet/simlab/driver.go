package simlab

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
)

// Compile-time guards: a simulated BMC offers every capability.
var (
	_ fleet.PowerGetter          = (*Driver)(nil)
	_ fleet.PowerSetter          = (*Driver)(nil)
	_ fleet.BootDeviceSetter     = (*Driver)(nil)
	_ fleet.VirtualMediaInserter = (*Driver)(nil)
	_ fleet.InventoryGetter      = (*Driver)(nil)
	_ fleet.ConsoleOpener        = (*Driver)(nil)
	_ fleet.ConsoleCloser        = (*Driver)(nil)
)

// Driver is the simulated BMC of one machine. Every call counts as one BMC call for injected
// timeouts.
type Driver struct {
	lab    *Lab
	serial string
}

// Serial returns the machine the driver controls.
func (d *Driver) Serial() string { return d.serial }

// call runs fn on the settled machine, unless the context is done or an injected timeout
// takes the call.
func (d *Driver) call(ctx context.Context, op string, fn func(m *machine, now time.Time) error) error {
	op = "simlab " + op + " " + d.serial
	if err := ctx.Err(); err != nil {
		return &fleet.BMCError{Op: op, Err: err}
	}
	l := d.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.lookup(d.serial)
	if err != nil {
		return err
	}
	now := l.advance(l.clk.Now())
	m.settle(now)
	if m.timeouts > 0 {
		m.timeouts--
		return &fleet.BMCError{Op: op, Msg: "timed out", Err: context.DeadlineExceeded}
	}
	return fn(m, now)
}

// PowerState reads the machine's power.
func (d *Driver) PowerState(ctx context.Context) (fleet.PowerState, error) {
	state := fleet.PowerStateUnknown
	err := d.call(ctx, "power state", func(m *machine, _ time.Time) error {
		state = m.power
		return nil
	})
	return state, err
}

// SetPower applies a power action. On, Off and ForceOff in the current state do nothing;
// Reset, Cycle and Soft on a machine that is off power it on. With stuck power the order is
// accepted and nothing happens.
func (d *Driver) SetPower(ctx context.Context, a fleet.PowerAction) error {
	return d.call(ctx, "power "+string(a), func(m *machine, now time.Time) error {
		return m.powerAction(a, d.lab, now)
	})
}

// SetBootDevice sets the boot override for the next boot, or every boot when persistent.
func (d *Driver) SetBootDevice(ctx context.Context, dev fleet.BootDevice, persistent bool) error {
	return d.call(ctx, "boot "+string(dev), func(m *machine, _ time.Time) error {
		if !dev.Valid() {
			return fmt.Errorf("simlab boot device %q: %w", dev, fleet.ErrUnsupported)
		}
		m.boot, m.bootPersistent = dev, persistent
		return nil
	})
}

// InsertMedia inserts an http(s) image in the virtual CD, replacing any other.
func (d *Driver) InsertMedia(ctx context.Context, imageURL string) error {
	u, err := url.Parse(imageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errs.E(errs.Invalid, "the image URL must be an absolute http or https URL", err)
	}
	return d.call(ctx, "insert media", func(m *machine, _ time.Time) error {
		m.media = imageURL
		return nil
	})
}

// EjectMedia empties the virtual CD.
func (d *Driver) EjectMedia(ctx context.Context) error {
	return d.call(ctx, "eject media", func(m *machine, _ time.Time) error {
		m.media = ""
		return nil
	})
}

// Inventory reports the machine's hardware; a failed disk is missing from it.
func (d *Driver) Inventory(ctx context.Context) (fleet.Inventory, error) {
	var inv fleet.Inventory
	err := d.call(ctx, "inventory", func(m *machine, _ time.Time) error {
		inv = m.inventory()
		return nil
	})
	return inv, err
}

// OpenConsole hands out a simulated KVM console on the BMC address with its own credential,
// valid for ttl of lab time; CloseConsole revokes the credential.
func (d *Driver) OpenConsole(ctx context.Context, ttl time.Duration) (fleet.Console, error) {
	if ttl <= 0 {
		return fleet.Console{}, errs.Errorf(errs.Invalid, "the console lifetime must be positive, got %s", ttl)
	}
	var c fleet.Console
	err := d.call(ctx, "console", func(m *machine, now time.Time) error {
		m.consoles++
		h := fnv.New64a()
		_, _ = h.Write([]byte(m.spec.Serial + "/" + strconv.Itoa(m.consoles) + "/" + now.UTC().Format(time.RFC3339Nano)))
		token := hex.EncodeToString(h.Sum(nil))
		user := "console" + strconv.Itoa(m.consoles)
		if m.consoleUsers == nil {
			m.consoleUsers = map[string]string{}
		}
		m.consoleUsers[user] = token
		c = fleet.Console{
			Kind: fleet.ConsoleGraphical, ConnectTypes: []string{"Simulated"},
			URL:      "https://console.simlab.invalid/" + url.PathEscape(m.spec.Serial) + "?token=" + token,
			Username: user, Password: fleet.Secret(token[:12]), ExpiresAt: now.Add(ttl), Ref: user,
		}
		return nil
	})
	return c, err
}

// CloseConsole revokes the console credential ref (a username); an unknown one is gone already.
func (d *Driver) CloseConsole(ctx context.Context, ref string) error {
	return d.call(ctx, "console close", func(m *machine, _ time.Time) error {
		delete(m.consoleUsers, ref)
		return nil
	})
}
