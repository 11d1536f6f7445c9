package service

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/mimo2api/mimo2api/api/admin/v1"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/data/store"
)

// lazyStore opens a SQLite store at path on first use, as data.Data.Store does.
type lazyStore struct {
	path  string
	mu    sync.Mutex
	db    *store.SQLite
	opens int
}

func (l *lazyStore) open() (store.Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		db, err := store.OpenSQLite(l.path, store.Options{})
		if err != nil {
			return nil, err
		}
		l.db, l.opens = db, l.opens+1
	}
	return l.db, nil
}

func TestStoreConversations(t *testing.T) {
	path := filepath.Join(t.TempDir(), data.StoreFile)
	l := &lazyStore{path: path}
	t.Cleanup(func() {
		if l.db != nil {
			l.db.Close()
		}
	})
	lister := &StoreConversations{Path: path, Open: l.open, Limit: 2}
	a := NewAdmin(AdminOptions{Pool: data.NewPool(nil, data.PoolOptions{}), Sessions: lister})

	// No database yet: an empty list, and no file created.
	reply, err := a.ListConversations(t.Context(), &v1.ListConversationsRequest{})
	if err != nil || !reply.Available || len(reply.Conversations) != 0 {
		t.Fatalf("before any session = %+v, %v", reply, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) || l.opens != 0 {
		t.Fatalf("listing created the database (stat %v, %d opens)", err, l.opens)
	}

	db, err := l.open()
	if err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1_700_000_000, 0).UTC()
	for i, conv := range []string{"c-old", "c-mid", "c-new"} {
		st := store.Session{Account: "7001", ConversationID: conv, Model: "mimo-v2.5-pro", Seen: 2 * (i + 1),
			Turns: i + 1, LastUsed: base.Add(time.Duration(i) * time.Minute)}
		if err := db.PutSession(t.Context(), "", "key-"+conv, st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := lister.Conversations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []ConversationInfo{
		{ID: "c-new", Account: "7001", Model: "mimo-v2.5-pro", UpdatedAt: base.Add(2 * time.Minute), Turns: 3},
		{ID: "c-mid", Account: "7001", Model: "mimo-v2.5-pro", UpdatedAt: base.Add(time.Minute), Turns: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Conversations (-want +got):\n%s", diff)
	}
	reply, err = a.ListConversations(t.Context(), &v1.ListConversationsRequest{})
	if err != nil || len(reply.Conversations) != 2 || reply.Conversations[0].Id != "c-new" ||
		reply.Conversations[0].UpdatedAt != base.Add(2*time.Minute).Unix() {
		t.Errorf("ListConversations = %+v, %v", reply, err)
	}
}

func TestStoreConversationsOpenFails(t *testing.T) {
	lister := &StoreConversations{Open: func() (store.Store, error) { return nil, errors.New("locked") }}
	a := NewAdmin(AdminOptions{Pool: data.NewPool(nil, data.PoolOptions{}), Sessions: lister})
	if _, err := a.ListConversations(t.Context(), &v1.ListConversationsRequest{}); err == nil {
		t.Error("a store that cannot open listed conversations")
	}
}
