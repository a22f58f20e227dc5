package web

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/money"
)

// fmtr formats amounts, rates and durations in a page's language; commerce pages embed it in
// their data as F, and templates call {{$d.F.Money .TotalCents $p.Lang}}.
type fmtr struct{}

// Money formats cents in EUR.
func (fmtr) Money(cents int64, lang string) string { return money.Format(cents, money.EUR, lang) }

// Pct formats a rate in basis points.
func (fmtr) Pct(bp int, lang string) string { return money.Percent(bp, lang) }

// Left formats a number of seconds as days, hours and minutes ("2 j 03 h 10 min").
func (fmtr) Left(seconds int64, lang string) string {
	if seconds <= 0 {
		return "0"
	}
	d := time.Duration(seconds) * time.Second
	days := int(d / (24 * time.Hour))
	h := int(d % (24 * time.Hour) / time.Hour)
	m := int(d % time.Hour / time.Minute)
	dayUnit := "j"
	if lang == "en" {
		dayUnit = "d"
	}
	if days > 0 {
		return fmt.Sprintf("%d %s %02d h %02d min", days, dayUnit, h, m)
	}
	if h > 0 {
		return fmt.Sprintf("%d h %02d min", h, m)
	}
	if m == 0 {
		return fmt.Sprintf("%d s", seconds)
	}
	return fmt.Sprintf("%d min", m)
}

// Date formats a day.
func (fmtr) Date(t time.Time, lang string) string {
	if t.IsZero() {
		return "—"
	}
	if lang == "en" {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format("02/01/2006")
}

// commerceFieldPrefixes are the field messages of catalogue, orders and payments that end with a
// value; the catalogue holds each as "field.<prefix>%s".
var commerceFieldPrefixes = []string{"must be between 1 and ", "needs the option ", "must be a VAT number of ", "too many options; at most ",
	"is not a rental duration offered for this plan; months offered: ", "is not a rental duration offered; months offered: ",
	"is not a datacenter of this plan; choose none (any) or one of: ", "must be one of "}

// commerceFlashes are the success messages of the commerce pages (?flash=).
var commerceFlashes = []string{"order_paid", "payment_started", "transfer_started", "order_cancelled", "order_refunded",
	"order_withdrawn", "payment_confirmed", "price_saved", "stock_saved", "order_delivered", "payment_declined",
	"renew_automatic", "renew_manual", "contract_ending", "contract_terminated", "termination_withdrawn"}

// commercePage is newPage plus the commerce flash messages.
func (u *ui) commercePage(r *http.Request, nav string, data any) *page {
	p := u.newPage(r, nav, data)
	if f := r.URL.Query().Get("flash"); slices.Contains(commerceFlashes, f) {
		p.Flash = "commerce.flash." + f
	}
	return p
}

// Badge is the badge colour of a commerce status.
func (fmtr) Badge(status string) string {
	switch status {
	case "paid", "delivered", "active", "succeeded", "issued", "available":
		return "ok"
	case "late", "suspended", "failed", "empty":
		return "failed"
	case "notPaid", "unpaid", "pending", "low", "delivering":
		return "warn"
	case "cancelled", "refunded", "terminated":
		return "revoked"
	}
	return "queued"
}
