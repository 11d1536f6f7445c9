package store

import (
	"context"
	"fmt"
	"time"
)

// PutMessage stores (or replaces) a completed Anthropic message.
func (s *SQLite) PutMessage(ctx context.Context, m Message) error {
	if m.ID == "" {
		return fmt.Errorf("store: put message: empty id")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO messages (id, model, body, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET model = excluded.model, body = excluded.body, created_at = excluded.created_at`,
		m.ID, m.Model, []byte(m.Body), nanos(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: put message %s: %w", m.ID, err)
	}
	return nil
}

// GetMessage returns the message with the given ID.
func (s *SQLite) GetMessage(ctx context.Context, id string) (Message, error) {
	m := Message{ID: id}
	var (
		body    []byte
		created int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT model, body, created_at FROM messages WHERE id = ?`, id).
		Scan(&m.Model, &body, &created)
	if err != nil {
		return Message{}, fmt.Errorf("store: get message %s: %w", id, notFound(err))
	}
	m.Body, m.CreatedAt = body, fromNanos(created)
	return m, nil
}

// pruneChunk bounds how many rows one Prune transaction deletes, so that a large backlog does
// not hold the write lock for long.
const pruneChunk = 500

// Prune deletes messages and responses (with their input items) created before the cutoff.
func (s *SQLite) Prune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, q := range []string{
		`DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE created_at < ? LIMIT ?)`,
		`DELETE FROM responses WHERE rowid IN (SELECT rowid FROM responses WHERE created_at < ? LIMIT ?)`,
	} {
		for {
			res, err := s.exec(ctx, q, before.UnixNano(), pruneChunk)
			var n int64
			if err == nil {
				n, err = res.RowsAffected()
			}
			if err != nil {
				return total, fmt.Errorf("store: prune: %w", err)
			}
			total += int(n)
			if n < pruneChunk {
				break
			}
		}
	}
	return total, nil
}
