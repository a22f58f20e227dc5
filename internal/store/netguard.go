package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/detect"
	"github.com/itsgow/itsgow/internal/netguard/mitigation"
)

// Netguard returns the store of the mitigation service.
func (db *DB) Netguard() mitigation.Store { return netguardStore{db.Read()} }

type netguardStore struct{ *Q }

var (
	_ mitigation.Store = netguardStore{}
	_ mitigation.Tx    = (*Q)(nil)
)

func (s netguardStore) InTx(ctx context.Context, fn func(mitigation.Tx) error) error {
	return s.db.WithTx(ctx, func(q *Q) error { return fn(q) })
}

// i64 stores a counter in a signed 64-bit column.
func i64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

func joinVectors(vs []netguard.Vector) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}

func nzID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

const mitigationCols = `ip, COALESCE(customer_id, 0), pro_use, profile, state, since, min_until, level, vectors, last_above,
	COALESCE(attack_id, 0), ended_at, updated_at`

func scanMitigation(sc interface{ Scan(...any) error }) (mitigation.Record, error) {
	var r mitigation.Record
	var ip, state, vectors string
	var customer int64
	err := sc.Scan(&ip, &customer, &r.ProUse, &r.Profile, &state, st(&r.Since), st(&r.MinUntil), &r.Level, &vectors,
		st(&r.LastAbove), &r.AttackID, st(&r.EndedAt), st(&r.UpdatedAt))
	if err != nil {
		return r, err
	}
	r.Customer, r.State, r.Vectors = account.ID(customer), netguard.MitigationState(state), netguard.ParseVectors(vectors)
	r.IP, err = netip.ParseAddr(ip)
	return r, err
}

// MitigationRecord implements mitigation.Reader.
func (q *Q) MitigationRecord(ctx context.Context, ip netip.Addr) (mitigation.Record, error) {
	r, err := scanMitigation(q.row(ctx, `SELECT `+mitigationCols+` FROM netguard_ips WHERE ip = ?`, ip.Unmap().String()))
	return r, q.scanErr(err, "mitigation")
}

// LockMitigationRecord implements mitigation.Tx.
func (q *Q) LockMitigationRecord(ctx context.Context, ip netip.Addr) (mitigation.Record, error) {
	r, err := scanMitigation(q.row(ctx, `SELECT `+mitigationCols+` FROM netguard_ips WHERE ip = ?`+q.forUpdate(false), ip.Unmap().String()))
	return r, q.scanErr(err, "mitigation")
}

// MitigationRecords implements mitigation.Reader.
func (q *Q) MitigationRecords(ctx context.Context, activeOnly bool) ([]mitigation.Record, error) {
	where := ""
	if activeOnly {
		where = ` WHERE state <> 'off'`
	}
	rows, err := q.query(ctx, `SELECT `+mitigationCols+` FROM netguard_ips`+where)
	out, err := fleetRows(rows, err, func(sc fleetScanner) (mitigation.Record, error) { return scanMitigation(sc) })
	if err != nil {
		return nil, err
	}
	sortRecords(out)
	return out, nil
}

// sortRecords orders rows by address (text order is not address order).
func sortRecords(rs []mitigation.Record) {
	slices.SortFunc(rs, func(a, b mitigation.Record) int { return a.IP.Compare(b.IP) })
}

// SaveMitigationRecord implements mitigation.Tx.
func (q *Q) SaveMitigationRecord(ctx context.Context, r mitigation.Record) error {
	if !r.State.Valid() {
		r.State = netguard.MitigationOff
	}
	if r.Profile == "" {
		r.Profile = mitigation.DefaultProfile
	}
	_, err := q.exec(ctx, `INSERT INTO netguard_ips (ip, customer_id, pro_use, profile, state, since, min_until, level, vectors,
		last_above, attack_id, ended_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ip) DO UPDATE SET customer_id = excluded.customer_id, pro_use = excluded.pro_use, profile = excluded.profile,
		state = excluded.state, since = excluded.since, min_until = excluded.min_until, level = excluded.level,
		vectors = excluded.vectors, last_above = excluded.last_above, attack_id = excluded.attack_id,
		ended_at = excluded.ended_at, updated_at = excluded.updated_at`,
		r.IP.Unmap().String(), nzID(int64(r.Customer)), r.ProUse, r.Profile, string(r.State), tsp(r.Since), tsp(r.MinUntil), r.Level,
		joinVectors(r.Vectors), tsp(r.LastAbove), nzID(r.AttackID), tsp(r.EndedAt), ts(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save mitigation %s: %w", r.IP, err)
	}
	return nil
}

// TouchLastAbove implements mitigation.Store.
func (s netguardStore) TouchLastAbove(ctx context.Context, at map[netip.Addr]time.Time) error {
	if len(at) == 0 {
		return nil
	}
	return s.db.WithTx(ctx, func(q *Q) error {
		for ip, t := range at {
			if _, err := q.exec(ctx, `UPDATE netguard_ips SET last_above = ? WHERE ip = ? AND (last_above IS NULL OR last_above < ?)`,
				ts(t), ip.Unmap().String(), ts(t)); err != nil {
				return fmt.Errorf("touch last_above %s: %w", ip, err)
			}
		}
		return nil
	})
}

const attackCols = `id, ip, prefix, profile, started_at, ended_at, last_above, vectors, peak_bps, peak_pps, peak_severity, level, top_sources`

type sourceJSON struct {
	Addr    string `json:"addr"`
	Packets uint64 `json:"packets"`
}

func sourcesJSON(ss []netguard.AttackSource) string {
	out := make([]sourceJSON, len(ss))
	for i, s := range ss {
		out[i] = sourceJSON{s.Addr.String(), s.Packets}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func scanAttack(sc interface{ Scan(...any) error }) (netguard.Attack, error) {
	var a netguard.Attack
	var ip, prefix, vectors, sources string
	var bps, pps int64
	err := sc.Scan(&a.ID, &ip, &prefix, &a.Profile, st(&a.StartedAt), st(&a.EndedAt), st(&a.LastAbove), &vectors, &bps, &pps,
		&a.PeakSeverity, &a.Level, &sources)
	if err != nil {
		return a, err
	}
	a.PeakBPS, a.PeakPPS, a.Vectors = uint64(bps), uint64(pps), netguard.ParseVectors(vectors)
	if ip != "" {
		if a.IP, err = netip.ParseAddr(ip); err != nil {
			return a, err
		}
	}
	if prefix != "" {
		if a.Prefix, err = netip.ParsePrefix(prefix); err != nil {
			return a, err
		}
	}
	var ss []sourceJSON
	if err := json.Unmarshal([]byte(sources), &ss); err != nil {
		return a, fmt.Errorf("attack %d top sources: %w", a.ID, err)
	}
	for _, s := range ss {
		addr, err := netip.ParseAddr(s.Addr)
		if err != nil {
			return a, err
		}
		a.TopSources = append(a.TopSources, netguard.AttackSource{Addr: addr, Packets: s.Packets})
	}
	return a, nil
}

func attackTarget(a netguard.Attack) (ip, prefix string) {
	if a.IP.IsValid() {
		return a.IP.Unmap().String(), ""
	}
	if a.Prefix.IsValid() {
		return "", a.Prefix.Masked().String()
	}
	return "", ""
}

// InsertAttack implements mitigation.Tx.
func (q *Q) InsertAttack(ctx context.Context, a *netguard.Attack, customer account.ID) error {
	ip, prefix := attackTarget(*a)
	err := q.row(ctx, `INSERT INTO netguard_attacks (ip, prefix, customer_id, profile, started_at, ended_at, last_above, vectors,
		peak_bps, peak_pps, peak_severity, level, top_sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ip, prefix, nzID(int64(customer)), a.Profile, ts(a.StartedAt), tsp(a.EndedAt), ts(a.LastAbove), joinVectors(a.Vectors),
		i64(a.PeakBPS), i64(a.PeakPPS), a.PeakSeverity, a.Level, sourcesJSON(a.TopSources)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("insert attack: %w", q.db.mapErr(err))
	}
	return nil
}

// UpdateAttack implements mitigation.Tx.
func (q *Q) UpdateAttack(ctx context.Context, a netguard.Attack) error {
	return q.update1(ctx, "attack", `UPDATE netguard_attacks SET profile = ?, started_at = ?, ended_at = ?, last_above = ?, vectors = ?,
		peak_bps = ?, peak_pps = ?, peak_severity = ?, level = ?, top_sources = ? WHERE id = ?`,
		a.Profile, ts(a.StartedAt), tsp(a.EndedAt), ts(a.LastAbove), joinVectors(a.Vectors), i64(a.PeakBPS), i64(a.PeakPPS),
		a.PeakSeverity, a.Level, sourcesJSON(a.TopSources), a.ID)
}

// GetAttack implements mitigation.Reader.
func (q *Q) GetAttack(ctx context.Context, id int64) (netguard.Attack, error) {
	a, err := scanAttack(q.row(ctx, `SELECT `+attackCols+` FROM netguard_attacks WHERE id = ?`, id))
	return a, q.scanErr(err, "attack")
}

// ListAttacks implements mitigation.Reader.
func (q *Q) ListAttacks(ctx context.Context, f mitigation.AttackFilter) ([]netguard.Attack, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.IP.IsValid() {
		where = append(where, "ip = ?")
		args = append(args, f.IP.Unmap().String())
	}
	if f.Customer != 0 {
		where = append(where, "customer_id = ?")
		args = append(args, int64(f.Customer))
	}
	if f.Ongoing {
		where = append(where, "ended_at IS NULL")
	}
	if !f.Since.IsZero() {
		where = append(where, "started_at >= ?")
		args = append(args, ts(f.Since))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	args = append(args, limit)
	rows, err := q.query(ctx, `SELECT `+attackCols+` FROM netguard_attacks WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT ?`, args...)
	return fleetRows(rows, err, func(sc fleetScanner) (netguard.Attack, error) { return scanAttack(sc) })
}

// MostAttacked implements mitigation.Reader.
func (q *Q) MostAttacked(ctx context.Context, since time.Time, limit int) ([]mitigation.AttackCount, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := q.query(ctx, `SELECT ip, prefix, COUNT(*), MAX(peak_bps), MAX(peak_pps), MAX(last_above) FROM netguard_attacks
		WHERE started_at >= ? GROUP BY ip, prefix ORDER BY COUNT(*) DESC, MAX(peak_bps) DESC, ip, prefix LIMIT ?`, ts(since), limit)
	return fleetRows(rows, err, func(sc fleetScanner) (mitigation.AttackCount, error) {
		var c mitigation.AttackCount
		var ip, prefix string
		var bps, pps int64
		if err := sc.Scan(&ip, &prefix, &c.Attacks, &bps, &pps, st(&c.LastSeen)); err != nil {
			return c, err
		}
		c.PeakBPS, c.PeakPPS = uint64(bps), uint64(pps)
		var err error
		if ip != "" {
			c.IP, err = netip.ParseAddr(ip)
		} else if prefix != "" {
			c.Prefix, err = netip.ParsePrefix(prefix)
		}
		return c, err
	})
}

// PruneAttacks implements mitigation.Store.
func (s netguardStore) PruneAttacks(ctx context.Context, endedBefore time.Time) (int, error) {
	return s.prune(ctx, `DELETE FROM netguard_attacks WHERE ended_at IS NOT NULL AND ended_at < ?`, endedBefore)
}

// PruneTraffic implements mitigation.Store.
func (s netguardStore) PruneTraffic(ctx context.Context, before time.Time) (int, error) {
	return s.prune(ctx, `DELETE FROM netguard_traffic WHERE at < ?`, before)
}

func (s netguardStore) prune(ctx context.Context, query string, before time.Time) (int, error) {
	var n int64
	err := s.db.WithTx(ctx, func(q *Q) error {
		res, err := q.exec(ctx, query, ts(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// InsertTraffic implements mitigation.Store: one transaction, one multi-row statement per
// hundred points. A point given twice (a live point and its final version, in a backlog the
// watch writes at once) is written once, as given last: PostgreSQL refuses a statement whose
// ON CONFLICT would update one row twice.
func (s netguardStore) InsertTraffic(ctx context.Context, pts []netguard.TrafficPoint) error {
	if len(pts) == 0 {
		return nil
	}
	type key struct { // the row key, the time as stored: to the microsecond
		ip    netip.Addr
		scale netguard.Scale
		at    int64
	}
	pts = lastOfEach(pts, func(p netguard.TrafficPoint) key { return key{p.IP.Unmap(), p.Scale, p.At.UnixMicro()} })
	return s.db.WithTx(ctx, func(q *Q) error {
		for len(pts) > 0 {
			n := min(len(pts), 100)
			var b strings.Builder
			b.WriteString(`INSERT INTO netguard_traffic (ip, scale, at, in_bps, in_pps, dropped_bps, dropped_pps, out_bps, out_pps) VALUES `)
			args := make([]any, 0, n*9)
			for i, p := range pts[:n] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, p.IP.Unmap().String(), string(p.Scale), ts(p.At), i64(p.In.BPS), i64(p.In.PPS),
					i64(p.Dropped.BPS), i64(p.Dropped.PPS), i64(p.Out.BPS), i64(p.Out.PPS))
			}
			b.WriteString(` ON CONFLICT (ip, scale, at) DO UPDATE SET in_bps = excluded.in_bps, in_pps = excluded.in_pps,
				dropped_bps = excluded.dropped_bps, dropped_pps = excluded.dropped_pps, out_bps = excluded.out_bps, out_pps = excluded.out_pps`)
			if _, err := q.exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert traffic: %w", err)
			}
			pts = pts[n:]
		}
		return nil
	})
}

// lastOfEach returns xs without the items given again later under the same row key, in their
// order; xs itself when none is. A multi-row INSERT ... ON CONFLICT DO UPDATE must not hold a
// row twice: PostgreSQL refuses it ("cannot affect row a second time").
func lastOfEach[T any, K comparable](xs []T, key func(T) K) []T {
	last := make(map[K]int, len(xs))
	for i, x := range xs {
		last[key(x)] = i
	}
	if len(last) == len(xs) {
		return xs
	}
	out := make([]T, 0, len(last))
	for i, x := range xs {
		if last[key(x)] == i {
			out = append(out, x)
		}
	}
	return out
}

// TrafficPoints implements mitigation.Reader.
func (q *Q) TrafficPoints(ctx context.Context, ip netip.Addr, scale netguard.Scale, from, to time.Time) ([]netguard.TrafficPoint, error) {
	rows, err := q.query(ctx, `SELECT at, in_bps, in_pps, dropped_bps, dropped_pps, out_bps, out_pps FROM netguard_traffic
		WHERE ip = ? AND scale = ? AND at >= ? AND at < ? ORDER BY at`, ip.Unmap().String(), string(scale), ts(from), ts(to))
	return fleetRows(rows, err, func(sc fleetScanner) (netguard.TrafficPoint, error) {
		p := netguard.TrafficPoint{IP: ip.Unmap(), Scale: scale}
		var v [6]int64
		err := sc.Scan(st(&p.At), &v[0], &v[1], &v[2], &v[3], &v[4], &v[5])
		p.In = netguard.Rate{BPS: uint64(v[0]), PPS: uint64(v[1])}
		p.Dropped = netguard.Rate{BPS: uint64(v[2]), PPS: uint64(v[3])}
		p.Out = netguard.Rate{BPS: uint64(v[4]), PPS: uint64(v[5])}
		return p, err
	})
}

const staffRuleCols = `id, prefix, vectors, reason, requested_by, requested_at, COALESCE(approved_by, 0), approved_at`

func scanStaffRule(sc interface{ Scan(...any) error }) (mitigation.StaffRule, error) {
	var r mitigation.StaffRule
	var prefix, vectors string
	var by, approver int64
	err := sc.Scan(&r.ID, &prefix, &vectors, &r.Reason, &by, st(&r.RequestedAt), &approver, st(&r.ApprovedAt))
	if err != nil {
		return r, err
	}
	r.RequestedBy, r.ApprovedBy, r.Vectors = account.ID(by), account.ID(approver), netguard.ParseVectors(vectors)
	r.Prefix, err = netip.ParsePrefix(prefix)
	return r, err
}

// StaffRules implements mitigation.Reader.
func (q *Q) StaffRules(ctx context.Context) ([]mitigation.StaffRule, error) {
	rows, err := q.query(ctx, `SELECT `+staffRuleCols+` FROM netguard_staff_rules ORDER BY id`)
	return fleetRows(rows, err, func(sc fleetScanner) (mitigation.StaffRule, error) { return scanStaffRule(sc) })
}

// InsertStaffRule implements mitigation.Tx.
func (q *Q) InsertStaffRule(ctx context.Context, r *mitigation.StaffRule) error {
	err := q.row(ctx, `INSERT INTO netguard_staff_rules (prefix, vectors, reason, requested_by, requested_at, approved_by, approved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Prefix.Masked().String(), joinVectors(r.Vectors), r.Reason,
		int64(r.RequestedBy), ts(r.RequestedAt), nzID(int64(r.ApprovedBy)), tsp(r.ApprovedAt)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("insert staff rule: %w", q.db.mapErr(err))
	}
	return nil
}

// LockStaffRule implements mitigation.Tx.
func (q *Q) LockStaffRule(ctx context.Context, id int64) (mitigation.StaffRule, error) {
	r, err := scanStaffRule(q.row(ctx, `SELECT `+staffRuleCols+` FROM netguard_staff_rules WHERE id = ?`+q.forUpdate(false), id))
	return r, q.scanErr(err, "staff rule")
}

// ApproveStaffRule implements mitigation.Tx.
func (q *Q) ApproveStaffRule(ctx context.Context, id int64, by account.ID, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE netguard_staff_rules SET approved_by = ?, approved_at = ? WHERE id = ?`, int64(by), ts(at), id)
	return err
}

// DeleteStaffRule implements mitigation.Tx.
func (q *Q) DeleteStaffRule(ctx context.Context, id int64) error {
	_, err := q.exec(ctx, `DELETE FROM netguard_staff_rules WHERE id = ?`, id)
	return err
}

// InsertAttackSeconds implements mitigation.Store: one transaction, one multi-row statement per
// hundred seconds.
func (s netguardStore) InsertAttackSeconds(ctx context.Context, secs []mitigation.AttackSecond) error {
	if len(secs) == 0 {
		return nil
	}
	// The same second twice: a recording's pre-roll re-reads seconds of the IP's previous
	// attack that still wait for the store.
	type key struct {
		ip netip.Addr
		at int64
	}
	secs = lastOfEach(secs, func(x mitigation.AttackSecond) key { return key{x.IP.Unmap(), x.At.UnixMicro()} })
	return s.db.WithTx(ctx, func(q *Q) error {
		for len(secs) > 0 {
			n := min(len(secs), 100)
			var b strings.Builder
			b.WriteString(`INSERT INTO netguard_attack_seconds (ip, at, total_pps, total_bps, total_fps, classes, above) VALUES `)
			args := make([]any, 0, n*7)
			for i, sec := range secs[:n] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
				classes := make(map[netguard.Vector][3]uint64, len(sec.Traffic.Classes))
				for v, r := range sec.Traffic.Classes {
					classes[v] = [3]uint64{r.PPS, r.BPS, r.FPS}
				}
				body, err := json.Marshal(classes)
				if err != nil {
					return err
				}
				tot := sec.Traffic.Total
				args = append(args, sec.IP.Unmap().String(), ts(sec.At), i64(tot.PPS), i64(tot.BPS), i64(tot.FPS), string(body), joinVectors(sec.Above))
			}
			b.WriteString(` ON CONFLICT (ip, at) DO UPDATE SET total_pps = excluded.total_pps, total_bps = excluded.total_bps,
				total_fps = excluded.total_fps, classes = excluded.classes, above = excluded.above`)
			if _, err := q.exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert attack seconds: %w", err)
			}
			secs = secs[n:]
		}
		return nil
	})
}

// AttackSeconds implements mitigation.Store.
func (s netguardStore) AttackSeconds(ctx context.Context, ip netip.Addr, from, to time.Time) ([]mitigation.AttackSecond, error) {
	rows, err := s.query(ctx, `SELECT at, total_pps, total_bps, total_fps, classes, above FROM netguard_attack_seconds
		WHERE ip = ? AND at >= ? AND at < ? ORDER BY at`, ip.Unmap().String(), ts(from), ts(to))
	return fleetRows(rows, err, func(sc fleetScanner) (mitigation.AttackSecond, error) {
		sec := mitigation.AttackSecond{IP: ip.Unmap()}
		var tot [3]int64
		var classes, above string
		if err := sc.Scan(st(&sec.At), &tot[0], &tot[1], &tot[2], &classes, &above); err != nil {
			return sec, err
		}
		sec.Traffic.Total = detect.Rate{PPS: uint64(tot[0]), BPS: uint64(tot[1]), FPS: uint64(tot[2])}
		var cls map[netguard.Vector][3]uint64
		if err := json.Unmarshal([]byte(classes), &cls); err != nil {
			return sec, fmt.Errorf("attack second %s classes: %w", sec.At, err)
		}
		sec.Traffic.Classes = make(map[netguard.Vector]detect.Rate, len(cls))
		for v, r := range cls {
			sec.Traffic.Classes[v] = detect.Rate{PPS: r[0], BPS: r[1], FPS: r[2]}
		}
		sec.Above = netguard.ParseVectors(above)
		return sec, nil
	})
}

// PruneAttackSeconds implements mitigation.Store.
func (s netguardStore) PruneAttackSeconds(ctx context.Context, before time.Time) (int, error) {
	return s.prune(ctx, `DELETE FROM netguard_attack_seconds WHERE at < ?`, before)
}
