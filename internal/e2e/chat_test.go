package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"

	"github.com/mimo2api/mimo2api/internal/conf"
)

func chatParams(prompt string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "mimo-v2.5-pro",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}
}

func TestChatPlain(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	resp, err := c.Chat.Completions.New(t.Context(), chatParams("Hello"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello there!" {
		t.Errorf("content = %q, want %q (native marker dropped, citation removed)", got, "Hello there!")
	}
	if resp.Choices[0].FinishReason != "stop" || resp.Model != "mimo-v2.5-pro" {
		t.Errorf("finish = %q model = %q", resp.Choices[0].FinishReason, resp.Model)
	}
	if u := resp.Usage; u.PromptTokens != 12 || u.CompletionTokens != 3 || u.TotalTokens != 15 {
		t.Errorf("usage = %+v", u)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 {
		t.Fatalf("upstream got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Query != "user: Hello" || r.Model != "mimo-v2.5-pro" || r.EnableThinking || len(r.ConversationID) != 32 {
		t.Errorf("upstream query = %q model = %q thinking = %v conversation = %q", r.Query, r.Model, r.EnableThinking, r.ConversationID)
	}
}

func TestChatStream(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	p := chatParams("Hello")
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: param.NewOpt(true)}
	stream := c.Chat.Completions.NewStreaming(t.Context(), p)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		chunk := stream.Current()
		if len(chunk.Choices) > 1 {
			t.Errorf("chunk with %d choices", len(chunk.Choices))
		}
		acc.AddChunk(chunk)
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != "Hello there!" {
		t.Errorf("content = %q", got)
	}
	if acc.Choices[0].FinishReason != "stop" {
		t.Errorf("finish = %q", acc.Choices[0].FinishReason)
	}
	if acc.Usage.TotalTokens != 15 {
		t.Errorf("usage = %+v", acc.Usage)
	}
	if chunks < 3 {
		t.Errorf("only %d chunks: the answer was not streamed", chunks)
	}
}

func TestChatReasoningStream(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	p := chatParams("[sim:reasoning] what is 2+2?")
	p.ReasoningEffort = openai.ReasoningEffortHigh
	stream := c.Chat.Completions.NewStreaming(t.Context(), p)
	var content, reasoning strings.Builder
	for stream.Next() {
		chunk := stream.Current()
		if len(chunk.Choices) == 0 {
			continue
		}
		d := chunk.Choices[0].Delta
		content.WriteString(d.Content)
		if f, ok := d.JSON.ExtraFields["reasoning_content"]; ok && f.Raw() != "" {
			var s string
			if err := json.Unmarshal([]byte(f.Raw()), &s); err != nil {
				t.Fatal(err)
			}
			reasoning.WriteString(s)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if content.String() != "The answer is 4." || reasoning.String() != "Let me add 2 and 2." {
		t.Errorf("content = %q reasoning = %q", content.String(), reasoning.String())
	}
	if r := e.sim.Requests()[0]; !r.EnableThinking || r.ReasoningEffort != "high" {
		t.Errorf("upstream thinking = %v effort = %q", r.EnableThinking, r.ReasoningEffort)
	}
}

func TestChatReasoningNonStream(t *testing.T) {
	e := start(t, setup{})
	p := chatParams("[sim:reasoning] what is 2+2?")
	p.ReasoningEffort = openai.ReasoningEffortLow
	c := e.client()
	resp, err := c.Chat.Completions.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if m.Content != "The answer is 4." {
		t.Errorf("content = %q", m.Content)
	}
	if f := m.JSON.ExtraFields["reasoning_content"]; f.Raw() != `"Let me add 2 and 2."` {
		t.Errorf("reasoning_content = %s", f.Raw())
	}
}

// TestChatErrors checks the status and OpenAI error shape of every failure a client can meet.
func TestChatErrors(t *testing.T) {
	tests := []struct {
		name     string
		prompt   string
		status   int
		typ      string
		code     string
		attempts int // upstream calls expected (one account)
	}{
		{"upstream 401", "[sim:http401] hi", 503, "", "", 1},
		{"upstream 429", "[sim:http429] hi", 429, "", "", 1},
		{"upstream 500", "[sim:http500] hi", 502, "", "", 1},
		{"event error", "[sim:error_event] hi", 502, "", "", 1},
		{"empty stream", "[sim:empty] hi", 502, "", "", 1},
		{"cut stream", "[sim:cut] hi", 502, "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, setup{})
			c := e.client()
			_, err := c.Chat.Completions.New(t.Context(), chatParams(tt.prompt))
			apiErr, ok := errors.AsType[*openai.Error](err)
			if !ok {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Message == "" {
				t.Errorf("status = %d message = %q, want %d", apiErr.StatusCode, apiErr.Message, tt.status)
			}
			if got := len(e.sim.Requests()); got != tt.attempts {
				t.Errorf("upstream calls = %d, want %d", got, tt.attempts)
			}
		})
	}
}

func TestChatStreamErrorAfterCommit(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	stream := c.Chat.Completions.NewStreaming(t.Context(), chatParams("[sim:cut] hi"))
	var content strings.Builder
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) > 0 {
			content.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if stream.Err() == nil {
		t.Fatal("a stream cut by the upstream must end with an error event")
	}
	if content.Len() == 0 {
		t.Error("content before the cut was not streamed")
	}
}

func TestFailoverToSecondAccount(t *testing.T) {
	e := start(t, setup{accounts: 2, sim: simOptions(map[string]string{accounts[0].UserID: "http401"})})
	c := e.client()
	for i := range 3 {
		resp, err := c.Chat.Completions.New(t.Context(), chatParams("Hello"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.Choices[0].Message.Content != "Hello there!" {
			t.Fatalf("request %d: content %q", i, resp.Choices[0].Message.Content)
		}
	}
	// The first account failed once and was marked invalid: 3 successes + 1 failure.
	if got := len(e.sim.Requests()); got != 4 {
		t.Errorf("upstream calls = %d, want 4", got)
	}
}

func TestClientErrors(t *testing.T) {
	e := start(t, setup{})
	tests := []struct {
		name, method, path, key, body string
		status                        int
		wantType                      string
	}{
		{"bad key", "POST", "/v1/chat/completions", "sk-wrong", `{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`, 401, "invalid_request_error"},
		{"no key", "POST", "/v1/chat/completions", "", `{}`, 401, "invalid_request_error"},
		{"malformed json", "POST", "/v1/chat/completions", apiKey, `{"model":`, 400, "invalid_request_error"},
		{"no messages", "POST", "/v1/chat/completions", apiKey, `{"model":"mimo-v2.5"}`, 400, "invalid_request_error"},
		{"unknown route", "POST", "/v1/nothing", apiKey, `{}`, 404, "invalid_request_error"},
		{"wrong method", "GET", "/v1/chat/completions", apiKey, ``, 405, "invalid_request_error"},
		{"unknown model id", "GET", "/v1/models/gpt-9", apiKey, ``, 404, "invalid_request_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(context.Background(), tt.method, e.gw.URL+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var shape struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &shape); err != nil {
				t.Fatalf("body %q is not JSON: %v", body, err)
			}
			if resp.StatusCode != tt.status || shape.Error.Type != tt.wantType || shape.Error.Message == "" {
				t.Errorf("got %d %s, want %d with type %s", resp.StatusCode, body, tt.status, tt.wantType)
			}
			if strings.Contains(string(body), "sk-wrong") {
				t.Error("the error echoes the client's key")
			}
		})
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("client errors reached the upstream %d times", n)
	}
}

func TestModels(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	page, err := c.Models.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	// Discovered from the simulator's bot/config: the newest series of each kind.
	if strings.Join(ids, ",") != "mimo-v2.5-pro,mimo-v2.5,mimo-v2.5-tts,mimo-v2.5-asr" {
		t.Errorf("models = %v", ids)
	}
	m, err := c.Models.Get(t.Context(), "mimo-v2.5")
	if err != nil || m.ID != "mimo-v2.5" || m.OwnedBy != "xiaomi" {
		t.Errorf("get = %+v, %v", m, err)
	}
	if _, err := c.Models.Get(t.Context(), "mimo-v2-flash"); err == nil {
		t.Error("an older series hidden by discovery was served")
	}
}

func TestStaticModelsOverrideDiscovery(t *testing.T) {
	e := start(t, setup{mutate: func(bc *conf.Bootstrap) { bc.Models = []string{"mimo-v2-flash"} }})
	c := e.client()
	page, err := c.Models.List(t.Context())
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "mimo-v2-flash" {
		t.Fatalf("static list: %+v %v", page, err)
	}
	_, err = c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model: "mimo-v2.5", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if apiErr, ok := errors.AsType[*openai.Error](err); !ok || apiErr.StatusCode != 404 {
		t.Fatalf("a model outside the static list: %v", err)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("an unknown model reached the upstream %d times", n)
	}
}
