// Package storetest opens real databases for tests: a temporary SQLite file, and a fresh schema
// in the PostgreSQL named by ITSGOW_TEST_POSTGRES_URL. Each runs the same test body, so every
// store behaviour is checked on both engines.
//
// It is imported only from _test.go files. It imports store, testenv and the standard library.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/testenv"
)

// PostgresURL returns the test server URL, or "".
func PostgresURL() string { return os.Getenv("ITSGOW_TEST_POSTGRES_URL") }

// OpenSQLite opens a migrated SQLite database in a temp dir.
func OpenSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "itsgow.db"), store.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	migrate(tb, db)
	return db
}

// PostgresSchemaURL creates a fresh schema and returns a URL whose search_path selects it.
func PostgresSchemaURL(tb testing.TB) string {
	tb.Helper()
	base := PostgresURL()
	testenv.Need(tb, base != "", "ITSGOW_TEST_POSTGRES_URL is not set (make test starts a throwaway PostgreSQL)")
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a migrated database in a fresh PostgreSQL schema.
func OpenPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	cfg := store.DefaultConfig()
	cfg.URL = PostgresSchemaURL(tb)
	cfg.MaxOpenConns = 8
	db, err := store.Open(context.Background(), cfg, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	migrate(tb, db)
	return db
}

func migrate(tb testing.TB, db *store.DB) {
	tb.Helper()
	if _, err := db.Migrate(context.Background(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
}

// Each runs fn once per engine, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenPostgres(t))
	})
}
