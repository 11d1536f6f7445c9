package tokens

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// words counts space-separated words, so that expected counts are easy to read.
type words struct{}

func (words) Count(s string) int {
	n, in := 0, false
	for _, r := range s {
		if r == ' ' {
			in = false
		} else if !in {
			in, n = true, n+1
		}
	}
	return n
}

func TestRequest(t *testing.T) {
	req := &plugin.Request{
		Tools: []plugin.Tool{{Name: "get_weather", Description: "the weather", Parameters: json.RawMessage(`{"type": "object"}`)}},
		Messages: []plugin.Message{
			plugin.TextMessage(plugin.RoleSystem, "be brief"),
			{Role: plugin.RoleUser, Parts: []plugin.Part{{Text: "what is"}, {Kind: plugin.PartImage, Data: []byte("png")}, {Text: "this"}}},
			{Role: plugin.RoleAssistant, Reasoning: "think hard", ToolCalls: []plugin.ToolCall{{Name: "get_weather", Arguments: `{"city": "Paris"}`}}},
			{Role: plugin.RoleTool, ToolCallID: "t1", Parts: []plugin.Part{{Text: "sunny and warm"}}},
		},
	}
	tool := ToolOverhead + 1 + 2 + 2
	msgs := 4*MessageOverhead + 2 + 3 + (2 + 1 + 2) + 3
	if got, want := Request(words{}, req), ReplyOverhead+tool+msgs; got != want {
		t.Errorf("Request = %d, want %d", got, want)
	}
	if got := Request(nil, req); got != ReplyOverhead+ToolOverhead+4*MessageOverhead {
		t.Errorf("Request with a nil tokenizer = %d", got)
	}
}

func TestCall(t *testing.T) {
	tests := []struct {
		name, with, want string
	}{
		{"default", `{}`, `{"input_tokens":8}` + "\n"},
		{"total", `{"total_tokens":true}`, `{"input_tokens":8,"total_tokens":8}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := plugintest.NewHost(t)
			h.Tok = words{}
			c := plugintest.Load[*Count](t, h, ID, tt.with)
			ex := plugintest.NewExchange("/v1/messages/count_tokens", `{}`)
			ex.Request = &plugin.Request{Messages: []plugin.Message{plugin.TextMessage(plugin.RoleUser, "hello there")}}
			if err := c.Call(t.Context(), ex); err != nil {
				t.Fatal(err)
			}
			if got := string(ex.Response.Body); got != tt.want {
				t.Errorf("body %q, want %q", got, tt.want)
			}
			if ex.Response.Events != nil || ex.Response.Header.Get("Content-Type") != "application/json" {
				t.Errorf("response %+v", ex.Response)
			}
		})
	}
}

func TestCallWithoutRequest(t *testing.T) {
	c := plugintest.Load[*Count](t, plugintest.NewHost(t), ID, `{}`)
	err := c.Call(t.Context(), plugintest.NewExchange("/v1/messages/count_tokens", `{}`))
	if pe := plugin.AsError(err); pe == nil || pe.Status != http.StatusInternalServerError {
		t.Errorf("err = %v", err)
	}
}
