package responses

import (
	"context"
	"errors"
	"fmt"

	"github.com/mimo2api/mimo2api/internal/data/store"
)

// dbStore is a Store over the gateway's persistent store. It asks the host for the store at
// every use: the host opens it on first use and keeps it, and a failure to open it fails only
// the operation at hand (the next one tries again).
type dbStore struct {
	host store.Host
}

// NewDBStore returns a Store kept in the persistent store that h offers. A response's
// conversation is kept as JSON in store.Response.Conversation; Get does not return the input
// items (list them with store.Store.ListInputItems).
func NewDBStore(h store.Host) Store { return dbStore{h} }

// Get implements Store.
func (s dbStore) Get(ctx context.Context, id string) (*Stored, error) {
	db, err := s.host.Store()
	if err != nil {
		return nil, fmt.Errorf("open the store: %w", err)
	}
	r, err := db.GetResponse(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	msgs, err := decodeConversation(r.Conversation)
	if err != nil {
		return nil, fmt.Errorf("response %s: %w", id, err)
	}
	return &Stored{
		ID:         r.ID,
		Status:     r.Status,
		CreatedAt:  r.CreatedAt,
		Model:      r.Model,
		Response:   r.Body,
		PreviousID: r.PreviousID,
		Messages:   msgs,
	}, nil
}

// Put implements Store.
func (s dbStore) Put(ctx context.Context, r *Stored) error {
	conv, err := encodeConversation(r.Messages)
	if err != nil {
		return fmt.Errorf("response %s: %w", r.ID, err)
	}
	db, err := s.host.Store()
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	return db.PutResponse(ctx, store.Response{
		ID:           r.ID,
		Model:        r.Model,
		Status:       r.Status,
		Body:         r.Response,
		Input:        r.InputItems,
		Conversation: conv,
		PreviousID:   r.PreviousID,
		CreatedAt:    r.CreatedAt,
	})
}
