package anthropicstore

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// answer runs a messages request through dialect.anthropic and messages.store to a terminal
// replaying evs, writes the response and returns its body.
func answer(t *testing.T, h plugin.Host, body string, evs ...plugin.Event) string {
	t.Helper()
	d := plugintest.Load[*anthropic.Messages](t, h, anthropic.ID, "")
	s := plugintest.Load[*Store](t, h, StoreID, "")
	ex := plugintest.NewExchange("/v1/messages", body)
	err := d.Handle(t.Context(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		return s.Handle(ctx, ex, plugintest.Reply(evs...))
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := d.WriteStream(rec, ex, ex.Response.Events); err != nil {
		t.Fatal(err)
	}
	return rec.Body.String()
}

func TestStoreSavesCompletedMessages(t *testing.T) {
	h := newHost(t)
	get := plugintest.Load[*Get](t, h, GetID, "")
	text := []plugin.Event{{Kind: plugin.EventText, Text: "Hello"}, {Kind: plugin.EventFinish, Finish: plugin.FinishStop}}
	for _, tc := range []struct {
		name, body string
	}{
		{"non-streaming", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`},
		{"streaming", `{"model":"claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := answer(t, h, tc.body, text...)
			id := gjson.Get(out, "id").Str
			if strings.Contains(tc.body, `"stream":true`) {
				id = gjson.Get(out[strings.Index(out, "data: ")+6:], "message.id").Str
			}
			if !strings.HasPrefix(id, "msg_") {
				t.Fatalf("no message id in %s", out)
			}
			m, err := h.db.GetMessage(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Model != "claude-sonnet-4-5" || gjson.GetBytes(m.Body, "content.0.text").Str != "Hello" {
				t.Errorf("stored %s %s", m.Model, m.Body)
			}
			status, hdr, got := call(t, h, get, "GET", "/v1/messages/"+id, id, "")
			if status != 200 || hdr.Get("Content-Type") != "application/json" || strings.TrimSpace(got) != string(m.Body) {
				t.Errorf("get: %d %s", status, got)
			}
		})
	}
}

func TestStoreFailureDoesNotFailTheRequest(t *testing.T) {
	h := newHost(t)
	h.db.Close() // every save fails
	out := answer(t, h, `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
		plugin.Event{Kind: plugin.EventText, Text: "Hello"})
	if gjson.Get(out, "content.0.text").Str != "Hello" {
		t.Errorf("response %s", out)
	}
}

func TestGetUnknownMessage(t *testing.T) {
	h := newHost(t)
	get := plugintest.Load[*Get](t, h, GetID, "")
	status, _, body := call(t, h, get, "GET", "/v1/messages/msg_x", "msg_x", "")
	if status != 404 || gjson.Get(body, "error.type").Str != "not_found_error" || gjson.Get(body, "error.message").Str != "Message msg_x not found" {
		t.Errorf("%d %s", status, body)
	}
}

func TestStorePrunesOldMessages(t *testing.T) {
	h := newHost(t)
	ctx := t.Context()
	old := store.Message{ID: "msg_old", Model: "m", Body: []byte(`{}`), CreatedAt: time.Now().Add(-2 * time.Hour)}
	fresh := store.Message{ID: "msg_new", Model: "m", Body: []byte(`{}`)}
	for _, m := range []store.Message{old, fresh} {
		if err := h.db.PutMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	plugintest.Load[*Store](t, h, StoreID, `{"retention":"1h","prune_interval":"10ms"}`)
	waitFor(t, "the old message to be pruned", func() bool {
		_, err := h.db.GetMessage(ctx, "msg_old")
		return errors.Is(err, store.ErrNotFound)
	})
	if _, err := h.db.GetMessage(ctx, "msg_new"); err != nil {
		t.Errorf("the fresh message was pruned: %v", err)
	}
}

func TestStoreConfig(t *testing.T) {
	h := newHost(t)
	s := plugintest.Load[*Store](t, h, StoreID, "")
	if s.Retention.Std() != DefaultRetention || s.PruneInterval.Std() != DefaultPruneInterval {
		t.Errorf("defaults %v %v", s.Retention.Std(), s.PruneInterval.Std())
	}
	for _, with := range []string{`{"retention":"-1h"}`, `{"unknown":1}`} {
		if _, err := plugin.Load(StoreID, []byte(with), h); err == nil {
			t.Errorf("%s accepted", with)
		}
	}
	if _, err := plugin.Load(StoreID, nil, plugintest.NewHost(t)); err == nil {
		t.Error("a host without a store was accepted")
	}
}
