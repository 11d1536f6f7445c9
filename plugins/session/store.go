package session

import (
	"context"
	"slices"
	"sync"
	"time"
)

// State is what session.continuity remembers about one upstream conversation.
type State struct {
	// Account is the ID of the account that owns the upstream conversation.
	Account string
	// ConversationID is the upstream conversation.
	ConversationID string
	// Seen is how many non-system messages of the client's history the upstream conversation
	// holds: those of the last request plus the answer the upstream gave to it.
	Seen int
	// Prefix is the hash of the first Seen-1 non-system messages (the history without the
	// upstream's last answer); a request whose history starts otherwise is a fork.
	Prefix string
	// Answer is the start of the upstream's last answer, whitespace removed; the client's copy of
	// that answer must start the same way.
	Answer string
	// System is the hash of the system messages the upstream conversation was given.
	System string
	// PromptTokens is the largest prompt size the upstream reported for the conversation (the
	// upstream counts the whole conversation, so reports are not added up).
	PromptTokens int
	// Model is the upstream model of the last turn.
	Model string
	// Turns counts the completed turns of the upstream conversation.
	Turns int
	// Created and LastUsed are when the conversation started and was last continued.
	Created, LastUsed time.Time
}

// Store keeps conversation states by key. Keys are opaque strings (hashes of a client's
// credential and either its session id or its history); implementations must be safe for
// concurrent use. [MemoryStore] keeps them per chain entry; [SQLStore] keeps them in the host's
// database, across restarts and configuration reloads.
type Store interface {
	// Get returns the state stored under key.
	Get(ctx context.Context, key string) (State, bool, error)
	// Put stores st under key. When from is neither empty nor key, the state under from is
	// removed in the same step: the conversation moved on to a longer history.
	Put(ctx context.Context, from, key string, st State) error
	// Delete removes the state under key.
	Delete(ctx context.Context, key string) error
	// Evict removes the states last used before cutoff and, for each account, all but its
	// maxPerAccount most recently used states (0 means no per-account bound); it returns the
	// removed states.
	Evict(ctx context.Context, cutoff time.Time, maxPerAccount int) ([]State, error)
}

// MemoryStore is a Store in memory.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]State
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: make(map[string]State)} }

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) (State, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[key]
	return st, ok, nil
}

// Put implements Store.
func (s *MemoryStore) Put(_ context.Context, from, key string, st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from != "" && from != key {
		delete(s.m, from)
	}
	s.m[key] = st
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Len returns the number of states.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Evict implements Store. It scans every state; the store holds at most maxPerAccount states
// per account between sweeps, so the scan stays short.
func (s *MemoryStore) Evict(_ context.Context, cutoff time.Time, maxPerAccount int) ([]State, error) {
	_, gone := s.evict(cutoff, maxPerAccount)
	return gone, nil
}

// evict removes what Evict removes and returns the keys too.
func (s *MemoryStore) evict(cutoff time.Time, maxPerAccount int) (keys []string, gone []State) {
	type item struct {
		key  string
		used time.Time
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	perAccount := make(map[string][]item)
	for k, st := range s.m {
		if st.LastUsed.Before(cutoff) {
			keys, gone = append(keys, k), append(gone, st)
			delete(s.m, k)
			continue
		}
		if maxPerAccount > 0 {
			perAccount[st.Account] = append(perAccount[st.Account], item{k, st.LastUsed})
		}
	}
	for _, items := range perAccount {
		if len(items) <= maxPerAccount {
			continue
		}
		slices.SortFunc(items, func(a, b item) int { return b.used.Compare(a.used) })
		for _, it := range items[maxPerAccount:] {
			keys, gone = append(keys, it.key), append(gone, s.m[it.key])
			delete(s.m, it.key)
		}
	}
	return keys, gone
}
