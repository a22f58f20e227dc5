package money

import "testing"

func TestRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cents int64
		bp    int
		want  int64
	}{
		{10000, 2000, 2000}, {1999, 2000, 400}, {1, 2000, 0}, {3, 2000, 1}, {2, 2500, 1}, {-1999, 2000, -400},
		{12345, 550, 679}, {100, 0, 0}, {4999, 2550, 1275},
	} {
		if got := Rate(tc.cents, tc.bp); got != tc.want {
			t.Errorf("Rate(%d, %d) = %d, want %d", tc.cents, tc.bp, got, tc.want)
		}
	}
}

func TestShare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cents, part, whole, want int64 }{
		{10000, 1, 2, 5000}, {10000, 0, 30, 0}, {10000, 30, 30, 10000}, {10000, 40, 30, 10000}, {999, 1, 3, 333}, {1000, 1, 3, 333}, {1001, 2, 3, 667},
	} {
		if got := Share(tc.cents, tc.part, tc.whole); got != tc.want {
			t.Errorf("Share(%d, %d, %d) = %d, want %d", tc.cents, tc.part, tc.whole, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cents     int64
		cur, lang string
		want      string
	}{
		{123456, "EUR", "fr", "1\u202f234,56\u00a0€"},
		{123456, "EUR", "en", "€1,234.56"},
		{5, "EUR", "en", "€0.05"},
		{-4000, "EUR", "fr", "-40,00\u00a0€"},
		{100000000, "EUR", "en", "€1,000,000.00"},
		{1000, "CHF", "en", "CHF\u00a010.00"},
	} {
		if got := Format(tc.cents, tc.cur, tc.lang); got != tc.want {
			t.Errorf("Format(%d, %s, %s) = %q, want %q", tc.cents, tc.cur, tc.lang, got, tc.want)
		}
	}
	if got := Percent(2000, "fr"); got != "20\u00a0%" {
		t.Errorf("Percent fr: %q", got)
	}
	if got := Percent(550, "en"); got != "5.5%" {
		t.Errorf("Percent en: %q", got)
	}
	if got := Percent(2550, "fr"); got != "25,5\u00a0%" {
		t.Errorf("Percent 25.5 fr: %q", got)
	}
	if got := Percent(2105, "en"); got != "21.05%" {
		t.Errorf("Percent 21.05: %q", got)
	}
}
