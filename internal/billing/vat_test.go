package billing

import (
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

func TestRuleFor(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		c      account.Customer
		vat    string
		at     time.Time
		scheme Scheme
		bp     int
	}{
		{"French company", account.Customer{Type: account.Company, Country: "FR"}, "FR44732829320", at, SchemeFrance, 2000},
		{"French person", account.Customer{Type: account.Person, Country: "FR"}, "", at, SchemeFrance, 2000},
		{"Monaco", account.Customer{Type: account.Person, Country: "MC"}, "", at, SchemeFrance, 2000},
		{"Belgian company with VAT number", account.Customer{Type: account.Company, Country: "BE"}, "BE0123456749", at, SchemeReverseCharge, 0},
		{"Greek company, EL prefix", account.Customer{Type: account.Company, Country: "GR"}, "EL123456789", at, SchemeReverseCharge, 0},
		{"German company without VAT number", account.Customer{Type: account.Company, Country: "DE"}, "", at, SchemeEUConsumer, 1900},
		{"German company, another country's number", account.Customer{Type: account.Company, Country: "DE"}, "BE0123456749", at, SchemeEUConsumer, 1900},
		{"German person", account.Customer{Type: account.Person, Country: "DE"}, "", at, SchemeEUConsumer, 1900},
		{"person with a VAT number is still a consumer", account.Customer{Type: account.Person, Country: "IT"}, "IT12345678901", at, SchemeEUConsumer, 2200},
		{"Estonia before July 2025", account.Customer{Type: account.Person, Country: "EE"}, "", time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC), SchemeEUConsumer, 2200},
		{"Estonia from July 2025", account.Customer{Type: account.Person, Country: "EE"}, "", time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), SchemeEUConsumer, 2400},
		{"Finland 2024-08", account.Customer{Type: account.Person, Country: "FI"}, "", time.Date(2024, 8, 31, 12, 0, 0, 0, time.UTC), SchemeEUConsumer, 2400},
		{"Finland 2024-09", account.Customer{Type: account.Person, Country: "FI"}, "", time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), SchemeEUConsumer, 2550},
		{"Switzerland", account.Customer{Type: account.Company, Country: "CH"}, "", at, SchemeOutsideEU, 0},
		{"United States person", account.Customer{Type: account.Person, Country: "US"}, "", at, SchemeOutsideEU, 0},
		{"United Kingdom", account.Customer{Type: account.Company, Country: "GB"}, "GB123456789", at, SchemeOutsideEU, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := RuleFor(tc.c, tc.vat, tc.at, 2000)
			if r.Scheme != tc.scheme || r.BasisPoints != tc.bp {
				t.Errorf("RuleFor = %+v, want %s at %d", r, tc.scheme, tc.bp)
			}
		})
	}
	if m := (Rule{Scheme: SchemeReverseCharge}).Mention("fr"); m == "" || m[:len("Autoliquidation")] != "Autoliquidation" {
		t.Errorf("reverse-charge mention %q", m)
	}
	if (Rule{Scheme: SchemeFrance}).Mention("fr") != "" {
		t.Error("French VAT needs no mention")
	}
}

func TestEURatesDoNotOverlap(t *testing.T) {
	t.Parallel()
	for i, a := range EURates {
		for _, b := range EURates[i+1:] {
			if a.Country != b.Country {
				continue
			}
			aEnd, bEnd := a.Until, b.Until
			if aEnd.IsZero() {
				aEnd = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			if bEnd.IsZero() {
				bEnd = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			if a.From.Before(bEnd) && b.From.Before(aEnd) {
				t.Errorf("%s: rates overlap: %+v %+v", a.Country, a, b)
			}
		}
	}
	n := map[string]bool{}
	for _, r := range EURates {
		n[r.Country] = true
	}
	if len(n) != 27 {
		t.Errorf("%d member states, want 27", len(n))
	}
}

func TestComputeRoundsPerRate(t *testing.T) {
	t.Parallel()
	// three lines of 0.33 EUR at 20 %: VAT on the 0.99 base is 0.20, not 3 × 0.07
	tot := Compute([]Line{{Quantity: 1, UnitCents: 33}, {Quantity: 1, UnitCents: 33}, {Quantity: 1, UnitCents: 33}}, Rule{BasisPoints: 2000})
	if tot.ExclTaxCents != 99 || tot.TaxCents != 20 || tot.InclTaxCents != 119 || len(tot.VAT) != 1 {
		t.Fatalf("%+v", tot)
	}
	tot = Compute([]Line{{Quantity: 12, UnitCents: 1649}}, Rule{Scheme: SchemeReverseCharge})
	if tot.TaxCents != 0 || tot.InclTaxCents != 19788 || tot.Lines[0].TotalCents != 19788 {
		t.Fatalf("reverse charge: %+v", tot)
	}
}

func TestAddMonths(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 9, 30, 0, 0, time.UTC) }
	for _, tc := range []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{d(2026, 1, 31), 1, d(2026, 2, 28)}, {d(2028, 1, 31), 1, d(2028, 2, 29)}, {d(2026, 3, 15), 12, d(2027, 3, 15)},
		{d(2026, 8, 31), 3, d(2026, 11, 30)}, {d(2026, 11, 30), 24, d(2028, 11, 30)}, {d(2026, 12, 31), 1, d(2027, 1, 31)},
	} {
		if got := AddMonths(tc.from, tc.n); !got.Equal(tc.want) {
			t.Errorf("AddMonths(%v, %d) = %v, want %v", tc.from, tc.n, got, tc.want)
		}
	}
}

// A contract begun on the 31st ends its terms on the last day of short months and on the 31st
// again after them: terms count from the start, they do not chain from each term's end.
func TestNextTermEndKeepsTheDay(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 1, 31, 9, 30, 0, 0, time.UTC)
	c := Contract{StartedAt: start, DurationMonths: 1, TermNo: 1, TermEnd: AddMonths(start, 1)}
	for _, want := range []time.Time{
		time.Date(2027, 3, 31, 9, 30, 0, 0, time.UTC), time.Date(2027, 4, 30, 9, 30, 0, 0, time.UTC),
		time.Date(2027, 5, 31, 9, 30, 0, 0, time.UTC),
	} {
		got := c.NextTermEnd()
		if !got.Equal(want) {
			t.Fatalf("term %d ends %v, want %v", c.TermNo+1, got, want)
		}
		c.TermNo, c.TermEnd = c.TermNo+1, got
	}
	q := Contract{StartedAt: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), DurationMonths: 3, TermNo: 1}
	if got, want := q.NextTermEnd(), time.Date(2027, 5, 30, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("second quarter ends %v, want %v", got, want)
	}
}
