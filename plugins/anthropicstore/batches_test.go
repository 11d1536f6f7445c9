package anthropicstore

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// params returns the params of a request whose prompt is prompt.
func params(prompt string) string {
	return `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"` + prompt + `"}]}`
}

// message is the Message the fake messages route answers for prompt.
func message(prompt string) []byte {
	return []byte(`{"id":"msg_` + prompt + `","type":"message","role":"assistant","content":[{"type":"text","text":"re: ` + prompt + `"}]}` + "\n")
}

// create posts a batch of the given custom_id → prompt pairs and returns its id.
func create(t *testing.T, h *testHost, c *Create, reqs ...string) string {
	t.Helper()
	var items []string
	for i := 0; i < len(reqs); i += 2 {
		items = append(items, `{"custom_id":"`+reqs[i]+`","params":`+params(reqs[i+1])+`}`)
	}
	status, _, body := call(t, h, c, "POST", "/v1/messages/batches", "", `{"requests":[`+strings.Join(items, ",")+`]}`)
	if status != 200 {
		t.Fatalf("create: %d %s", status, body)
	}
	return gjson.Get(body, "id").Str
}

// results returns the result lines of an ended batch, by custom_id.
func results(t *testing.T, h *testHost, id string) map[string]string {
	t.Helper()
	r := plugintest.Load[*Results](t, h, ResultsID, "")
	status, hdr, body := call(t, h, r, "GET", "/v1/messages/batches/"+id+"/results", id, "")
	if status != 200 || hdr.Get("Content-Type") != "application/x-jsonl" {
		t.Fatalf("results: %d %v %s", status, hdr, body)
	}
	out := map[string]string{}
	for line := range strings.Lines(body) {
		out[gjson.Get(line, "custom_id").Str] = gjson.Get(line, "result").Raw
	}
	return out
}

func waitEnded(t *testing.T, h *testHost, id string) store.Batch {
	t.Helper()
	var b store.Batch
	waitFor(t, "the batch to end", func() bool {
		var err error
		b, err = h.db.GetBatch(t.Context(), id)
		return err == nil && b.Status == store.BatchEnded
	})
	return b
}

func TestBatchResults(t *testing.T) {
	h := newHost(t)
	var flaky atomic.Int32
	h.serve = func(_ context.Context, header http.Header, body []byte) (int, []byte, error) {
		if header.Get("X-Api-Key") != "sk-test" {
			return 401, []byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid API key"}}`), nil
		}
		prompt := gjson.GetBytes(body, "messages.0.content").Str
		switch prompt {
		case "bad":
			return 400, []byte(`{"type":"error","error":{"type":"invalid_request_error","message":"messages: bad"},"request_id":"req_1"}`), nil
		case "down":
			return 503, []byte(`{"type":"error","error":{"type":"api_error","message":"upstream down"}}`), nil
		case "busy":
			return 529, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`), nil
		case "flaky":
			if flaky.Add(1) == 1 {
				return 502, nil, nil
			}
		case "garbage":
			return 200, []byte("not json"), nil
		}
		return 200, message(prompt), nil
	}
	c := plugintest.Load[*Create](t, h, CreateID, `{"workers":3}`)
	id := create(t, h, c, "a", "one", "b", "bad", "c", "down", "d", "flaky", "e", "busy", "f", "garbage")
	b := waitEnded(t, h, id)
	if want := (store.Counts{Succeeded: 2, Errored: 4}); b.Counts != want {
		t.Errorf("counts %+v, want %+v", b.Counts, want)
	}
	got := results(t, h, id)
	want := map[string]string{
		"a": `{"type":"succeeded","message":` + strings.TrimSpace(string(message("one"))) + `}`,
		"b": `{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"messages: bad"},"request_id":"req_1"}}`,
		"d": `{"type":"succeeded","message":` + strings.TrimSpace(string(message("flaky"))) + `}`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s\nwant %s", k, got[k], v)
		}
	}
	for k, msg := range map[string]string{"c": "upstream down", "e": "Overloaded", "f": "the messages route answered with an invalid message"} {
		if gjson.Get(got[k], "type").Str != "errored" || gjson.Get(got[k], "error.error.type").Str != "api_error" ||
			gjson.Get(got[k], "error.error.message").Str != msg || !strings.HasPrefix(gjson.Get(got[k], "error.request_id").Str, "req_") {
			t.Errorf("%s: %s", k, got[k])
		}
	}
	tries := map[string]int{}
	for _, body := range h.dispatched() {
		tries[gjson.Get(body, "messages.0.content").Str]++
	}
	if diff := cmp.Diff(map[string]int{"one": 1, "bad": 1, "down": 3, "flaky": 2, "busy": 3, "garbage": 1}, tries); diff != "" {
		t.Errorf("tries (-want +got):\n%s", diff)
	}
}

func TestBatchCancelStopsRunningRequests(t *testing.T) {
	h := newHost(t)
	started := make(chan struct{}, 8)
	h.serve = func(ctx context.Context, _ http.Header, body []byte) (int, []byte, error) {
		started <- struct{}{}
		<-ctx.Done()
		return 0, nil, context.Cause(ctx)
	}
	c := plugintest.Load[*Create](t, h, CreateID, `{"workers":2}`)
	id := create(t, h, c, "a", "1", "b", "2", "c", "3")
	<-started
	<-started
	cancel := plugintest.Load[*Cancel](t, h, CancelID, "")
	status, _, body := call(t, h, cancel, "POST", "/v1/messages/batches/"+id+"/cancel", id, "")
	if status != 200 || gjson.Get(body, "processing_status").Str != "canceling" || gjson.Get(body, "cancel_initiated_at").Type != gjson.String {
		t.Fatalf("cancel: %d %s", status, body)
	}
	b := waitEnded(t, h, id)
	if b.Counts != (store.Counts{Canceled: 3}) {
		t.Errorf("counts %+v", b.Counts)
	}
	for k, v := range results(t, h, id) {
		if v != `{"type":"canceled"}` {
			t.Errorf("%s: %s", k, v)
		}
	}
	if n := len(h.dispatched()); n != 2 {
		t.Errorf("%d requests dispatched, want 2", n)
	}
}

func TestBatchLeftForLaterClaimOnShutdown(t *testing.T) {
	h := newHost(t)
	h.serve = func(context.Context, http.Header, []byte) (int, []byte, error) {
		return 0, nil, fmt.Errorf("the gateway is shutting down")
	}
	c := plugintest.Load[*Create](t, h, CreateID, `{"workers":1,"lease":"1h"}`)
	id := create(t, h, c, "a", "1")
	waitFor(t, "the request to be tried", func() bool { return len(h.dispatched()) == 1 })
	c.Cleanup() // the worker has returned: the request stays leased, for a later claim
	b, err := h.db.GetBatch(t.Context(), id)
	if err != nil || b.Status != store.BatchInProgress || b.Counts.Processing != 1 {
		t.Errorf("batch %+v, %v", b, err)
	}
}

func TestBatchAttemptsExhausted(t *testing.T) {
	now := time.Now()
	db, err := store.OpenSQLite(t.TempDir()+"/test.db", store.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if err := db.CreateBatch(ctx, store.Batch{ID: "b"}, []store.BatchRequest{{CustomID: "x", Params: []byte(params("1"))}}); err != nil {
		t.Fatal(err)
	}
	// Three workers died on the request: each claim outlived its lease.
	for range 3 {
		if _, ok, err := db.ClaimRequest(ctx, "dead", time.Second); !ok || err != nil {
			t.Fatal(ok, err)
		}
		now = now.Add(2 * time.Second)
	}
	h := newHost(t)
	h.db = db
	h.serve = func(context.Context, http.Header, []byte) (int, []byte, error) { return 200, message("1"), nil }
	plugintest.Load[*Create](t, h, CreateID, `{"max_attempts":3}`)
	waitEnded(t, h, "b")
	res := results(t, h, "b")["x"]
	if gjson.Get(res, "type").Str != "errored" || !strings.Contains(res, "interrupted 3 times") {
		t.Errorf("result %s", res)
	}
	if n := len(h.dispatched()); n != 0 {
		t.Errorf("dispatched %d times", n)
	}
}

func TestBatchWorkersWaitUntilTheHostServes(t *testing.T) {
	h := newHost(t)
	h.ready = make(chan struct{}) // never closed: the host only validates
	h.serve = func(context.Context, http.Header, []byte) (int, []byte, error) { return 200, message("1"), nil }
	c := plugintest.Load[*Create](t, h, CreateID, "")
	id := create(t, h, c, "a", "1")
	c.Cleanup()
	b, err := h.db.GetBatch(t.Context(), id)
	if err != nil || b.Counts.Processing != 1 || len(h.dispatched()) != 0 {
		t.Errorf("batch %+v %v, %d dispatched", b, err, len(h.dispatched()))
	}
	r, ok, err := h.db.ClaimRequest(t.Context(), "other", time.Minute)
	if !ok || err != nil || r.Attempts != 1 {
		t.Errorf("the request was leased: %+v %v %v", r, ok, err)
	}
}

func TestBatchWorkersStopWhenTheHostStops(t *testing.T) {
	h := newHost(t)
	h.serve = func(context.Context, http.Header, []byte) (int, []byte, error) { return 200, message("1"), nil }
	c := plugintest.Load[*Create](t, h, CreateID, "")
	close(h.stopped)
	c.pool.wg.Wait() // the workers return by themselves
	id := create(t, h, c, "a", "1")
	if b, err := h.db.GetBatch(t.Context(), id); err != nil || b.Counts.Processing != 1 || len(h.dispatched()) != 0 {
		t.Errorf("batch %+v %v, %d dispatched", b, err, len(h.dispatched()))
	}
}

func TestBatchTerminals(t *testing.T) {
	h := newHost(t)
	release := make(chan struct{})
	h.serve = func(ctx context.Context, _ http.Header, body []byte) (int, []byte, error) {
		if gjson.GetBytes(body, "messages.0.content").Str == "wait" {
			select {
			case <-release:
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			}
		}
		return 200, message("x"), nil
	}
	c := plugintest.Load[*Create](t, h, CreateID, `{"workers":1}`)
	get := plugintest.Load[*Retrieve](t, h, BatchID, "")
	del := plugintest.Load[*Delete](t, h, DeleteID, "")
	res := plugintest.Load[*Results](t, h, ResultsID, "")
	list := plugintest.Load[*List](t, h, ListID, "")

	id := create(t, h, c, "a", "wait")
	status, _, body := call(t, h, get, "GET", "/v1/messages/batches/"+id, id, "")
	if status != 200 || gjson.Get(body, "processing_status").Str != "in_progress" || gjson.Get(body, "results_url").Type != gjson.Null ||
		gjson.Get(body, "ended_at").Type != gjson.Null || gjson.Get(body, "archived_at").Type != gjson.Null {
		t.Errorf("get: %d %s", status, body)
	}
	created, err := time.Parse(time.RFC3339, gjson.Get(body, "created_at").Str)
	if err != nil || time.Since(created) > time.Minute {
		t.Errorf("created_at %q: %v", gjson.Get(body, "created_at").Str, err)
	}
	if status, _, body := call(t, h, del, "DELETE", "/v1/messages/batches/"+id, id, ""); status != 400 ||
		!strings.Contains(body, "cancel it first") {
		t.Errorf("delete in progress: %d %s", status, body)
	}
	if status, _, body := call(t, h, res, "GET", "/v1/messages/batches/"+id+"/results", id, ""); status != 404 ||
		gjson.Get(body, "error.type").Str != "not_found_error" {
		t.Errorf("results in progress: %d %s", status, body)
	}
	close(release)
	waitEnded(t, h, id)
	status, _, body = call(t, h, get, "GET", "/v1/messages/batches/"+id, id, "")
	if status != 200 || gjson.Get(body, "results_url").Str != "http://example.com/v1/messages/batches/"+id+"/results" ||
		gjson.Get(body, "request_counts.succeeded").Int() != 1 {
		t.Errorf("get ended: %d %s", status, body)
	}
	status, _, body = call(t, h, list, "GET", "/v1/messages/batches?limit=5", "", "")
	if status != 200 || gjson.Get(body, "data.#").Int() != 1 || gjson.Get(body, "first_id").Str != id || gjson.Get(body, "last_id").Str != id {
		t.Errorf("list: %d %s", status, body)
	}
	if status, _, body := call(t, h, del, "DELETE", "/v1/messages/batches/"+id, id, ""); status != 200 ||
		body != `{"id":"`+id+`","type":"message_batch_deleted"}`+"\n" {
		t.Errorf("delete: %d %s", status, body)
	}
	for _, p := range []plugin.Terminal{get, del, res} {
		if status, _, body := call(t, h, p, "GET", "/v1/messages/batches/"+id, id, ""); status != 404 ||
			gjson.Get(body, "error.message").Str != "Message batch "+id+" not found" {
			t.Errorf("%s after delete: %d %s", p.PluginInfo().ID, status, body)
		}
	}
	status, _, body = call(t, h, list, "GET", "/v1/messages/batches", "", "")
	if status != 200 || body != `{"data":[],"has_more":false,"first_id":null,"last_id":null}`+"\n" {
		t.Errorf("empty list: %d %s", status, body)
	}
}

func TestResultLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    store.BatchRequest
		want string
	}{
		{"succeeded", store.BatchRequest{CustomID: "a", State: store.RequestSucceeded, Result: []byte(`{"type":"succeeded","message":{}}`)},
			`{"custom_id":"a","result":{"type":"succeeded","message":{}}}`},
		{"canceled by the store", store.BatchRequest{CustomID: "b", State: store.RequestCanceled}, `{"custom_id":"b","result":{"type":"canceled"}}`},
		{"expired", store.BatchRequest{CustomID: "c", State: store.RequestExpired}, `{"custom_id":"c","result":{"type":"expired"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(resultLine(nil, tc.r)); got != tc.want+"\n" {
				t.Errorf("got %s want %s", got, tc.want)
			}
		})
	}
}
