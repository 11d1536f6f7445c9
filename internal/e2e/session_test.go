package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/guard"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	_ "github.com/mimo2api/mimo2api/plugins/prompt"
	_ "github.com/mimo2api/mimo2api/plugins/session"
	_ "github.com/mimo2api/mimo2api/plugins/sieve"
)

// withSession replaces the chat route's chain with the session chain; guard configures
// guard.query_length and pool, when not nil, tunes the pool.
func withSession(guard string, pool *conf.Pool) func(*conf.Bootstrap) {
	return func(bc *conf.Bootstrap) {
		if pool != nil {
			bc.Pool = *pool
		}
		for i := range bc.Routes {
			if bc.Routes[i].Name != "openai-chat" {
				continue
			}
			bc.Routes[i].Chain = []conf.Entry{
				{Use: "auth.apikey"},
				{Use: "dialect.openai_chat"},
				{Use: "prompt.mimoml"},
				{Use: "session.continuity"},
				{Use: "select.round_robin"},
				{Use: "guard.query_length", With: json.RawMessage(guard)},
				{Use: "upstream.mimo"},
				{Use: "sieve.tools"},
			}
		}
	}
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather of a city"),
	Parameters: shared.FunctionParameters{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}, "days": map[string]any{"type": "integer"}},
		"required":   []string{"city"},
	},
})

func TestSessionToolRoundTrip(t *testing.T) {
	e := start(t, setup{accounts: 2, sim: sim.Options{DefaultScenario: "tool_result"}, mutate: withSession(`{}`, nil)})
	c := e.client()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Beijing?")}
	params := func() openai.ChatCompletionNewParams {
		return openai.ChatCompletionNewParams{Model: "mimo-v2.5-pro", Messages: msgs, Tools: []openai.ChatCompletionToolUnionParam{weatherTool}}
	}

	r1, err := c.Chat.Completions.New(t.Context(), params())
	if err != nil {
		t.Fatal(err)
	}
	calls := r1.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "get_weather" {
		t.Fatalf("turn 1 calls = %+v", calls)
	}
	msgs = append(msgs, r1.Choices[0].Message.ToParam(), openai.ToolMessage("Sunny, 25C", calls[0].ID))
	r2, err := c.Chat.Completions.New(t.Context(), params())
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Choices[0].Message.Content; !strings.HasPrefix(got, "The tool said:") {
		t.Fatalf("turn 2 answer = %q", got)
	}
	msgs = append(msgs, r2.Choices[0].Message.ToParam(), openai.UserMessage("Thanks! And tomorrow?"))
	if _, err := c.Chat.Completions.New(t.Context(), params()); err != nil {
		t.Fatal(err)
	}

	reqs := e.sim.Requests()
	if len(reqs) != 3 {
		t.Fatalf("upstream got %d requests", len(reqs))
	}
	first := reqs[0]
	if !strings.Contains(first.Query, "weather in Beijing") || !strings.Contains(first.Query, "get_weather") {
		t.Errorf("turn 1 query lacks the question or the tools: %q", first.Query)
	}
	for i, r := range reqs[1:] {
		if r.ConversationID != first.ConversationID || r.Cookies["userId"] != first.Cookies["userId"] {
			t.Errorf("turn %d: conversation %s on %s, want %s on %s", i+2, r.ConversationID, r.Cookies["userId"], first.ConversationID, first.Cookies["userId"])
		}
		if strings.Contains(r.Query, "Beijing") || strings.Contains(r.Query, "system:") {
			t.Errorf("turn %d resent the history: %q", i+2, r.Query)
		}
	}
	if q := reqs[1].Query; !strings.HasPrefix(q, "tool:") || !strings.Contains(q, "Sunny, 25C") {
		t.Errorf("turn 2 query = %q, want only the tool result", q)
	}
	if q := reqs[2].Query; q != "user: Thanks! And tomorrow?" {
		t.Errorf("turn 3 query = %q, want only the new user message", q)
	}
}

func TestSessionSerialised(t *testing.T) {
	var active, maxActive atomic.Int32
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	gate := func(*sim.Received) sim.Reply {
		n := active.Add(1)
		for m := maxActive.Load(); n > m && !maxActive.CompareAndSwap(m, n); m = maxActive.Load() {
		}
		entered <- struct{}{}
		<-release
		active.Add(-1)
		return sim.Reply{Frames: sim.Text("ok")}
	}
	e := start(t, setup{accounts: 2, sim: sim.Options{Scenarios: map[string]sim.Scenario{"gate": gate}}, mutate: withSession(`{}`, nil)})
	send := func(msgs ...openai.ChatCompletionMessageParamUnion) error {
		c := e.client()
		_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "mimo-v2.5-pro", Messages: msgs}, option.WithHeader("X-MiMo-Session-Id", "conv-7"))
		return err
	}
	if err := send(openai.UserMessage("Hi")); err != nil {
		t.Fatal(err)
	}
	history := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi"), openai.AssistantMessage("Hello there!")}
	errs := make(chan error, 2)
	go func() { errs <- send(append(history, openai.UserMessage("first [sim:gate]"))...) }()
	<-entered
	go func() { errs <- send(append(history, openai.UserMessage("second [sim:gate]"))...) }()
	select {
	case <-entered:
		t.Fatal("the second request reached the upstream while the first was running")
	case <-time.After(300 * time.Millisecond): // negative check: nothing may happen
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(entered) != 1 || maxActive.Load() != 1 {
		t.Errorf("second upstream call entered %d times, max concurrent %d", len(entered), maxActive.Load())
	}
	reqs := e.sim.Requests()
	if len(reqs) != 3 || reqs[1].Query != "user: first [sim:gate]" || reqs[1].ConversationID != reqs[0].ConversationID {
		t.Errorf("upstream requests: %d, second query %q", len(reqs), reqs[1].Query)
	}
}

// postChat sends a raw chat request and returns the response, its body and the body's
// error code.
func postChat(t *testing.T, e *env, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.gw.URL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(b.Bytes(), &env)
	return resp, env.Error.Code
}

func chatBody(msgs ...string) string {
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	var ms []msg
	for i, m := range msgs {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		ms = append(ms, msg{role, m})
	}
	b, _ := json.Marshal(map[string]any{"model": "mimo-v2.5-pro", "messages": ms})
	return string(b)
}

func TestSession401Failover(t *testing.T) {
	e := start(t, setup{accounts: 2, sim: sim.Options{UserScenarios: map[string]string{"2001": "http401"}}, mutate: withSession(`{}`, nil)})
	c := e.client()
	resp, err := c.Chat.Completions.New(t.Context(), chatParams("Hello"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello there!" {
		t.Errorf("content = %q", got)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 2 || reqs[0].Cookies["userId"] != "2001" || reqs[1].Cookies["userId"] != "2002" {
		t.Errorf("upstream calls: %d", len(reqs))
	}
}

// TestSessionPreferredAccountInvalid checks that a conversation whose account stops working
// moves to the other account as a new conversation with the whole history.
func TestSessionPreferredAccountInvalid(t *testing.T) {
	var bad atomic.Value
	bad.Store("")
	gate := func(r *sim.Received) sim.Reply {
		if r.Cookies["userId"] == bad.Load().(string) {
			return sim.Reply{Status: http.StatusUnauthorized, Body: sim.UnauthorizedBody}
		}
		return sim.Reply{Frames: sim.Text("ok")}
	}
	e := start(t, setup{accounts: 2, sim: sim.Options{DefaultScenario: "gate", Scenarios: map[string]sim.Scenario{"gate": gate}}, mutate: withSession(`{}`, nil)})
	if resp, _ := postChat(t, e, chatBody("one")); resp.StatusCode != 200 {
		t.Fatalf("turn 1: %d", resp.StatusCode)
	}
	first := e.sim.Requests()[0]
	bad.Store(first.Cookies["userId"])
	if resp, code := postChat(t, e, chatBody("one", "ok", "two")); resp.StatusCode != 200 {
		t.Fatalf("turn 2: %d %s", resp.StatusCode, code)
	}
	reqs := e.sim.Requests()
	last := reqs[len(reqs)-1]
	if len(reqs) != 3 || last.Cookies["userId"] == first.Cookies["userId"] || last.ConversationID == first.ConversationID ||
		last.Query != "user: one\nassistant: ok\nuser: two" {
		t.Errorf("%d calls; last on %s in %s with %q", len(reqs), last.Cookies["userId"], last.ConversationID, last.Query)
	}
}

func TestSessionSaturated(t *testing.T) {
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	hold := func(*sim.Received) sim.Reply {
		entered <- struct{}{}
		<-release
		return sim.Reply{Frames: sim.Text("ok")}
	}
	pool := &conf.Pool{MaxInFlight: 1, MaxWait: plugin.Duration(200 * time.Millisecond)}
	e := start(t, setup{accounts: 2, sim: sim.Options{Scenarios: map[string]sim.Scenario{"hold": hold}}, mutate: withSession(`{}`, pool)})
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if resp, code := postChat(t, e, chatBody(fmt.Sprintf("busy %d [sim:hold]", i))); resp.StatusCode != 200 {
				t.Errorf("held request: %d %s", resp.StatusCode, code)
			}
		})
	}
	<-entered
	<-entered
	resp, code := postChat(t, e, chatBody("one more"))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("saturated: %d %s Retry-After %q", resp.StatusCode, code, resp.Header.Get("Retry-After"))
	}
	close(release)
	wg.Wait()
}

// TestSessionDisconnectReleases checks that a client leaving mid-stream frees its account at
// once: with one slot, the next request does not wait for the abandoned stream.
func TestSessionDisconnectReleases(t *testing.T) {
	pool := &conf.Pool{MaxInFlight: 1, MaxWait: plugin.Duration(5 * time.Second)}
	endless := func(*sim.Received) sim.Reply {
		deltas := make([]string, 200)
		for i := range deltas {
			deltas[i] = "tick "
		}
		return sim.Reply{Frames: sim.Text(deltas...), Drip: 50 * time.Millisecond} // 10s in all
	}
	e := start(t, setup{sim: sim.Options{Scenarios: map[string]sim.Scenario{"endless": endless}}, mutate: withSession(`{}`, pool)})
	ctx, cancel := context.WithCancel(t.Context())
	c := e.client()
	stream := c.Chat.Completions.NewStreaming(ctx, chatParams("Hello [sim:endless]"))
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	cancel()
	stream.Close()
	start := time.Now()
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("again")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the next request waited %s for the slot", d)
	}
}

func TestGuardReject(t *testing.T) {
	e := start(t, setup{mutate: withSession(`{"max_chars":1000,"mode":"reject"}`, nil)})
	long := strings.Repeat("x", 600)
	resp, code := postChat(t, e, chatBody(long, long, "and now?"))
	if resp.StatusCode != http.StatusBadRequest || code != "context_length_exceeded" {
		t.Errorf("status %d code %q", resp.StatusCode, code)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("the upstream got %d calls", n)
	}
}

func TestGuardWarmup(t *testing.T) {
	e := start(t, setup{sim: sim.Options{MaxQueryChars: 1000}, mutate: withSession(`{"max_chars":1000}`, nil)})
	long := strings.Repeat("y", 600)
	resp, code := postChat(t, e, chatBody(long, long, long, long, "the real question"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d code %q", resp.StatusCode, code)
	}
	reqs := e.sim.Requests()
	if len(reqs) < 3 {
		t.Fatalf("%d upstream calls, want warm-ups and the real turn", len(reqs))
	}
	for i, r := range reqs {
		warm := strings.HasSuffix(r.Query, "等待后续内容）")
		if r.ConversationID != reqs[0].ConversationID || warm != (i < len(reqs)-1) || r.Scenario != "plain" {
			t.Errorf("call %d: conversation %s warm-up %v scenario %s", i, r.ConversationID, warm, r.Scenario)
		}
	}
	if last := reqs[len(reqs)-1].Query; !strings.HasSuffix(last, "user: the real question") {
		t.Errorf("real turn = %q", last)
	}
}

func TestTooLongNotRetried(t *testing.T) {
	e := start(t, setup{accounts: 2, sim: sim.Options{DefaultScenario: "too_long"}, mutate: withSession(`{}`, nil)})
	c := e.client()
	_, err := c.Chat.Completions.New(t.Context(), chatParams("a long text"))
	apiErr, ok := errors.AsType[*openai.Error](err)
	if !ok || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "context_length_exceeded" {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("the upstream got %d calls, want 1 (no retry on another account)", n)
	}
}
