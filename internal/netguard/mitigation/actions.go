package mitigation

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
)

// LockedError is the refusal to switch off a mitigation inside the hold of a detection
// (Art. 9): 409 mitigation_locked, with the time left. It is the Cause of the errs.Error.
type LockedError struct {
	Until time.Time
	Left  time.Duration
	Hold  time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("mitigation cannot be switched off before %s (%s left): it holds at least %s after a detection (CGU art. 9)",
		e.Until.UTC().Format(time.RFC3339), e.Left.Round(time.Second), e.Hold)
}

// ProblemExtra adds the time left to the API's problem: secondsLeft and minUntil.
func (e *LockedError) ProblemExtra() map[string]any {
	return map[string]any{"secondsLeft": int64((e.Left + time.Second - 1) / time.Second), "minUntil": e.Until.UTC().Format(time.RFC3339)}
}

func (s *Service) lockedErr(until time.Time, left time.Duration) error {
	le := &LockedError{Until: until, Left: left, Hold: s.hold.MinDuration}
	return &errs.Error{Kind: errs.Conflict, Code: "mitigation_locked", Msg: le.Error(), Cause: le}
}

var (
	errProUse = errs.Coded(errs.Forbidden, "pro_use_required",
		"this needs the pro-use option on the server of this IP (CGU art. 9, option pro)")
	errForced = errs.Coded(errs.Conflict, "mitigation_forced", "staff forced this mitigation: only staff can release it")
)

// change runs fn on the locked row of ip in a transaction and saves it. fn returns the action
// to audit ("" to save nothing).
func (s *Service) change(ctx context.Context, ip netip.Addr, actor account.Actor, fn func(tx Tx, rec *Record, now time.Time) (string, error)) (Record, error) {
	var rec Record
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		rec, err = lockRecord(ctx, tx, ip)
		if err != nil {
			return err
		}
		now := s.Now()
		before := rec
		action, err := fn(tx, &rec, now)
		if err != nil || action == "" {
			return err
		}
		rec.UpdatedAt = now
		if err := tx.SaveMitigationRecord(ctx, rec); err != nil {
			return err
		}
		tx.AfterCommit(s.wake)
		s.changed(tx, before, rec, time.Time{})
		return audit(ctx, tx, now, actor, action, rec, nil)
	})
	return rec, err
}

// SetPermanent switches the mitigation of a customer's IP on in advance (permanent) or off
// (Art. 9 Pro). Switching off inside the hold of a detection is refused with
// mitigation_locked and the time left; a forced mitigation belongs to staff.
func (s *Service) SetPermanent(ctx context.Context, actor account.Actor, customer account.ID, ip netip.Addr, on bool) (IPView, error) {
	o, err := s.own(ctx, customer, ip)
	if err != nil {
		return IPView{}, err
	}
	rec, err := s.change(ctx, ip, actor, func(tx Tx, rec *Record, now time.Time) (string, error) {
		if !rec.ProUse {
			return "", errProUse
		}
		if rec.State == netguard.MitigationForced {
			return "", errForced
		}
		if on {
			switch rec.State {
			case netguard.MitigationPermanent:
				return "", nil
			case netguard.MitigationAuto:
				rec.State = netguard.MitigationPermanent
			default:
				rec.Mitigation = netguard.Mitigation{IP: ip, State: netguard.MitigationPermanent, Since: now, Profile: rec.Profile,
					MinUntil: rec.MinUntil, LastAbove: rec.LastAbove, AttackID: rec.AttackID}
			}
			if rec.Customer == 0 {
				rec.Customer = o.Customer
			}
			return "mitigation.permanent.on", nil
		}
		if !rec.Active() {
			return "", nil
		}
		if locked, left := s.hold.Locked(rec.Mitigation, now); locked {
			return "", s.lockedErr(rec.MinUntil, left)
		}
		since := rec.Since
		rec.Mitigation = rec.End(now)
		return "mitigation.permanent.off", s.endNotice(ctx, tx, *rec, since, EndCustomer)
	})
	if err != nil {
		return IPView{}, err
	}
	return s.view(o, rec, s.Now()), nil
}

// SetProfile chooses the protection profile of a customer's IP, used by detection and at each
// activation (Art. 9 Pro).
func (s *Service) SetProfile(ctx context.Context, actor account.Actor, customer account.ID, ip netip.Addr, profile string) (IPView, error) {
	o, err := s.own(ctx, customer, ip)
	if err != nil {
		return IPView{}, err
	}
	if !slices.Contains(s.deps.Profiles, profile) {
		return IPView{}, errs.Fields(errs.FieldError{Field: "profile", Message: "unknown profile"})
	}
	rec, err := s.change(ctx, ip, actor, func(tx Tx, rec *Record, now time.Time) (string, error) {
		if !rec.ProUse && customer != 0 {
			return "", errProUse
		}
		if rec.Profile == profile {
			return "", nil
		}
		rec.Profile = profile
		if rec.Customer == 0 {
			rec.Customer = o.Customer
		}
		return "mitigation.profile", nil
	})
	if err != nil {
		return IPView{}, err
	}
	if s.deps.Track != nil {
		s.deps.Track(ip, profile)
	}
	return s.view(o, rec, s.Now()), nil
}

// SetProUse sets the pro-use option of an IP (staff, until commerce sells it per server).
func (s *Service) SetProUse(ctx context.Context, actor account.Actor, ip netip.Addr, on bool) (IPView, error) {
	o, err := s.own(ctx, 0, ip)
	if err != nil {
		return IPView{}, err
	}
	rec, err := s.change(ctx, ip, actor, func(tx Tx, rec *Record, now time.Time) (string, error) {
		if rec.ProUse == on {
			return "", nil
		}
		rec.ProUse = on
		if rec.Customer == 0 {
			rec.Customer = o.Customer
		}
		return "mitigation.pro_use", nil
	})
	if err != nil {
		return IPView{}, err
	}
	return s.view(o, rec, s.Now()), nil
}

func checkLevel(level int) error {
	if level < netguard.LevelDrop || level > netguard.MaxLevel {
		return errs.Fields(errs.FieldError{Field: "level", Message: "must be 1, 2 or 3"})
	}
	return nil
}

// Force switches the mitigation of ip on by staff decision (forced) at level, whatever the
// detector says; the customer is told.
func (s *Service) Force(ctx context.Context, actor account.Actor, ip netip.Addr, level int, reason string) (IPView, error) {
	if err := checkLevel(level); err != nil {
		return IPView{}, err
	}
	o, err := s.own(ctx, 0, ip)
	if err != nil {
		return IPView{}, err
	}
	rec, err := s.change(ctx, ip, actor, func(tx Tx, rec *Record, now time.Time) (string, error) {
		was := rec.Mitigation
		if !rec.Active() {
			rec.Since, rec.Vectors, rec.Level, rec.EndedAt = now, nil, 0, time.Time{}
		}
		if rec.Customer == 0 || !was.Active() {
			rec.Customer = o.Customer
		}
		rec.State = netguard.MitigationForced
		raised := level > rec.Level
		rec.Level = max(rec.Level, level)
		switch {
		case !was.Active() || was.Level == netguard.LevelNone:
			return "mitigation.force", s.notice(ctx, tx, NoticeStarted, *rec, netguard.Attack{}, dedupKey(NoticeStarted, ip, rec.Since, rec.Level))
		case raised:
			return "mitigation.force", s.notice(ctx, tx, NoticeRaised, *rec, netguard.Attack{}, dedupKey(NoticeRaised, ip, rec.Since, rec.Level))
		}
		return "mitigation.force", nil
	})
	if err != nil {
		return IPView{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "mitigation forced", slog.String(logkey.Prefix, ip.String()), slog.Int("level", rec.Level),
		slog.String("reason", reason), slog.Int64(logkey.StaffID, int64(actor.ID)))
	return s.view(o, rec, s.Now()), nil
}

// Raise raises an active mitigation to level (staff); the customer is told.
func (s *Service) Raise(ctx context.Context, actor account.Actor, ip netip.Addr, level int, reason string) (IPView, error) {
	if err := checkLevel(level); err != nil {
		return IPView{}, err
	}
	o, err := s.own(ctx, 0, ip)
	if err != nil {
		return IPView{}, err
	}
	rec, err := s.change(ctx, ip, actor, func(tx Tx, rec *Record, now time.Time) (string, error) {
		if !rec.Active() {
			return "", errs.Coded(errs.Conflict, "mitigation_off", "the mitigation is off: force it first")
		}
		if level <= rec.Level {
			return "", errs.Fields(errs.FieldError{Field: "level", Message: fmt.Sprintf("must be above the current level %d", rec.Level)})
		}
		first := rec.Level == netguard.LevelNone
		rec.Level = level
		kind := NoticeRaised
		if first {
			kind = NoticeStarted
		}
		return "mitigation.raise", s.notice(ctx, tx, kind, *rec, netguard.Attack{}, dedupKey(kind, ip, rec.Since, rec.Level))
	})
	if err != nil {
		return IPView{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "mitigation raised", slog.String(logkey.Prefix, ip.String()), slog.Int("level", rec.Level),
		slog.String("reason", reason), slog.Int64(logkey.StaffID, int64(actor.ID)))
	return s.view(o, rec, s.Now()), nil
}

// Release ends a forced or permanent mitigation by staff decision. Inside the hold of a
// detection it goes back to automatic (the contract binds the host too); otherwise it ends and
// the customer is told.
func (s *Service) Release(ctx context.Context, actor account.Actor, ip netip.Addr, reason string) (IPView, error) {
	o, err := s.own(ctx, 0, ip)
	if err != nil {
		return IPView{}, err
	}
	rec, err := s.change(ctx, ip, actor, func(tx Tx, rec *Record, now time.Time) (string, error) {
		if !rec.Active() {
			return "", nil
		}
		if locked, left := s.hold.Locked(rec.Mitigation, now); locked {
			if rec.State == netguard.MitigationAuto {
				return "", s.lockedErr(rec.MinUntil, left)
			}
			rec.State = netguard.MitigationAuto
			return "mitigation.release", nil
		}
		since := rec.Since
		rec.Mitigation = rec.End(now)
		return "mitigation.release", s.endNotice(ctx, tx, *rec, since, EndStaff)
	})
	if err != nil {
		return IPView{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "mitigation released", slog.String(logkey.Prefix, ip.String()),
		slog.String("state", string(rec.State)), slog.String("reason", reason), slog.Int64(logkey.StaffID, int64(actor.ID)))
	return s.view(o, rec, s.Now()), nil
}

// Expire ends the automatic mitigations whose hold is over and whose IP has been quiet for
// the quiet period (HoldRules.Withdrawable on stored timestamps, so a restart changes
// nothing), and closes attack reports left open by a collector that stopped. It returns how
// many mitigations ended.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	recs, err := s.deps.Store.MitigationRecords(ctx, true)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		if !s.hold.Withdrawable(r.Mitigation, now, r.LastAbove) {
			continue
		}
		var ended Record
		err := s.deps.Store.InTx(ctx, func(tx Tx) error {
			rec, err := lockRecord(ctx, tx, r.IP)
			if err != nil || !s.hold.Withdrawable(rec.Mitigation, now, rec.LastAbove) {
				return err
			}
			since, before := rec.Since, rec
			rec.Mitigation = rec.End(now)
			rec.UpdatedAt = now
			if err := tx.SaveMitigationRecord(ctx, rec); err != nil {
				return err
			}
			s.changed(tx, before, rec, time.Time{})
			if err := audit(ctx, tx, now, account.System, "mitigation.end", rec, map[string]any{"since": since.UTC().Format(time.RFC3339)}); err != nil {
				return err
			}
			ended = rec
			tx.AfterCommit(s.wake)
			return s.endNotice(ctx, tx, rec, since, EndExpired)
		})
		if err != nil {
			return n, fmt.Errorf("end mitigation of %s: %w", r.IP, err)
		}
		if ended.IP.IsValid() {
			n++
			s.log.LogAttrs(ctx, slog.LevelInfo, "mitigation ended", slog.String(logkey.Prefix, r.IP.String()))
		}
	}
	return n, s.closeStale(ctx, now)
}

// closeStale ends the reports of attacks nobody follows any more (the collector restarted)
// once they have been quiet for the quiet period.
func (s *Service) closeStale(ctx context.Context, now time.Time) error {
	open, err := s.deps.Store.ListAttacks(ctx, AttackFilter{Ongoing: true, Limit: 500})
	if err != nil {
		return err
	}
	s.mu.Lock()
	followed := map[netip.Prefix]bool{}
	for ip, t := range s.open {
		if t.attack.ID != 0 {
			followed[netip.PrefixFrom(ip, ip.BitLen())] = true
		}
	}
	for p, t := range s.prefixes {
		if t.attack.ID != 0 {
			followed[p] = true
		}
	}
	s.mu.Unlock()
	for _, a := range open {
		if followed[a.Target()] || now.Before(a.LastAbove.Add(s.hold.QuietPeriod)) {
			continue
		}
		a.EndedAt = a.LastAbove
		if err := s.deps.Store.InTx(ctx, func(tx Tx) error { return tx.UpdateAttack(ctx, a) }); err != nil {
			return err
		}
	}
	return nil
}
