package mitigation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/notify"
)

// Notice kinds (templates internal/notify/templates/<kind>.<fr|en>.txt).
const (
	NoticeStarted = "mitigation_started"
	NoticeRaised  = "mitigation_raised"
	NoticeEnded   = "mitigation_ended"
)

// NoticeData is what the mitigation templates receive: the nature of the attack and the
// expected duration of the protection, with times already written in the recipient's
// language.
type NoticeData struct {
	Name  string
	IP    string
	State string // auto, permanent or forced
	// Nature lists the attack's vectors ("dns-amplification, syn-flood"); empty when staff
	// forced the mitigation without a known attack.
	Nature string
	Level  int
	// Since is when protection went on; MinUntil the end of its hold ("" when none);
	// HoldHours the hold in hours (26); QuietMinutes the quiet period in minutes (15).
	Since        string
	MinUntil     string
	HoldHours    int
	QuietMinutes int
	// PeakBPS and PeakPPS describe the attack, in readable units ("12.5 Gbit/s").
	PeakBPS string
	PeakPPS string
	// Ended is when protection went off (the end notice).
	Ended string
	// Duration is how long protection was on, and Reason why it ended: "expired" (hold over
	// and quiet), "customer" or "staff" (the end notice).
	Duration string
	Reason   string
}

// FormatTime writes an instant for a notice in lang: "25/11/2026 à 09:00 UTC" or
// "2026-11-25 09:00 UTC".
func FormatTime(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return t.UTC().Format("02/01/2006 à 15:04 UTC")
}

// FormatDuration writes a duration, rounded down, as "25 h 59 min" (fr) or "25h 59m" (en);
// days appear from 72 hours on ("3 j 4 h 0 min"), seconds below one minute ("42 s").
func FormatDuration(d time.Duration, lang string) string {
	units := [4]string{"d", "h", "m", "s"}
	sep := ""
	if lang != "en" {
		units = [4]string{"j", "h", "min", "s"}
		sep = " "
	}
	if d < time.Minute {
		return strconv.FormatInt(int64(max(d, 0)/time.Second), 10) + sep + units[3]
	}
	m := int64(d / time.Minute)
	var parts []string
	add := func(n int64, u string) { parts = append(parts, strconv.FormatInt(n, 10)+sep+u) }
	h := m / 60
	if h >= 72 {
		add(h/24, units[0])
		h %= 24
		add(h, units[1])
	} else if h > 0 {
		add(h, units[1])
	}
	add(m%60, units[2])
	return strings.Join(parts, " ")
}

// FormatBPS writes bits per second with a unit: "950 bit/s", "1.2 Mbit/s", "12.5 Gbit/s".
func FormatBPS(bps uint64) string { return scaled(float64(bps), "bit/s") }

// FormatPPS writes packets per second: "1.5 Mpps".
func FormatPPS(pps uint64) string { return scaled(float64(pps), "pps") }

func scaled(v float64, unit string) string {
	for _, p := range []struct {
		f float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= p.f {
			return strconv.FormatFloat(v/p.f, 'f', 1, 64) + " " + p.s + unit
		}
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " " + unit
}

// notice queues kind to the customer of rec about atk (may be zero) in tx. An IP without a
// customer gets no notice.
func (s *Service) notice(ctx context.Context, tx Tx, kind string, rec Record, atk netguard.Attack, dedup string) error {
	if rec.Customer == 0 {
		return nil
	}
	acc, err := tx.AccountByID(ctx, rec.Customer)
	if errs.KindOf(err) == errs.NotFound {
		return nil // the account is gone: nobody to tell
	}
	if err != nil {
		return fmt.Errorf("notice %s: %w", kind, err)
	}
	lang := acc.Language
	d := NoticeData{Name: acc.Name, IP: rec.IP.String(), State: string(rec.State),
		Level: rec.Level, Since: FormatTime(rec.Since, lang), HoldHours: int(s.hold.MinDuration / time.Hour),
		QuietMinutes: int(s.hold.QuietPeriod / time.Minute)}
	if rec.Active() && rec.MinUntil.After(s.Now()) {
		d.MinUntil = FormatTime(rec.MinUntil, lang)
	}
	if len(rec.Vectors) > 0 {
		d.Nature = netguard.JoinVectors(rec.Vectors)
	}
	if atk.ID != 0 {
		d.PeakBPS, d.PeakPPS = FormatBPS(atk.PeakBPS), FormatPPS(atk.PeakPPS)
	}
	_, err = s.deps.Notify.Queue(ctx, tx, notify.Recipient{AccountID: int64(acc.ID), Email: acc.Email, Name: acc.Name, Language: lang},
		kind, d, dedup)
	if err != nil {
		return fmt.Errorf("notice %s: %w", kind, err)
	}
	return nil
}

// Reasons of the end notice.
const (
	EndExpired  = "expired"
	EndCustomer = "customer"
	EndStaff    = "staff"
)

// endNotice queues the end notice of rec, which was on from since.
func (s *Service) endNotice(ctx context.Context, tx Tx, rec Record, since time.Time, reason string) error {
	if rec.Customer == 0 {
		return nil
	}
	acc, err := tx.AccountByID(ctx, rec.Customer)
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notice %s: %w", NoticeEnded, err)
	}
	lang := acc.Language
	d := NoticeData{Name: acc.Name, IP: rec.IP.String(), State: string(netguard.MitigationOff), Level: 0,
		Nature: "", Since: FormatTime(since, lang), Ended: FormatTime(rec.EndedAt, lang),
		Duration: FormatDuration(rec.EndedAt.Sub(since), lang), Reason: reason, HoldHours: int(s.hold.MinDuration / time.Hour),
		QuietMinutes: int(s.hold.QuietPeriod / time.Minute)}
	_, err = s.deps.Notify.Queue(ctx, tx, notify.Recipient{AccountID: int64(acc.ID), Email: acc.Email, Name: acc.Name, Language: lang},
		NoticeEnded, d, dedupKey(NoticeEnded, rec.IP, rec.EndedAt, 0))
	if err != nil {
		return fmt.Errorf("notice %s: %w", NoticeEnded, err)
	}
	return nil
}

func dedupKey(kind string, ip fmt.Stringer, at time.Time, level int) string {
	return fmt.Sprintf("%s:%s:%d:%d", kind, ip, at.UnixMicro(), level)
}

// audit writes one row of the audit log about ip.
func audit(ctx context.Context, tx Tx, now time.Time, actor account.Actor, action string, rec Record, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["state"] = string(rec.State)
	details["level"] = rec.Level
	if len(rec.Vectors) > 0 {
		details["vectors"] = rec.Vectors
	}
	if !rec.MinUntil.IsZero() {
		details["minUntil"] = rec.MinUntil.UTC().Format(time.RFC3339)
	}
	return account.Audit(ctx, tx, now, actor, action, "ip", rec.IP.String(), rec.Customer, details)
}
