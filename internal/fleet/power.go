package fleet

// PowerState is the chassis power state a driver observed.
type PowerState string

// The power states. Drivers map transitional states to where the transition goes (Redfish
// "PoweringOn" is PowerStateOn), and anything they cannot read or do not know to
// PowerStateUnknown.
const (
	PowerStateOn      PowerState = "on"
	PowerStateOff     PowerState = "off"
	PowerStateUnknown PowerState = "unknown"
)

// PowerAction is a power order given to a BMC.
type PowerAction string

// The power actions.
const (
	PowerOn       PowerAction = "on"        // power on; nothing when already on
	PowerOff      PowerAction = "off"       // graceful shutdown (ACPI power button); nothing when already off
	PowerForceOff PowerAction = "force-off" // cut the power at once; nothing when already off
	PowerReset    PowerAction = "reset"     // hard reset, power stays on
	PowerCycle    PowerAction = "cycle"     // power off then on
	PowerSoft     PowerAction = "soft"      // graceful (ACPI) reboot by the operating system
)

// PowerActions lists every action, in a stable order.
func PowerActions() []PowerAction {
	return []PowerAction{PowerOn, PowerOff, PowerForceOff, PowerReset, PowerCycle, PowerSoft}
}

// Valid reports whether a is one of the power actions.
func (a PowerAction) Valid() bool {
	switch a {
	case PowerOn, PowerOff, PowerForceOff, PowerReset, PowerCycle, PowerSoft:
		return true
	}
	return false
}

// BootDevice is a device a server can boot from.
type BootDevice string

// The boot devices.
const (
	BootPXE   BootDevice = "pxe"   // network boot
	BootDisk  BootDevice = "disk"  // first local disk
	BootCDROM BootDevice = "cdrom" // CD/DVD, including the BMC's virtual media
	BootBIOS  BootDevice = "bios"  // firmware setup
)

// Valid reports whether d is one of the boot devices.
func (d BootDevice) Valid() bool {
	switch d {
	case BootPXE, BootDisk, BootCDROM, BootBIOS:
		return true
	}
	return false
}
