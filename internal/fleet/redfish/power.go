package redfish

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/itsgow/itsgow/internal/fleet"
)

// PowerState reads the ComputerSystem's PowerState. PoweringOn counts as on and PoweringOff
// as off; anything else the BMC says is fleet.PowerStateUnknown.
func (d *Driver) PowerState(ctx context.Context) (fleet.PowerState, error) {
	sys, _, _, err := d.getSystem(ctx)
	if err != nil {
		return fleet.PowerStateUnknown, fmt.Errorf("redfish power state %s: %w", d.base.Host, err)
	}
	return powerState(sys.PowerState), nil
}

func powerState(s string) fleet.PowerState {
	switch s {
	case "On", "PoweringOn":
		return fleet.PowerStateOn
	case "Off", "PoweringOff":
		return fleet.PowerStateOff
	}
	return fleet.PowerStateUnknown
}

// resetTypes maps power actions to ComputerSystem.Reset ResetType values.
var resetTypes = map[fleet.PowerAction]string{
	fleet.PowerOn:       "On",
	fleet.PowerOff:      "GracefulShutdown",
	fleet.PowerForceOff: "ForceOff",
	fleet.PowerReset:    "ForceRestart",
	fleet.PowerCycle:    "PowerCycle",
	fleet.PowerSoft:     "GracefulRestart",
}

// SetPower posts ComputerSystem.Reset with the ResetType of a, after checking that the system
// advertises it (ResetType@Redfish.AllowableValues, or its @Redfish.ActionInfo). On, Off and
// ForceOff do nothing when the system is already in that state; Reset, Cycle and Soft on a
// system that is off send On, as most BMCs refuse to restart a system that is off.
func (d *Driver) SetPower(ctx context.Context, a fleet.PowerAction) error {
	if err := d.setPower(ctx, a); err != nil {
		return fmt.Errorf("redfish set power %s %s: %w", a, d.base.Host, err)
	}
	return nil
}

func (d *Driver) setPower(ctx context.Context, a fleet.PowerAction) error {
	resetType, ok := resetTypes[a]
	if !ok {
		return fmt.Errorf("unknown power action: %w", fleet.ErrUnsupported)
	}
	sys, _, _, err := d.getSystem(ctx)
	if err != nil {
		return err
	}
	state := powerState(sys.PowerState)
	switch {
	case a == fleet.PowerOn && state == fleet.PowerStateOn,
		(a == fleet.PowerOff || a == fleet.PowerForceOff) && state == fleet.PowerStateOff:
		return nil
	case (a == fleet.PowerReset || a == fleet.PowerCycle || a == fleet.PowerSoft) && state == fleet.PowerStateOff:
		resetType = "On"
	}
	reset := sys.Actions.Reset
	if reset.Target == "" {
		return fmt.Errorf("system has no ComputerSystem.Reset action: %w", fleet.ErrUnsupported)
	}
	allowed := reset.Allowable
	if allowed == nil && reset.ActionInfo != "" {
		if allowed, err = d.allowedFromActionInfo(ctx, reset.ActionInfo, "ResetType"); err != nil {
			return err
		}
	}
	if allowed != nil && !slices.Contains(allowed, resetType) {
		return fmt.Errorf("ResetType %s not in the allowed %v: %w", resetType, allowed, fleet.ErrUnsupported)
	}
	_, err = d.do(ctx, request{method: http.MethodPost, path: reset.Target,
		body: map[string]string{"ResetType": resetType}})
	return err
}

// allowedFromActionInfo reads the allowable values of one parameter from an ActionInfo
// resource; nil when it does not list them.
func (d *Driver) allowedFromActionInfo(ctx context.Context, path, param string) ([]string, error) {
	var info actionInfo
	if _, err := d.getJSON(ctx, path, &info); err != nil {
		return nil, err
	}
	for _, p := range info.Parameters {
		if p.Name == param {
			return p.Allowable, nil
		}
	}
	return nil, nil
}
