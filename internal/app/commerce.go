package app

import (
	"context"
	"errors"
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
	Catalog catalog.Config `yaml:"catalog"`
	Orders  order.Config   `yaml:"orders"`
	Billing billing.Config `yaml:"billing"`
}

// DefaultCommerceConfig returns its defaults.
func DefaultCommerceConfig() CommerceConfig {
	return CommerceConfig{Catalog: catalog.DefaultConfig(), Orders: order.DefaultConfig(), Billing: billing.DefaultConfig()}
}

// Validate checks it.
func (c CommerceConfig) Validate() error {
	return errors.Join(c.Catalog.Validate(), c.Orders.Validate(), c.Billing.Validate())
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
	c.Catalog, err = catalog.New(cfg.Catalog, catalog.Deps{Logger: a.Log, Clock: a.Clock, Store: a.DB.Catalog(), Stock: a.DB.Stock(),
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
		Billing: c.Billing, Notify: a.Notify, Policy: a.Cfg.Policy, Inventory: order.SeededInventory{},
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
// a stock count, and the options) and turns the sandbox card simulator on.
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
