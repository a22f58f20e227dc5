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

// ConsoleOpener opens a time-limited remote console (KVM or serial over LAN). It is optional:
// many drivers cannot hand out a console URL.
type ConsoleOpener interface {
	OpenConsole(ctx context.Context, ttl time.Duration) (Console, error)
}

// Console is a console session the BMC opened: URL is valid until ExpiresAt.
type Console struct {
	URL       string
	ExpiresAt time.Time
}
