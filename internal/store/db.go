package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/itsgow/itsgow/internal/errs"
)

// Engine names a database engine.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Config selects and tunes the database.
type Config struct {
	// URL is a postgres:// URL; empty selects SQLite in DataDir.
	URL string `yaml:"url" secret:"true"`
	// URLFile reads URL from a file (secrets come from files).
	URLFile string `yaml:"url_file"`
	// MaxOpenConns bounds the read pool (and the whole pool on PostgreSQL).
	MaxOpenConns int `yaml:"max_open_conns"`
	// BusyTimeout is SQLite's lock wait.
	BusyTimeout time.Duration `yaml:"busy_timeout"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxOpenConns: 16, BusyTimeout: 10 * time.Second}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return errors.New("database.url: must be a postgres:// URL")
		}
	}
	if c.MaxOpenConns < 1 {
		return errors.New("database.max_open_conns: must be at least 1")
	}
	if c.BusyTimeout < 0 {
		return errors.New("database.busy_timeout: must not be negative")
	}
	return nil
}

// DB is an open database with its dialect.
type DB struct {
	engine Engine
	w      *sql.DB // writes (SQLite: one connection)
	r      *sql.DB // reads
	rebind sync.Map
}

// Open opens the database: PostgreSQL when cfg.URL is set, else SQLite at dataDir/itsgow.db.
func Open(ctx context.Context, cfg Config, dataDir string) (*DB, error) {
	if cfg.URL != "" {
		return openPostgres(ctx, cfg)
	}
	return OpenSQLite(ctx, filepath.Join(dataDir, "itsgow.db"), cfg)
}

// OpenSQLite opens (and creates) an SQLite database file.
func OpenSQLite(ctx context.Context, path string, cfg Config) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	bt := cfg.BusyTimeout.Milliseconds()
	if bt <= 0 {
		bt = 10000
	}
	dsn := func(txlock string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout("+strconv.FormatInt(bt, 10)+")")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := cfg.MaxOpenConns
	if n < 1 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{engine: SQLite, w: w, r: r}, nil
}

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	db, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	n := cfg.MaxOpenConns
	if n < 1 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &DB{engine: Postgres, w: db, r: db}, nil
}

// Engine returns the engine in use.
func (db *DB) Engine() Engine { return db.engine }

// Close closes the pools.
func (db *DB) Close() error {
	if db.r != db.w {
		return errors.Join(db.r.Close(), db.w.Close())
	}
	return db.w.Close()
}

// SQL exposes the write pool for tests and tools.
func (db *DB) SQL() *sql.DB { return db.w }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Q runs queries, inside a transaction (from WithTx) or on the read pool (from Read).
type Q struct {
	db *DB
	ex execer
	tx bool
	// afterCommit hooks run once the transaction committed.
	afterCommit []func()
}

// Read returns a querier on the read pool (no transaction).
func (db *DB) Read() *Q { return &Q{db: db, ex: db.r} }

// WithTx runs fn in a transaction and commits it when fn returns nil.
// On PostgreSQL a serialization failure or deadlock is retried a few times.
func (db *DB) WithTx(ctx context.Context, fn func(q *Q) error) error {
	for attempt := 0; ; attempt++ {
		err := db.withTxOnce(ctx, fn)
		if err != nil && attempt < 5 && db.retryable(err) {
			continue
		}
		return err
	}
}

func (db *DB) withTxOnce(ctx context.Context, fn func(q *Q) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	q := &Q{db: db, ex: tx, tx: true}
	if err := fn(q); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range q.afterCommit {
		f()
	}
	return nil
}

// AfterCommit registers f to run once the surrounding transaction committed (immediately when
// q is not in a transaction).
func (q *Q) AfterCommit(f func()) {
	if !q.tx {
		f()
		return
	}
	q.afterCommit = append(q.afterCommit, f)
}

func (db *DB) retryable(err error) bool {
	if db.engine != Postgres {
		return false
	}
	var c interface{ SQLState() string }
	if errors.As(err, &c) {
		s := c.SQLState()
		return s == "40001" || s == "40P01"
	}
	return false
}

// bind rewrites '?' placeholders to '$n' on PostgreSQL (outside quoted strings).
func (db *DB) bind(query string) string {
	if db.engine != Postgres {
		return query
	}
	if v, ok := db.rebind.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inStr := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	db.rebind.Store(query, out)
	return out
}

func (q *Q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := q.ex.ExecContext(ctx, q.db.bind(query), args...)
	return res, q.db.mapErr(err)
}

func (q *Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := q.ex.QueryContext(ctx, q.db.bind(query), args...)
	return rows, q.db.mapErr(err)
}

func (q *Q) row(ctx context.Context, query string, args ...any) *sql.Row {
	return q.ex.QueryRowContext(ctx, q.db.bind(query), args...)
}

// scanErr maps sql.ErrNoRows to a NotFound error naming what was looked for.
func (q *Q) scanErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, what+" not found", err)
	}
	return q.db.mapErr(err)
}

// ErrUnique marks a unique-constraint violation.
var ErrUnique = errs.Coded(errs.Conflict, "conflict", "already exists")

func (db *DB) mapErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var c interface{ SQLState() string }
	if errors.As(err, &c) && c.SQLState() == "23505" {
		return &errs.Error{Kind: errs.Conflict, Code: "conflict", Msg: "already exists", Cause: err}
	}
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE") {
		return &errs.Error{Kind: errs.Conflict, Code: "conflict", Msg: "already exists", Cause: err}
	}
	return err
}

// IsUnique reports whether err is a unique-constraint violation.
func IsUnique(err error) bool {
	e := errs.As(err)
	return e != nil && e.Kind == errs.Conflict && e.Cause != nil
}
