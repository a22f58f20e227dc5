// Package store is the persistence adapter of itsgow: one implementation of every domain Store
// interface over database/sql, on SQLite (modernc.org/sqlite, the default) or PostgreSQL (pgx).
//
// Dialect differences (placeholders, time encoding, row locking) never leave this package. SQL is
// written once with '?' placeholders and rebound to '$n' for PostgreSQL. Times are stored in UTC
// with microsecond precision: fixed-width RFC 3339 text on SQLite, timestamptz on PostgreSQL.
// Migrations are embedded, forward-only, one transaction each.
//
// It may import the domain packages, errs, clock and the standard library plus the two drivers.
// A *DB is safe for concurrent use; a *Q obtained inside WithTx must not outlive its callback.
// On SQLite every write goes through a single connection (one writer), reads use a pool.
package store
