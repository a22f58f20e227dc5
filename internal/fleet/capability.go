package fleet

import (
	"context"
	"time"
)

// PowerGetter reads the chassis power state.
type PowerGetter interface {
	PowerState(ctx context.Context) (PowerState, error)
}

// PowerSetter changes the chassis power state. Drivers make On, Off and ForceOff idempotent
// (asking for the state the server is already in succeeds without touching it), and Reset,
// Cycle and Soft on a server that is off power it on, so that a retried order converges.
type PowerSetter interface {
	SetPower(ctx context.Context, a PowerAction) error
}

// BootDeviceSetter chooses the device the server boots from next. With persistent false the
// override applies to the next boot only ("once"), which is what provisioning uses.
type BootDeviceSetter interface {
	SetBootDevice(ctx context.Context, d BootDevice, persistent bool) error
}

// VirtualMediaInserter attaches a remote image (ISO over http(s)) as the virtual CD/DVD drive.
// InsertMedia replaces whatever image was inserted; EjectMedia with nothing inserted succeeds.
type VirtualMediaInserter interface {
	InsertMedia(ctx context.Context, imageURL string) error
	EjectMedia(ctx context.Context) error
}

// InventoryGetter reads the hardware inventory the BMC reports.
type InventoryGetter interface {
	Inventory(ctx context.Context) (Inventory, error)
}

// ConsoleOpener opens a remote console (KVM over IP or serial over LAN) for a customer: the
// driver reads what console the BMC offers and creates a short-lived BMC credential for it, which
// it returns with the console. It is optional: a BMC without a console cannot offer it, and the
// driver answers ErrUnsupported.
type ConsoleOpener interface {
	OpenConsole(ctx context.Context, ttl time.Duration) (Console, error)
}

// ConsoleCloser revokes a console OpenConsole opened, from its Ref: the credential is removed
// and the sessions it opened are ended. Revoking one that is already gone succeeds.
type ConsoleCloser interface {
	CloseConsole(ctx context.Context, ref string) error
}

// ConsoleKind is the kind of console a BMC offers.
type ConsoleKind string

// Console kinds.
const (
	ConsoleGraphical ConsoleKind = "graphical" // KVM over IP in the BMC's web interface
	ConsoleSerial    ConsoleKind = "serial"    // serial over LAN (IPMI SOL, SSH to the BMC)
)

// Console is a console session the BMC opened: reach URL with Username and Password until
// ExpiresAt; Ref is what CloseConsole needs to revoke it, never shown to the customer.
type Console struct {
	Kind         ConsoleKind
	ConnectTypes []string // as the BMC names them: KVMIP, SSH, IPMI, Telnet, Simulated
	URL          string
	Username     string
	Password     Secret
	ExpiresAt    time.Time
	Ref          string
}
