package openai

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// render writes s through the dialect for req and returns the response and its body.
func render(t *testing.T, c *Chat, req *plugin.Request, s plugin.Stream) (*http.Response, string) {
	t.Helper()
	ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
	ex.Request = req
	ex.Response.Events = s
	resp := plugintest.Write(t, c, ex, nil)
	return resp, plugintest.Body(t, resp)
}

// frames splits an SSE body into its data payloads, checking the framing.
func frames(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\n\n") {
		t.Fatalf("body does not end with a blank line: %q", body)
	}
	var out []string
	for _, f := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n") {
		data, ok := strings.CutPrefix(f, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("malformed frame %q", f)
		}
		out = append(out, data)
	}
	return out
}

func text(s string) plugin.Event      { return plugin.Event{Kind: plugin.EventText, Text: s} }
func reasoning(s string) plugin.Event { return plugin.Event{Kind: plugin.EventReasoning, Text: s} }
func finish(r plugin.FinishReason) plugin.Event {
	return plugin.Event{Kind: plugin.EventFinish, Finish: r}
}
func call(id, name, args string) plugin.Event {
	return plugin.Event{Kind: plugin.EventToolCall, Call: &plugin.ToolCall{ID: id, Name: name, Arguments: args}}
}
func usage(p, c, r int) plugin.Event {
	return plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: p, CompletionTokens: c, ReasoningTokens: r}}
}

const chunkHead = `{"id":"chatcmpl-0123456789abcdef01234567","object":"chat.completion.chunk","created":1760000000,"model":"mimo-v2.5","choices":[`

func TestStreamPlainText(t *testing.T) {
	c := newChat(t, `{}`)
	resp, body := render(t, c, &plugin.Request{Model: "mimo-v2.5", Stream: true},
		plugin.Events(text("Hel"), text("lo \"wörld\"\n"), finish(plugin.FinishStop)))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	want := "data: " + chunkHead + `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		"data: " + chunkHead + `{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		"data: " + chunkHead + `{"index":0,"delta":{"content":"lo \"wörld\"\n"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		"data: " + chunkHead + `{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}` + "\n\n" +
		"data: [DONE]\n\n"
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// chunk is the subset of a chat.completion.chunk the tests inspect.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int             `json:"index"`
		Delta        json.RawMessage `json:"delta"`
		FinishReason *string         `json:"finish_reason"`
	} `json:"choices"`
	Usage json.RawMessage `json:"usage"`
}

// deltas decodes every chunk payload except [DONE] and checks the common members.
func deltas(t *testing.T, payloads []string) ([]string, []*string, []chunk) {
	t.Helper()
	if n := len(payloads); n == 0 || payloads[n-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", payloads)
	}
	var (
		ds     []string
		fins   []*string
		chunks []chunk
	)
	for _, p := range payloads[:len(payloads)-1] {
		var ck chunk
		if err := json.Unmarshal([]byte(p), &ck); err != nil {
			t.Fatalf("chunk %s: %v", p, err)
		}
		if ck.ID != testID || ck.Object != "chat.completion.chunk" || ck.Created != testCreated || ck.Model != "mimo-v2.5" {
			t.Errorf("chunk header %+v", ck)
		}
		chunks = append(chunks, ck)
		if len(ck.Choices) == 0 {
			continue
		}
		if len(ck.Choices) != 1 || ck.Choices[0].Index != 0 {
			t.Errorf("chunk %s: want exactly one choice with index 0", p)
		}
		ds = append(ds, string(ck.Choices[0].Delta))
		fins = append(fins, ck.Choices[0].FinishReason)
	}
	return ds, fins, chunks
}

func TestStreamEvents(t *testing.T) {
	const role = `{"role":"assistant","content":""}`
	tests := []struct {
		name    string
		with    string
		req     plugin.Request
		events  []plugin.Event
		deltas  []string
		finish  string
		usage   string // the final usage chunk's usage, "" for none
		noUsage bool   // chunks carry no "usage" member
	}{
		{name: "reasoning both", with: `{}`,
			events: []plugin.Event{reasoning("think"), reasoning(""), text("ok"), finish(plugin.FinishStop)},
			deltas: []string{role, `{"reasoning_content":"think","reasoning":"think"}`, `{"content":"ok"}`, `{}`}, finish: "stop"},
		{name: "reasoning_content only", with: `{"reasoning_field":"reasoning_content"}`,
			events: []plugin.Event{reasoning("think"), text("ok"), finish(plugin.FinishStop)},
			deltas: []string{role, `{"reasoning_content":"think"}`, `{"content":"ok"}`, `{}`}, finish: "stop"},
		{name: "reasoning only", with: `{"reasoning_field":"reasoning"}`,
			events: []plugin.Event{reasoning("think"), finish(plugin.FinishLength)},
			deltas: []string{role, `{"reasoning":"think"}`, `{}`}, finish: "length"},
		{name: "two tool calls", with: `{}`,
			events: []plugin.Event{text("Let me check."), call("call_a", "get_weather", `{"city":"北京"}`), call("", "now", ""), finish(plugin.FinishStop)},
			deltas: []string{role, `{"content":"Let me check."}`,
				`{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"北京\"}"}}]}`,
				`{"tool_calls":[{"index":1,"id":"call_0123456789abcdef01234567_1","type":"function","function":{"name":"now","arguments":"{}"}}]}`,
				`{}`}, finish: "tool_calls"},
		{name: "include usage", with: `{}`, req: plugin.Request{IncludeUsage: true},
			events: []plugin.Event{text("a"), usage(1, 2, 0), finish(plugin.FinishStop), usage(10, 20, 5)},
			deltas: []string{role, `{"content":"a"}`, `{}`}, finish: "stop",
			usage: `{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,"completion_tokens_details":{"reasoning_tokens":5}}`},
		{name: "include usage unknown", with: `{}`, req: plugin.Request{IncludeUsage: true},
			events: []plugin.Event{text("a")},
			deltas: []string{role, `{"content":"a"}`, `{}`}, finish: "stop",
			usage: `{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"completion_tokens_details":{"reasoning_tokens":0}}`},
		{name: "usage not asked", with: `{}`,
			events: []plugin.Event{text("a"), usage(1, 2, 0), finish(plugin.FinishStop)},
			deltas: []string{role, `{"content":"a"}`, `{}`}, finish: "stop", noUsage: true},
		{name: "no finish", with: `{}`,
			events: []plugin.Event{text("cut")},
			deltas: []string{role, `{"content":"cut"}`, `{}`}, finish: "stop"},
		{name: "no finish after call", with: `{}`,
			events: []plugin.Event{call("c1", "f", "{}")},
			deltas: []string{role, `{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}`, `{}`}, finish: "tool_calls"},
		{name: "empty stream", with: `{}`,
			deltas: []string{role, `{}`}, finish: "stop"},
		{name: "content after finish dropped", with: `{}`,
			events: []plugin.Event{text("a"), finish(plugin.FinishStop), text("late"), finish(plugin.FinishLength)},
			deltas: []string{role, `{"content":"a"}`, `{}`}, finish: "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChat(t, tt.with)
			req := tt.req
			req.Model, req.Stream = "mimo-v2.5", true
			_, body := render(t, c, &req, plugin.Events(tt.events...))
			ds, fins, chunks := deltas(t, frames(t, body))
			if diff := cmp.Diff(tt.deltas, ds); diff != "" {
				t.Errorf("deltas (-want +got):\n%s", diff)
			}
			for i, f := range fins {
				last := i == len(fins)-1
				if last && (f == nil || *f != tt.finish) || !last && f != nil {
					t.Errorf("finish_reason of chunk %d = %v, want %q only on the last", i, f, tt.finish)
				}
			}
			lastChunk := chunks[len(chunks)-1]
			switch {
			case tt.usage != "":
				if len(lastChunk.Choices) != 0 || string(lastChunk.Usage) != tt.usage {
					t.Errorf("last chunk = %+v, want choices [] and usage %s", lastChunk, tt.usage)
				}
				for _, ck := range chunks[:len(chunks)-1] {
					if string(ck.Usage) != "null" {
						t.Errorf("non-final chunk usage = %s, want null", ck.Usage)
					}
				}
			case tt.noUsage:
				for _, ck := range chunks {
					if ck.Usage != nil {
						t.Errorf("chunk has usage %s", ck.Usage)
					}
				}
			}
		})
	}
}

func TestStreamErrorMidStream(t *testing.T) {
	c := newChat(t, `{}`)
	boom := &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "upstream failed"}
	s := func(yield func(plugin.Event, error) bool) {
		if yield(text("partial"), nil) {
			yield(plugin.Event{}, boom)
		}
	}
	ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
	ex.Request = &plugin.Request{Model: "mimo-v2.5", Stream: true}
	rec := newRecorder()
	err := c.WriteStream(rec, ex, s)
	if !errors.Is(err, boom) {
		t.Errorf("WriteStream = %v, want the stream error", err)
	}
	if rec.Code != 200 {
		t.Errorf("status = %d, want 200 (already streaming)", rec.Code)
	}
	payloads := frames(t, rec.Body.String())
	want := []string{
		chunkHead + `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
		chunkHead + `{"index":0,"delta":{"content":"partial"},"logprobs":null,"finish_reason":null}]}`,
		`{"error":{"message":"upstream failed","type":"server_error","param":null,"code":"upstream_error"}}`,
		"[DONE]",
	}
	if diff := cmp.Diff(want, payloads); diff != "" {
		t.Errorf("payloads (-want +got):\n%s", diff)
	}
}

func TestStreamErrorFirst(t *testing.T) {
	c := newChat(t, `{}`)
	boom := &plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "slow"}
	for _, stream := range []bool{true, false} {
		ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
		ex.Request = &plugin.Request{Model: "mimo-v2.5", Stream: stream}
		rec := newRecorder()
		if err := c.WriteStream(rec, ex, plugin.ErrorStream(boom)); !errors.Is(err, boom) {
			t.Errorf("stream=%v: WriteStream = %v", stream, err)
		}
		var eb errorBody
		if rec.Code != 429 || json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Error.Type != "rate_limit_error" {
			t.Errorf("stream=%v: got %d %q, want a 429 error response", stream, rec.Code, rec.Body.String())
		}
	}
}

func TestStreamClientGone(t *testing.T) {
	c := newChat(t, `{}`)
	ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
	ex.Request = &plugin.Request{Model: "mimo-v2.5", Stream: true}
	w := &failWriter{ResponseRecorder: newRecorder(), after: 1}
	pulled := 0
	s := func(yield func(plugin.Event, error) bool) {
		for range 100 {
			pulled++
			if !yield(text("x"), nil) {
				return
			}
		}
	}
	if err := c.WriteStream(w, ex, s); !errors.Is(err, errGone) {
		t.Errorf("WriteStream = %v, want the write error", err)
	}
	if pulled > 2 {
		t.Errorf("stream pulled %d events after the client went away", pulled)
	}
}
