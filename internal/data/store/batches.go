package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// batchColumns are the columns scanBatch reads, in order.
const batchColumns = `id, model, status, processing, succeeded, errored, canceled, expired,
	created_at, expires_at, cancel_initiated_at, ended_at`

// scanBatch reads one row of batchColumns.
func scanBatch(row interface{ Scan(...any) error }) (Batch, error) {
	var (
		b                 Batch
		created, expires  int64
		canceledAt, ended sql.NullInt64
	)
	err := row.Scan(&b.ID, &b.Model, &b.Status, &b.Counts.Processing, &b.Counts.Succeeded, &b.Counts.Errored,
		&b.Counts.Canceled, &b.Counts.Expired, &created, &expires, &canceledAt, &ended)
	if err != nil {
		return Batch{}, err
	}
	b.CreatedAt, b.ExpiresAt = fromNanos(created), fromNanos(expires)
	b.CancelInitiatedAt, b.EndedAt = fromNullNanos(canceledAt), fromNullNanos(ended)
	return b, nil
}

// CreateBatch stores a new batch and its requests. It ignores b's Status, Counts,
// CancelInitiatedAt and EndedAt and each request's BatchID, State, Result and Attempts: the
// batch starts in progress with every request pending (a batch without requests is ended at
// once). A duplicate batch ID or custom_id is ErrExists.
func (s *SQLite) CreateBatch(ctx context.Context, b Batch, reqs []BatchRequest) error {
	if err := s.createBatch(ctx, b, reqs); err != nil {
		return fmt.Errorf("store: create batch %s: %w", b.ID, err)
	}
	return nil
}

func (s *SQLite) createBatch(ctx context.Context, b Batch, reqs []BatchRequest) error {
	if b.ID == "" {
		return errors.New("empty id")
	}
	seen := make(map[string]struct{}, len(reqs))
	for _, r := range reqs {
		if r.CustomID == "" {
			return errors.New("empty custom_id")
		}
		if _, dup := seen[r.CustomID]; dup {
			return fmt.Errorf("custom_id %q: %w", r.CustomID, ErrExists)
		}
		seen[r.CustomID] = struct{}{}
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = s.now()
	}
	if b.ExpiresAt.IsZero() {
		b.ExpiresAt = b.CreatedAt.Add(DefaultExpiry)
	}
	status, ended := BatchInProgress, sql.NullInt64{}
	if len(reqs) == 0 {
		status, ended = BatchEnded, sql.NullInt64{Int64: b.CreatedAt.UnixNano(), Valid: true}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM batches WHERE id = ?`, b.ID).Scan(&one)
		switch {
		case err == nil:
			return ErrExists
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO batches (id, model, status, processing, created_at, expires_at, ended_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.Model, status, len(reqs), nanos(b.CreatedAt), nanos(b.ExpiresAt), ended); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO batch_requests (batch_id, custom_id, params, state)
			VALUES (?, ?, ?, 'pending')`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range reqs {
			if _, err := ins.ExecContext(ctx, b.ID, r.CustomID, []byte(r.Params)); err != nil {
				return fmt.Errorf("request %q: %w", r.CustomID, err)
			}
		}
		return nil
	})
}

// GetBatch returns a batch.
func (s *SQLite) GetBatch(ctx context.Context, id string) (Batch, error) {
	b, err := scanBatch(s.db.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if err != nil {
		return Batch{}, fmt.Errorf("store: get batch %s: %w", id, notFound(err))
	}
	return b, nil
}

// Batch page queries, one per fetch direction; seq is the creation order.
const (
	batchesAsc  = `SELECT ` + batchColumns + ` FROM batches WHERE seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?`
	batchesDesc = `SELECT ` + batchColumns + ` FROM batches WHERE seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`
)

// ListBatches returns one page of batches (newest first unless page.Order is "asc") and
// whether more follow. An unknown cursor is ErrInvalidPage.
func (s *SQLite) ListBatches(ctx context.Context, page Page) ([]Batch, bool, error) {
	bs, more, err := s.listBatches(ctx, page)
	if err != nil {
		return nil, false, fmt.Errorf("store: list batches: %w", err)
	}
	return bs, more, nil
}

func (s *SQLite) listBatches(ctx context.Context, page Page) ([]Batch, bool, error) {
	w, err := page.resolve(func(id string) (int64, error) {
		var seq int64
		err := s.db.QueryRowContext(ctx, `SELECT seq FROM batches WHERE id = ?`, id).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("no batch %q: %w", id, ErrInvalidPage)
		}
		return seq, err
	})
	if err != nil {
		return nil, false, err
	}
	q := batchesAsc
	if w.desc {
		q = batchesDesc
	}
	rows, err := s.db.QueryContext(ctx, q, w.lo, w.hi, w.limit+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var bs []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, false, err
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	bs, more := trim(w, bs)
	return bs, more, nil
}

// DeleteBatch deletes a batch with its requests and results, whatever its status; a worker
// finishing one of its requests afterwards gets ErrNotFound.
func (s *SQLite) DeleteBatch(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM batches WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("store: delete batch %s: %w", id, err)
	}
	return nil
}

// CancelBatch cancels a batch: pending requests become canceled; the batch is canceling while
// requests still run and ended once none does. An ended or canceling batch is left as it is.
func (s *SQLite) CancelBatch(ctx context.Context, id string, now time.Time) (Batch, error) {
	var b Batch
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM batches WHERE id = ?`, id).Scan(&status); err != nil {
			return notFound(err)
		}
		if status == BatchInProgress {
			if _, err := settle(ctx, tx, id, RequestCanceled, whichPending); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE batches SET status = 'canceling', cancel_initiated_at = ?
				WHERE id = ?`, nanos(now), id); err != nil {
				return err
			}
			if err := endIfIdle(ctx, tx, id, now); err != nil {
				return err
			}
		}
		var err error
		b, err = scanBatch(tx.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return Batch{}, fmt.Errorf("store: cancel batch %s: %w", id, err)
	}
	return b, nil
}

// endIfIdle ends the batch when none of its requests is pending or running.
func endIfIdle(ctx context.Context, tx *sql.Tx, batchID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE batches SET status = 'ended', ended_at = ?
		WHERE id = ? AND processing = 0 AND status <> 'ended'`, nanos(now), batchID)
	return err
}
