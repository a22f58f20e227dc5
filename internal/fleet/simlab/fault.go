package simlab

import (
	"time"

	"github.com/itsgow/itsgow/internal/errs"
)

// InjectBMCTimeouts makes the next n calls to the machine's driver fail with a temporary
// *fleet.BMCError wrapping context.DeadlineExceeded.
func (l *Lab) InjectBMCTimeouts(serial string, n int) error {
	if n < 0 {
		return errs.Errorf(errs.Invalid, "simlab: negative timeout count %d", n)
	}
	return l.with(serial, func(m *machine, _ time.Time) { m.timeouts = n })
}

// InjectDiskFailure makes a disk (the last one) fail during the machine's next install: the
// install ends, at its normal end time, in PhaseFailed, and the disk leaves the inventory.
// Later installs fail too until Repair.
func (l *Lab) InjectDiskFailure(serial string) error {
	return l.with(serial, func(m *machine, _ time.Time) { m.diskFault = true })
}

// SetInstallDuration gives the machine its own install duration (a slow install, or zero),
// used by installs that start from now on.
func (l *Lab) SetInstallDuration(serial string, d time.Duration) error {
	if d < 0 {
		return errs.Errorf(errs.Invalid, "simlab: negative install duration %s", d)
	}
	return l.with(serial, func(m *machine, _ time.Time) { m.installDuration = &d })
}

// SetPowerStuck makes the machine's power ignore orders (they are accepted, nothing happens)
// until it is unstuck or repaired.
func (l *Lab) SetPowerStuck(serial string, stuck bool) error {
	return l.with(serial, func(m *machine, _ time.Time) { m.powerStuck = stuck })
}

// Repair is a technician's visit: it clears every injected fault, replaces the failed disk
// (empty), and leaves a machine that had failed powered off.
func (l *Lab) Repair(serial string) error {
	return l.with(serial, func(m *machine, _ time.Time) {
		m.timeouts, m.diskFault, m.powerStuck, m.installDuration = 0, false, false, nil
		if m.diskFailed {
			m.diskFailed = false
			m.os = "" // the new disk is empty
		}
		if m.phase == PhaseFailed {
			m.powerOff()
		}
	})
}
