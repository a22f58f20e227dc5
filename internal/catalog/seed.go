package catalog

import "github.com/itsgow/itsgow/internal/money"

// SeedPlan is a plan of a seed catalogue with its one-month price and stock.
type SeedPlan struct {
	Plan         Plan
	MonthlyCents int64 // monthly price of a one-month rental, excluding VAT
	SetupCents   int64 // setup fee of a one-month rental
	Stock        int
}

// Seed is a whole catalogue to write at once (demo, first start).
type Seed struct {
	Ranges  []Range
	Plans   []SeedPlan
	Options []Option
}

// Price derives the price of a duration from the one-month price: longer commitments cost less
// per month (3 months -5 %, 6 months -10 %, 12 months -17.5 %, 24 months -25 %) and the setup
// fee halves at 3 months and disappears from 6 months on.
func (Seed) Price(p SeedPlan, months int) Price {
	pct, setupPct := int64(100_00), int64(100_00)
	switch {
	case months >= 24:
		pct, setupPct = 75_00, 0
	case months >= 12:
		pct, setupPct = 82_50, 0
	case months >= 6:
		pct, setupPct = 90_00, 0
	case months >= 3:
		pct, setupPct = 95_00, 50_00
	}
	monthly := p.MonthlyCents * pct / 100_00 // rounded down: the customer never pays the rounding
	return Price{PlanCode: p.Plan.Code, DurationMonths: months, SetupCents: money.Div(p.SetupCents*setupPct, 100_00),
		RecurringCents: monthly, Currency: money.EUR}
}

var linuxImages = []string{"debian-12", "debian-13", "ubuntu-24.04", "almalinux-9", "rocky-9"}

func images(extra ...string) []string { return append(append([]string{}, linuxImages...), extra...) }

// DemoSeed is the demo catalogue: three ranges (ECOGREEN, PERFORMANCE, ENTERPRISE) of realistic
// servers, and the options of Art. 7.6 and 9.
func DemoSeed() Seed {
	return Seed{
		Ranges: []Range{
			{Code: "ECOGREEN", Name: "ECOGREEN", SupportLevel: SupportNone, Position: 1,
				DescriptionFR: "Serveurs reconditionnés à faible consommation. Sans support technique : demandes de facturation et incidents matériels uniquement.",
				DescriptionEN: "Refurbished low-power servers. No technical support: billing and hardware-incident requests only."},
			{Code: "PERFORMANCE", Name: "Performance", SupportLevel: SupportStandard, Position: 2,
				DescriptionFR: "Processeurs récents et stockage NVMe pour l'hébergement web et applicatif. Support technique aux heures ouvrées.",
				DescriptionEN: "Recent CPUs and NVMe storage for web and application hosting. Technical support during business hours."},
			{Code: "ENTERPRISE", Name: "Enterprise", SupportLevel: SupportPremium, Position: 3,
				DescriptionFR: "Serveurs bi-alimentés, réseau 10 Gbit/s et support technique 24 h/24, 7 j/7.",
				DescriptionEN: "Dual power supplies, 10 Gbit/s network and 24/7 technical support."},
		},
		Plans: []SeedPlan{
			{Plan: Plan{Code: "ECO-1", Range: "ECOGREEN", Name: "ECO-1", Active: true, Position: 1, OSImages: images(),
				Hardware: Hardware{CPU: "Intel Xeon E3-1230 v6", Cores: 4, RAMGiB: 32, Disks: []Disk{{2, 1000, "HDD"}}, NIC: "1 Gbit/s"}},
				MonthlyCents: 1999, SetupCents: 4999, Stock: 8},
			{Plan: Plan{Code: "ECO-2", Range: "ECOGREEN", Name: "ECO-2", Active: true, Position: 2, OSImages: images(),
				Hardware: Hardware{CPU: "Intel Xeon E-2136", Cores: 6, RAMGiB: 64, Disks: []Disk{{2, 480, "SSD"}}, NIC: "1 Gbit/s"}},
				MonthlyCents: 2999, SetupCents: 4999, Stock: 2},
			{Plan: Plan{Code: "PERF-1", Range: "PERFORMANCE", Name: "PERF-1", Active: true, Position: 1, OSImages: images("proxmox-8", "windows-server-2022"),
				Hardware: Hardware{CPU: "AMD Ryzen 9 7950X", Cores: 16, RAMGiB: 128, Disks: []Disk{{2, 1920, "NVMe"}}, NIC: "1 Gbit/s"}},
				MonthlyCents: 8999, SetupCents: 9999, Stock: 6},
			{Plan: Plan{Code: "PERF-2", Range: "PERFORMANCE", Name: "PERF-2", Active: true, Position: 2, OSImages: images("proxmox-8", "windows-server-2022"),
				Hardware: Hardware{CPU: "AMD EPYC 4464P", Cores: 12, RAMGiB: 192, Disks: []Disk{{2, 3840, "NVMe"}}, NIC: "10 Gbit/s"}},
				MonthlyCents: 12999, SetupCents: 9999, Stock: 3},
			{Plan: Plan{Code: "ENT-1", Range: "ENTERPRISE", Name: "ENT-1", Active: true, Position: 1, OSImages: images("proxmox-8", "windows-server-2022"),
				Hardware: Hardware{CPU: "AMD EPYC 9354", Cores: 32, RAMGiB: 256, Disks: []Disk{{2, 960, "NVMe"}, {4, 3840, "NVMe"}}, NIC: "2× 10 Gbit/s"}},
				MonthlyCents: 34999, SetupCents: 19999, Stock: 4},
			{Plan: Plan{Code: "ENT-2", Range: "ENTERPRISE", Name: "ENT-2", Active: true, Position: 2, OSImages: images("proxmox-8", "windows-server-2022"),
				Hardware: Hardware{CPU: "2× AMD EPYC 9454", Cores: 96, RAMGiB: 768, Disks: []Disk{{2, 960, "NVMe"}, {8, 7680, "NVMe"}}, NIC: "2× 25 Gbit/s"}},
				MonthlyCents: 89999, SetupCents: 19999, Stock: 0},
		},
		Options: []Option{
			{Code: "pro-use", Kind: OptionProUse, NameFR: "Usage professionnel (mitigation permanente, profils, pare-feu)", NameEN: "Pro use (permanent mitigation, profiles, firewall)",
				MonthlyCents: 1500, MaxQuantity: 1, Active: true, Position: 1},
			{Code: "edge-firewall", Kind: OptionEdgeFirewall, NameFR: "Pare-feu en bordure du réseau", NameEN: "Edge network firewall",
				MonthlyCents: 1000, MaxQuantity: 1, Requires: "pro-use", Active: true, Position: 2},
			{Code: "extra-ipv4", Kind: OptionExtraIP, NameFR: "Adresse IPv4 supplémentaire", NameEN: "Additional IPv4 address",
				MonthlyCents: 200, SetupCents: 200, MaxQuantity: 16, Active: true, Position: 3},
			{Code: "licence-windows-server", Kind: OptionLicence, NameFR: "Licence Windows Server Standard (16 cœurs)", NameEN: "Windows Server Standard licence (16 cores)",
				MonthlyCents: 2900, MaxQuantity: 4, Active: true, Position: 4},
			{Code: "licence-cpanel", Kind: OptionLicence, NameFR: "Licence cPanel Admin", NameEN: "cPanel Admin licence",
				MonthlyCents: 2600, MaxQuantity: 1, Active: true, Position: 5},
			{Code: "licence-plesk", Kind: OptionLicence, NameFR: "Licence Plesk Web Pro", NameEN: "Plesk Web Pro licence",
				MonthlyCents: 1800, MaxQuantity: 1, Active: true, Position: 6},
		},
	}
}
