package responsesapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/openai"
	"github.com/mimo2api/mimo2api/plugins/dialect/responses"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// dbHost is a host that offers a persistent store, or fails to open it.
type dbHost struct {
	*plugintest.Host
	db  store.Store
	err error
}

func (h dbHost) Store() (store.Store, error) { return h.db, h.err }

// newHost returns a host over a fresh SQLite store.
func newHost(t *testing.T) dbHost {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "test.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dbHost{Host: plugintest.NewHost(t), db: db}
}

// put stores a response with n input items "item_0"…, in input order.
func put(t *testing.T, db store.Store, id, status string, background bool, n int) store.Response {
	t.Helper()
	r := store.Response{
		ID: id, Model: "m", Status: status,
		Body:         json.RawMessage(fmt.Sprintf(`{"id":%q,"object":"response","status":%q,"background":%t,"output":[]}`, id, status, background)),
		Conversation: json.RawMessage(`{"v":1,"messages":[]}`),
	}
	for i := range n {
		r.Input = append(r.Input, json.RawMessage(fmt.Sprintf(`{"id":"item_%d","type":"message","role":"user","content":"m%d"}`, i, i)))
	}
	if err := db.PutResponse(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// call runs terminal id for a request of method to target, whose {id} is rid, and renders the
// result as the runtime would: an error through the OpenAI chat dialect, the default error
// dialect of routes without one.
func call(t *testing.T, h plugin.Host, pluginID, method, target, rid string) (int, string) {
	t.Helper()
	term := plugintest.Load[plugin.Terminal](t, h, pluginID, `{}`)
	errs := plugintest.Load[*openai.Chat](t, h, openai.ID, `{}`)
	ex := &plugin.Exchange{HTTP: httptest.NewRequest(method, target, nil), Start: time.Now()}
	ex.HTTP.SetPathValue("id", rid)
	rec := httptest.NewRecorder()
	if err := term.Call(t.Context(), ex); err != nil {
		errs.WriteError(rec, ex, plugin.AsError(err))
	} else {
		if ct := ex.Response.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		rec.WriteHeader(http.StatusOK)
		rec.Write(ex.Response.Body)
	}
	return rec.Code, rec.Body.String()
}

// checkNotFound checks the API's exact 404 body.
func checkNotFound(t *testing.T, status int, body, id string) {
	t.Helper()
	want := `{"error":{"message":"Response with id '` + id + `' not found.","type":"invalid_request_error","param":null,"code":null}}`
	if status != 404 || strings.TrimSpace(body) != want {
		t.Errorf("got %d %s, want 404 %s", status, body, want)
	}
}

func TestGet(t *testing.T) {
	h := newHost(t)
	r := put(t, h.db, "resp_1", "completed", false, 1)
	status, body := call(t, h, GetID, "GET", "/v1/responses/resp_1", "resp_1")
	if status != 200 || body != string(r.Body)+"\n" {
		t.Errorf("got %d %s", status, body)
	}
	status, body = call(t, h, GetID, "GET", "/v1/responses/resp_x", "resp_x")
	checkNotFound(t, status, body, "resp_x")
	status, body = call(t, h, GetID, "GET", "/v1/responses/resp_1?stream=true", "resp_1")
	if status != 400 || gjson.Get(body, "error.param").Str != "stream" {
		t.Errorf("stream: %d %s", status, body)
	}
}

func TestDelete(t *testing.T) {
	h := newHost(t)
	put(t, h.db, "resp_1", "completed", false, 3)
	status, body := call(t, h, DeleteID, "DELETE", "/v1/responses/resp_1", "resp_1")
	if status != 200 || strings.TrimSpace(body) != `{"id":"resp_1","object":"response","deleted":true}` {
		t.Errorf("got %d %s", status, body)
	}
	if _, err := h.db.GetResponse(t.Context(), "resp_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("still stored: %v", err)
	}
	status, body = call(t, h, DeleteID, "DELETE", "/v1/responses/resp_1", "resp_1")
	checkNotFound(t, status, body, "resp_1")
}

func TestInputItems(t *testing.T) {
	h := newHost(t)
	put(t, h.db, "resp_1", "completed", false, 5)
	put(t, h.db, "resp_0", "completed", false, 0)
	tests := []struct {
		name   string
		query  string
		ids    string
		more   bool
		status int
		param  string
	}{
		{"default desc", "", "item_4,item_3,item_2,item_1,item_0", false, 200, ""},
		{"asc page", "?order=asc&limit=2", "item_0,item_1", true, 200, ""},
		{"asc after", "?order=asc&limit=2&after=item_1", "item_2,item_3", true, 200, ""},
		{"asc last page", "?order=asc&limit=2&after=item_3", "item_4", false, 200, ""},
		{"desc after", "?limit=2&after=item_3", "item_2,item_1", true, 200, ""},
		{"desc before", "?before=item_2", "item_4,item_3", false, 200, ""},
		{"limit 100", "?limit=100", "item_4,item_3,item_2,item_1,item_0", false, 200, ""},
		{"limit 0", "?limit=0", "", false, 400, "limit"},
		{"limit 101", "?limit=101", "", false, 400, "limit"},
		{"limit word", "?limit=ten", "", false, 400, "limit"},
		{"bad order", "?order=up", "", false, 400, "order"},
		{"unknown cursor", "?after=item_9", "", false, 400, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, h, InputItemsID, "GET", "/v1/responses/resp_1/input_items"+tt.query, "resp_1")
			if status != tt.status {
				t.Fatalf("got %d %s", status, body)
			}
			if tt.status != 200 {
				if gjson.Get(body, "error.param").Str != tt.param || gjson.Get(body, "error.type").Str != "invalid_request_error" {
					t.Errorf("error %s", body)
				}
				return
			}
			var ids []string
			for _, v := range gjson.Get(body, "data.#.id").Array() {
				ids = append(ids, v.Str)
			}
			if strings.Join(ids, ",") != tt.ids || gjson.Get(body, "has_more").Bool() != tt.more || gjson.Get(body, "object").Str != "list" {
				t.Errorf("got %s", body)
			}
			if gjson.Get(body, "first_id").Str != ids[0] || gjson.Get(body, "last_id").Str != ids[len(ids)-1] {
				t.Errorf("first/last ids: %s", body)
			}
		})
	}
	status, body := call(t, h, InputItemsID, "GET", "/v1/responses/resp_0/input_items", "resp_0")
	if status != 200 || strings.TrimSpace(body) != `{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}` {
		t.Errorf("empty list: %d %s", status, body)
	}
	status, body = call(t, h, InputItemsID, "GET", "/v1/responses/resp_x/input_items", "resp_x")
	checkNotFound(t, status, body, "resp_x")
}

func TestCancel(t *testing.T) {
	h := newHost(t)
	put(t, h.db, "resp_fg", "completed", false, 0)
	done := put(t, h.db, "resp_done", "completed", true, 0)
	put(t, h.db, "resp_orphan", "in_progress", true, 2)

	status, body := call(t, h, CancelID, "POST", "/v1/responses/resp_fg/cancel", "resp_fg")
	if status != 400 || gjson.Get(body, "error.type").Str != "invalid_request_error" || !strings.Contains(body, "background") {
		t.Errorf("foreground: %d %s", status, body)
	}
	status, body = call(t, h, CancelID, "POST", "/v1/responses/resp_done/cancel", "resp_done")
	if status != 200 || body != string(done.Body)+"\n" {
		t.Errorf("finished: %d %s", status, body)
	}
	status, body = call(t, h, CancelID, "POST", "/v1/responses/resp_x/cancel", "resp_x")
	checkNotFound(t, status, body, "resp_x")

	// A response left running by an earlier process is marked cancelled, its items kept.
	status, body = call(t, h, CancelID, "POST", "/v1/responses/resp_orphan/cancel", "resp_orphan")
	if status != 200 || gjson.Get(body, "status").Str != "cancelled" || gjson.Get(body, "id").Str != "resp_orphan" {
		t.Errorf("orphan: %d %s", status, body)
	}
	r, err := h.db.GetResponse(t.Context(), "resp_orphan")
	if err != nil || r.Status != "cancelled" {
		t.Errorf("orphan stored as %q, %v", r.Status, err)
	}
	items, _, err := h.db.ListInputItems(t.Context(), "resp_orphan", store.Page{Order: "asc"})
	if err != nil || len(items) != 2 {
		t.Errorf("orphan items %s, %v", items, err)
	}
}

// TestCancelRunning cancels a background response of the dialect while its stream waits.
func TestCancelRunning(t *testing.T) {
	h := newHost(t)
	d := plugintest.Load[*responses.Responses](t, h, responses.ID, `{}`)
	reached := make(chan struct{})
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","input":"hi","background":true}`)
	err := d.Handle(t.Context(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = func(yield func(plugin.Event, error) bool) {
			if !yield(plugin.Event{Kind: plugin.EventText, Text: "partial"}, nil) {
				return
			}
			close(reached)
			<-ctx.Done()
			yield(plugin.Event{}, ctx.Err())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	id := gjson.GetBytes(ex.Response.Body, "id").Str
	<-reached
	status, body := call(t, h, CancelID, "POST", "/v1/responses/"+id+"/cancel", id)
	if status != 200 || gjson.Get(body, "status").Str != "cancelled" || gjson.Get(body, "output_text").Str != "partial" {
		t.Errorf("cancel: %d %s", status, body)
	}
	// Cancelling again returns it unchanged.
	status, again := call(t, h, CancelID, "POST", "/v1/responses/"+id+"/cancel", id)
	if status != 200 || again != body {
		t.Errorf("second cancel: %d %s", status, again)
	}
}

// TestDeleteRunning deletes a running background response: it is cancelled first and stays
// deleted.
func TestDeleteRunning(t *testing.T) {
	h := newHost(t)
	d := plugintest.Load[*responses.Responses](t, h, responses.ID, `{}`)
	reached := make(chan struct{})
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","input":"hi","background":true}`)
	err := d.Handle(t.Context(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = func(yield func(plugin.Event, error) bool) {
			close(reached)
			<-ctx.Done()
			yield(plugin.Event{}, ctx.Err())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	id := gjson.GetBytes(ex.Response.Body, "id").Str
	<-reached
	if status, body := call(t, h, DeleteID, "DELETE", "/v1/responses/"+id, id); status != 200 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if _, ok := responses.CancelBackground(id); ok {
		t.Error("still running after delete")
	}
	if _, err := h.db.GetResponse(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stored again after delete: %v", err)
	}
}

func TestStoreUnavailable(t *testing.T) {
	h := dbHost{Host: plugintest.NewHost(t), err: errors.New("disk on fire")}
	for _, id := range []string{GetID, DeleteID, InputItemsID, CancelID} {
		status, body := call(t, h, id, "GET", "/v1/responses/resp_1", "resp_1")
		if status != 500 || strings.Contains(body, "disk on fire") {
			t.Errorf("%s: %d %s", id, status, body)
		}
	}
}

func TestNeedsStoreHost(t *testing.T) {
	for _, id := range []string{GetID, DeleteID, InputItemsID, CancelID} {
		if _, err := plugin.Load(id, nil, plugintest.NewHost(t)); err == nil {
			t.Errorf("%s loaded without a store", id)
		}
	}
}
