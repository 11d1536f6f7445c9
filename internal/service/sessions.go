package service

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/mimo2api/mimo2api/internal/data/store"
)

// StoreConversations is the ConversationLister over the conversations session.continuity keeps
// in the gateway's database.
type StoreConversations struct {
	// Path is the database file. While it does not exist the list is empty and nothing is
	// created; empty means always open.
	Path string
	// Open returns the store, opening it on first use (data.Data.Store).
	Open func() (store.Store, error)
	// Limit bounds the list, most recently used first (0 means store.MaxLimit).
	Limit int
}

var _ ConversationLister = (*StoreConversations)(nil)

// Conversations implements ConversationLister.
func (s *StoreConversations) Conversations(ctx context.Context) ([]ConversationInfo, error) {
	if s.Path != "" {
		if _, err := os.Stat(s.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	db, err := s.Open()
	if err != nil {
		return nil, err
	}
	limit := s.Limit
	if limit <= 0 {
		limit = store.MaxLimit
	}
	sessions, err := db.ListSessions(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ConversationInfo, 0, len(sessions))
	for _, st := range sessions {
		out = append(out, ConversationInfo{
			ID: st.ConversationID, Account: st.Account, Model: st.Model, UpdatedAt: st.LastUsed, Turns: st.Turns,
		})
	}
	return out, nil
}
