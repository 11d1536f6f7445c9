package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"
)

// Conditions selecting a batch's unfinished requests for settle.
const (
	whichPending       = `state = 'pending'`
	whichPendingOrDead = `state = 'pending' OR lease_until <= ?`
	whichDead          = `state = 'running' AND lease_until <= ?`
)

// countColumn is the batches column counting requests in the final state s.
func countColumn(s RequestState) (string, error) {
	switch s {
	case RequestSucceeded:
		return "succeeded", nil
	case RequestErrored:
		return "errored", nil
	case RequestCanceled:
		return "canceled", nil
	case RequestExpired:
		return "expired", nil
	}
	return "", fmt.Errorf("%q is not a final request state", s)
}

// settle moves the batch's unfinished requests selected by which (one of the which*
// conditions, with its args) to the final state to, without a result, and moves them from
// the batch's processing count to to's count. It returns how many moved.
func settle(ctx context.Context, tx *sql.Tx, batchID string, to RequestState, which string, args ...any) (int64, error) {
	col, err := countColumn(to)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE batch_requests SET state = ?, lease_owner = NULL, lease_until = NULL
		WHERE batch_id = ? AND state IN ('pending', 'running') AND (`+which+`)`,
		append([]any{string(to), batchID}, args...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE batches SET processing = processing - ?, `+col+` = `+col+` + ? WHERE id = ?`,
		n, n, batchID)
	return n, err
}

// sweep settles what time has decided: in batches past their expiry, pending requests and
// those whose worker died expire; in canceling batches, requests whose worker died are
// canceled. Batches left without unfinished requests end.
func (s *SQLite) sweep(ctx context.Context, tx *sql.Tx, now time.Time) error {
	type open struct{ id, status string }
	rows, err := tx.QueryContext(ctx, `SELECT id, status FROM batches
		WHERE status <> 'ended' AND (status = 'canceling' OR expires_at <= ?)`, nanos(now))
	if err != nil {
		return err
	}
	var due []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.status); err != nil {
			rows.Close()
			return err
		}
		due = append(due, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range due {
		var err error
		if o.status == BatchCanceling {
			_, err = settle(ctx, tx, o.id, RequestCanceled, whichDead, nanos(now))
		} else {
			_, err = settle(ctx, tx, o.id, RequestExpired, whichPendingOrDead, nanos(now))
		}
		if err != nil {
			return fmt.Errorf("settle batch %s: %w", o.id, err)
		}
		if err := endIfIdle(ctx, tx, o.id, now); err != nil {
			return fmt.Errorf("end batch %s: %w", o.id, err)
		}
	}
	return nil
}

// ClaimRequest leases the oldest claimable request of any in-progress batch to owner.
func (s *SQLite) ClaimRequest(ctx context.Context, owner string, lease time.Duration) (BatchRequest, bool, error) {
	if lease <= 0 {
		return BatchRequest{}, false, fmt.Errorf("store: claim request: lease %v is not positive", lease)
	}
	var (
		r  BatchRequest
		ok bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if err := s.sweep(ctx, tx, now); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		// CROSS JOIN keeps batch_requests the outer loop, walking the open-requests index in
		// creation order, so LIMIT 1 stops at the first claimable row.
		var (
			seq    int64
			state  string
			params []byte
		)
		err := tx.QueryRowContext(ctx, `SELECT r.seq, r.batch_id, r.custom_id, r.params, r.state, r.attempts
			FROM batch_requests r CROSS JOIN batches b ON b.id = r.batch_id
			WHERE r.state IN ('pending', 'running') AND (r.state = 'pending' OR r.lease_until <= ?)
				AND b.status = 'in_progress'
			ORDER BY r.seq LIMIT 1`, nanos(now)).
			Scan(&seq, &r.BatchID, &r.CustomID, &params, &state, &r.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("select: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE batch_requests SET state = 'running', lease_owner = ?,
			lease_until = ?, attempts = attempts + 1 WHERE seq = ?`, owner, nanos(now.Add(lease)), seq); err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		r.Params, r.State, r.Attempts, ok = params, RequestRunning, r.Attempts+1, true
		return nil
	})
	if err != nil {
		return BatchRequest{}, false, fmt.Errorf("store: claim request: %w", err)
	}
	return r, ok, nil
}

// FinishRequest stores a request's final state and result, exactly once.
func (s *SQLite) FinishRequest(ctx context.Context, batchID, customID string, state RequestState, result json.RawMessage) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		col, err := countColumn(state)
		if err != nil {
			return err
		}
		var cur RequestState
		err = tx.QueryRowContext(ctx, `SELECT state FROM batch_requests WHERE batch_id = ? AND custom_id = ?`,
			batchID, customID).Scan(&cur)
		if err != nil {
			return notFound(err)
		}
		if cur.Final() {
			return fmt.Errorf("%w (%s)", ErrAlreadyFinished, cur)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE batch_requests SET state = ?, result = ?, lease_owner = NULL,
			lease_until = NULL WHERE batch_id = ? AND custom_id = ?`,
			string(state), nullBytes(result), batchID, customID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET processing = processing - 1, `+col+` = `+col+` + 1
			WHERE id = ?`, batchID); err != nil {
			return err
		}
		return endIfIdle(ctx, tx, batchID, s.now())
	})
	if err != nil {
		return fmt.Errorf("store: finish request %s/%s: %w", batchID, customID, err)
	}
	return nil
}

// resultsChunk is how many results Results reads per query; it keeps no connection busy
// while the caller consumes them.
const resultsChunk = 256

// Results yields the finished requests of a batch in creation order, without Params. An
// unknown batch yields one error wrapping ErrNotFound.
func (s *SQLite) Results(ctx context.Context, batchID string) iter.Seq2[BatchRequest, error] {
	return func(yield func(BatchRequest, error) bool) {
		var one int
		if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM batches WHERE id = ?`, batchID).Scan(&one); err != nil {
			yield(BatchRequest{}, fmt.Errorf("store: results of %s: %w", batchID, notFound(err)))
			return
		}
		var after int64
		for {
			chunk, last, err := s.resultsAfter(ctx, batchID, after)
			if err != nil {
				yield(BatchRequest{}, fmt.Errorf("store: results of %s: %w", batchID, err))
				return
			}
			for _, r := range chunk {
				if !yield(r, nil) {
					return
				}
			}
			if len(chunk) < resultsChunk {
				return
			}
			after = last
		}
	}
}

// resultsAfter reads the next chunk of finished requests after seq; last is the seq of the
// last one read.
func (s *SQLite) resultsAfter(ctx context.Context, batchID string, after int64) (chunk []BatchRequest, last int64, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, custom_id, state, result, attempts FROM batch_requests
		WHERE batch_id = ? AND seq > ? AND state NOT IN ('pending', 'running') ORDER BY seq LIMIT ?`,
		batchID, after, resultsChunk)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		r := BatchRequest{BatchID: batchID}
		var result []byte
		if err := rows.Scan(&last, &r.CustomID, &r.State, &result, &r.Attempts); err != nil {
			return nil, 0, err
		}
		r.Result = result
		chunk = append(chunk, r)
	}
	return chunk, last, rows.Err()
}
