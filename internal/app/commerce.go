package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/api"
	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/order"
	"github.com/itsgow/itsgow/internal/web"
)

// CommerceConfig configures catalogue, orders, payments, contracts and invoices. The seller's
// identity printed on invoices is commerce.billing.seller.
type CommerceConfig struct {
	// StockSource is where the catalogue's stock comes from: "fleet" (the default) counts the
	// free machines matching each plan's hardware profile (fleet.plan_profiles) and a paid
	// order reserves one in the fleet; "manual" uses the seeded counts staff edit
	// (PUT /staff/catalog/plans/{code}/stock), and a paid order takes one from them.
	StockSource string         `yaml:"stock_source"`
	Catalog     catalog.Config `yaml:"catalog"`
	Orders      order.Config   `yaml:"orders"`
	Billing     billing.Config `yaml:"billing"`
}

// Stock sources (commerce.stock_source).
const (
	StockFromFleet  = "fleet"
	StockFromManual = "manual"
)

// DefaultCommerceConfig returns its defaults.
func DefaultCommerceConfig() CommerceConfig {
	return CommerceConfig{StockSource: StockFromFleet, Catalog: catalog.DefaultConfig(), Orders: order.DefaultConfig(),
		Billing: billing.DefaultConfig()}
}

// Validate checks it.
func (c CommerceConfig) Validate() error {
	var src error
	if c.StockSource != StockFromFleet && c.StockSource != StockFromManual {
		src = fmt.Errorf("commerce.stock_source: %q is not fleet or manual", c.StockSource)
	}
	return errors.Join(src, c.Catalog.Validate(), c.Orders.Validate(), c.Billing.Validate())
}

// CommerceParts holds the services of catalogue, orders, payments, contracts and invoices.
type CommerceParts struct {
	Catalog *catalog.Service
	Orders  *order.Service
	Billing *billing.Service
}

// wireCommerce builds catalogue, orders, payments, contracts and invoices, and registers their
// jobs: the order deadline watch, payment events and the billing cycle (renewals, dunning,
// terminations). The fleet's jobs (order.deliver, order.release, contract.suspend, contract.lift,
// contract.terminate) wait in the queue for the fleet's handlers.
func (a *App) wireCommerce(ctx context.Context) error {
	cfg := a.Cfg.Commerce
	var err error
	c := &a.Commerce
	// the fleet is wired after commerce: FleetStock and fleetInventory reach it when used
	var stock catalog.StockSource = FleetStock{A: a}
	var inventory order.Inventory = fleetInventory{}
	if cfg.StockSource == StockFromManual {
		stock, inventory = a.DB.Stock(), order.SeededInventory{}
	}
	c.Catalog, err = catalog.New(cfg.Catalog, catalog.Deps{Logger: a.Log, Clock: a.Clock, Store: a.DB.Catalog(), Stock: stock,
		Durations: a.Cfg.Policy.RentalDurationsMonths})
	if err != nil {
		return err
	}
	c.Billing, err = billing.New(cfg.Billing, billing.Deps{Logger: a.Log, Clock: a.Clock, Store: a.DB.Billing(), Notify: a.Notify,
		Policy: a.Cfg.Policy, Suspender: billing.JobSuspender{}, PublicURL: a.Cfg.HTTP.PublicURL})
	if err != nil {
		return err
	}
	c.Orders, err = order.New(cfg.Orders, order.Deps{Logger: a.Log, Clock: a.Clock, Store: a.DB.Orders(), Catalog: c.Catalog,
		Billing: c.Billing, Notify: a.Notify, Policy: a.Cfg.Policy, Inventory: inventory,
		Providers: []order.Provider{order.Transfer{}, order.Sandbox{}}, Wake: a.Runner.Wake, PublicURL: a.Cfg.HTTP.PublicURL})
	if err != nil {
		return err
	}
	if _, err := os.Stat(a.CredentialsPath()); err == nil {
		c.Orders.EnableSandbox() // a demo data directory, restarted
	}
	a.Runner.Handle(order.JobPaymentEvent, c.Orders.HandleEventJob)
	a.Runner.Handle(order.JobWatch, c.Orders.HandleWatch)
	a.Runner.Periodic(order.JobWatch, cfg.Orders.WatchEvery)
	a.Runner.Handle(billing.JobCycle, c.Billing.HandleCycle)
	a.Runner.Periodic(billing.JobCycle, cfg.Billing.CycleEvery)
	return nil
}

// seedCommerce seeds the demo catalogue (three ranges, six plans with a price per duration and
// a manual stock count, used with commerce.stock_source: manual, and the options) and turns the sandbox card simulator on.
func (a *App) seedCommerce(ctx context.Context, c *DemoCredentials) error {
	a.Commerce.Orders.EnableSandbox()
	_, err := a.Commerce.Catalog.Seed(ctx, account.Actor{Kind: "system", Label: "demo seed"}, catalog.DemoSeed())
	return err
}

// commerceAPI gives the API its services of this capability.
func (a *App) commerceAPI() api.CommerceDeps {
	return api.CommerceDeps{Catalog: a.Commerce.Catalog, Orders: a.Commerce.Orders, Billing: a.Commerce.Billing}
}

// commerceWeb gives the web interface its services of this capability.
func (a *App) commerceWeb() web.CommerceDeps {
	return web.CommerceDeps{Catalog: a.Commerce.Catalog, Orders: a.Commerce.Orders, Billing: a.Commerce.Billing}
}

// commerceLoops are the long-running loops of this capability: none, its work runs as jobs.
func (a *App) commerceLoops() []func(context.Context) error { return nil }
