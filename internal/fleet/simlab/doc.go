// Package simlab is a simulated datacenter: datacenters, racks and machines (serial, rack
// position, hardware profile, NICs with MACs, BMC address), each with a power state, a boot
// override, a virtual CD and an operating system installer. It implements the fleet capability
// interfaces through per-machine drivers (Lab.Driver), so the demo (`serve --demo`) and every
// layer above the BMC drivers run against it instead of hardware.
//
// A machine powered on (or restarted) with a PXE boot override, or a CD override with an image
// inserted, or with no OS on its disk and an image inserted, installs for the configured
// duration (per machine, else the lab default; zero allowed), then boots its disk and runs the
// installed image, answering Reachable on the address given by AssignIP. A CD image named
// rescue* boots live (disk untouched, PhaseRescue, reachable); an image named wipe* erases the
// disk and powers the machine off when it ends. Restore puts a machine back in a remembered
// state after a restart of the process. Failures are injected
// per machine: BMC timeouts (the next N calls fail with a temporary *fleet.BMCError), a disk
// that fails during the next install (the install ends in PhaseFailed), slow installs, and
// stuck power (orders accepted, nothing happens).
//
// Time comes only from the clock.Clock given to New, read lazily: no timers, no goroutines.
// Every call first settles the lab at the clock's time (installs whose end has come complete,
// at their exact end time), so a test moves a clocktest.Fake and then looks; Tick settles every
// machine at once. Lab time never goes backwards.
//
// It imports internal/fleet, internal/clock, internal/errs and the standard library, and does
// no I/O. A *Lab, and the drivers it returns, are safe for concurrent use (one mutex).
package simlab
