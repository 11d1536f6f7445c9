package anthropicstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// testHost is a plugin host with a store and an in-process dispatcher whose answers come from
// serve.
type testHost struct {
	*plugintest.Host
	db      store.Store
	ready   chan struct{}
	stopped chan struct{}

	mu    sync.Mutex
	serve func(ctx context.Context, header http.Header, body []byte) (int, []byte, error)
	calls []string // bodies dispatched
}

func newHost(t *testing.T) *testHost {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "test.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &testHost{Host: plugintest.NewHost(t), db: db, ready: make(chan struct{}), stopped: make(chan struct{})}
	close(h.ready)
	return h
}

func (h *testHost) Store() (store.Store, error) { return h.db, nil }

func (h *testHost) DispatchReady() <-chan struct{} { return h.ready }

func (h *testHost) DispatchStopped() <-chan struct{} { return h.stopped }

func (h *testHost) Dispatch(ctx context.Context, method, path string, header http.Header, body []byte) (int, []byte, error) {
	h.mu.Lock()
	h.calls = append(h.calls, string(body))
	serve := h.serve
	h.mu.Unlock()
	if method != http.MethodPost || path != "/v1/messages" {
		return 404, []byte(`{"type":"error","error":{"type":"not_found_error","message":"no route"}}`), nil
	}
	return serve(ctx, header, body)
}

// dispatched returns the bodies dispatched so far.
func (h *testHost) dispatched() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

// call runs terminal p for method target (the {id} wildcard is id) with body and renders the
// result as the runtime would, errors through dialect.anthropic.
func call(t *testing.T, h plugin.Host, p plugin.Terminal, method, target, id, body string) (int, http.Header, string) {
	t.Helper()
	errs := plugintest.Load[*anthropic.Messages](t, h, anthropic.ID, "")
	ex := plugintest.NewExchange(target, body)
	ex.HTTP.Method = method
	if id != "" {
		ex.HTTP.SetPathValue("id", id)
	}
	rec := httptest.NewRecorder()
	if err := p.Call(t.Context(), ex); err != nil {
		errs.WriteError(rec, ex, plugin.AsError(err))
	} else {
		for k, v := range ex.Response.Header {
			rec.Header()[k] = v
		}
		rec.WriteHeader(http.StatusOK)
		rec.Write(ex.Response.Body)
	}
	return rec.Code, rec.Header(), rec.Body.String()
}

// waitFor polls cond until it holds, with a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}
