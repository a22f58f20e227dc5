package catalog

import "testing"

func TestSeedPricesFallWithTheDuration(t *testing.T) {
	t.Parallel()
	s := DemoSeed()
	if len(s.Ranges) < 3 || s.Ranges[0].Code != "ECOGREEN" || s.Ranges[0].SupportLevel != SupportNone {
		t.Fatalf("ranges: %+v", s.Ranges)
	}
	for _, p := range s.Plans {
		prev := Price{RecurringCents: 1 << 62, SetupCents: 1 << 62}
		for _, m := range []int{1, 3, 6, 12, 24} {
			pr := s.Price(p, m)
			if pr.RecurringCents >= prev.RecurringCents || pr.SetupCents > prev.SetupCents || pr.Currency != "EUR" {
				t.Errorf("%s %d months: %+v after %+v", p.Plan.Code, m, pr, prev)
			}
			prev = pr
		}
		if got := s.Price(p, 1); got.RecurringCents != p.MonthlyCents || got.SetupCents != p.SetupCents {
			t.Errorf("%s one month: %+v", p.Plan.Code, got)
		}
	}
	if d := (Disk{Count: 2, SizeGB: 1920, Kind: "NVMe"}).String(); d != "2× 1.92 TB NVMe" {
		t.Errorf("disk %q", d)
	}
	if d := (Disk{Count: 2, SizeGB: 1000, Kind: "HDD"}).String(); d != "2× 1 TB HDD" {
		t.Errorf("disk %q", d)
	}
}
