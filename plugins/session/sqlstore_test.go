package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// dbHost is a plugintest host that offers a SQLite store at path, opened on first use as the
// gateway's host does.
type dbHost struct {
	*plugintest.Host
	path string
	fail error // Store fails with it when set

	mu    sync.Mutex
	db    *store.SQLite
	opens int
}

var _ store.Host = (*dbHost)(nil)

// newDBHost returns a host whose database lives at path; the database is closed when the test
// ends.
func newDBHost(t *testing.T, path string) *dbHost {
	h := &dbHost{Host: plugintest.NewHost(t), path: path}
	t.Cleanup(h.close)
	return h
}

func (h *dbHost) Store() (store.Store, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return nil, h.fail
	}
	if h.db == nil {
		db, err := store.OpenSQLite(h.path, store.Options{})
		if err != nil {
			return nil, err
		}
		h.db, h.opens = db, h.opens+1
	}
	return h.db, nil
}

// close closes the database, as a gateway that stops does.
func (h *dbHost) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.db != nil {
		h.db.Close()
		h.db = nil
	}
}

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "data", "mimo2api.db") }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestStoreChoice(t *testing.T) {
	tests := []struct {
		name string
		db   bool // the host offers a store
		with string
		sql  bool
	}{
		{name: "store host", db: true, with: ``, sql: true},
		{name: "store host, persist", db: true, with: `{"persist":true}`, sql: true},
		{name: "store host, persist off", db: true, with: `{"persist":false}`},
		{name: "plain host", with: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := dbPath(t)
			var h plugin.Host = plugintest.NewHost(t)
			if tt.db {
				h = newDBHost(t, path)
			}
			c := plugintest.Load[*Continuity](t, h, ID, tt.with)
			if _, ok := sqlOf(t, c); ok != tt.sql {
				t.Errorf("store %T, want SQL %v", c.store, tt.sql)
			}
			if exists(path) {
				t.Fatal("loading the plugin created the database")
			}
			run(t, c, &fake{answer: "ok"}, "", user("hi"))
			sqlOf(t, c) // waits for the writes behind
			if exists(path) != tt.sql {
				t.Errorf("database exists %v after a turn, want %v", exists(path), tt.sql)
			}
		})
	}
}

// TestSQLStoreRoundTrip checks that a state reads back from the database as the memory store
// returns it.
func TestSQLStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	sq := NewSQLStore(newDBHost(t, dbPath(t)))
	mem := NewMemoryStore()
	now := time.Unix(1_700_000_000, 123).UTC()
	st := State{Account: "A", ConversationID: "c", Seen: 3, Prefix: "p", Answer: "Hi", System: "s",
		PromptTokens: 99, Model: "mimo-v2.5-pro", Turns: 2, Created: now.Add(-time.Hour), LastUsed: now}
	for _, s := range []Store{sq, mem} {
		if err := s.Put(ctx, "", "k", st); err != nil {
			t.Fatal(err)
		}
	}
	fromSQL, ok1, err := sq.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	fromMem, ok2, _ := mem.Get(ctx, "k")
	if !ok1 || !ok2 {
		t.Fatalf("found: sql %v memory %v", ok1, ok2)
	}
	if diff := cmp.Diff(fromMem, fromSQL); diff != "" {
		t.Errorf("SQL state (-memory +sql):\n%s", diff)
	}
	if err := sq.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := sq.Get(ctx, "k"); ok {
		t.Error("deleted state still there")
	}
}

// TestSQLStoreConversation runs a conversation with a tool round trip and an explicit session
// id through the database-backed store.
func TestSQLStoreConversation(t *testing.T) {
	c := plugintest.Load[*Continuity](t, newDBHost(t, dbPath(t)), ID, ``)
	f := &fake{answer: "Let me check."}
	u1 := user("Weather in Paris?")
	c1, err := run(t, c, f, "", sys("S"), u1)
	if err != nil {
		t.Fatal(err)
	}
	a1 := asst("Let me check.", plugin.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`})
	f.answer = "Sunny."
	c2, err := run(t, c, f, "", sys("S"), u1, a1, toolResult("call_1", "sunny"))
	if err != nil {
		t.Fatal(err)
	}
	if !c2.continued || c2.conv != c1.conv || !strings.HasPrefix(c2.query, "tool:") {
		t.Fatalf("turn 2 = %+v, want the tool result alone in %s", c2, c1.conv)
	}
	e1, _ := run(t, c, f, "s-1", user("one"))
	e2, _ := run(t, c, f, "s-1", user("one"), asst("Sunny."), user("two"))
	if !e2.continued || e2.conv != e1.conv || e2.query != "user: two" {
		t.Fatalf("explicit id turn 2 = %+v", e2)
	}
	// The tool conversation is stored once, under its latest history, with its turns counted.
	sq, _ := sqlOf(t, c)
	db, _ := sq.host.Store()
	all, err := db.ListSessions(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	turns := map[string]int{}
	for _, s := range all {
		turns[s.ConversationID] += s.Turns
		if s.Model != "mimo-v2.5-pro" {
			t.Errorf("%s: model %q", s.ConversationID, s.Model)
		}
	}
	if diff := cmp.Diff(map[string]int{c1.conv: 2, e1.conv: 2}, turns); diff != "" {
		t.Errorf("stored turns (-want +got):\n%s", diff)
	}
}

// TestSQLStoreSurvivesReloadAndRestart continues a conversation with a new chain entry on the
// same host (a reload) and with a new host on the same database file (a restart).
func TestSQLStoreSurvivesReloadAndRestart(t *testing.T) {
	path := dbPath(t)
	h := newDBHost(t, path)
	f := &fake{answer: "ok"}
	first := plugintest.Load[*Continuity](t, h, ID, ``)
	c1, _ := run(t, first, f, "", user("a"))
	if err := plugin.Cleanup(first); err != nil {
		t.Fatal(err)
	}

	reloaded := plugintest.Load[*Continuity](t, h, ID, ``)
	c2, _ := run(t, reloaded, f, "", user("a"), asst("ok"), user("b"))
	if !c2.continued || c2.conv != c1.conv || c2.query != "user: b" {
		t.Fatalf("after reload = %+v, want %s continued", c2, c1.conv)
	}
	sqlOf(t, reloaded) // a stopping gateway cleans its plugins up (writing what is queued) before it closes the store
	h.close()

	restarted := plugintest.Load[*Continuity](t, newDBHost(t, path), ID, ``)
	c3, _ := run(t, restarted, f, "", user("a"), asst("ok"), user("b"), asst("ok"), user("c"))
	if !c3.continued || c3.conv != c1.conv || c3.query != "user: c" || c3.preferred != "A" {
		t.Fatalf("after restart = %+v, want %s continued on A", c3, c1.conv)
	}
}

// TestSQLStoreEviction checks ttl and max_per_account against the database.
func TestSQLStoreEviction(t *testing.T) {
	h := newDBHost(t, dbPath(t))
	c := plugintest.Load[*Continuity](t, h, ID, `{"max_per_account":2,"ttl":"1h"}`)
	now := time.Unix(1_700_000_000, 0)
	c.now = func() time.Time { return now }
	f := &fake{answer: "ok"}
	var convs []string
	for _, q := range []string{"one", "two", "three"} {
		cl, _ := run(t, c, f, "", user(q))
		convs = append(convs, cl.conv)
		now = now.Add(time.Minute)
	}
	three := []plugin.Message{user("three"), asst("ok"), user("more")}
	if c3, _ := run(t, c, f, "", three...); !c3.continued || c3.conv != convs[2] {
		t.Errorf("kept conversation = %+v, want %s continued", c3, convs[2])
	}
	// "one" went when "three" came (two per account).
	if c1, _ := run(t, c, f, "", user("one"), asst("ok"), user("more")); c1.continued {
		t.Errorf("evicted conversation continued: %+v", c1)
	}
	now = now.Add(2 * time.Hour)
	if c3, _ := run(t, c, f, "", append(three, asst("ok"), user("again"))...); c3.continued {
		t.Errorf("expired conversation continued: %+v", c3)
	}
}

// TestStoreFailureStartsOver checks that a store that cannot be opened does not fail requests.
func TestStoreFailureStartsOver(t *testing.T) {
	h := newDBHost(t, dbPath(t))
	h.fail = errors.New("disk on fire")
	c := plugintest.Load[*Continuity](t, h, ID, ``)
	f := &fake{answer: "ok"}
	if _, err := run(t, c, f, "", user("a")); err != nil {
		t.Fatal(err)
	}
	h2 := []plugin.Message{user("a"), asst("ok"), user("b")}
	c2, err := run(t, c, f, "s-9", h2...)
	if err != nil {
		t.Fatalf("turn with a failing store: %v", err)
	}
	if c2.continued || c2.query != "user: a\nassistant: ok\nuser: b" {
		t.Errorf("turn = %+v, want a new conversation with the full history", c2)
	}
	if c.locks.size() != 0 {
		t.Errorf("%d locks left", c.locks.size())
	}
}

// sqlOf returns the database store behind c, after the writes queued so far are done.
func sqlOf(t *testing.T, c *Continuity) (*SQLStore, bool) {
	t.Helper()
	switch s := c.store.(type) {
	case *SQLStore:
		return s, true
	case *writeBehind:
		s.flush()
		sq, ok := s.disk.(*SQLStore)
		return sq, ok
	}
	return nil, false
}
