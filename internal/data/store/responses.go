package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// PutResponse stores (or replaces) a Responses object together with its input items.
func (s *SQLite) PutResponse(ctx context.Context, r Response) error {
	if r.ID == "" {
		return fmt.Errorf("store: put response: empty id")
	}
	ids := make([]string, len(r.Input))
	for i, item := range r.Input {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(item, &v); err != nil {
			return fmt.Errorf("store: put response %s: input item %d: %w", r.ID, i, err)
		}
		ids[i] = v.ID
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO responses (id, model, status, body, conversation, previous_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET model = excluded.model, status = excluded.status, body = excluded.body,
				conversation = excluded.conversation, previous_id = excluded.previous_id, created_at = excluded.created_at`,
			r.ID, r.Model, r.Status, []byte(r.Body), nullBytes(r.Conversation), r.PreviousID, nanos(r.CreatedAt))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM input_items WHERE response_id = ?`, r.ID); err != nil {
			return err
		}
		if len(r.Input) == 0 {
			return nil
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO input_items (response_id, seq, item_id, body) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i, item := range r.Input {
			if _, err := ins.ExecContext(ctx, r.ID, i, ids[i], []byte(item)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put response %s: %w", r.ID, err)
	}
	return nil
}

// GetResponse returns the response with the given ID, without its Input.
func (s *SQLite) GetResponse(ctx context.Context, id string) (Response, error) {
	r := Response{ID: id}
	var (
		body, conv []byte
		created    int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT model, status, body, conversation, previous_id, created_at
		FROM responses WHERE id = ?`, id).Scan(&r.Model, &r.Status, &body, &conv, &r.PreviousID, &created)
	if err != nil {
		return Response{}, fmt.Errorf("store: get response %s: %w", id, notFound(err))
	}
	r.Body, r.Conversation, r.CreatedAt = body, conv, fromNanos(created)
	return r, nil
}

// DeleteResponse deletes a response and its input items.
func (s *SQLite) DeleteResponse(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM responses WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("store: delete response %s: %w", id, err)
	}
	return nil
}

// Input item page queries, one per fetch direction.
const (
	inputItemsAsc = `SELECT body FROM input_items WHERE response_id = ? AND seq > ? AND seq < ?
		ORDER BY seq ASC LIMIT ?`
	inputItemsDesc = `SELECT body FROM input_items WHERE response_id = ? AND seq > ? AND seq < ?
		ORDER BY seq DESC LIMIT ?`
)

// ListInputItems returns one page of a response's input items and whether more follow.
func (s *SQLite) ListInputItems(ctx context.Context, responseID string, page Page) ([]json.RawMessage, bool, error) {
	items, more, err := s.listInputItems(ctx, responseID, page)
	if err != nil {
		return nil, false, fmt.Errorf("store: list input items of %s: %w", responseID, err)
	}
	return items, more, nil
}

func (s *SQLite) listInputItems(ctx context.Context, responseID string, page Page) ([]json.RawMessage, bool, error) {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM responses WHERE id = ?`, responseID).Scan(&one); err != nil {
		return nil, false, notFound(err)
	}
	w, err := page.resolve(func(id string) (int64, error) {
		var seq int64
		err := s.db.QueryRowContext(ctx, `SELECT seq FROM input_items WHERE response_id = ? AND item_id = ?
			ORDER BY seq LIMIT 1`, responseID, id).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("no input item %q: %w", id, ErrInvalidPage)
		}
		return seq, err
	})
	if err != nil {
		return nil, false, err
	}
	q := inputItemsAsc
	if w.desc {
		q = inputItemsDesc
	}
	rows, err := s.db.QueryContext(ctx, q, responseID, w.lo, w.hi, w.limit+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var items []json.RawMessage
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, false, err
		}
		items = append(items, b)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	items, more := trim(w, items)
	return items, more, nil
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
