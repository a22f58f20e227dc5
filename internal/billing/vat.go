package billing

import (
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// Scheme is the VAT treatment of a sale.
type Scheme string

// VAT schemes.
const (
	SchemeFrance        Scheme = "france"        // French customer: French VAT
	SchemeReverseCharge Scheme = "reverseCharge" // EU business with a valid VAT number: the customer pays the VAT
	SchemeEUConsumer    Scheme = "euConsumer"    // EU consumer (or business without VAT number): the rate of its country
	SchemeOutsideEU     Scheme = "outsideEU"     // outside the EU: no French VAT
)

// Rule is the VAT applied to a customer on a date.
type Rule struct {
	Scheme      Scheme
	Country     string
	BasisPoints int // 2000 = 20 %
}

// day builds a date in UTC.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// StandardRate is a country's standard VAT rate over [From, Until) (Until zero: still in force).
type StandardRate struct {
	Country     string
	BasisPoints int
	From        time.Time
	Until       time.Time
}

// EURates is the table of EU standard VAT rates with their validity, as published by the
// European Commission ("VAT rates applied in the Member States"). Electronically supplied and
// hosting services to EU consumers are taxed at the customer's country's standard rate (OSS).
// France's rate comes from policy.vat_rate_fr_basis_points instead.
var EURates = []StandardRate{
	{"AT", 2000, day(2016, 1, 1), time.Time{}},
	{"BE", 2100, day(1996, 1, 1), time.Time{}},
	{"BG", 2000, day(2007, 1, 1), time.Time{}},
	{"CY", 1900, day(2014, 1, 13), time.Time{}},
	{"CZ", 2100, day(2013, 1, 1), time.Time{}},
	{"DE", 1600, day(2020, 7, 1), day(2021, 1, 1)},
	{"DE", 1900, day(2021, 1, 1), time.Time{}},
	{"DK", 2500, day(1992, 1, 1), time.Time{}},
	{"EE", 2000, day(2009, 7, 1), day(2024, 1, 1)},
	{"EE", 2200, day(2024, 1, 1), day(2025, 7, 1)},
	{"EE", 2400, day(2025, 7, 1), time.Time{}},
	{"ES", 2100, day(2012, 9, 1), time.Time{}},
	{"FI", 2400, day(2013, 1, 1), day(2024, 9, 1)},
	{"FI", 2550, day(2024, 9, 1), time.Time{}},
	{"FR", 2000, day(2014, 1, 1), time.Time{}},
	{"GR", 2400, day(2016, 6, 1), time.Time{}},
	{"HR", 2500, day(2012, 3, 1), time.Time{}},
	{"HU", 2700, day(2012, 1, 1), time.Time{}},
	{"IE", 2300, day(2021, 3, 1), time.Time{}},
	{"IT", 2200, day(2013, 10, 1), time.Time{}},
	{"LT", 2100, day(2009, 9, 1), time.Time{}},
	{"LU", 1600, day(2023, 1, 1), day(2024, 1, 1)},
	{"LU", 1700, day(2024, 1, 1), time.Time{}},
	{"LV", 2100, day(2012, 7, 1), time.Time{}},
	{"MT", 1800, day(2004, 5, 1), time.Time{}},
	{"NL", 2100, day(2012, 10, 1), time.Time{}},
	{"PL", 2300, day(2011, 1, 1), time.Time{}},
	{"PT", 2300, day(2011, 1, 1), time.Time{}},
	{"RO", 1900, day(2017, 1, 1), day(2025, 8, 1)},
	{"RO", 2100, day(2025, 8, 1), time.Time{}},
	{"SE", 2500, day(1990, 7, 1), time.Time{}},
	{"SI", 2200, day(2013, 7, 1), time.Time{}},
	{"SK", 2000, day(2011, 1, 1), day(2025, 1, 1)},
	{"SK", 2300, day(2025, 1, 1), time.Time{}},
}

// InEU reports whether a country (ISO 3166-1 alpha-2) is an EU member state. Greece's VAT
// prefix EL is accepted too.
func InEU(country string) bool {
	if country == "EL" {
		return true
	}
	for _, r := range EURates {
		if r.Country == country {
			return true
		}
	}
	return false
}

// StandardRateAt returns a country's standard rate in force at t.
func StandardRateAt(country string, t time.Time) (int, bool) {
	if country == "EL" {
		country = "GR"
	}
	for _, r := range EURates {
		if r.Country == country && !t.Before(r.From) && (r.Until.IsZero() || t.Before(r.Until)) {
			return r.BasisPoints, true
		}
	}
	return 0, false
}

// RuleFor decides the VAT of a sale to customer c at t. vatNumber is the number the customer
// gave (its account's, or the one on the order); frRate is the French rate (policy).
//   - France: French VAT, for persons and companies alike.
//   - Another EU country, a company with a valid VAT number: reverse charge, no VAT invoiced,
//     mention "Autoliquidation".
//   - Another EU country otherwise: the standard rate of the customer's country at t.
//   - Outside the EU: no VAT.
func RuleFor(c account.Customer, vatNumber string, t time.Time, frRate int) Rule {
	country := strings.ToUpper(c.Country)
	switch {
	case country == "FR" || country == "MC": // Monaco is in the French VAT territory
		return Rule{Scheme: SchemeFrance, Country: country, BasisPoints: frRate}
	case InEU(country):
		if c.Type == account.Company && vatNumber != "" && account.ValidVATNumber(vatNumber) && vatPrefixMatches(vatNumber, country) {
			return Rule{Scheme: SchemeReverseCharge, Country: country}
		}
		bp, _ := StandardRateAt(country, t)
		return Rule{Scheme: SchemeEUConsumer, Country: country, BasisPoints: bp}
	default:
		return Rule{Scheme: SchemeOutsideEU, Country: country}
	}
}

func vatPrefixMatches(vat, country string) bool {
	p := vat[:2]
	return p == country || (p == "EL" && country == "GR")
}

// Mention is the legal mention the scheme requires on the invoice, in French (with the English
// gloss for an English invoice).
func (r Rule) Mention(lang string) string {
	switch r.Scheme {
	case SchemeReverseCharge:
		if lang == "en" {
			return "Autoliquidation — reverse charge: VAT due by the customer (art. 196 of Directive 2006/112/EC, art. 283-2 CGI)"
		}
		return "Autoliquidation — TVA due par le preneur (art. 283-2 du CGI, art. 196 de la directive 2006/112/CE)"
	case SchemeOutsideEU:
		if lang == "en" {
			return "VAT not applicable, art. 259-1 of the French tax code (CGI)"
		}
		return "TVA non applicable, art. 259-1 du CGI"
	}
	return ""
}
