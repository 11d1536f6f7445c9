package discovery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/sim"
)

func ids(ms []Model) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// TestFetchSimulator discovers the simulator's models: only the newest chat series, and the
// audio models, with limits.
func TestFetchSimulator(t *testing.T) {
	var ua atomic.Value
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.Header.Get("User-Agent"))
		if r.Header.Get("Cookie") != "" {
			t.Error("discovery sent cookies")
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ms, err := Fetch(t.Context(), srv.Client(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mimo-v2.5-pro", "mimo-v2.5", "mimo-v2.5-tts", "mimo-v2.5-asr"}
	if got := ids(ms); !slices.Equal(got, want) {
		t.Errorf("models = %v, want %v", got, want)
	}
	if ms[0].Kind != KindChat || ms[0].ContextWindow != 1048576 || ms[0].MaxOutput != 65536 || !ms[0].Default {
		t.Errorf("pro = %+v", ms[0])
	}
	if ms[2].Kind != KindTTS || ms[3].Kind != KindASR || ms[2].ContextWindow != 0 {
		t.Errorf("audio = %+v %+v", ms[2], ms[3])
	}
	if got := ua.Load(); got != "Mozilla/5.0" {
		t.Errorf("User-Agent = %v", got)
	}
}

// upstream is a bot/config server whose answer and availability tests control.
type upstream struct {
	calls atomic.Int32
	mu    sync.Mutex
	body  string
	fail  bool
	gate  chan struct{} // when not nil, requests wait for it to close
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.calls.Add(1)
	u.mu.Lock()
	body, fail, gate := u.body, u.fail, u.gate
	u.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if fail {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	w.Write([]byte(body))
}

func (u *upstream) set(body string, fail bool) {
	u.mu.Lock()
	u.body, u.fail = body, fail
	u.mu.Unlock()
}

func listBody(ids ...string) string {
	b := `{"code":0,"data":{"modelConfigListNg":[`
	for i, id := range ids {
		if i > 0 {
			b += ","
		}
		b += `{"model":"` + id + `"}`
	}
	return b + `]}}`
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling interval
	}
}

func TestCatalogTTLAndFailure(t *testing.T) {
	up := &upstream{body: listBody("mimo-v2.5-pro", "mimo-v2.5")}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, HTTP: srv.Client(), TTL: time.Minute})
	now := time.Unix(1000, 0)
	var clock sync.Mutex
	c.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	advance := func(d time.Duration) { clock.Lock(); now = now.Add(d); clock.Unlock() }

	if got := ids(c.Models(t.Context())); !slices.Equal(got, []string{"mimo-v2.5-pro", "mimo-v2.5"}) {
		t.Fatalf("first list = %v", got)
	}
	c.Models(t.Context())
	if n := up.calls.Load(); n != 1 {
		t.Fatalf("a fresh list was fetched again: %d calls", n)
	}

	// Stale: the old list is served while a background refresh fetches the new one.
	up.set(listBody("mimo-v3"), false)
	advance(2 * time.Minute)
	if got := ids(c.Models(t.Context())); !slices.Equal(got, []string{"mimo-v2.5-pro", "mimo-v2.5"}) {
		t.Fatalf("stale read = %v", got)
	}
	waitFor(t, "background refresh", func() bool { _, ok := c.Lookup("mimo-v3"); return ok })

	// A failed refresh keeps the last good list and reports the error.
	up.set("", true)
	ms, err := c.Refresh(t.Context())
	if err == nil || !slices.Equal(ids(ms), []string{"mimo-v3"}) {
		t.Fatalf("failed refresh = %v, %v", ids(ms), err)
	}
	if _, ok := c.Lookup("mimo-v3"); !ok {
		t.Fatal("a failed refresh dropped the list")
	}
}

func TestCatalogSingleFlight(t *testing.T) {
	up := &upstream{body: listBody("mimo-v2.5"), gate: make(chan struct{})}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, HTTP: srv.Client()})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Refresh(context.Background())
			errs <- err
		})
	}
	waitFor(t, "the first fetch", func() bool { return up.calls.Load() == 1 })
	close(up.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := up.calls.Load(); n != 1 {
		t.Errorf("%d concurrent refreshes made %d calls, want 1", 8, n)
	}
}

func TestCatalogFirstLoadFailure(t *testing.T) {
	up := &upstream{fail: true}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, HTTP: srv.Client()})
	if ms := c.Models(t.Context()); len(ms) != 0 {
		t.Fatalf("models = %v", ids(ms))
	}
	if c.Known() {
		t.Error("Known after a failed first load")
	}
	c.Models(t.Context())
	if n := up.calls.Load(); n != 1 {
		t.Errorf("a failed discovery was retried at once: %d calls", n)
	}
	// Unknown catalog: names pass through.
	if id, ok := c.Resolve("anything"); !ok || id != "anything" {
		t.Errorf("Resolve on an unknown catalog = %q, %v", id, ok)
	}
}

func TestCatalogStatic(t *testing.T) {
	up := &upstream{body: listBody("mimo-v3")}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, HTTP: srv.Client(), Static: []string{"mimo-v2.5-pro", " ", "mimo-v2-flash"}})
	ms, err := c.Refresh(t.Context())
	if err != nil || !slices.Equal(ids(ms), []string{"mimo-v2.5-pro", "mimo-v2-flash"}) {
		t.Fatalf("static refresh = %v, %v", ids(ms), err)
	}
	c.Warm()
	c.Models(t.Context())
	if n := up.calls.Load(); n != 0 {
		t.Errorf("a static catalog called discovery %d times", n)
	}
	if ms[1].ContextWindow != 262144 {
		t.Errorf("static limits = %+v", ms[1])
	}
}

func TestResolve(t *testing.T) {
	c := New(Options{
		Static:  []string{"mimo-v2.5-pro", "mimo-v2.5"},
		Aliases: []Alias{{From: "gpt-4o", To: "mimo-v2.5"}, {From: "Broken", To: "mimo-v1"}},
	})
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"mimo-v2.5-pro", "mimo-v2.5-pro", true},
		{"MiMo-V2.5-Pro", "mimo-v2.5-pro", true},
		{"mimo-v2.5-pro-studio", "mimo-v2.5-pro", true},
		{"GPT-4o", "mimo-v2.5", true},
		{"broken", "", false},
		{"mimo-v9", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Resolve(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
}
