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

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options tunes a SQLite store. The zero value is ready to use.
type Options struct {
	// Clock returns the current time; nil means time.Now. Tests replace it to expire leases
	// and batches without sleeping.
	Clock func() time.Time
	// BusyTimeout is how long a write waits for another process holding the database lock;
	// 0 means 5s.
	BusyTimeout time.Duration
	// MaxConns caps the open connections (one writer at a time, the rest read); 0 means 4.
	MaxConns int
}

// SQLite is the embedded-database [Store]. Writes are serialised in-process and run in
// BEGIN IMMEDIATE transactions, so several processes may share the file; reads run
// concurrently thanks to WAL mode.
type SQLite struct {
	db    *sql.DB
	now   func() time.Time
	write chan struct{} // a one-slot semaphore serialising writers; honours ctx
	stmts sync.Map      // query → *sql.Stmt: statements run on every request are parsed once
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating it and its directory if needed) the database at path and brings
// its schema up to date. A database whose schema is newer than this program knows is refused
// with an error wrapping ErrSchemaTooNew.
func OpenSQLite(path string, opts Options) (*SQLite, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store: invalid database path %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	conns := opts.MaxConns
	if conns <= 0 {
		conns = 4
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	s := &SQLite{db: db, now: opts.Clock, write: make(chan struct{}, 1)}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *SQLite) Close() error {
	// Let SQLite refresh its query planner statistics; failure is harmless.
	s.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	_, _ = s.db.Exec("PRAGMA optimize")
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// exec runs one writing statement on its own (SQLite makes it atomic), one writer at a time.
func (s *SQLite) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	select {
	case s.write <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.write }()
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// stmt returns the prepared statement of query, preparing it on first use.
func (s *SQLite) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// tx runs fn in a write transaction, one at a time. fn's errors are returned as they are, so
// fn wraps them with context itself.
func (s *SQLite) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.write <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.write }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// nanos stores a time as Unix nanoseconds; the zero time stays 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// nullNanos stores an optional time.
func nullNanos(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// fromNullNanos is the inverse of nullNanos.
func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
