package app

import (
	"context"

	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/web"
)

// FleetConfig configures servers, IPs, provisioning, incidents and planned works.
type FleetConfig struct{}

// DefaultFleetConfig returns its defaults.
func DefaultFleetConfig() FleetConfig { return FleetConfig{} }

// Validate checks it.
func (c FleetConfig) Validate() error { return nil }

// FleetParts holds the services and loops of servers, IPs, provisioning, incidents and planned works.
type FleetParts struct{}

// wireFleet builds servers, IPs, provisioning, incidents and planned works.
func (a *App) wireFleet(ctx context.Context) error { return nil }

// seedFleet adds the demo data of servers, IPs, provisioning, incidents and planned works.
func (a *App) seedFleet(ctx context.Context, c *DemoCredentials) error { return nil }

// fleetAPI gives the API its services of this capability.
func (a *App) fleetAPI() api.FleetDeps { return api.FleetDeps{} }

// fleetWeb gives the web interface its services of this capability.
func (a *App) fleetWeb() web.FleetDeps { return web.FleetDeps{} }

// fleetLoops are the long-running loops of this capability for the roles in a.Cfg.Roles.
func (a *App) fleetLoops() []func(context.Context) error { return nil }
