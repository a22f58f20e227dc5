package mitigation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
)

// tracked is an attack the detector reports, as the service follows it between ticks.
type tracked struct {
	attack   netguard.Attack // ID 0 while not confirmed
	customer account.ID
	current  detect.Rate
	quiet    bool
	// armed: the IP is under a permanent or forced mitigation, so the attack is acted on at
	// its first second; checked tells that armed was read from the store.
	armed, checked bool
	// level and vectors are the mitigation's as last written; written the LastAbove last
	// written, writtenPeak the peak then, writtenQuiet the quiet flag then.
	level        int
	vectors      []netguard.Vector
	written      time.Time
	writtenPeak  uint64
	writtenQuiet bool
}

func (t *tracked) merge(e detect.Event) {
	a := &t.attack
	if a.Profile == "" {
		a.Profile = e.Profile
	}
	if e.LastAbove.After(a.LastAbove) {
		a.LastAbove = e.LastAbove
	}
	a.Vectors = netguard.MergeVectors(a.Vectors, e.Vectors)
	a.PeakBPS = max(a.PeakBPS, e.Peak.BPS)
	a.PeakPPS = max(a.PeakPPS, e.Peak.PPS)
	a.PeakSeverity = max(a.PeakSeverity, e.PeakSeverity)
	if len(e.TopSources) > 0 {
		a.TopSources = a.TopSources[:0]
		for _, src := range e.TopSources {
			a.TopSources = append(a.TopSources, netguard.AttackSource{Addr: src.Addr, Packets: src.Packets})
		}
	}
	t.current, t.quiet = e.Current, e.Quiet
}

// Observe turns the detector's events of one tick into attack reports and mitigations:
// a confirmed attack (at once from FastSeverity, or once it has lasted policy
// attack_trigger_delay) activates the IP's mitigation or gives it a new hold, heavier or
// longer attacks raise it, and the heaviest IPs are blackholed while the aggregate limit says
// the infrastructure is threatened. Calls are serialised. An error about one event does not
// stop the others; they are joined.
func (s *Service) Observe(ctx context.Context, events []detect.Event, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []error
	for _, e := range events {
		var err error
		if e.IP.IsValid() {
			err = s.observeIP(ctx, e.IP.Unmap(), e, now)
		} else {
			err = s.observePrefix(ctx, e, now)
		}
		if err != nil {
			list = append(list, fmt.Errorf("attack on %s: %w", e.Target(), err))
		}
	}
	if err := s.threats(ctx, now); err != nil {
		list = append(list, err)
	}
	return errors.Join(list...)
}

// Open returns the attacks the service follows now (confirmed or not), by target.
func (s *Service) Open() []netguard.Attack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]netguard.Attack, 0, len(s.open)+len(s.prefixes))
	for _, t := range s.open {
		out = append(out, t.attack)
	}
	for _, t := range s.prefixes {
		out = append(out, t.attack)
	}
	slices.SortFunc(out, func(a, b netguard.Attack) int { return a.Target().Addr().Compare(b.Target().Addr()) })
	return out
}

func (s *Service) confirmed(ctx context.Context, t *tracked, e detect.Event) (bool, error) {
	if !t.checked && t.attack.IP.IsValid() {
		rec, err := record(ctx, s.deps.Store, t.attack.IP)
		if err != nil {
			return false, err
		}
		t.armed = rec.State == netguard.MitigationPermanent || rec.State == netguard.MitigationForced
		t.checked = true
	}
	switch {
	case t.armed, t.attack.PeakSeverity >= s.cfg.FastSeverity:
		return true, nil
	case t.attack.LastAbove.Sub(t.attack.StartedAt) >= s.deps.Policy.AttackTriggerDelay:
		// Not whether the latest judged second is above: with the detector judging a second
		// as soon as it ends, that second's records are still arriving and it often reads
		// quiet. LastAbove is the end of the latest second seen above threshold.
		return true, nil
	}
	return false, nil
}

func (s *Service) observeIP(ctx context.Context, ip netip.Addr, e detect.Event, now time.Time) error {
	t := s.open[ip]
	if t == nil {
		if e.Kind == detect.EventEnd {
			return nil
		}
		t = &tracked{attack: netguard.Attack{IP: ip, StartedAt: e.Started}}
		s.open[ip] = t
	}
	t.merge(e)
	if t.attack.ID == 0 {
		if e.Kind == detect.EventEnd {
			delete(s.open, ip) // never confirmed: a blip, not an attack
			return nil
		}
		ok, err := s.confirmed(ctx, t, e)
		if err != nil || !ok {
			return err
		}
		return s.activate(ctx, t, now)
	}
	if e.Kind == detect.EventEnd {
		t.attack.EndedAt = t.attack.LastAbove
		delete(s.open, ip)
		return s.finish(ctx, t, now)
	}
	level := s.levels.Level(t.attack.PeakSeverity, t.attack.LastAbove.Sub(t.attack.StartedAt))
	if level > t.level || !subset(t.attack.Vectors, t.vectors) {
		return s.escalate(ctx, t, level, "attack", now)
	}
	if s.due(t) {
		return s.heartbeat(ctx, t, now)
	}
	return nil
}

// due reports a report worth writing: the IP went quiet or above again, a heartbeat is due, or
// the peak grew by a quarter.
func (s *Service) due(t *tracked) bool {
	return t.quiet != t.writtenQuiet || t.attack.LastAbove.Sub(t.written) >= s.cfg.Heartbeat ||
		t.attack.PeakBPS > t.writtenPeak+t.writtenPeak/4
}

func (t *tracked) wrote() {
	t.written, t.writtenPeak, t.writtenQuiet = t.attack.LastAbove, t.attack.PeakBPS, t.quiet
}

func subset(a, b []netguard.Vector) bool {
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}

// activate stores a newly confirmed attack and applies it to the IP's mitigation.
func (s *Service) activate(ctx context.Context, t *tracked, now time.Time) error {
	ip := t.attack.IP
	o, ok, err := s.deps.Directory.Owner(ctx, ip)
	if err != nil {
		return err
	}
	if ok {
		t.customer = o.Customer
	}
	// After a restart the detector starts afresh: an attack still open in the store that
	// went quiet less than a quiet period before this one started goes on.
	prev, err := s.deps.Store.ListAttacks(ctx, AttackFilter{IP: ip, Ongoing: true, Limit: 1})
	if err != nil {
		return err
	}
	level := s.levels.Level(t.attack.PeakSeverity, t.attack.LastAbove.Sub(t.attack.StartedAt))
	var rec Record
	var change netguard.Change
	var a netguard.Attack
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		a = t.attack // from scratch at each attempt: nothing is kept of a rolled-back one
		reused := len(prev) == 1 && !prev[0].LastAbove.Before(a.StartedAt.Add(-s.hold.QuietPeriod))
		if reused {
			p := prev[0]
			a.ID, a.StartedAt, a.Level = p.ID, p.StartedAt, p.Level
			a.Vectors = netguard.MergeVectors(p.Vectors, a.Vectors)
			a.PeakBPS, a.PeakPPS, a.PeakSeverity = max(a.PeakBPS, p.PeakBPS), max(a.PeakPPS, p.PeakPPS), max(a.PeakSeverity, p.PeakSeverity)
		} else {
			if len(prev) == 1 {
				p := prev[0]
				p.EndedAt = p.LastAbove
				if err := tx.UpdateAttack(ctx, p); err != nil {
					return err
				}
			}
			if err := tx.InsertAttack(ctx, &a, t.customer); err != nil {
				return err
			}
		}
		var err error
		rec, change, err = s.apply(ctx, tx, &a, t.customer, level, reused, account.System, "mitigation.detect", now, t.attack.StartedAt)
		return err
	})
	if err != nil {
		return err
	}
	t.attack = a
	s.applied(t, rec)
	s.log.LogAttrs(ctx, slog.LevelInfo, "attack confirmed", slog.String(logkey.Prefix, ip.String()),
		slog.Int64(logkey.AttackID, t.attack.ID), slog.String("vectors", t.attack.Nature()),
		slog.Float64("severity", t.attack.PeakSeverity), slog.Int("level", rec.Level), slog.Bool("activated", change == netguard.ChangeActivated))
	return nil
}

// apply runs HoldRules.Detect for attack a on its IP's row in tx, stores both, audits the
// change and queues the customer's notice. An escalation (an attack already applied) keeps
// the hold.
//
// started is the start of a newly detected attack (its first decision; zero for an
// escalation), for the decision latency Deps.Changed reports.
func (s *Service) apply(ctx context.Context, tx Tx, a *netguard.Attack, customer account.ID, level int, escalation bool, actor account.Actor, action string, now, started time.Time) (Record, netguard.Change, error) {
	rec, err := lockRecord(ctx, tx, a.IP)
	if err != nil {
		return rec, 0, err
	}
	before := rec
	if !rec.Active() || rec.Customer == 0 {
		rec.Customer = customer
	}
	m, change := s.hold.Detect(rec.Mitigation, netguard.Detection{AttackID: a.ID, Vectors: a.Vectors, Level: level, LastAbove: a.LastAbove,
		Escalation: escalation}, now)
	rec.Mitigation, rec.UpdatedAt = m, now
	if err := tx.SaveMitigationRecord(ctx, rec); err != nil {
		return rec, 0, err
	}
	s.changed(tx, before, rec, started)
	a.Level = max(a.Level, rec.Level)
	if err := tx.UpdateAttack(ctx, *a); err != nil {
		return rec, 0, err
	}
	if err := audit(ctx, tx, now, actor, action, rec, map[string]any{"attackId": a.ID, "change": changeName(change)}); err != nil {
		return rec, 0, err
	}
	switch change {
	case netguard.ChangeActivated:
		err = s.notice(ctx, tx, NoticeStarted, rec, *a, dedupKey(NoticeStarted, rec.IP, rec.Since, rec.Level))
	case netguard.ChangeRaised:
		err = s.notice(ctx, tx, NoticeRaised, rec, *a, dedupKey(NoticeRaised, rec.IP, rec.Since, rec.Level))
	}
	tx.AfterCommit(s.wake) // new vectors or a new level change the edge's rules
	return rec, change, err
}

func changeName(c netguard.Change) string {
	switch c {
	case netguard.ChangeActivated:
		return "activated"
	case netguard.ChangeRaised:
		return "raised"
	}
	return "held"
}

func (s *Service) applied(t *tracked, rec Record) {
	t.level, t.vectors = rec.Level, slices.Clone(rec.Vectors)
	t.wrote()
}

// escalate applies new vectors or a higher level to a confirmed attack's mitigation.
func (s *Service) escalate(ctx context.Context, t *tracked, level int, why string, now time.Time) error {
	var rec Record
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		rec, _, err = s.apply(ctx, tx, &t.attack, t.customer, level, true, account.System, "mitigation.raise", now, time.Time{})
		return err
	})
	if err != nil {
		return err
	}
	s.applied(t, rec)
	s.log.LogAttrs(ctx, slog.LevelInfo, "mitigation raised", slog.String(logkey.Prefix, t.attack.IP.String()),
		slog.Int64(logkey.AttackID, t.attack.ID), slog.Int("level", rec.Level), slog.String("reason", why),
		slog.String("vectors", netguard.JoinVectors(rec.Vectors)))
	return nil
}

// heartbeat writes an ongoing attack's report and its IP's last second above threshold.
func (s *Service) heartbeat(ctx context.Context, t *tracked, now time.Time) error {
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.UpdateAttack(ctx, t.attack); err != nil {
			return err
		}
		if !t.attack.IP.IsValid() {
			return nil
		}
		rec, err := lockRecord(ctx, tx, t.attack.IP)
		if err != nil || !t.attack.LastAbove.After(rec.LastAbove) {
			return err
		}
		rec.LastAbove, rec.UpdatedAt = t.attack.LastAbove, now
		return tx.SaveMitigationRecord(ctx, rec)
	})
	if err == nil {
		t.wrote()
	}
	return err
}

// finish closes a confirmed attack: its report gets its end, and a level-3 mitigation that
// staff did not force goes back to level 2.
func (s *Service) finish(ctx context.Context, t *tracked, now time.Time) error {
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.UpdateAttack(ctx, t.attack); err != nil {
			return err
		}
		if !t.attack.IP.IsValid() {
			return nil
		}
		rec, err := lockRecord(ctx, tx, t.attack.IP)
		if err != nil {
			return err
		}
		if t.attack.LastAbove.After(rec.LastAbove) {
			rec.LastAbove = t.attack.LastAbove
		}
		if rec.Active() && rec.Level == netguard.LevelBlackhole && rec.State != netguard.MitigationForced {
			rec.Level = netguard.LevelRateLimit
			if err := audit(ctx, tx, now, account.System, "mitigation.lower", rec, map[string]any{"attackId": t.attack.ID}); err != nil {
				return err
			}
			tx.AfterCommit(s.wake)
		}
		rec.UpdatedAt = now
		return tx.SaveMitigationRecord(ctx, rec)
	})
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "attack ended", slog.String(logkey.Prefix, t.attack.Target().String()),
		slog.Int64(logkey.AttackID, t.attack.ID), slog.Duration(logkey.Duration, t.attack.Duration(now)))
	return nil
}

// observePrefix records carpet bombing of a prefix. It is reported, not mitigated: a rule wider
// than one customer IP needs staff approval.
func (s *Service) observePrefix(ctx context.Context, e detect.Event, now time.Time) error {
	p := e.Prefix
	t := s.prefixes[p]
	if t == nil {
		if e.Kind == detect.EventEnd {
			return nil
		}
		t = &tracked{attack: netguard.Attack{Prefix: p, StartedAt: e.Started}}
		s.prefixes[p] = t
	}
	t.merge(e)
	if t.attack.ID == 0 {
		if e.Kind == detect.EventEnd {
			delete(s.prefixes, p)
			return nil
		}
		if ok, err := s.confirmed(ctx, t, e); err != nil || !ok {
			return err
		}
		err := s.deps.Store.InTx(ctx, func(tx Tx) error { return tx.InsertAttack(ctx, &t.attack, 0) })
		if err != nil {
			return err
		}
		t.wrote()
		s.log.LogAttrs(ctx, slog.LevelWarn, "carpet bombing", slog.String(logkey.Prefix, p.String()),
			slog.Int64(logkey.AttackID, t.attack.ID), slog.String("vectors", t.attack.Nature()))
		return nil
	}
	if e.Kind == detect.EventEnd {
		t.attack.EndedAt = t.attack.LastAbove
		delete(s.prefixes, p)
		return s.finish(ctx, t, now)
	}
	if s.due(t) || !subset(t.attack.Vectors, t.vectors) {
		t.vectors = slices.Clone(t.attack.Vectors)
		return s.heartbeat(ctx, t, now)
	}
	return nil
}

// threats blackholes the heaviest attacked IPs while the aggregate limit is exceeded (level
// 3), and brings a blackholed IP back to level 2 once it is quiet and the threat is over.
func (s *Service) threats(ctx context.Context, now time.Time) error {
	lim := s.cfg.AggregateLimit
	if lim.BPS == 0 && lim.PPS == 0 {
		return nil
	}
	var loads []netguard.Load
	for ip, t := range s.open {
		if t.attack.ID != 0 && !t.quiet {
			loads = append(loads, netguard.Load{IP: ip, BPS: t.current.BPS, PPS: t.current.PPS})
		}
	}
	want := lim.Blackholes(loads)
	var list []error
	for _, ip := range want {
		if t := s.open[ip]; t.level < netguard.LevelBlackhole {
			if err := s.escalate(ctx, t, netguard.LevelBlackhole, "infrastructure threatened", now); err != nil {
				list = append(list, err)
			}
		}
	}
	if len(want) > 0 {
		return errors.Join(list...)
	}
	for _, t := range s.open {
		if t.level == netguard.LevelBlackhole && t.quiet {
			if err := s.lower(ctx, t, now); err != nil {
				list = append(list, err)
			}
		}
	}
	return errors.Join(list...)
}

// lower brings a blackholed IP back to level 2.
func (s *Service) lower(ctx context.Context, t *tracked, now time.Time) error {
	var rec Record
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		rec, err = lockRecord(ctx, tx, t.attack.IP)
		if err != nil || !rec.Active() || rec.Level != netguard.LevelBlackhole || rec.State == netguard.MitigationForced {
			return err
		}
		rec.Level, rec.UpdatedAt = netguard.LevelRateLimit, now
		if err := tx.SaveMitigationRecord(ctx, rec); err != nil {
			return err
		}
		tx.AfterCommit(s.wake)
		return audit(ctx, tx, now, account.System, "mitigation.lower", rec, map[string]any{"attackId": t.attack.ID})
	})
	if err == nil {
		t.level = rec.Level
	}
	return err
}
