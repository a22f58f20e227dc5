// Package fleet owns the servers ITSGOW rents as assets, and the contract every baseboard
// management controller (BMC) driver fulfils: small capability interfaces (PowerGetter,
// PowerSetter, BootDeviceSetter, VirtualMediaInserter, InventoryGetter, ConsoleOpener) in the
// style of bmclib, the values they exchange (PowerState, PowerAction, BootDevice, Inventory,
// Console), the BMC address and credentials (BMC, Secret), and the errors drivers return
// (ErrUnsupported, *BMCError).
//
// Drivers live in subpackages (redfish, simlab, ipmi) and import this package, never the other
// way round. A caller asks a driver value for the capability it needs with a type assertion,
// so a driver implements only what its hardware can do.
//
// It is a domain package: it may import only internal/clock, internal/errs and the standard
// library, and does no I/O (no net/http, no database). Its types are plain values, safe for
// concurrent reads; drivers document their own concurrency (all shipped ones are safe for
// concurrent use).
package fleet
