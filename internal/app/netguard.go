package app

import (
	"context"

	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/web"
)

// NetguardConfig configures network protection: mitigation, attacks, traffic, edge rules.
type NetguardConfig struct{}

// DefaultNetguardConfig returns its defaults.
func DefaultNetguardConfig() NetguardConfig { return NetguardConfig{} }

// Validate checks it.
func (c NetguardConfig) Validate() error { return nil }

// NetguardParts holds the services and loops of network protection: mitigation, attacks, traffic, edge rules.
type NetguardParts struct{}

// wireNetguard builds network protection: mitigation, attacks, traffic, edge rules.
func (a *App) wireNetguard(ctx context.Context) error { return nil }

// seedNetguard adds the demo data of network protection: mitigation, attacks, traffic, edge rules.
func (a *App) seedNetguard(ctx context.Context, c *DemoCredentials) error { return nil }

// netguardAPI gives the API its services of this capability.
func (a *App) netguardAPI() api.NetguardDeps { return api.NetguardDeps{} }

// netguardWeb gives the web interface its services of this capability.
func (a *App) netguardWeb() web.NetguardDeps { return web.NetguardDeps{} }

// netguardLoops are the long-running loops of this capability for the roles in a.Cfg.Roles.
func (a *App) netguardLoops() []func(context.Context) error { return nil }
