package openai

import (
	"errors"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

const completionHead = `{"id":"chatcmpl-0123456789abcdef01234567","object":"chat.completion","created":1760000000,"model":"mimo-v2.5","choices":[{"index":0,"message":{"role":"assistant",`

func TestCompletion(t *testing.T) {
	const zeroUsage = `{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"completion_tokens_details":{"reasoning_tokens":0}}`
	tests := []struct {
		name   string
		with   string
		events []plugin.Event
		want   string
	}{
		{name: "plain text", with: `{}`,
			events: []plugin.Event{text("Hello"), text(", 世界\n"), usage(3, 4, 0), finish(plugin.FinishStop)},
			want:   completionHead + `"content":"Hello, 世界\n"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"completion_tokens_details":{"reasoning_tokens":0}}}` + "\n"},
		{name: "reasoning and text", with: `{}`,
			events: []plugin.Event{reasoning("hmm"), text("ok"), finish(plugin.FinishLength)},
			want:   completionHead + `"content":"ok","reasoning_content":"hmm","reasoning":"hmm"},"logprobs":null,"finish_reason":"length"}],"usage":` + zeroUsage + "}\n"},
		{name: "reasoning field", with: `{"reasoning_field":"reasoning"}`,
			events: []plugin.Event{reasoning("hmm"), text("ok")},
			want:   completionHead + `"content":"ok","reasoning":"hmm"},"logprobs":null,"finish_reason":"stop"}],"usage":` + zeroUsage + "}\n"},
		{name: "tool calls only", with: `{}`,
			events: []plugin.Event{call("call_a", "f", `{"a":1}`), call("", "g", ""), finish(plugin.FinishStop)},
			want:   completionHead + `"content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"call_0123456789abcdef01234567_1","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":` + zeroUsage + "}\n"},
		{name: "text and tool call", with: `{}`,
			events: []plugin.Event{text("Sure."), call("c", "f", `{}`)},
			want:   completionHead + `"content":"Sure.","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":` + zeroUsage + "}\n"},
		{name: "empty", with: `{}`,
			want: completionHead + `"content":""},"logprobs":null,"finish_reason":"stop"}],"usage":` + zeroUsage + "}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChat(t, tt.with)
			resp, body := render(t, c, &plugin.Request{Model: "mimo-v2.5"}, plugin.Events(tt.events...))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
				t.Errorf("Content-Length = %s, body is %d bytes", cl, len(body))
			}
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompletionError(t *testing.T) {
	c := newChat(t, `{}`)
	boom := &plugin.Error{Status: 504, Code: plugin.CodeTimeout, Message: "the upstream did not answer in time"}
	s := func(yield func(plugin.Event, error) bool) {
		if yield(text("partial"), nil) {
			yield(plugin.Event{}, boom)
		}
	}
	ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
	ex.Request = &plugin.Request{Model: "mimo-v2.5"}
	rec := newRecorder()
	if err := c.WriteStream(rec, ex, s); !errors.Is(err, boom) {
		t.Errorf("WriteStream = %v, want the stream error", err)
	}
	want := `{"error":{"message":"the upstream did not answer in time","type":"server_error","param":null,"code":"timeout"}}` + "\n"
	if rec.Code != 504 || rec.Body.String() != want {
		t.Errorf("got %d %s, want 504 %s", rec.Code, rec.Body.String(), want)
	}
}

func TestResponseHeaders(t *testing.T) {
	c := newChat(t, `{}`)
	for _, stream := range []bool{false, true} {
		ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
		ex.Request = &plugin.Request{Model: "mimo-v2.5", Stream: stream}
		ex.Response.Header = http.Header{"X-Mimo-Account": {"1001"}}
		ex.Response.Events = plugin.Events(text("hi"))
		resp := plugintest.Write(t, c, ex, nil)
		plugintest.Body(t, resp)
		if got := resp.Header.Get("X-Mimo-Account"); got != "1001" {
			t.Errorf("stream=%v: extra header = %q", stream, got)
		}
	}
}
