// Package redfish drives a server's BMC over the DMTF Redfish REST API with net/http: power
// state and reset actions, one-time or persistent boot override, virtual media
// (InsertMedia/EjectMedia actions, or PATCH of the Image on older firmware), and the hardware
// inventory (system, processors, storage drives, Ethernet interfaces), and consoles: it reads
// the Manager's GraphicalConsole and SerialConsole (ConnectTypesSupported) and hands out a
// short-lived Operator account of the AccountService (POST, or a free fixed slot on iDRAC),
// removed with the sessions it opened when the console closes. It finds its resources
// from the service root (/redfish/v1) and caches the ComputerSystem, Manager and VirtualMedia
// it picked. Authentication is HTTP basic by default, or a SessionService session
// (X-Auth-Token) when configured.
//
// Every failure is a *fleet.BMCError (HTTP status, the Redfish message from
// @Message.ExtendedInfo or error.message, or what was wrong with the answer: HTML, invalid JSON,
// a redirect loop, a timeout); an operation the BMC does not advertise is fleet.ErrUnsupported.
// It never panics on what a BMC sends, and reads at most Config.MaxBodyBytes of any answer.
//
// It is an adapter: it imports internal/fleet, internal/errs and the standard library only. A *Driver is safe
// for concurrent use. Package redfishtest serves recorded vendor resources for tests.
package redfish
