package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is the state of one upstream conversation that session.continuity continues, stored
// under an opaque key (a hash of the client's credential and its session id or history).
type Session struct {
	// Account is the ID of the account that owns the upstream conversation.
	Account string
	// ConversationID is the upstream conversation.
	ConversationID string
	// Seen is how many non-system messages of the client's history the upstream holds.
	Seen int
	// Prefix is the hash of the history the upstream saw, without its last answer.
	Prefix string
	// Answer is the start of the upstream's last answer, white space removed.
	Answer string
	// System is the hash of the system messages the upstream conversation was given.
	System string
	// PromptTokens is the largest prompt size the upstream reported for the conversation.
	PromptTokens int
	// Model is the upstream model of the last turn.
	Model string
	// Turns counts the completed turns of the upstream conversation.
	Turns int
	// Created and LastUsed are when the conversation started and was last continued.
	Created, LastUsed time.Time
}

// sessionColumns are the columns of a Session in the order scanSession reads them.
const sessionColumns = `account, conversation_id, model, seen, prefix, answer, system, prompt_tokens, turns, created_at, last_used`

// scanSession reads one row of sessionColumns.
func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var (
		s             Session
		created, used int64
	)
	err := row.Scan(&s.Account, &s.ConversationID, &s.Model, &s.Seen, &s.Prefix, &s.Answer, &s.System,
		&s.PromptTokens, &s.Turns, &created, &used)
	s.Created, s.LastUsed = fromNanos(created), fromNanos(used)
	return s, err
}

// GetSession returns the conversation state stored under key.
func (s *SQLite) GetSession(ctx context.Context, key string) (Session, bool, error) {
	q, err := s.stmt(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE key = ?`)
	if err != nil {
		return Session{}, false, fmt.Errorf("store: get session: %w", err)
	}
	st, err := scanSession(q.QueryRowContext(ctx, key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Session{}, false, nil
	case err != nil:
		return Session{}, false, fmt.Errorf("store: get session: %w", err)
	}
	return st, true, nil
}

// upsertSession stores a session under a key.
const upsertSession = `INSERT INTO sessions (key, ` + sessionColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET account = excluded.account, conversation_id = excluded.conversation_id,
		model = excluded.model, seen = excluded.seen, prefix = excluded.prefix, answer = excluded.answer,
		system = excluded.system, prompt_tokens = excluded.prompt_tokens, turns = excluded.turns,
		created_at = excluded.created_at, last_used = excluded.last_used`

// PutSession stores st under key, removing the state under from in the same transaction.
func (s *SQLite) PutSession(ctx context.Context, from, key string, st Session) error {
	if key == "" {
		return fmt.Errorf("store: put session: empty key")
	}
	args := []any{key, st.Account, st.ConversationID, st.Model, st.Seen, st.Prefix, st.Answer, st.System,
		st.PromptTokens, st.Turns, nanos(st.Created), nanos(st.LastUsed)}
	var err error
	if from == "" || from == key {
		_, err = s.exec(ctx, upsertSession, args...)
	} else {
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE key = ?`, from); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, upsertSession, args...)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// DeleteSession removes the state under key.
func (s *SQLite) DeleteSession(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE key = ?`, key); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// evictSessions deletes the expired states and each account's states beyond the ?2 most
// recently used ones (when ?2 > 0), returning what it deleted.
const evictSessions = `DELETE FROM sessions WHERE last_used < ?1 OR (?2 > 0 AND key IN (
		SELECT key FROM (
			SELECT key, row_number() OVER (PARTITION BY account ORDER BY last_used DESC, key) AS n
			FROM sessions WHERE last_used >= ?1
		) WHERE n > ?2
	))
	RETURNING ` + sessionColumns

// EvictSessions removes expired states and the least recently used states of accounts over
// maxPerAccount, and returns them.
func (s *SQLite) EvictSessions(ctx context.Context, cutoff time.Time, maxPerAccount int) ([]Session, error) {
	var gone []Session
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, evictSessions, nanos(cutoff), max(maxPerAccount, 0))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			st, err := scanSession(rows)
			if err != nil {
				return err
			}
			gone = append(gone, st)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: evict sessions: %w", err)
	}
	return gone, nil
}

// ListSessions returns up to limit states, most recently used first.
func (s *SQLite) ListSessions(ctx context.Context, limit int) ([]Session, error) {
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		ORDER BY last_used DESC, key LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		st, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list sessions: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	return out, nil
}
