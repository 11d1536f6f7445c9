// Package store is the gateway's persistent state: completed Anthropic messages, stored OpenAI
// Responses objects with their input items, Anthropic message batches with a crash-safe work
// queue of their requests, and the upstream conversations session.continuity continues.
//
// [Store] is the interface the rest of the gateway depends on; [SQLite] is the default
// implementation, one embedded database file under the data directory.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"
)

// Sentinel errors. Errors returned by a [Store] wrap them; test with [errors.Is].
var (
	// ErrNotFound reports that the message, response or batch does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyFinished reports that a batch request already has its result.
	ErrAlreadyFinished = errors.New("batch request already finished")
	// ErrExists reports a duplicate batch ID or a duplicate custom_id within a batch.
	ErrExists = errors.New("already exists")
	// ErrInvalidPage reports a bad [Page]: an unknown order or a cursor that is not in the list.
	ErrInvalidPage = errors.New("invalid page")
	// ErrSchemaTooNew reports a database written by a newer version of the gateway.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
)

// Store is the gateway's persistent state. Implementations are safe for concurrent use.
type Store interface {
	// PutMessage stores (or replaces) a completed Anthropic message.
	PutMessage(ctx context.Context, m Message) error
	// GetMessage returns the message with the given ID or an error wrapping ErrNotFound.
	GetMessage(ctx context.Context, id string) (Message, error)

	// PutResponse stores (or replaces) a Responses object together with its input items.
	PutResponse(ctx context.Context, r Response) error
	// GetResponse returns the response with the given ID, without its Input (see
	// ListInputItems), or an error wrapping ErrNotFound.
	GetResponse(ctx context.Context, id string) (Response, error)
	// DeleteResponse deletes a response and its input items, or returns an error wrapping
	// ErrNotFound.
	DeleteResponse(ctx context.Context, id string) error
	// ListInputItems returns one page of a response's input items and whether more follow.
	// Items are in input order for Order "asc" and reversed for "desc" (the default); After and
	// Before are item IDs. An unknown response is ErrNotFound, an unknown cursor ErrInvalidPage.
	ListInputItems(ctx context.Context, responseID string, page Page) (items []json.RawMessage, hasMore bool, err error)

	// CreateBatch stores a new batch in progress and its requests, all pending. It sets the
	// batch's status and counts itself; see [Batch] for the defaults of its times.
	CreateBatch(ctx context.Context, b Batch, reqs []BatchRequest) error
	// GetBatch returns a batch or an error wrapping ErrNotFound.
	GetBatch(ctx context.Context, id string) (Batch, error)
	// ListBatches returns one page of batches, newest first by default (After and Before are
	// batch IDs), and whether more follow.
	ListBatches(ctx context.Context, page Page) ([]Batch, bool, error)
	// DeleteBatch deletes a batch with its requests and results, whatever its status.
	DeleteBatch(ctx context.Context, id string) error
	// CancelBatch cancels a batch: pending requests become canceled at once; the batch is
	// "canceling" while some request still runs, then "ended". Canceling an ended or
	// canceling batch changes nothing. It returns the batch as stored afterwards.
	CancelBatch(ctx context.Context, id string, now time.Time) (Batch, error)
	// ClaimRequest atomically moves the oldest claimable request of any in-progress batch to
	// running, leased to owner until now+lease, and increments its Attempts. A request is
	// claimable when pending, or running with an expired lease (its worker died). Before
	// claiming it settles what time decided: unfinished requests of batches past their
	// ExpiresAt (except running ones with a live lease) become expired, and requests of
	// canceling batches whose lease expired become canceled. ok is false when nothing is
	// claimable. A worker whose job outlasts its lease loses the request to another worker;
	// the first FinishRequest wins.
	ClaimRequest(ctx context.Context, owner string, lease time.Duration) (req BatchRequest, ok bool, err error)
	// FinishRequest stores a request's final state (succeeded, errored, canceled or expired)
	// and result exactly once: finishing a finished request returns an error wrapping
	// ErrAlreadyFinished and changes nothing. It updates the batch counts and ends the batch
	// when no request is pending or running.
	FinishRequest(ctx context.Context, batchID, customID string, state RequestState, result json.RawMessage) error
	// Results yields the finished requests of a batch in creation order (without Params).
	// Requests canceled or expired by the store have a nil Result.
	Results(ctx context.Context, batchID string) iter.Seq2[BatchRequest, error]

	// GetSession returns the conversation state stored under key; ok is false when there is
	// none.
	GetSession(ctx context.Context, key string) (s Session, ok bool, err error)
	// PutSession stores (or replaces) s under key. When from is neither empty nor key, the
	// state under from is removed in the same transaction.
	PutSession(ctx context.Context, from, key string, s Session) error
	// DeleteSession removes the state under key; a missing key is not an error.
	DeleteSession(ctx context.Context, key string) error
	// EvictSessions removes the states last used before cutoff and, for each account, all but
	// its maxPerAccount most recently used states (0 means no per-account bound), and returns
	// the removed states.
	EvictSessions(ctx context.Context, cutoff time.Time, maxPerAccount int) ([]Session, error)
	// ListSessions returns up to limit states, most recently used first; limit 0 means
	// DefaultLimit, and it is capped at MaxLimit.
	ListSessions(ctx context.Context, limit int) ([]Session, error)

	// Prune deletes messages and responses created before the cutoff and returns how many.
	Prune(ctx context.Context, before time.Time) (int, error)
	// Close releases the store.
	Close() error
}

// Page selects one page of a list.
type Page struct {
	// Limit is the page size; 0 means DefaultLimit, and it is capped at MaxLimit.
	Limit int
	// Order is "asc" or "desc"; empty means "desc" (newest or last first).
	Order string
	// After, if set, is the ID of the item the page starts after, in Order.
	After string
	// Before, if set, is the ID of the item the page ends before, in Order.
	Before string
}

// Page limits.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)
