package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/anthropicstore"
)

// withAnthropicStore adds messages.store to the shipped anthropic-messages route and the
// message and batch routes; create is the message_batches.create configuration.
func withAnthropicStore(create string) func(*conf.Bootstrap) {
	return func(bc *conf.Bootstrap) {
		// The shipped configuration has these routes; replace them so that the test's
		// message_batches.create configuration applies.
		bc.Routes = slices.DeleteFunc(bc.Routes, func(r conf.Route) bool {
			return strings.HasPrefix(r.Name, "anthropic-batches-") || r.Name == "anthropic-message-get"
		})
		for i, r := range bc.Routes {
			if r.Name != "anthropic-messages" || slices.ContainsFunc(r.Chain, func(e conf.Entry) bool { return e.Use == "messages.store" }) {
				continue
			}
			j := slices.IndexFunc(r.Chain, func(e conf.Entry) bool { return e.Use == "dialect.anthropic" })
			bc.Routes[i].Chain = slices.Insert(r.Chain, j+1, conf.Entry{Use: "messages.store"})
		}
		route := func(name, method, path, use, with string) conf.Route {
			e := conf.Entry{Use: use}
			if with != "" {
				e.With = json.RawMessage(with)
			}
			return conf.Route{Name: name, Method: method, Path: path, Errors: "dialect.anthropic",
				Chain: []conf.Entry{{Use: "auth.apikey"}, e}}
		}
		bc.Routes = append(bc.Routes,
			route("anthropic-message-get", "GET", "/v1/messages/{id}", "messages.get", ""),
			route("anthropic-batches-create", "POST", "/v1/messages/batches", "message_batches.create", create),
			route("anthropic-batches-list", "GET", "/v1/messages/batches", "message_batches.list", ""),
			route("anthropic-batches-get", "GET", "/v1/messages/batches/{id}", "message_batches.get", ""),
			route("anthropic-batches-delete", "DELETE", "/v1/messages/batches/{id}", "message_batches.delete", ""),
			route("anthropic-batches-cancel", "POST", "/v1/messages/batches/{id}/cancel", "message_batches.cancel", ""),
			route("anthropic-batches-results", "GET", "/v1/messages/batches/{id}/results", "message_batches.results", ""),
		)
	}
}

// gatewayDo sends a request with the API key and returns the status and body.
func gatewayDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// batchRequest is one Anthropic-shaped batch request with a user prompt.
func batchRequest(id, prompt string) sdk.MessageBatchNewParamsRequest {
	return sdk.MessageBatchNewParamsRequest{CustomID: id, Params: sdk.MessageBatchNewParamsRequestParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 256,
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(prompt))},
	}}
}

// waitBatch polls the batch until done says so, with a deadline.
func waitBatch(t *testing.T, c sdk.Client, id string, done func(*sdk.MessageBatch) bool) *sdk.MessageBatch {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := c.Messages.Batches.Get(t.Context(), id, sdk.MessageBatchGetParams{})
		if err != nil {
			t.Fatal(err)
		}
		if done(b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s: condition not reached within 30s: %s", id, b.RawJSON())
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

func ended(b *sdk.MessageBatch) bool {
	return b.ProcessingStatus == sdk.MessageBatchProcessingStatusEnded
}

// batchResults reads the results file with the SDK, by custom_id.
func batchResults(t *testing.T, c sdk.Client, id string) map[string]sdk.MessageBatchIndividualResponse {
	t.Helper()
	stream := c.Messages.Batches.ResultsStreaming(t.Context(), id, sdk.MessageBatchResultsParams{})
	defer stream.Close()
	out := map[string]sdk.MessageBatchIndividualResponse{}
	for stream.Next() {
		r := stream.Current()
		if _, dup := out[r.CustomID]; dup {
			t.Errorf("custom_id %q appears twice in the results", r.CustomID)
		}
		out[r.CustomID] = r
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sdkStatus returns the status of an SDK error.
func sdkStatus(t *testing.T, err error) int {
	t.Helper()
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not an API error", err)
	}
	return apiErr.StatusCode
}

func TestMessageStoreRetrieve(t *testing.T) {
	e := start(t, setup{mutate: withAnthropicStore("")})
	c := e.anthropicClient()
	msg, err := c.Messages.New(t.Context(), messageParams("claude-sonnet-4-5", "Hello"))
	if err != nil {
		t.Fatal(err)
	}
	stream := c.Messages.NewStreaming(t.Context(), messageParams("claude-sonnet-4-5", "[sim:reasoning] 2+2?"))
	var streamed sdk.Message
	for stream.Next() {
		if err := streamed.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*sdk.Message{msg, &streamed} {
		status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/"+want.ID, "")
		if status != 200 {
			t.Fatalf("GET %s: %d %s", want.ID, status, body)
		}
		var got sdk.Message
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		gotText, gotThinking := textOf(&got)
		wantText, wantThinking := textOf(want)
		if got.ID != want.ID || gotText != wantText || gotThinking != wantThinking || got.StopReason != want.StopReason {
			t.Errorf("stored %s = %s, want text %q thinking %q", want.ID, body, wantText, wantThinking)
		}
	}
	if text, _ := textOf(&streamed); text != "The answer is 4." {
		t.Errorf("streamed text %q", text)
	}

	status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/msg_nope", "")
	if status != 404 || gjson.Get(body, "type").Str != "error" || gjson.Get(body, "error.type").Str != "not_found_error" ||
		gjson.Get(body, "error.message").Str != "Message msg_nope not found" {
		t.Errorf("unknown message: %d %s", status, body)
	}
	// GET /v1/messages/batches is the list, not a message called "batches".
	status, body = gatewayDo(t, "GET", e.gw.URL+"/v1/messages/batches", "")
	if status != 200 || !gjson.Get(body, "data").IsArray() || gjson.Get(body, "has_more").Type != gjson.False {
		t.Errorf("batch list shadowed: %d %s", status, body)
	}
}

func TestBatchLifecycle(t *testing.T) {
	e := start(t, setup{mutate: withAnthropicStore("")})
	c := e.anthropicClient()
	unknown := batchRequest("unknown-model", "hello")
	unknown.Params.Model = "gpt-nope"
	b, err := c.Messages.Batches.New(t.Context(), sdk.MessageBatchNewParams{Requests: []sdk.MessageBatchNewParamsRequest{
		batchRequest("first", "[sim:echo] alpha"),
		batchRequest("second", "[sim:echo] beta"),
		unknown,
		batchRequest("upstream-500", "[sim:http500] boom"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The model of one request is only checked when it runs: the messages route's aliases
	// could map it.
	status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/batches/"+b.ID, "")
	if status != 200 || !strings.HasPrefix(b.ID, "msgbatch_") || b.CreatedAt.IsZero() || !b.ExpiresAt.After(b.CreatedAt) ||
		b.RequestCounts.Processing+b.RequestCounts.Succeeded+b.RequestCounts.Errored != 4 {
		t.Fatalf("created batch %s; GET: %d %s", b.RawJSON(), status, body)
	}
	if gjson.Get(b.RawJSON(), "batch_id").Str != b.ID {
		t.Errorf("create response lacks batch_id: %s", b.RawJSON())
	}
	done := waitBatch(t, c, b.ID, ended)
	if n := done.RequestCounts; n.Succeeded != 2 || n.Errored != 2 || n.Processing != 0 || done.EndedAt.IsZero() ||
		done.ResultsURL != e.gw.URL+"/v1/messages/batches/"+b.ID+"/results" {
		t.Errorf("ended batch %s", done.RawJSON())
	}
	res := batchResults(t, c, b.ID)
	for id, want := range map[string]string{"first": "user: [sim:echo] alpha", "second": "user: [sim:echo] beta"} {
		r, ok := res[id]
		if !ok || r.Result.Type != "succeeded" {
			t.Errorf("%s: %s", id, r.RawJSON())
			continue
		}
		m := r.Result.AsSucceeded().Message
		if text, _ := textOf(&m); text != want || !strings.HasPrefix(m.ID, "msg_") {
			t.Errorf("%s: message %s", id, r.RawJSON())
		}
	}
	for id, typ := range map[string]string{"unknown-model": "invalid_request_error", "upstream-500": "api_error"} {
		r := res[id]
		if r.Result.Type != "errored" || gjson.Get(r.RawJSON(), "result.error.type").Str != "error" ||
			gjson.Get(r.RawJSON(), "result.error.error.type").Str != typ || gjson.Get(r.RawJSON(), "result.error.request_id").Str == "" {
			t.Errorf("%s: %s", id, r.RawJSON())
		}
	}
	if len(res) != 4 {
		t.Errorf("%d results, want 4", len(res))
	}
	tries := 0
	for _, r := range e.sim.Requests() {
		if strings.Contains(r.Query, "boom") {
			tries++
		}
	}
	if tries != 3 {
		t.Errorf("the upstream 500 was tried %d times, want 3 (max_attempts)", tries)
	}

	// The batch's messages are stored like any other.
	m := res["first"].Result.AsSucceeded().Message
	if status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/"+m.ID, ""); status != 200 || gjson.Get(body, "id").Str != m.ID {
		t.Errorf("batch message: %d %s", status, body)
	}

	del, err := c.Messages.Batches.Delete(t.Context(), b.ID, sdk.MessageBatchDeleteParams{})
	if err != nil || del.ID != b.ID || del.Type != "message_batch_deleted" {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := c.Messages.Batches.Get(t.Context(), b.ID, sdk.MessageBatchGetParams{}); sdkStatus(t, err) != 404 {
		t.Errorf("deleted batch still found: %v", err)
	}
}

func TestBatchListPagination(t *testing.T) {
	e := start(t, setup{mutate: withAnthropicStore("")})
	c := e.anthropicClient()
	var ids []string
	for i := range 3 {
		b, err := c.Messages.Batches.New(t.Context(), sdk.MessageBatchNewParams{Requests: []sdk.MessageBatchNewParamsRequest{
			batchRequest("only", "hi "+string(rune('a'+i))),
		}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
	}
	page, err := c.Messages.Batches.List(t.Context(), sdk.MessageBatchListParams{Limit: sdk.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || !page.HasMore || page.Data[0].ID != ids[2] || page.Data[1].ID != ids[1] ||
		page.FirstID != ids[2] || page.LastID != ids[1] {
		t.Fatalf("first page %s", page.RawJSON())
	}
	next, err := page.GetNextPage()
	if err != nil {
		t.Fatal(err)
	}
	if next == nil || len(next.Data) != 1 || next.HasMore || next.Data[0].ID != ids[0] {
		t.Fatalf("second page %+v", next)
	}
	// before_id pages towards newer batches.
	prev, err := c.Messages.Batches.List(t.Context(), sdk.MessageBatchListParams{BeforeID: sdk.String(ids[0]), Limit: sdk.Int(1)})
	if err != nil || len(prev.Data) != 1 || prev.Data[0].ID != ids[1] || !prev.HasMore {
		t.Fatalf("before_id page: %v %s", err, prev.RawJSON())
	}
	var all []string
	iter := c.Messages.Batches.ListAutoPaging(t.Context(), sdk.MessageBatchListParams{Limit: sdk.Int(1)})
	for iter.Next() {
		all = append(all, iter.Current().ID)
	}
	if err := iter.Err(); err != nil || !slices.Equal(all, []string{ids[2], ids[1], ids[0]}) {
		t.Errorf("auto paging: %v %v, want %v newest first", err, all, ids)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?after_id=msgbatch_nope"} {
		if status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/batches"+q, ""); status != 400 ||
			gjson.Get(body, "error.type").Str != "invalid_request_error" {
			t.Errorf("%s: %d %s", q, status, body)
		}
	}
}

func TestBatchCancel(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	blocked := func(*sim.Received) sim.Reply {
		<-release
		return sim.Reply{Frames: sim.Text("too late")}
	}
	e := start(t, setup{
		sim:    sim.Options{Scenarios: map[string]sim.Scenario{"batch_block": blocked}},
		mutate: withAnthropicStore(`{"workers": 2}`),
	})
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the gateway stops
	c := e.anthropicClient()
	var reqs []sdk.MessageBatchNewParamsRequest
	for _, id := range []string{"r0", "r1", "r2", "r3", "r4"} {
		reqs = append(reqs, batchRequest(id, "[sim:batch_block] "+id))
	}
	b, err := c.Messages.Batches.New(t.Context(), sdk.MessageBatchNewParams{Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(e.sim.Requests()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the workers did not start two requests: %d", len(e.sim.Requests()))
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
	if _, err := c.Messages.Batches.Delete(t.Context(), b.ID, sdk.MessageBatchDeleteParams{}); sdkStatus(t, err) != 400 {
		t.Errorf("deleting a batch in progress: %v", err)
	}
	if status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/batches/"+b.ID+"/results", ""); status != 404 {
		t.Errorf("results before the end: %d %s", status, body)
	}
	cb, err := c.Messages.Batches.Cancel(t.Context(), b.ID, sdk.MessageBatchCancelParams{})
	if err != nil {
		t.Fatal(err)
	}
	if cb.ProcessingStatus == sdk.MessageBatchProcessingStatusInProgress || cb.CancelInitiatedAt.IsZero() {
		t.Errorf("canceled batch %s", cb.RawJSON())
	}
	done := waitBatch(t, c, b.ID, ended)
	if done.RequestCounts.Canceled != 5 {
		t.Errorf("counts %s", done.RawJSON())
	}
	res := batchResults(t, c, b.ID)
	for _, r := range reqs {
		if got := res[r.CustomID]; got.Result.Type != "canceled" {
			t.Errorf("%s: %s", r.CustomID, got.RawJSON())
		}
	}
	if n := len(e.sim.Requests()); n != 2 {
		t.Errorf("the upstream received %d requests, want only the 2 running at cancel time", n)
	}
	again, err := c.Messages.Batches.Cancel(t.Context(), b.ID, sdk.MessageBatchCancelParams{})
	if err != nil || again.ProcessingStatus != sdk.MessageBatchProcessingStatusEnded || !again.EndedAt.Equal(done.EndedAt) {
		t.Errorf("canceling an ended batch: %v %s", err, again.RawJSON())
	}
}

func TestBatchTasksShape(t *testing.T) {
	e := start(t, setup{mutate: withAnthropicStore("")})
	status, body := gatewayDo(t, "POST", e.gw.URL+"/v1/messages/batches", `{"model":"mimo-v2.5","tasks":[
		{"custom_id":"a","messages":[{"role":"user","content":"[sim:echo] one"}]},
		{"messages":[{"role":"user","content":"[sim:echo] two"}],"max_tokens":10}]}`)
	id := gjson.Get(body, "id").Str
	if status != 200 || id == "" || gjson.Get(body, "batch_id").Str != id || gjson.Get(body, "type").Str != "message_batch" {
		t.Fatalf("create: %d %s", status, body)
	}
	c := e.anthropicClient()
	waitBatch(t, c, id, ended)
	res := batchResults(t, c, id)
	for cid, want := range map[string]string{"a": "user: [sim:echo] one", "task-1": "user: [sim:echo] two"} {
		m := res[cid].Result.AsSucceeded().Message
		if text, _ := textOf(&m); res[cid].Result.Type != "succeeded" || text != want || m.Model != "mimo-v2.5" {
			t.Errorf("%s: %s", cid, res[cid].RawJSON())
		}
	}
	// The prior implementation's "body" in place of "params".
	status, body = gatewayDo(t, "POST", e.gw.URL+"/v1/messages/batches",
		`{"requests":[{"custom_id":"x","body":{"messages":[{"role":"user","content":"hi"}]}}]}`)
	if status != 200 {
		t.Fatalf("body shape: %d %s", status, body)
	}
	waitBatch(t, c, gjson.Get(body, "id").Str, ended)
	if r := batchResults(t, c, gjson.Get(body, "id").Str)["x"]; r.Result.Type != "succeeded" {
		t.Errorf("body shape result %s", r.RawJSON())
	}
}

func TestBatchValidation(t *testing.T) {
	e := start(t, setup{mutate: withAnthropicStore("")})
	ok := `{"custom_id":"ok","params":{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}`
	for _, tc := range []struct{ name, body, param string }{
		{"no requests", `{}`, "requests"},
		{"empty", `{"requests":[]}`, "requests"},
		{"not json", `{"requests":`, ""},
		{"missing params", `{"requests":[` + ok + `,{"custom_id":"b"}]}`, "requests[1].params"},
		{"bad messages", `{"requests":[` + ok + `,{"custom_id":"b","params":{"model":"claude-sonnet-4-5","max_tokens":5}}]}`, "requests[1].params.messages"},
		{"missing max_tokens", `{"requests":[{"custom_id":"b","params":{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}}]}`, "requests[0].params.max_tokens"},
		{"duplicate custom_id", `{"requests":[` + ok + `,` + ok + `]}`, "requests[1].custom_id"},
		{"bad custom_id", `{"requests":[{"custom_id":"a b","params":{}}]}`, "requests[0].custom_id"},
		{"stream", `{"requests":[{"custom_id":"s","params":{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}}]}`, "requests[0].params.stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := gatewayDo(t, "POST", e.gw.URL+"/v1/messages/batches", tc.body)
			if status != 400 || gjson.Get(body, "error.type").Str != "invalid_request_error" ||
				!strings.HasPrefix(gjson.Get(body, "error.message").Str, tc.param) {
				t.Errorf("%d %s, want a 400 naming %q", status, body, tc.param)
			}
		})
	}
	many := `{"requests":[` + strings.TrimSuffix(strings.Repeat(`{"custom_id":"x","params":{}},`, 10001), ",") + `]}`
	if status, body := gatewayDo(t, "POST", e.gw.URL+"/v1/messages/batches", many); status != 400 || !strings.Contains(body, "at most 10000") {
		t.Errorf("too many requests: %d %.200s", status, body)
	}
	if status, body := gatewayDo(t, "GET", e.gw.URL+"/v1/messages/batches/msgbatch_nope", ""); status != 404 ||
		gjson.Get(body, "error.type").Str != "not_found_error" {
		t.Errorf("unknown batch: %d %s", status, body)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("invalid batches reached the upstream %d times", n)
	}
}
