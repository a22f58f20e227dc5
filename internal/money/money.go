// Package money handles amounts as integer cents with an ISO 4217 currency: VAT at a rate in
// basis points (rounded half away from zero, once per total), pro-rata shares, and formatting
// for people in French and English. Nothing here uses floating point.
//
// It imports only the standard library. Its functions are pure and safe for concurrent use.
package money

import (
	"strconv"
	"strings"
)

// EUR is the only currency itsgow sells in today; amounts still carry their currency so that a
// mismatch is caught.
const EUR = "EUR"

// Rate applies a rate in basis points (2000 = 20 %) to cents, rounding half away from zero.
func Rate(cents int64, basisPoints int) int64 {
	return Div(cents*int64(basisPoints), 10000)
}

// Div divides n by d (d > 0) rounding half away from zero.
func Div(n, d int64) int64 {
	if n < 0 {
		return -Div(-n, d)
	}
	return (n + d/2) / d
}

// Share returns cents × part / whole, rounded half away from zero (pro-rata refunds). A part
// outside [0, whole] is clamped.
func Share(cents, part, whole int64) int64 {
	if whole <= 0 || part >= whole {
		return cents
	}
	if part <= 0 {
		return 0
	}
	// part and whole are seconds of a term (at most a few years): cents*part fits in int64
	// for any amount below 10^9 EUR.
	return Div(cents*part, whole)
}

// Format writes cents for people: "1 234,56 €" in French, "€1,234.56" in English.
func Format(cents int64, currency, lang string) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	frac := cents % 100
	sep, dec := ",", "."
	if lang == "fr" {
		sep, dec = "\u202f", ","
	}
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	num := b.String() + dec + strconv.FormatInt(frac/10, 10) + strconv.FormatInt(frac%10, 10)
	sign := ""
	if neg {
		sign = "-"
	}
	sym := Symbol(currency)
	if lang == "fr" {
		return sign + num + "\u00a0" + sym
	}
	if sym == currency {
		return sign + sym + "\u00a0" + num
	}
	return sign + sym + num
}

// Symbol is the currency's usual sign ("€"), or its code.
func Symbol(currency string) string {
	switch currency {
	case "EUR":
		return "€"
	case "USD":
		return "$"
	case "GBP":
		return "£"
	}
	return currency
}

// Percent writes a rate in basis points as a percentage: "20 %" / "20%", "5,5 %" / "5.5%".
func Percent(basisPoints int, lang string) string {
	whole := basisPoints / 100
	frac := basisPoints % 100
	s := strconv.Itoa(whole)
	if frac != 0 {
		f := strconv.Itoa(frac)
		if frac < 10 {
			f = "0" + f
		}
		f = strings.TrimRight(f, "0")
		if lang == "fr" {
			s += "," + f
		} else {
			s += "." + f
		}
	}
	if lang == "fr" {
		return s + "\u00a0%"
	}
	return s + "%"
}
