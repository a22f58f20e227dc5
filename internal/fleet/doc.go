// Package fleet owns the servers ITSGOW rents (CGU art. 4, 5, 7.3): machines as assets with
// their components and sealed BMC credentials, the machine state machine (every transition
// recorded with actor, reason and time), IPAM (IPv4 pools, an IPv6 /64 per server, a main IPv4
// fixed for the contract, quarantine before reuse), delivery and reinstall as tasks with
// progress, rescue, reboot, time-limited consoles (a short-lived BMC credential revoked by a
// stored job at the expiry), the reconcile loop between desired and observed state,
// the deploy watchdog, probes, incidents, interventions and part replacements, planned works,
// and termination back to stock. A server delivered for an order has a contract on the commerce
// side, which owns its term and its termination: the fleet reaches it through the Contracts
// port. See docs/fleet.md.
//
// It also holds the contract every baseboard management controller (BMC) driver fulfils: small
// capability interfaces (PowerGetter, PowerSetter, BootDeviceSetter, VirtualMediaInserter,
// InventoryGetter, ConsoleOpener, ConsoleCloser) in the style of bmclib, the values they
// exchange, the BMC address and credentials (BMC, Secret), and the errors drivers return
// (ErrUnsupported, Unsupported, *BMCError). Drivers live in subpackages (redfish, ipmi, simlab) and import this package,
// never the other way round; the Service gets them through Drivers and asks a driver value for
// the capability it needs with a type assertion.
//
// It is a domain package: it imports internal/account, clock, errs, jobs, logkey, notify,
// policy, golang.org/x/crypto/ssh (public key parsing) and the standard library, and does no
// I/O (no net/http, no database): it defines the Store it needs, and its effects on BMCs are
// jobs. A *Service is safe for concurrent use.
package fleet
