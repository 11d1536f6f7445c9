package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// session returns a state of account acct last used at used.
func session(acct, conv string, used time.Time) Session {
	return Session{
		Account: acct, ConversationID: conv, Model: "mimo-v2.5-pro", Seen: 3, Prefix: "p-" + conv,
		Answer: "Hello", System: "s", PromptTokens: 120, Turns: 2, Created: epoch, LastUsed: used,
	}
}

// TestMigrateSessionsFromV1 opens a database written before the sessions table existed.
func TestMigrateSessionsFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		migrations[0],
		`INSERT INTO schema_version (version, applied_at) VALUES (1, 0)`,
		`INSERT INTO messages (id, model, body, created_at) VALUES ('msg_old', 'm', '{}', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, nil)
	if got := versions(t, s.db); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("versions = %v, want [1 2]", got)
	}
	if _, err := s.GetMessage(ctx, "msg_old"); err != nil {
		t.Errorf("version-1 data lost: %v", err)
	}
	if err := s.PutSession(ctx, "", "k", session("A", "c1", epoch)); err != nil {
		t.Fatalf("sessions table after migration: %v", err)
	}
}

func TestSessionPutGetDelete(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	want := session("A", "c1", epoch.Add(time.Minute))
	want.Created = time.Time{} // the zero time round-trips
	if _, ok, err := s.GetSession(ctx, "k1"); ok || err != nil {
		t.Fatalf("missing key: ok %v err %v", ok, err)
	}
	if err := s.PutSession(ctx, "", "k1", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.GetSession(ctx, "k1")
	if !ok || err != nil {
		t.Fatalf("GetSession: ok %v err %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetSession (-want +got):\n%s", diff)
	}

	// Put replaces; a move removes the old key.
	next := session("A", "c1", epoch.Add(2*time.Minute))
	next.Seen, next.Turns = 5, 3
	if err := s.PutSession(ctx, "k1", "k2", next); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetSession(ctx, "k1"); ok {
		t.Error("the moved-from key is still there")
	}
	if got, ok, _ := s.GetSession(ctx, "k2"); !ok || got.Seen != 5 || got.Turns != 3 {
		t.Errorf("moved state = %+v, %v", got, ok)
	}
	next.Answer = "Bye"
	if err := s.PutSession(ctx, "k2", "k2", next); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := s.GetSession(ctx, "k2"); !ok || got.Answer != "Bye" {
		t.Errorf("replaced state = %+v, %v", got, ok)
	}
	if err := s.PutSession(ctx, "", "", next); err == nil {
		t.Error("an empty key was accepted")
	}

	if err := s.DeleteSession(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetSession(ctx, "k2"); ok {
		t.Error("deleted state still there")
	}
	if err := s.DeleteSession(ctx, "k2"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
}

func TestEvictSessions(t *testing.T) {
	at := func(n int) time.Time { return epoch.Add(time.Duration(n) * time.Minute) }
	// a1…a4 on A, b1 and b2 on B, used at the given minute.
	seed := map[string]Session{
		"a1": session("A", "a1", at(1)), "a2": session("A", "a2", at(2)),
		"a3": session("A", "a3", at(3)), "a4": session("A", "a4", at(4)),
		"b1": session("B", "b1", at(1)), "b2": session("B", "b2", at(5)),
	}
	tests := []struct {
		name   string
		cutoff time.Time
		max    int
		gone   []string // conversation ids evicted
	}{
		{name: "nothing", cutoff: at(0), max: 0},
		{name: "expired only", cutoff: at(2), max: 0, gone: []string{"a1", "b1"}},
		{name: "per account", cutoff: at(0), max: 2, gone: []string{"a1", "a2"}},
		{name: "both", cutoff: at(2), max: 1, gone: []string{"a1", "a2", "a3", "b1"}},
		{name: "all expired", cutoff: at(10), max: 1, gone: []string{"a1", "a2", "a3", "a4", "b1", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, nil)
			for k, st := range seed {
				if err := s.PutSession(ctx, "", k, st); err != nil {
					t.Fatal(err)
				}
			}
			gone, err := s.EvictSessions(ctx, tt.cutoff, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, st := range gone {
				ids = append(ids, st.ConversationID)
				if st.Account == "" || st.LastUsed.IsZero() {
					t.Errorf("evicted state incomplete: %+v", st)
				}
			}
			slices.Sort(ids)
			if diff := cmp.Diff(tt.gone, ids); diff != "" {
				t.Errorf("evicted (-want +got):\n%s", diff)
			}
			left, err := s.ListSessions(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(left)+len(gone) != len(seed) {
				t.Errorf("%d left and %d evicted of %d", len(left), len(gone), len(seed))
			}
			for _, st := range left {
				if slices.Contains(ids, st.ConversationID) {
					t.Errorf("%s evicted but still listed", st.ConversationID)
				}
			}
		})
	}
}

func TestListSessions(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	for i := range 5 {
		st := session("A", fmt.Sprintf("c%d", i), epoch.Add(time.Duration(i)*time.Minute))
		if err := s.PutSession(ctx, "", fmt.Sprintf("k%d", i), st); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		limit int
		want  []string
	}{
		{name: "default limit", limit: 0, want: []string{"c4", "c3", "c2", "c1", "c0"}},
		{name: "limited", limit: 2, want: []string{"c4", "c3"}},
		{name: "capped", limit: MaxLimit + 1, want: []string{"c4", "c3", "c2", "c1", "c0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListSessions(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, st := range got {
				ids = append(ids, st.ConversationID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ListSessions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSessionsConcurrent runs puts, moves, gets, evictions and lists at once (run it with
// -race); every conversation's last state must survive, each under one key.
func TestSessionsConcurrent(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	const workers, turns = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*turns*4)
	for w := range workers {
		wg.Go(func() {
			conv := fmt.Sprintf("c%d", w)
			prev := ""
			for i := range turns {
				key := fmt.Sprintf("%s-%d", conv, i)
				st := session(fmt.Sprintf("acct%d", w%2), conv, epoch.Add(time.Duration(i)*time.Second))
				st.Seen = i
				if err := s.PutSession(ctx, prev, key, st); err != nil {
					errs <- err
					return
				}
				if got, ok, err := s.GetSession(ctx, key); err != nil || !ok || got.Seen != i {
					errs <- fmt.Errorf("%s: get %+v %v %v", key, got, ok, err)
				}
				if _, err := s.EvictSessions(ctx, epoch.Add(-time.Hour), 0); err != nil {
					errs <- err
				}
				if _, err := s.ListSessions(ctx, 100); err != nil {
					errs <- err
				}
				prev = key
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.ListSessions(ctx, MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != workers {
		t.Fatalf("%d states left, want one per conversation (%d)", len(all), workers)
	}
	for _, st := range all {
		if st.Seen != turns-1 {
			t.Errorf("%s: Seen %d, want the last turn %d", st.ConversationID, st.Seen, turns-1)
		}
	}
}
