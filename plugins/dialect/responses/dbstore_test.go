package responses

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// dbHost is a host that offers a persistent store, or fails to open it.
type dbHost struct {
	*plugintest.Host
	db    store.Store
	err   error
	opens *int
}

func (h dbHost) Store() (store.Store, error) {
	if h.opens != nil {
		*h.opens++
	}
	return h.db, h.err
}

// openDB opens a SQLite store in a temporary directory.
func openDB(t testing.TB) *store.SQLite {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "test.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newDBDialect loads the dialect with deterministic ids over h.
func newDBDialect(t testing.TB, h plugin.Host, with string) *Responses {
	t.Helper()
	d := plugintest.Load[*Responses](t, h, ID, with)
	fixed := newDialect(t)
	d.newID, d.now = fixed.newID, fixed.now
	return d
}

func TestDBStore(t *testing.T) {
	db := openDB(t)
	d := newDBDialect(t, dbHost{Host: plugintest.NewHost(t), db: db}, `{}`)

	body := `{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"see"},` +
		`{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]}]}`
	_, first := run(t, d, body, plugin.Events(reasoning("hm"), toolCall("call_1", "f", `{"a":1}`)))
	id := gjson.Get(first, "id").Str
	if !gjson.Get(first, "store").Bool() {
		t.Errorf("store echo false: %s", first)
	}
	r, err := db.GetResponse(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body)+"\n" != first || r.Status != "completed" || r.Model != "m" {
		t.Errorf("stored %s %s %s", r.Status, r.Model, r.Body)
	}
	items, _, err := db.ListInputItems(t.Context(), id, store.Page{Order: "asc"})
	if err != nil || len(items) != 1 || gjson.GetBytes(items[0], "content.1.type").Str != "input_image" {
		t.Fatalf("input items %s, %v", items, err)
	}

	// The second turn continues the stored conversation, image bytes included.
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","previous_response_id":"`+id+`","input":[{"type":"function_call_output","call_id":"call_1","output":"ok"}]}`)
	var got []plugin.Message
	err = d.Handle(t.Context(), ex, func(_ context.Context, ex *plugin.Exchange) error {
		got = ex.Request.Messages
		ex.Response.Events = plugin.Events(text("done"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []plugin.Message{
		{Role: plugin.RoleUser, Parts: []plugin.Part{{Text: "see"}, {Kind: plugin.PartImage, MIME: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}}},
		{Role: plugin.RoleAssistant, Reasoning: "hm", ToolCalls: []plugin.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"a":1}`}}},
		{Role: plugin.RoleTool, ToolCallID: "call_1", Parts: []plugin.Part{{Text: "ok"}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("continued conversation (-want +got):\n%s", d)
	}
	second := plugintest.Body(t, plugintest.Write(t, d, ex, nil))
	r2, err := db.GetResponse(t.Context(), gjson.Get(second, "id").Str)
	if err != nil || r2.PreviousID != id {
		t.Errorf("second response: previous %q, %v", r2.PreviousID, err)
	}
}

func TestDBStoreConfig(t *testing.T) {
	body := `{"model":"m","previous_response_id":"resp_nope","input":"x"}`
	broken := errors.New("disk on fire")
	tests := []struct {
		name    string
		with    string
		openErr error
		status  int
		opens   int
	}{
		{"enabled", `{}`, nil, 404, 1},
		{"disabled", `{"store":false}`, nil, 400, 0},
		{"cannot open", `{}`, broken, 500, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opens int
			h := dbHost{Host: plugintest.NewHost(t), db: openDB(t), err: tt.openErr, opens: &opens}
			d := newDBDialect(t, h, tt.with)
			if opens != 0 {
				t.Errorf("the store was opened at provision")
			}
			ex := plugintest.NewExchange("/v1/responses", body)
			e := plugin.AsError(d.Handle(t.Context(), ex, plugintest.Reply(text("x"))))
			if e == nil || e.Status != tt.status {
				t.Errorf("err = %v, want status %d", e, tt.status)
			}
			if opens != tt.opens {
				t.Errorf("store opened %d times, want %d", opens, tt.opens)
			}
			if e != nil && strings.Contains(e.Message, "disk on fire") {
				t.Errorf("the cause leaked to the client: %q", e.Message)
			}
		})
	}
}

func TestDBStoreOpenFailureStillAnswers(t *testing.T) {
	h := dbHost{Host: plugintest.NewHost(t), err: errors.New("disk on fire")}
	d := newDBDialect(t, h, `{}`)
	resp, out := run(t, d, `{"model":"m","input":"x"}`, plugin.Events(text("hello")))
	if resp.StatusCode != 200 || gjson.Get(out, "output_text").Str != "hello" {
		t.Errorf("%d %s", resp.StatusCode, out)
	}
}
