package session

import (
	"context"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
)

// SQLStore is a Store in the host's database (internal/data/store). The database is the
// host's, not the chain entry's, so conversations survive restarts and configuration reloads,
// and every session.continuity entry of the host shares them. It is opened on first use.
type SQLStore struct {
	host store.Host
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a Store over the database of h.
func NewSQLStore(h store.Host) *SQLStore { return &SQLStore{host: h} }

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, key string) (State, bool, error) {
	db, err := s.host.Store()
	if err != nil {
		return State{}, false, err
	}
	rec, ok, err := db.GetSession(ctx, key)
	if err != nil || !ok {
		return State{}, false, err
	}
	return fromRecord(rec), true, nil
}

// Put implements Store.
func (s *SQLStore) Put(ctx context.Context, from, key string, st State) error {
	db, err := s.host.Store()
	if err != nil {
		return err
	}
	return db.PutSession(ctx, from, key, toRecord(st))
}

// Delete implements Store.
func (s *SQLStore) Delete(ctx context.Context, key string) error {
	db, err := s.host.Store()
	if err != nil {
		return err
	}
	return db.DeleteSession(ctx, key)
}

// Evict implements Store.
func (s *SQLStore) Evict(ctx context.Context, cutoff time.Time, maxPerAccount int) ([]State, error) {
	db, err := s.host.Store()
	if err != nil {
		return nil, err
	}
	recs, err := db.EvictSessions(ctx, cutoff, maxPerAccount)
	if err != nil {
		return nil, err
	}
	out := make([]State, len(recs))
	for i, r := range recs {
		out[i] = fromRecord(r)
	}
	return out, nil
}

// toRecord and fromRecord convert between State and the store's record, which has the same
// fields in the same order: a field added to one but not the other breaks the build here.
func toRecord(st State) store.Session { return store.Session(st) }

func fromRecord(r store.Session) State { return State(r) }
