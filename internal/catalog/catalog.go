package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SupportLevel is the technical support a range comes with (Art. 3).
type SupportLevel string

// Support levels. ECOGREEN has none: billing and hardware-incident requests only.
const (
	SupportNone     SupportLevel = "billingAndHardwareOnly"
	SupportStandard SupportLevel = "standard"
	SupportPremium  SupportLevel = "premium24x7"
)

// Range is a family of plans (a "gamme").
type Range struct {
	Code          string
	Name          string
	DescriptionFR string
	DescriptionEN string
	SupportLevel  SupportLevel
	Position      int
}

// Description returns the range's description in lang.
func (r Range) Description(lang string) string {
	if lang == "en" {
		return r.DescriptionEN
	}
	return r.DescriptionFR
}

// Disk is a group of identical disks.
type Disk struct {
	Count  int    `json:"count"`
	SizeGB int    `json:"sizeGb"`
	Kind   string `json:"kind"` // HDD, SSD, NVMe
}

func (d Disk) String() string {
	size := fmt.Sprintf("%d GB", d.SizeGB)
	if d.SizeGB >= 1000 && d.SizeGB%10 == 0 {
		size = strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", float64(d.SizeGB)/1000), "0"), ".0") + " TB"
	}
	return fmt.Sprintf("%d× %s %s", d.Count, size, d.Kind)
}

// Hardware is a plan's hardware profile; the fleet matches free servers against it.
type Hardware struct {
	CPU    string
	Cores  int
	RAMGiB int
	Disks  []Disk
	NIC    string
}

// DisksText lists the disks for people.
func (h Hardware) DisksText() string {
	parts := make([]string, len(h.Disks))
	for i, d := range h.Disks {
		parts[i] = d.String()
	}
	return strings.Join(parts, " + ")
}

// Price is a plan's price for one rental duration, valid from a time on. Amounts exclude VAT.
type Price struct {
	ID             int64
	PlanCode       string
	DurationMonths int
	SetupCents     int64
	RecurringCents int64 // per month
	Currency       string
	ValidFrom      time.Time
	CreatedBy      string
}

// TermCents is the price of the whole rental term (setup excluded).
func (p Price) TermCents() int64 { return p.RecurringCents * int64(p.DurationMonths) }

// StockLevel tells how many matching servers are free.
type StockLevel string

// Stock levels.
const (
	StockEmpty     StockLevel = "empty"
	StockLow       StockLevel = "low"
	StockAvailable StockLevel = "available"
)

// Plan is something a customer orders: a hardware profile in a range, with prices per duration.
type Plan struct {
	Code     string
	Range    string
	Name     string
	Hardware Hardware
	OSImages []string
	Active   bool
	Position int

	// Filled by the service when it lists plans:
	SupportLevel          SupportLevel
	Prices                []Price // current price of each offered duration, shortest first
	Stock                 StockLevel
	Free                  int
	DeliveryEstimateHours int
	// SitesKnown tells that the stock source knows where its servers are (the fleet): Datacenters
	// then lists, by code, every datacenter holding servers of the plan's profile, with its own
	// stock, and an order naming a datacenter is checked against that datacenter's stock.
	SitesKnown  bool
	Datacenters []SiteStock
}

// SiteStock is a plan's stock in one datacenter: the fleet takes an order's machine in the
// datacenter the order names.
type SiteStock struct {
	Datacenter            string
	Stock                 StockLevel
	Free                  int
	DeliveryEstimateHours int
}

// Site returns the plan's stock in a datacenter (the code compared without case).
func (p Plan) Site(code string) (SiteStock, bool) {
	for _, d := range p.Datacenters {
		if strings.EqualFold(d.Datacenter, code) {
			return d, true
		}
	}
	return SiteStock{}, false
}

// PriceFor returns the current price of a duration.
func (p Plan) PriceFor(months int) (Price, bool) {
	for _, x := range p.Prices {
		if x.DurationMonths == months {
			return x, true
		}
	}
	return Price{}, false
}

// HasOS reports whether the plan offers an OS image.
func (p Plan) HasOS(image string) bool { return slices.Contains(p.OSImages, image) }

// OptionKind is the kind of an option.
type OptionKind string

// Option kinds (Art. 7.6, 9 Pro).
const (
	OptionProUse       OptionKind = "proUse"
	OptionEdgeFirewall OptionKind = "edgeFirewall"
	OptionLicence      OptionKind = "licence"
	OptionExtraIP      OptionKind = "extraIp"
)

// Option is something added to a server, billed monthly.
type Option struct {
	Code         string
	Kind         OptionKind
	NameFR       string
	NameEN       string
	MonthlyCents int64
	SetupCents   int64
	MaxQuantity  int
	Requires     string // code of an option this one needs ("" for none)
	Active       bool
	Position     int
}

// Name returns the option's name in lang.
func (o Option) Name(lang string) string {
	if lang == "en" {
		return o.NameEN
	}
	return o.NameFR
}

// Choice is an option picked in an order, with its quantity.
type Choice struct {
	Code     string
	Quantity int
}

// Picked is a choice resolved against the catalogue.
type Picked struct {
	Option   Option
	Quantity int
}

// Selection is a plan, duration, OS image and options, checked against the catalogue.
type Selection struct {
	Plan    Plan
	Price   Price
	OS      string
	Options []Picked
}
