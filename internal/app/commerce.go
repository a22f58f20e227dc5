package app

import (
	"context"

	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/web"
)

// CommerceConfig configures catalogue, orders, payments, contracts and invoices.
type CommerceConfig struct{}

// DefaultCommerceConfig returns its defaults.
func DefaultCommerceConfig() CommerceConfig { return CommerceConfig{} }

// Validate checks it.
func (c CommerceConfig) Validate() error { return nil }

// CommerceParts holds the services and loops of catalogue, orders, payments, contracts and invoices.
type CommerceParts struct{}

// wireCommerce builds catalogue, orders, payments, contracts and invoices.
func (a *App) wireCommerce(ctx context.Context) error { return nil }

// seedCommerce adds the demo data of catalogue, orders, payments, contracts and invoices.
func (a *App) seedCommerce(ctx context.Context, c *DemoCredentials) error { return nil }

// commerceAPI gives the API its services of this capability.
func (a *App) commerceAPI() api.CommerceDeps { return api.CommerceDeps{} }

// commerceWeb gives the web interface its services of this capability.
func (a *App) commerceWeb() web.CommerceDeps { return web.CommerceDeps{} }

// commerceLoops are the long-running loops of this capability for the roles in a.Cfg.Roles.
func (a *App) commerceLoops() []func(context.Context) error { return nil }
