package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/fleet"
)

func (q *Q) InsertPool(ctx context.Context, p *fleet.Pool) error {
	family := 4
	if !p.IPv4() {
		family = 6
	}
	err := q.row(ctx, `INSERT INTO ip_pools (family, prefix, datacenter, reserved_head, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		family, p.Prefix.String(), p.Datacenter, p.ReservedHead, ts(p.CreatedAt)).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("insert pool: %w", q.db.mapErr(err))
	}
	return nil
}

func (q *Q) Pools(ctx context.Context) ([]fleet.Pool, error) {
	rows, err := q.query(ctx, `SELECT id, prefix, datacenter, reserved_head, created_at FROM ip_pools ORDER BY family, id`)
	return fleetRows(rows, err, func(sc fleetScanner) (fleet.Pool, error) {
		var p fleet.Pool
		var prefix string
		if err := sc.Scan(&p.ID, &prefix, &p.Datacenter, &p.ReservedHead, st(&p.CreatedAt)); err != nil {
			return p, err
		}
		var err error
		p.Prefix, err = netip.ParsePrefix(prefix)
		return p, err
	})
}

// claimWindow is how many indexes past the lowest free one a PostgreSQL claim searches: as many
// allocations may run at once in one pool without waiting for each other.
const claimWindow = 4096

// ClaimSlot claims a free index of the pool for the transaction. SQLite has one writer: the
// lowest free index. PostgreSQL lets concurrent deliveries allocate in parallel: each takes the
// lowest index that no committed row holds and no other running transaction has claimed
// (pg_try_advisory_xact_lock on (schema and pool, index), held until the transaction ends, like SELECT
// ... FOR UPDATE SKIP LOCKED on rows that do not exist yet). After the claim, a new statement
// checks again that no row holds the index: a transaction that held it and committed released
// its lock only once its row was visible. Advisory locks are shared by the whole database:
// the key names the schema, so that the pools of two schemas (parallel tests, two
// installations in one database) never take each other's indexes. Indexes past 2^31 (huge
// IPv6 pools) fall back to a lock on the pool row.
func (q *Q) ClaimSlot(ctx context.Context, pool int64, first, last int64) (int64, bool, error) {
	low, ok, err := q.FreeSlot(ctx, pool, first, last)
	if err != nil || !ok || q.db.engine != Postgres {
		return low, ok, err
	}
	if last > math.MaxInt32 || pool > math.MaxInt32 {
		var got int64
		if err := q.scanErr(q.row(ctx, `SELECT id FROM ip_pools WHERE id = ? FOR UPDATE`, pool).Scan(&got), "pool"); err != nil {
			return 0, false, err
		}
		return q.FreeSlot(ctx, pool, first, last)
	}
	for from := low; from <= last; {
		to := min(last, from+claimWindow-1)
		var n int64
		err := q.row(ctx, `SELECT free.n FROM (SELECT g.n FROM generate_series(?::bigint, ?::bigint) AS g(n)
			WHERE NOT EXISTS (SELECT 1 FROM ip_addresses a WHERE a.pool_id = ? AND a.n = g.n) OFFSET 0) free
			WHERE pg_try_advisory_xact_lock(hashtext(current_schema() || '.ip_pools.' || ?::bigint::text), free.n::integer) LIMIT 1`, from, to, pool, pool).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			from = to + 1
			continue
		}
		if err != nil {
			return 0, false, err
		}
		var taken bool
		if err := q.row(ctx, `SELECT EXISTS (SELECT 1 FROM ip_addresses WHERE pool_id = ? AND n = ?)`, pool, n).Scan(&taken); err != nil {
			return 0, false, err
		}
		if !taken {
			return n, true, nil
		}
		from = n + 1
	}
	return 0, false, nil
}

func (q *Q) FreeSlot(ctx context.Context, pool int64, first, last int64) (int64, bool, error) {
	var taken int
	if err := q.row(ctx, `SELECT COUNT(*) FROM ip_addresses WHERE pool_id = ? AND n = ?`, pool, first).Scan(&taken); err != nil {
		return 0, false, err
	}
	if taken == 0 {
		return first, first <= last, nil
	}
	// The first gap, in one ordered pass over the index that stops there. (An anti-join on n + 1
	// is quadratic under the generic plan PostgreSQL caches while the table is small.)
	var n int64
	err := q.row(ctx, `SELECT s.n + 1 FROM (SELECT a.n, LEAD(a.n) OVER (ORDER BY a.n) AS nx FROM ip_addresses a
		WHERE a.pool_id = ? AND a.n >= ? AND a.n <= ?) s WHERE s.nx IS NULL OR s.nx <> s.n + 1 ORDER BY s.n LIMIT 1`, pool, first, last).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if n > last {
		return 0, false, nil
	}
	return n, true, nil
}

const ipCols = `id, address, pool_id, n, COALESCE(server_id, 0), COALESCE(customer_id, 0), kind, reverse, state, assigned_at, released_at, available_at`

func parseIPText(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func ipText(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

func scanIP(sc fleetScanner) (fleet.IP, error) {
	var ip fleet.IP
	var addr string
	err := sc.Scan(&ip.ID, &addr, &ip.PoolID, &ip.N, &ip.ServerID, &ip.CustomerID, &ip.Kind, &ip.Reverse, &ip.State,
		st(&ip.AssignedAt), st(&ip.ReleasedAt), st(&ip.AvailableAt))
	if err != nil {
		return ip, err
	}
	ip.Prefix, err = parseIPText(addr)
	return ip, err
}

func (q *Q) IPsOf(ctx context.Context, id fleet.ServerID) ([]fleet.IP, error) {
	rows, err := q.query(ctx, `SELECT `+ipCols+` FROM ip_addresses WHERE server_id = ? AND state = 'assigned' ORDER BY family, kind DESC, n`, id)
	return fleetRows(rows, err, scanIP)
}

func (q *Q) ListIPs(ctx context.Context, f fleet.IPFilter) ([]fleet.IP, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.CustomerID != 0 {
		where, args = append(where, "customer_id = ?"), append(args, f.CustomerID)
	}
	if f.ServerID != 0 {
		where, args = append(where, "server_id = ?"), append(args, f.ServerID)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.AfterID > 0 {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	rows, err := q.query(ctx, `SELECT `+ipCols+` FROM ip_addresses WHERE `+strings.Join(where, " AND ")+` ORDER BY id`+fleetLimit(f.Limit), args...)
	return fleetRows(rows, err, scanIP)
}

func (q *Q) IPByAddress(ctx context.Context, address string) (fleet.IP, error) {
	ip, err := scanIP(q.row(ctx, `SELECT `+ipCols+` FROM ip_addresses WHERE address = ?`, address))
	return ip, q.scanErr(err, "IP")
}

func (q *Q) ReusableIP(ctx context.Context, pool int64, now time.Time) (fleet.IP, error) {
	lock := ""
	if q.db.engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED" // concurrent allocations take different addresses
	}
	ip, err := scanIP(q.row(ctx, `SELECT `+ipCols+` FROM ip_addresses WHERE pool_id = ? AND state = 'quarantined' AND available_at <= ?
		ORDER BY available_at, n LIMIT 1`+lock, pool, ts(now)))
	return ip, q.scanErr(err, "reusable IP")
}

func ipFamily(p netip.Prefix) int {
	if p.Addr().Is4() {
		return 4
	}
	return 6
}

func (q *Q) InsertIP(ctx context.Context, ip *fleet.IP) error {
	err := q.row(ctx, `INSERT INTO ip_addresses (address, family, pool_id, n, server_id, customer_id, kind, reverse, state, assigned_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'assigned', ?) RETURNING id`, ipText(ip.Prefix), ipFamily(ip.Prefix), ip.PoolID, ip.N, ip.ServerID,
		ip.CustomerID, string(ip.Kind), ip.Reverse, ts(ip.AssignedAt)).Scan(&ip.ID)
	if err != nil {
		err = q.db.mapErr(err)
		if IsUnique(err) {
			return &errs.Error{Kind: errs.Conflict, Code: "ip_taken", Msg: "address " + ipText(ip.Prefix) + " is already assigned", Cause: err}
		}
		return err
	}
	return q.ipHistory(ctx, *ip)
}

func (q *Q) ipHistory(ctx context.Context, ip fleet.IP) error {
	_, err := q.exec(ctx, `INSERT INTO ip_history (address, server_id, customer_id, assigned_at) VALUES (?, ?, ?, ?)`,
		ipText(ip.Prefix), ip.ServerID, ip.CustomerID, ts(ip.AssignedAt))
	return err
}

func (q *Q) ReassignIP(ctx context.Context, ip fleet.IP, now time.Time) error {
	res, err := q.exec(ctx, `UPDATE ip_addresses SET server_id = ?, customer_id = ?, kind = ?, reverse = ?, state = 'assigned', assigned_at = ?,
		released_at = NULL, available_at = NULL WHERE id = ? AND state = 'quarantined' AND available_at <= ?`,
		ip.ServerID, ip.CustomerID, string(ip.Kind), ip.Reverse, ts(ip.AssignedAt), ip.ID, ts(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Coded(errs.Conflict, "ip_taken", "address "+ipText(ip.Prefix)+" is not reusable")
	}
	return q.ipHistory(ctx, ip)
}

func (q *Q) ReleaseIPs(ctx context.Context, id fleet.ServerID, at, availableAt time.Time) (int, error) {
	res, err := q.exec(ctx, `UPDATE ip_addresses SET state = 'quarantined', released_at = ?, available_at = ? WHERE server_id = ? AND state = 'assigned'`,
		ts(at), ts(availableAt), id)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if _, err := q.exec(ctx, `UPDATE ip_history SET released_at = ? WHERE server_id = ? AND released_at IS NULL`, ts(at), id); err != nil {
		return 0, err
	}
	return int(n), nil
}

func (q *Q) SetReverse(ctx context.Context, id int64, reverse string) error {
	return q.update1(ctx, "IP", `UPDATE ip_addresses SET reverse = ? WHERE id = ?`, reverse, id)
}
