package responses

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// gate is a terminal whose stream yields "a", reports that it reached the gate, then waits for
// release (and yields "b") or for its context to end (and yields the context's error).
type gate struct {
	reached, release chan struct{}
}

func newGate() *gate { return &gate{reached: make(chan struct{}), release: make(chan struct{})} }

func (g *gate) next(ctx context.Context, ex *plugin.Exchange) error {
	ex.Response.Events = func(yield func(plugin.Event, error) bool) {
		if !yield(text("a"), nil) {
			return
		}
		close(g.reached)
		select {
		case <-g.release:
			if yield(text("b"), nil) {
				yield(finish(plugin.FinishStop), nil)
			}
		case <-ctx.Done():
			yield(plugin.Event{}, context.Cause(ctx))
		}
	}
	return nil
}

// startBackground runs a background request through d and returns the queued object and the
// channel closed when the response's final state is stored.
func startBackground(t *testing.T, d *Responses, next plugin.Next) (string, <-chan struct{}) {
	t.Helper()
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","input":"hi","background":true}`)
	ctx, cancel := context.WithCancel(t.Context())
	if err := d.Handle(ctx, ex, next); err != nil {
		t.Fatal(err)
	}
	cancel() // the client leaves: the response must go on
	body := string(ex.Response.Body)
	id := gjson.Get(body, "id").Str
	jobs.Lock()
	j := jobs.m[id]
	jobs.Unlock()
	if j == nil {
		// It has already ended: a job leaves the registry after its final state is stored.
		done := make(chan struct{})
		close(done)
		return body, done
	}
	return body, j.done
}

// wait waits for done, with a deadline.
func wait(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the background response did not end")
	}
}

func TestBackground(t *testing.T) {
	db := openDB(t)
	d := newDBDialect(t, dbHost{Host: plugintest.NewHost(t), db: db}, `{}`)
	g := newGate()
	queued, done := startBackground(t, d, g.next)
	if gjson.Get(queued, "status").Str != "queued" || !gjson.Get(queued, "background").Bool() ||
		!gjson.Get(queued, "store").Bool() || gjson.Get(queued, "output.#").Int() != 0 {
		t.Errorf("queued object %s", queued)
	}
	id := gjson.Get(queued, "id").Str
	<-g.reached
	r, err := db.GetResponse(t.Context(), id)
	if err != nil || r.Status != "in_progress" || gjson.GetBytes(r.Body, "status").Str != "in_progress" {
		t.Errorf("while running: %s %s, %v", r.Status, r.Body, err)
	}
	close(g.release)
	wait(t, done)
	r, err = db.GetResponse(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "completed" || gjson.GetBytes(r.Body, "output_text").Str != "ab" ||
		!gjson.GetBytes(r.Body, "background").Bool() || gjson.GetBytes(r.Body, "created_at").Int() != testTime {
		t.Errorf("final %s %s", r.Status, r.Body)
	}
	items, _, err := db.ListInputItems(t.Context(), id, store.Page{})
	if err != nil || len(items) != 1 {
		t.Errorf("input items %s, %v", items, err)
	}
	if _, ok := CancelBackground(id); ok {
		t.Error("a finished response is still registered")
	}

	// It can be continued now.
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","previous_response_id":"`+id+`","input":"more"}`)
	var n int
	err = d.Handle(t.Context(), ex, func(_ context.Context, ex *plugin.Exchange) error {
		n = len(ex.Request.Messages)
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("continuation: %d messages, %v", n, err)
	}
}

func TestBackgroundCancel(t *testing.T) {
	db := openDB(t)
	d := newDBDialect(t, dbHost{Host: plugintest.NewHost(t), db: db}, `{}`)
	g := newGate()
	queued, _ := startBackground(t, d, g.next)
	id := gjson.Get(queued, "id").Str
	<-g.reached

	// A continuation must wait until the response has finished.
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","previous_response_id":"`+id+`","input":"more"}`)
	if e := plugin.AsError(d.Handle(t.Context(), ex, plugintest.Reply())); e == nil || e.Status != 400 || e.Param != "previous_response_id" {
		t.Errorf("continuing a running response: %v", e)
	}

	done, ok := CancelBackground(id)
	if !ok {
		t.Fatal("not running")
	}
	wait(t, done)
	r, err := db.GetResponse(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "cancelled" || gjson.GetBytes(r.Body, "status").Str != "cancelled" ||
		gjson.GetBytes(r.Body, "output_text").Str != "a" || gjson.GetBytes(r.Body, "error").Type != gjson.Null {
		t.Errorf("cancelled: %s %s", r.Status, r.Body)
	}
}

func TestBackgroundFailures(t *testing.T) {
	upstream := &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "upstream said no"}
	blocked := func(ctx context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = func(yield func(plugin.Event, error) bool) {
			<-ctx.Done()
			yield(plugin.Event{}, ctx.Err())
		}
		return nil
	}
	tests := []struct {
		name string
		with string
		next plugin.Next
		code string
	}{
		{"chain error", `{}`, plugintest.Fail(upstream), "upstream_error"},
		{"stream error", `{}`, func(_ context.Context, ex *plugin.Exchange) error {
			ex.Response.Events = failAfter(upstream, text("partial"))
			return nil
		}, "upstream_error"},
		{"timeout", `{"background_timeout":"20ms"}`, blocked, "timeout"},
		{"no stream", `{}`, func(context.Context, *plugin.Exchange) error { return nil }, "server_error"},
		{"panic", `{}`, func(context.Context, *plugin.Exchange) error { panic("boom") }, "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			d := newDBDialect(t, dbHost{Host: plugintest.NewHost(t), db: db}, tt.with)
			queued, done := startBackground(t, d, tt.next)
			wait(t, done)
			r, err := db.GetResponse(t.Context(), gjson.Get(queued, "id").Str)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != "failed" || gjson.GetBytes(r.Body, "error.code").Str != tt.code {
				t.Errorf("final %s %s", r.Status, r.Body)
			}
		})
	}
}

func TestBackgroundRejected(t *testing.T) {
	tests := []struct {
		name   string
		host   plugin.Host
		with   string
		url    string
		status int
	}{
		{"store disabled", dbHost{Host: plugintest.NewHost(t), db: openDB(t)}, `{"store":false}`, "/v1/responses", 400},
		{"no store", plugintest.NewHost(t), `{}`, "/v1/responses", 400},
		{"stream query", dbHost{Host: plugintest.NewHost(t), db: openDB(t)}, `{}`, "/v1/responses?stream=true", 400},
		{"store cannot open", dbHost{Host: plugintest.NewHost(t), err: errors.New("disk on fire")}, `{}`, "/v1/responses", 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDBDialect(t, tt.host, tt.with)
			ex := plugintest.NewExchange(tt.url, `{"model":"m","input":"hi","background":true}`)
			called := false
			err := d.Handle(t.Context(), ex, func(context.Context, *plugin.Exchange) error {
				called = true
				return nil
			})
			if e := plugin.AsError(err); e == nil || e.Status != tt.status {
				t.Errorf("err = %v, want status %d", err, tt.status)
			}
			if called {
				t.Error("the chain ran")
			}
			jobs.Lock()
			n := len(jobs.m)
			jobs.Unlock()
			if n != 0 {
				t.Errorf("%d jobs left registered", n)
			}
		})
	}
}
