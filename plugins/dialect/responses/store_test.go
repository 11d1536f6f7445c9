package responses

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// memStore is a Store in memory.
type memStore struct {
	mu sync.Mutex
	m  map[string]*Stored
}

func (s *memStore) Get(_ context.Context, id string) (*Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[id]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", id, ErrNotFound)
	}
	return r, nil
}

func (s *memStore) Put(_ context.Context, r *Stored) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]*Stored)
	}
	s.m[r.ID] = r
	return nil
}

// storeHost is a host that provides a response store.
type storeHost struct {
	*plugintest.Host
	st Store
}

func (h storeHost) ResponseStore() Store { return h.st }

func TestStoreFromHost(t *testing.T) {
	st := new(memStore)
	d := plugintest.Load[*Responses](t, storeHost{plugintest.NewHost(t), st}, ID, `{}`)
	if d.store != st {
		t.Fatal("the host's store was not picked up")
	}
}

func TestPreviousResponse(t *testing.T) {
	st := new(memStore)
	d := newDialect(t)
	d.store = st

	// The first turn is stored with its input items and its conversation.
	_, first := run(t, d, `{"model":"m","instructions":"sys","input":[{"role":"user","content":"hi"}]}`,
		plugin.Events(reasoning("r"), text("hello"), toolCall("call_1", "f", `{"a":1}`)))
	id := gjson.Get(first, "id").Str
	if !gjson.Get(first, "store").Bool() {
		t.Errorf("store echo false with a store: %s", first)
	}
	rec, err := st.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	wantMsgs := []plugin.Message{
		msg(plugin.RoleUser, "hi"),
		{Role: plugin.RoleAssistant, Parts: []plugin.Part{{Text: "hello"}}, Reasoning: "r",
			ToolCalls: []plugin.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"a":1}`}}},
	}
	if d := cmp.Diff(wantMsgs, rec.Messages); d != "" {
		t.Errorf("stored messages (-want +got):\n%s", d)
	}
	if rec.Status != "completed" || rec.Model != "m" || string(rec.Response) != first[:len(first)-1] {
		t.Errorf("stored %s %s %s", rec.Status, rec.Model, rec.Response)
	}
	if len(rec.InputItems) != 1 || gjson.GetBytes(rec.InputItems[0], "id").Str == "" || gjson.GetBytes(rec.InputItems[0], "content").Str != "hi" {
		t.Errorf("stored input items %s", rec.InputItems)
	}

	// The second turn continues it: the instructions do not carry over.
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
	want := append(wantMsgs[:2:2], plugin.Message{Role: plugin.RoleTool, ToolCallID: "call_1", Parts: []plugin.Part{{Text: "ok"}}})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("continued messages (-want +got):\n%s", d)
	}
	second := plugintest.Body(t, plugintest.Write(t, d, ex, nil))
	if gjson.Get(second, "previous_response_id").Str != id {
		t.Errorf("previous_response_id echo: %s", second)
	}
	if len(st.m) != 2 {
		t.Errorf("%d stored responses", len(st.m))
	}
	if rec.Messages[1].Role != plugin.RoleAssistant || len(rec.Messages) != 2 {
		t.Error("continuing a conversation changed the stored one")
	}
}

func TestPreviousResponseErrors(t *testing.T) {
	body := `{"model":"m","previous_response_id":"resp_nope","input":"x"}`
	tests := []struct {
		name   string
		store  Store
		key    Store
		status int
		code   plugin.Code
	}{
		{"no store", nil, nil, 400, plugin.CodeUnsupported},
		{"unknown id", new(memStore), nil, 404, plugin.CodeNotFound},
		{"store from the exchange", nil, new(memStore), 404, plugin.CodeNotFound},
		{"broken store", brokenStore{}, nil, 500, plugin.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDialect(t)
			d.store = tt.store
			ex := plugintest.NewExchange("/v1/responses", body)
			if tt.key != nil {
				StoreKey.Set(ex, tt.key)
			}
			err := d.Handle(t.Context(), ex, plugintest.Reply())
			e := plugin.AsError(err)
			if e == nil || e.Status != tt.status || e.Code != tt.code || e.Param == "" && tt.status != 500 {
				t.Errorf("err = %v", err)
			}
		})
	}
}

type brokenStore struct{}

func (brokenStore) Get(context.Context, string) (*Stored, error) {
	return nil, errors.New("disk on fire")
}
func (brokenStore) Put(context.Context, *Stored) error { return errors.New("disk on fire") }

func TestStoreFalseNotStored(t *testing.T) {
	st := new(memStore)
	d := newDialect(t)
	d.store = st
	_, out := run(t, d, `{"model":"m","input":"x","store":false,"stream":true}`, plugin.Events(text("a")))
	if len(st.m) != 0 {
		t.Errorf("store:false response was stored")
	}
	if evs := events(t, out); gjson.Get(evs[len(evs)-1].data, "response.store").Bool() {
		t.Error("store echo true for store:false")
	}
	_, out = run(t, d, `{"model":"m","input":"x","stream":true}`, plugin.Events(text("a")))
	evs := events(t, out)
	if id := gjson.Get(evs[len(evs)-1].data, "response.id").Str; st.m[id] == nil {
		t.Errorf("streamed response %s not stored", id)
	}
}
