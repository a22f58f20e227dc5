// Package catalog owns what itsgow sells (CGU Art. 4 and 10): ranges (gammes, ECOGREEN included)
// with their support level, plans with a hardware profile and OS images, a price per rental
// duration (setup fee and monthly price, kept as a history so that a change applies only to
// orders placed after it), options (pro use, edge firewall, licences, extra IPs) and stock.
//
// Stock comes from a StockSource: the fleet counts its free servers per hardware profile (and,
// as an Estimator, gives the install time the delivery estimate is made of; as a SiteSource, the
// count of each datacenter, since an order naming a datacenter is served there); the store's seeded
// count per plan, edited by staff, is the fallback chosen by configuration.
//
// It is a domain package: it imports account, errs, clock, logkey, money and the standard
// library, and defines the Store it needs. A *Service is safe for concurrent use.
package catalog
