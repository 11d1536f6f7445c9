package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a controllable time source for Options.Clock.
type clock struct{ n atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.n.Store(t.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.n.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.n.Add(int64(d)) }

// epoch is the fake clock's start.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// open opens a store on a fresh file and closes it when the test ends.
func open(t testing.TB, c *clock) *SQLite {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "state.db"), c)
}

func openAt(t testing.TB, path string, c *clock) *SQLite {
	t.Helper()
	var opts Options
	if c != nil {
		opts.Clock = c.Now
	}
	s, err := OpenSQLite(path, opts)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// versions returns the rows of schema_version.
func versions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "state.db")
	s, err := OpenSQLite(path, Options{})
	if err != nil {
		t.Fatalf("OpenSQLite in a missing dir: %v", err)
	}
	defer s.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
		"busy_timeout": "5000",
	} {
		var got string
		if err := s.db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if _, err := OpenSQLite(filepath.Join(t.TempDir(), "a?b.db"), Options{}); err == nil {
		t.Error("OpenSQLite accepted a path with '?'")
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")

	s, err := OpenSQLite(path, Options{})
	if err != nil {
		t.Fatalf("fresh open: %v", err)
	}
	if got := versions(t, s.db); len(got) != len(migrations) || got[len(got)-1] != len(migrations) {
		t.Fatalf("fresh versions = %v, want 1..%d", got, len(migrations))
	}
	if err := s.PutMessage(ctx, Message{ID: "msg_1", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Reopening is a no-op that keeps the data.
	s, err = OpenSQLite(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if got := versions(t, s.db); len(got) != len(migrations) {
		t.Errorf("versions after reopen = %v, want %d rows", got, len(migrations))
	}
	if _, err := s.GetMessage(ctx, "msg_1"); err != nil {
		t.Errorf("message lost on reopen: %v", err)
	}
	// A newer program wrote this database.
	if _, err := s.db.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()

	if s, err := OpenSQLite(path, Options{}); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("open of a newer schema: err = %v, want ErrSchemaTooNew", err)
	}
}
