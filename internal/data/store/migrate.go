package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema versions in order: migrations[i] brings the schema from version i
// to version i+1. Append only; never edit a released step.
var migrations = []string{
	// 1: messages, responses with input items, batches with their requests.
	`
CREATE TABLE messages (
	id         TEXT PRIMARY KEY,
	model      TEXT NOT NULL,
	body       BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX messages_created ON messages(created_at);

CREATE TABLE responses (
	id           TEXT PRIMARY KEY,
	model        TEXT NOT NULL,
	status       TEXT NOT NULL,
	body         BLOB NOT NULL,
	conversation BLOB,
	previous_id  TEXT NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX responses_created ON responses(created_at);

CREATE TABLE input_items (
	response_id TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	item_id     TEXT NOT NULL,
	body        BLOB NOT NULL,
	PRIMARY KEY (response_id, seq)
) WITHOUT ROWID;
CREATE INDEX input_items_id ON input_items(response_id, item_id);

CREATE TABLE batches (
	seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
	id                  TEXT NOT NULL UNIQUE,
	model               TEXT NOT NULL,
	status              TEXT NOT NULL,
	processing          INTEGER NOT NULL,
	succeeded           INTEGER NOT NULL DEFAULT 0,
	errored             INTEGER NOT NULL DEFAULT 0,
	canceled            INTEGER NOT NULL DEFAULT 0,
	expired             INTEGER NOT NULL DEFAULT 0,
	created_at          INTEGER NOT NULL,
	expires_at          INTEGER NOT NULL,
	cancel_initiated_at INTEGER,
	ended_at            INTEGER
);
CREATE INDEX batches_open ON batches(expires_at) WHERE status <> 'ended';

CREATE TABLE batch_requests (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	batch_id    TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
	custom_id   TEXT NOT NULL,
	params      BLOB NOT NULL,
	state       TEXT NOT NULL,
	result      BLOB,
	attempts    INTEGER NOT NULL DEFAULT 0,
	lease_owner TEXT,
	lease_until INTEGER,
	UNIQUE (batch_id, custom_id)
);
CREATE INDEX batch_requests_batch ON batch_requests(batch_id);
CREATE INDEX batch_requests_open ON batch_requests(seq) WHERE state IN ('pending', 'running');
CREATE INDEX batch_requests_batch_open ON batch_requests(batch_id) WHERE state IN ('pending', 'running');
`,
	// 2: session.continuity conversation states.
	`
CREATE TABLE sessions (
	key             TEXT PRIMARY KEY,
	account         TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	model           TEXT NOT NULL,
	seen            INTEGER NOT NULL,
	prefix          TEXT NOT NULL,
	answer          TEXT NOT NULL,
	system          TEXT NOT NULL,
	prompt_tokens   INTEGER NOT NULL,
	turns           INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	last_used       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_used ON sessions(last_used);
CREATE INDEX sessions_account_used ON sessions(account, last_used);
`,
}

// migrate applies the missing migrations, each in its own transaction that re-reads the
// version first, so concurrent openers apply every step once.
func (s *SQLite) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: create schema_version: %w", err)
	}
	for {
		done := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			switch {
			case v > len(migrations):
				return fmt.Errorf("version %d, want at most %d: %w", v, len(migrations), ErrSchemaTooNew)
			case v == len(migrations):
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
				v+1, nanos(s.now())); err != nil {
				return fmt.Errorf("record version %d: %w", v+1, err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if done {
			return nil
		}
	}
}
