package web

import (
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/billing"
	catalogue "github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/order"
)

func fixturePlans() ([]catalogue.Range, []catalogue.Plan, []catalogue.Option) {
	seed := catalogue.DemoSeed()
	var plans []catalogue.Plan
	levels := []catalogue.StockLevel{catalogue.StockAvailable, catalogue.StockLow, catalogue.StockAvailable, catalogue.StockLow, catalogue.StockAvailable, catalogue.StockEmpty}
	for i, sp := range seed.Plans {
		p := sp.Plan
		for _, m := range []int{1, 3, 6, 12, 24} {
			pr := seed.Price(sp, m)
			pr.ValidFrom = fixedTime.Add(-90 * 24 * time.Hour)
			p.Prices = append(p.Prices, pr)
		}
		p.Stock, p.Free = levels[i], sp.Stock
		if p.Stock != catalogue.StockEmpty {
			p.DeliveryEstimateHours = 2
		}
		for _, r := range seed.Ranges {
			if r.Code == p.Range {
				p.SupportLevel = r.SupportLevel
			}
		}
		plans = append(plans, p)
	}
	return seed.Ranges, plans, seed.Options
}

func fixtureOrder(status order.Status) order.Order {
	ranges, plans, opts := fixturePlans()
	_ = ranges
	sel := catalogue.Selection{Plan: plans[0], Price: plans[0].Prices[3], OS: "debian-12",
		Options: []catalogue.Picked{{Option: opts[2], Quantity: 2}}}
	lines, _ := order.Lines(sel, "fr")
	t := billing.Compute(lines, billing.Rule{Scheme: billing.SchemeFrance, BasisPoints: 2000})
	o := order.Order{ID: 31, CustomerID: 7, Status: status, PlanCode: "ECO-1", Range: "ECOGREEN", PlanName: "ECO-1", DurationMonths: 12,
		OSImage: "debian-12", Language: "fr", Currency: "EUR", Lines: t.Lines, VAT: t.VAT, ExclTaxCents: t.ExclTaxCents, TaxCents: t.TaxCents,
		InclTaxCents: t.InclTaxCents, Scheme: billing.SchemeFrance, CreatedAt: fixedTime.Add(-8 * 24 * time.Hour)}
	if status != order.NotPaid {
		o.PaidAt = fixedTime.Add(-8*24*time.Hour + time.Hour)
		o.DeliverableFrom = o.PaidAt
		o.DeliveryDeadline = o.PaidAt.Add(7 * 24 * time.Hour)
		o.InvoiceID = 5
	}
	return o
}

func fixtureInvoices() []billing.Invoice {
	o := fixtureOrder(order.Paid)
	cust := billing.Party{Type: "company", Name: "Camille Martin", Company: "Martin Hébergement SARL", Country: "FR", VATNumber: "FR44732829320"}
	return []billing.Invoice{
		{ID: 6, Kind: billing.KindCreditNote, Number: "A2026-000001", CustomerID: 7, Customer: cust, IssuedAt: fixedTime, DueAt: fixedTime,
			Currency: "EUR", Lines: o.Lines, VAT: o.VAT, ExclTaxCents: o.ExclTaxCents, TaxCents: o.TaxCents, InclTaxCents: o.InclTaxCents,
			Status: billing.Issued, CreditsInvoiceID: 5, CreditsNumber: "F2026-000003"},
		{ID: 5, Kind: billing.KindInvoice, Number: "F2026-000003", CustomerID: 7, Customer: cust, IssuedAt: o.PaidAt, DueAt: o.PaidAt, PaidAt: o.PaidAt,
			Currency: "EUR", Lines: o.Lines, VAT: o.VAT, ExclTaxCents: o.ExclTaxCents, TaxCents: o.TaxCents, InclTaxCents: o.InclTaxCents, Status: billing.Refunded},
		{ID: 4, Kind: billing.KindInvoice, Number: "F2026-000002", CustomerID: 7, Customer: cust, IssuedAt: fixedTime.Add(-40 * 24 * time.Hour),
			DueAt: fixedTime.Add(-30 * 24 * time.Hour), Currency: "EUR", ExclTaxCents: 1999, TaxCents: 400, InclTaxCents: 2399, Status: billing.Unpaid},
	}
}

func fixturePayments() []order.Payment {
	return []order.Payment{
		{ID: 9, CustomerID: 7, OrderID: 31, Method: order.MethodTransfer, Status: order.PaymentPending, AmountCents: 29985, Currency: "EUR",
			Reference: "ITSGOW-C31", CreatedAt: fixedTime},
		{ID: 8, CustomerID: 7, OrderID: 31, Method: order.MethodSandbox, Status: order.PaymentFailed, AmountCents: 29985, Currency: "EUR",
			Reference: "ITSGOW-C31", Failure: "card_declined", CreatedAt: fixedTime.Add(-time.Hour), SettledAt: fixedTime.Add(-time.Hour)},
	}
}

func commerceFixtures() []fixture {
	cust, staff := fixtureCustomer(), fixtureStaff()
	person := cust
	person.Customer = &account.Customer{Type: account.Person, Country: "FR"}
	as := func(a account.Account, nav, here string, data any) *page {
		return &page{Nav: nav, User: &a, CSRF: "csrf-fixture", Here: here, Data: data}
	}
	ranges, plans, opts := fixturePlans()
	// the fleet's stock knows where the servers are: PERF-1 has one free in RBX1, none in GRA2
	plans[2].SitesKnown = true
	plans[2].Datacenters = []catalogue.SiteStock{{Datacenter: "GRA2", Stock: catalogue.StockEmpty},
		{Datacenter: "RBX1", Stock: catalogue.StockLow, Free: 1, DeliveryEstimateHours: 48}}
	catData := func(canOrder bool) catalogData {
		d := catalogData{Durations: []int{1, 3, 6, 12, 24}, Options: opts, CanOrder: canOrder}
		for _, r := range ranges {
			v := rangeView{Range: r}
			for _, p := range plans {
				if p.Range == r.Code {
					v.Plans = append(v.Plans, p)
				}
			}
			d.Ranges = append(d.Ranges, v)
		}
		return d
	}
	late := fixtureOrder(order.Late)
	paid := fixtureOrder(order.Paid)
	paid.ID, paid.PaidAt, paid.DeliveryDeadline = 32, fixedTime.Add(-26*time.Hour), fixedTime.Add(-26*time.Hour+7*24*time.Hour)
	unpaid := fixtureOrder(order.NotPaid)
	unpaid.ID = 33
	preview := fixtureOrder(order.NotPaid)
	preview.ID, preview.DryRun = 0, true
	contracts := []billing.Contract{{ID: 3, CustomerID: 7, PlanCode: "PERF-1", PlanName: "PERF-1", DurationMonths: 12, TermExclTaxCents: 89988,
		StartedAt: fixedTime.Add(-100 * 24 * time.Hour), TermNo: 1, TermEnd: fixedTime.Add(265 * 24 * time.Hour), Renew: billing.RenewAutomatic,
		Status: billing.ContractActive, ServerRef: "srv-3", MainIP: "198.18.0.10"},
		{ID: 2, CustomerID: 7, PlanCode: "ECO-1", PlanName: "ECO-1", DurationMonths: 1, TermExclTaxCents: 1999, StartedAt: fixedTime.Add(-60 * 24 * time.Hour),
			TermEnd: fixedTime.Add(-30 * 24 * time.Hour), Renew: billing.RenewManual, Status: billing.ContractSuspended, TerminateAt: fixedTime.Add(24 * time.Hour)},
		{ID: 1, CustomerID: 7, PlanCode: "ECO-1", PlanName: "ECO-1", DurationMonths: 3, TermExclTaxCents: 5697, StartedAt: fixedTime.Add(-200 * 24 * time.Hour),
			TermEnd: fixedTime.Add(-110 * 24 * time.Hour), Renew: billing.RenewManual, Status: billing.ContractTerminated,
			TerminateAt: fixedTime.Add(-110 * 24 * time.Hour), TerminatedAt: fixedTime.Add(-110 * 24 * time.Hour)}}
	rows := func(os ...order.Order) []orderRow {
		var out []orderRow
		for _, o := range os {
			r := orderRow{Order: o, Late: o.Status == order.Late}
			if o.Status == order.Paid {
				r.Left = int64(o.DeliveryDeadline.Sub(fixedTime) / time.Second)
			}
			out = append(out, r)
		}
		return out
	}
	formData := orderFormData{Plan: plans[2], Options: opts, Values: orderValues{Duration: 12, OS: "debian-12", Qty: map[string]int{"extra-ipv4": 2}, Datacenter: "RBX1"},
		Company: true, IdemToken: "idem-fixture"}
	consumerForm := formData
	consumerForm.Company, consumerForm.Consumer, consumerForm.Preview = false, true, &preview
	consumerForm.Wording = order.ImmediateRequestWording("fr", 14)
	return []fixture{
		{"commerce_catalog", "commerce_catalog", func() *page { return &page{Nav: "catalog", Here: "/catalog", Data: catData(false)} }, nil},
		{"commerce_catalog-customer", "commerce_catalog", func() *page { return as(cust, "catalog", "/catalog", catData(true)) }, nil},
		{"commerce_order_form", "commerce_order_form", func() *page { return as(cust, "catalog", "/order/PERF-1", formData) },
			errs.Fields(errs.FieldError{Field: "vat_number", Message: "must be a valid EU VAT number (country prefix and digits)"},
				errs.FieldError{Field: "opt_extra-ipv4", Message: "must be between 1 and 16"})},
		{"commerce_order_form-preview", "commerce_order_form", func() *page { return as(person, "catalog", "/order/PERF-1", consumerForm) }, nil},
		{"commerce_orders", "commerce_orders", func() *page {
			return as(cust, "orders", "/orders", ordersData{Orders: rows(unpaid, paid, late), Pager: pager{Next: "/orders?before=31"}})
		}, nil},
		{"commerce_orders-empty", "commerce_orders", func() *page { return as(cust, "orders", "/orders", ordersData{}) }, nil},
		{"commerce_order-late", "commerce_order", func() *page {
			return as(cust, "orders", "/orders/31", orderData{Row: rows(late)[0], Payments: fixturePayments()})
		}, nil},
		{"commerce_order-checkout", "commerce_order", func() *page {
			o := unpaid
			o.Consumer, o.ImmediateRequestText, o.ImmediateRequestAt = true, order.ImmediateRequestWording("fr", 14), fixedTime
			p := as(person, "orders", "/orders/33", orderData{Row: orderRow{Order: o, Withdrawable: true}, Methods: []order.Method{order.MethodTransfer, order.MethodSandbox},
				Seller: billing.DefaultSeller(), IdemToken: "idem-fixture", Cards: []string{order.CardOK, order.CardDeclined, order.CardDuplicated}})
			p.Flash = "commerce.flash.payment_started"
			return p
		}, nil},
		{"commerce_invoices", "commerce_invoices", func() *page {
			return as(cust, "invoices", "/invoices", invoicesData{Invoices: fixtureInvoices(), Contracts: contracts, IdemToken: "idem-fixture", CanPay: true})
		}, nil},
		{"commerce_invoices-contract-confirm", "commerce_invoices", func() *page {
			return as(cust, "invoices", "/invoices", invoicesData{Invoices: fixtureInvoices(), Contracts: contracts, IdemToken: "idem-fixture", Failed: 3})
		}, errs.Fields(errs.FieldError{Field: "confirm", Message: "tick the box to confirm the termination"})},
		{"commerce_invoices-contract-conflict", "commerce_invoices", func() *page {
			return as(cust, "invoices", "/invoices", invoicesData{Contracts: contracts, IdemToken: "idem-fixture", Failed: 2})
		}, billing.ErrOfferFrozen},
		{"commerce_invoices-contract-flash", "commerce_invoices", func() *page {
			p := as(cust, "invoices", "/invoices", invoicesData{Contracts: contracts[:1], IdemToken: "idem-fixture"})
			p.Flash = "commerce.flash.contract_ending"
			return p
		}, nil},
		{"staff_commerce_payments", "staff_commerce_payments", func() *page {
			return as(staff, "payments", "/staff/payments", staffPaymentsData{Pending: fixturePayments()[:1], Recent: fixturePayments()})
		}, nil},
		{"staff_commerce_catalog", "staff_commerce_catalog", func() *page {
			return as(staff, "staff_catalog", "/staff/catalog", staffCatalogData{Plans: plans, Durations: []int{1, 3, 6, 12, 24}, Options: opts,
				Plan: "ECO-1", Duration: "12", Setup: "0", Recurring: "-3"})
		}, errs.Fields(errs.FieldError{Field: "recurring", Message: "must be an amount in euros, such as 49.99"})},
		{"staff_commerce_invoices", "staff_commerce_invoices", func() *page {
			return as(staff, "staff_invoices", "/staff/invoices", staffInvoicesData{Kind: "invoice", Invoices: fixtureInvoices(), Pager: pager{First: "/staff/invoices"}})
		}, nil},
		{"staff_commerce_orders", "staff_commerce_orders", func() *page {
			return as(staff, "staff_orders", "/staff/orders", staffOrdersData{Hours: 72, Rows: rows(late, paid)})
		}, nil},
	}
}
