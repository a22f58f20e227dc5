package redfish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/itsgow/itsgow/internal/fleet"
)

// bootTargets maps boot devices to BootSourceOverrideTarget values.
var bootTargets = map[fleet.BootDevice]string{
	fleet.BootPXE:   "Pxe",
	fleet.BootDisk:  "Hdd",
	fleet.BootCDROM: "Cd",
	fleet.BootBIOS:  "BiosSetup",
}

// SetBootDevice PATCHes the system's Boot override: BootSourceOverrideTarget from dev, and
// BootSourceOverrideEnabled Once, or Continuous when persistent. It sends If-Match with the
// system's ETag when the BMC gave one, and retries once on 412 (the system changed meanwhile).
func (d *Driver) SetBootDevice(ctx context.Context, dev fleet.BootDevice, persistent bool) error {
	err := d.setBootDevice(ctx, dev, persistent)
	var be *fleet.BMCError
	if errors.As(err, &be) && be.Status == http.StatusPreconditionFailed {
		err = d.setBootDevice(ctx, dev, persistent)
	}
	if err != nil {
		return fmt.Errorf("redfish set boot device %s %s: %w", dev, d.base.Host, err)
	}
	return nil
}

func (d *Driver) setBootDevice(ctx context.Context, dev fleet.BootDevice, persistent bool) error {
	target, ok := bootTargets[dev]
	if !ok {
		return fmt.Errorf("unknown boot device: %w", fleet.ErrUnsupported)
	}
	enabled := "Once"
	if persistent {
		enabled = "Continuous"
	}
	sys, path, etag, err := d.getSystem(ctx)
	if err != nil {
		return err
	}
	if sys.Boot == nil {
		return fmt.Errorf("system has no Boot property: %w", fleet.ErrUnsupported)
	}
	if t := sys.Boot.AllowableTargets; t != nil && !slices.Contains(t, target) {
		return fmt.Errorf("boot target %s not in the allowed %v: %w", target, t, fleet.ErrUnsupported)
	}
	if e := sys.Boot.AllowableEnabled; e != nil && !slices.Contains(e, enabled) {
		return fmt.Errorf("boot override %s not in the allowed %v: %w", enabled, e, fleet.ErrUnsupported)
	}
	body := map[string]any{"Boot": map[string]string{
		"BootSourceOverrideTarget":  target,
		"BootSourceOverrideEnabled": enabled,
	}}
	_, err = d.do(ctx, request{method: http.MethodPatch, path: path, body: body, ifMatch: etag})
	return err
}
