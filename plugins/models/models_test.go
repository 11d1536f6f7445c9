package models

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// catalogHost is a test host that shares one catalog, as the gateway's host does.
type catalogHost struct {
	*plugintest.Host
	c *discovery.Catalog
}

func (h catalogHost) Catalog() *discovery.Catalog { return h.c }

// simHost returns a host whose catalog discovers from a fresh simulator, and a counter of
// discovery calls.
func simHost(t *testing.T) (catalogHost, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == discovery.ConfigPath {
			calls.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h := plugintest.NewHost(t)
	h.Set.Models = nil
	h.Set.UpstreamURL = srv.URL
	return catalogHost{h, discovery.New(discovery.Options{BaseURL: srv.URL, HTTP: srv.Client()})}, &calls
}

type listBody struct {
	Object string `json:"object"`
	Data   []struct {
		ID            string `json:"id"`
		OwnedBy       string `json:"owned_by"`
		Kind          string `json:"kind"`
		ContextWindow int    `json:"context_window"`
		MaxOutput     int    `json:"max_output_tokens"`
	} `json:"data"`
}

func TestDiscoveredList(t *testing.T) {
	h, calls := simHost(t)
	l := plugintest.Load[*List](t, h, "models.list", ``)
	ex := plugintest.NewExchange("/v1/models", "")
	if err := l.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	var list listBody
	if err := json.Unmarshal(ex.Response.Body, &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	if want := []string{"mimo-v2.5-pro", "mimo-v2.5", "mimo-v2.5-tts", "mimo-v2.5-asr"}; !slices.Equal(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	if d := list.Data[0]; d.Kind != "chat" || d.ContextWindow != 1048576 || d.MaxOutput != 65536 || d.OwnedBy != "xiaomi" {
		t.Errorf("pro = %+v", d)
	}
	if list.Data[2].Kind != "tts" {
		t.Errorf("tts = %+v", list.Data[2])
	}

	ex = plugintest.NewExchange("/v1/models/x", "")
	ex.HTTP.SetPathValue("id", "mimo-v2.5-asr")
	if err := l.Call(t.Context(), ex); err != nil || !json.Valid(ex.Response.Body) {
		t.Fatalf("get = %s, %v", ex.Response.Body, err)
	}
	ex.HTTP.SetPathValue("id", "mimo-v2-flash") // an older series is not served
	err := l.Call(t.Context(), ex)
	if pe, ok := errors.AsType[*plugin.Error](err); !ok || pe.Status != 404 || pe.Message != "The model 'mimo-v2-flash' does not exist" {
		t.Fatalf("old series: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("discovery calls = %d, want 1 (cached)", n)
	}

	r := plugintest.Load[*List](t, h, "models.refresh", ``)
	if r.PluginInfo().ID != "models.refresh" {
		t.Errorf("id = %s", r.PluginInfo().ID)
	}
	ex = plugintest.NewExchange("/v1/models/refresh", "")
	if err := r.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ex.Response.Body, &list); err != nil || len(list.Data) != 4 {
		t.Fatalf("refresh = %s, %v", ex.Response.Body, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("refresh made %d discovery calls in total, want 2", n)
	}
}

func TestRefreshFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	h := plugintest.NewHost(t)
	h.Set.Models = nil
	ch := catalogHost{h, discovery.New(discovery.Options{BaseURL: srv.URL, HTTP: srv.Client()})}
	r := plugintest.Load[*List](t, ch, "models.list", `{"refresh":true}`)
	err := r.Call(t.Context(), plugintest.NewExchange("/v1/models/refresh", ""))
	if pe, ok := errors.AsType[*plugin.Error](err); !ok || pe.Status != http.StatusBadGateway {
		t.Fatalf("refresh without any list: %v", err)
	}
}

func TestFallbackCatalog(t *testing.T) {
	h := plugintest.NewHost(t)
	h.Set.Models = []string{"only-model"}
	a, b := CatalogOf(h), CatalogOf(h)
	if a != b || !a.Static() {
		t.Fatal("hosts without a catalog must share one process-wide catalog per settings")
	}
	if _, ok := a.Lookup("only-model"); !ok {
		t.Error("the static list is not served")
	}
}

func TestCheck(t *testing.T) {
	h, _ := simHost(t)
	h.c = discovery.New(discovery.Options{
		BaseURL: h.Set.UpstreamURL, HTTP: h.Client,
		Aliases: []discovery.Alias{{From: "gpt-4o", To: "mimo-v2.5"}},
	})
	if _, err := h.c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := plugintest.Load[*Check](t, h, "models.check", `{"kinds":["chat"]}`)
	tests := []struct {
		name, model, upstream string
		status                int
	}{
		{"known", "mimo-v2.5-pro", "", 0},
		{"alias", "gpt-4o", "mimo-v2.5", 0},
		{"case and studio suffix", "MiMo-V2.5-Pro-Studio", "mimo-v2.5-pro", 0},
		{"default", "", "mimo-v2.5-pro", 0},
		{"unknown", "gpt-9", "", 404},
		{"wrong kind", "mimo-v2.5-tts", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := plugintest.NewExchange("/v1/chat/completions", "")
			ex.Request = &plugin.Request{Model: tt.model}
			var reached bool
			err := c.Handle(t.Context(), ex, func(context.Context, *plugin.Exchange) error { reached = true; return nil })
			if tt.status != 0 {
				pe, ok := errors.AsType[*plugin.Error](err)
				if !ok || pe.Status != tt.status || pe.Param != "model" || reached {
					t.Fatalf("err = %v, reached = %v; want status %d before the upstream", err, reached, tt.status)
				}
				return
			}
			if err != nil || !reached || ex.Request.UpstreamModel != tt.upstream {
				t.Fatalf("err = %v, reached = %v, upstream = %q; want %q", err, reached, ex.Request.UpstreamModel, tt.upstream)
			}
		})
	}
}

// TestCheckValidate refuses unknown model kinds.
func TestCheckValidate(t *testing.T) {
	if _, err := plugin.Load("models.check", []byte(`{"kinds":["video"]}`), plugintest.NewHost(t)); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}
