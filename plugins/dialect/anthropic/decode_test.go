package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func ptr[T any](v T) *T { return &v }

func user(s string) plugin.Message { return plugin.TextMessage(plugin.RoleUser, s) }

func TestDecode(t *testing.T) {
	auto := plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}
	base := func(msgs ...plugin.Message) *plugin.Request {
		return &plugin.Request{Model: "claude-sonnet-4-5", UpstreamModel: "mimo-v2.5", MaxTokens: 1024,
			ParallelToolCalls: true, ToolChoice: auto, Messages: msgs}
	}
	const head = `"model":"claude-sonnet-4-5","max_tokens":1024,`
	weather := plugin.Tool{Name: "get_weather", Description: "Weather.", Parameters: json.RawMessage(`{"type":"object"}`)}
	tests := []struct {
		name string
		body string
		want *plugin.Request
	}{
		{"string content", `{` + head + `"messages":[{"role":"user","content":"Hi"}]}`, base(user("Hi"))},
		{
			"system string and options",
			`{` + head + `"system":"Be brief.","stream":true,"temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END",""],"metadata":{"user_id":"u-1"},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request {
				r := base(plugin.TextMessage(plugin.RoleSystem, "Be brief."), user("Hi"))
				r.Stream, r.Temperature, r.TopP, r.Stop, r.User = true, ptr(0.5), ptr(0.9), []string{"END"}, "u-1"
				return r
			}(),
		},
		{
			"system blocks and system role in messages",
			`{` + head + `"system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"system","content":[{"type":"text","text":"C"}]},{"role":"user","content":"Hi"}]}`,
			base(plugin.Message{Role: plugin.RoleSystem, Parts: []plugin.Part{{Text: "A"}, {Text: "B"}}},
				plugin.TextMessage(plugin.RoleSystem, "C"), user("Hi")),
		},
		{
			"images and documents",
			`{` + head + `"messages":[{"role":"user","content":[
				{"type":"text","text":"Look"},
				{"type":"image","source":{"type":"base64","media_type":"image/png","data":"aGk="}},
				{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},
				{"type":"document","title":"a.pdf","source":{"type":"base64","media_type":"application/pdf","data":"JVBERg=="}},
				{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain doc"}},
				{"type":"document","source":{"type":"url","url":"https://example.com/b.pdf"}}]}]}`,
			base(plugin.Message{Role: plugin.RoleUser, Parts: []plugin.Part{
				{Text: "Look"},
				{Kind: plugin.PartImage, MIME: "image/png", Data: []byte("hi")},
				{Kind: plugin.PartImage, URL: "https://example.com/a.jpg"},
				{Kind: plugin.PartFile, MIME: "application/pdf", Data: []byte("%PDF"), Name: "a.pdf"},
				{Text: "plain doc"},
				{Kind: plugin.PartFile, MIME: "application/pdf", URL: "https://example.com/b.pdf"},
			}}),
		},
		{
			"tool history",
			`{` + head + `"tools":[{"name":"get_weather","description":"Weather.","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}],
			"tool_choice":{"type":"any","disable_parallel_tool_use":true},
			"messages":[{"role":"user","content":"Weather?"},
			{"role":"assistant","content":[{"type":"thinking","thinking":"Need a tool.","signature":"sig"},{"type":"redacted_thinking","data":"xx"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},{"type":"tool_use","id":"toolu_2","name":"get_weather"}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},{"type":"tool_result","tool_use_id":"toolu_2","is_error":true,"content":[{"type":"text","text":"boom"}]},{"type":"text","text":"Thanks"}]}]}`,
			func() *plugin.Request {
				r := base(user("Weather?"),
					plugin.Message{Role: plugin.RoleAssistant, Reasoning: "Need a tool.", Parts: []plugin.Part{{Text: "Checking."}},
						ToolCalls: []plugin.ToolCall{{ID: "toolu_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}, {ID: "toolu_2", Index: 1, Name: "get_weather", Arguments: `{}`}}},
					plugin.Message{Role: plugin.RoleTool, ToolCallID: "toolu_1", Parts: []plugin.Part{{Text: "sunny"}}},
					plugin.Message{Role: plugin.RoleTool, ToolCallID: "toolu_2", IsError: true, Parts: []plugin.Part{{Text: "boom"}}},
					user("Thanks"))
				r.Tools = []plugin.Tool{weather}
				r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceRequired}
				r.ParallelToolCalls = false
				return r
			}(),
		},
		{
			"tool choice tool",
			`{` + head + `"tools":[{"type":"custom","name":"get_weather","description":"Weather.","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"get_weather"},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request {
				r := base(user("Hi"))
				r.Tools, r.ToolChoice = []plugin.Tool{weather}, plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: "get_weather"}
				return r
			}(),
		},
		{
			"tool choice none",
			`{` + head + `"tool_choice":{"type":"none"},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request {
				r := base(user("Hi"))
				r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceNone}
				return r
			}(),
		},
		{"thinking low", `{` + head + `"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request { r := base(user("Hi")); r.Thinking, r.ReasoningEffort = true, "low"; return r }()},
		{"thinking medium", `{` + head + `"thinking":{"type":"enabled","budget_tokens":4096},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request {
				r := base(user("Hi"))
				r.Thinking, r.ReasoningEffort = true, "medium"
				return r
			}()},
		{"thinking high", `{` + head + `"thinking":{"type":"enabled","budget_tokens":16384},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request { r := base(user("Hi")); r.Thinking, r.ReasoningEffort = true, "high"; return r }()},
		{"thinking adaptive", `{` + head + `"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":"Hi"}]}`,
			func() *plugin.Request { r := base(user("Hi")); r.Thinking = true; return r }()},
		{"thinking disabled", `{` + head + `"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"Hi"}]}`, base(user("Hi"))},
		{"empty user content", `{` + head + `"messages":[{"role":"user","content":[]}]}`, base(plugin.Message{Role: plugin.RoleUser})},
		{"server blocks dropped", `{` + head + `"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}},{"type":"text","text":"ok"}]}]}`,
			base(plugin.TextMessage(plugin.RoleAssistant, "ok"))},
		{"nulls are absent", `{` + head + `"system":null,"stream":null,"temperature":null,"tools":null,"tool_choice":null,"thinking":null,"metadata":null,"stop_sequences":null,"messages":[{"role":"user","content":"Hi"}]}`, base(user("Hi"))},
	}
	m := newMessages(t, `{}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.decode([]byte(tt.body), false)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const head = `"model":"claude-sonnet-4-5","max_tokens":16,`
	msgs := `"messages":[{"role":"user","content":"Hi"}]`
	withMsg := func(content string) string {
		return `{` + head + `"messages":[{"role":"user","content":` + content + `}]}`
	}
	withAsst := func(content string) string {
		return `{` + head + `"messages":[{"role":"assistant","content":` + content + `}]}`
	}
	tests := []struct {
		name, body, param string
	}{
		{"not json", `{`, ""},
		{"not an object", `[]`, ""},
		{"model missing", `{"max_tokens":1,` + msgs + `}`, "model"},
		{"model not string", `{"model":1,"max_tokens":1,` + msgs + `}`, "model"},
		{"model empty", `{"model":"","max_tokens":1,` + msgs + `}`, "model"},
		{"max_tokens missing", `{"model":"claude-3-haiku",` + msgs + `}`, "max_tokens"},
		{"max_tokens zero", `{"model":"claude-3-haiku","max_tokens":0,` + msgs + `}`, "max_tokens"},
		{"max_tokens negative", `{"model":"claude-3-haiku","max_tokens":-5,` + msgs + `}`, "max_tokens"},
		{"max_tokens fraction", `{"model":"claude-3-haiku","max_tokens":1.5,` + msgs + `}`, "max_tokens"},
		{"max_tokens string", `{"model":"claude-3-haiku","max_tokens":"8",` + msgs + `}`, "max_tokens"},
		{"messages missing", `{` + head[:len(head)-1] + `}`, "messages"},
		{"messages not array", `{` + head + `"messages":{}}`, "messages"},
		{"messages empty", `{` + head + `"messages":[]}`, "messages"},
		{"message not object", `{` + head + `"messages":["hi"]}`, "messages.0"},
		{"role missing", `{` + head + `"messages":[{"content":"hi"}]}`, "messages.0.role"},
		{"role unknown", `{` + head + `"messages":[{"role":"tool","content":"hi"}]}`, "messages.0.role"},
		{"content number", withMsg(`3`), "messages.0.content"},
		{"content missing", `{` + head + `"messages":[{"role":"user"}]}`, "messages.0.content"},
		{"block not object", withMsg(`["x"]`), "messages.0.content.0"},
		{"block type missing", withMsg(`[{"text":"x"}]`), "messages.0.content.0.type"},
		{"block type unknown", withMsg(`[{"type":"video"}]`), "messages.0.content.0.type"},
		{"user tool_use", withMsg(`[{"type":"tool_use","id":"a","name":"b","input":{}}]`), "messages.0.content.0.type"},
		{"text not string", withMsg(`[{"type":"text","text":1}]`), "messages.0.content.0.text"},
		{"image source missing", withMsg(`[{"type":"image"}]`), "messages.0.content.0.source"},
		{"image base64 bad", withMsg(`[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"%%%"}}]`), "messages.0.content.0.source.data"},
		{"image data empty", withMsg(`[{"type":"image","source":{"type":"base64","media_type":"image/png","data":""}}]`), "messages.0.content.0.source.data"},
		{"image media type number", withMsg(`[{"type":"image","source":{"type":"base64","media_type":1,"data":"aGk="}}]`), "messages.0.content.0.source.media_type"},
		{"image url not http", withMsg(`[{"type":"image","source":{"type":"url","url":"file:///etc/passwd"}}]`), "messages.0.content.0.source.url"},
		{"image file source", withMsg(`[{"type":"image","source":{"type":"file","file_id":"f"}}]`), "messages.0.content.0.source.type"},
		{"image source unknown", withMsg(`[{"type":"image","source":{"type":"s3"}}]`), "messages.0.content.0.source.type"},
		{"document source missing", withMsg(`[{"type":"document"}]`), "messages.0.content.0.source"},
		{"document text data", withMsg(`[{"type":"document","source":{"type":"text","data":1}}]`), "messages.0.content.0.source.data"},
		{"document content", withMsg(`[{"type":"document","source":{"type":"content","content":1}}]`), "messages.0.content.0.source.content"},
		{"search_result content", withMsg(`[{"type":"search_result","content":"x"}]`), "messages.0.content.0.content"},
		{"tool_result id missing", withMsg(`[{"type":"tool_result","content":"x"}]`), "messages.0.content.0.tool_use_id"},
		{"tool_result is_error", withMsg(`[{"type":"tool_result","tool_use_id":"a","is_error":"yes"}]`), "messages.0.content.0.is_error"},
		{"tool_result content number", withMsg(`[{"type":"tool_result","tool_use_id":"a","content":1}]`), "messages.0.content.0.content"},
		{"tool_result nested tool_use", withMsg(`[{"type":"tool_result","tool_use_id":"a","content":[{"type":"tool_use"}]}]`), "messages.0.content.0.content.0.type"},
		{"assistant image", withAsst(`[{"type":"image","source":{}}]`), "messages.0.content.0.type"},
		{"assistant text", withAsst(`[{"type":"text"}]`), "messages.0.content.0.text"},
		{"assistant thinking", withAsst(`[{"type":"thinking","thinking":2}]`), "messages.0.content.0.thinking"},
		{"tool_use id", withAsst(`[{"type":"tool_use","name":"b","input":{}}]`), "messages.0.content.0.id"},
		{"tool_use name", withAsst(`[{"type":"tool_use","id":"a","input":{}}]`), "messages.0.content.0.name"},
		{"tool_use input", withAsst(`[{"type":"tool_use","id":"a","name":"b","input":"{}"}]`), "messages.0.content.0.input"},
		{"system role blocks", `{` + head + `"messages":[{"role":"system","content":[{"type":"image"}]}]}`, "messages.0.content.0"},
		{"system number", `{` + head + `"system":1,` + msgs + `}`, "system"},
		{"system block", `{` + head + `"system":[{"type":"image"}],` + msgs + `}`, "system.0"},
		{"system block text", `{` + head + `"system":[{"type":"text","text":1}],` + msgs + `}`, "system.0.text"},
		{"tools not array", `{` + head + `"tools":{},` + msgs + `}`, "tools"},
		{"tool not object", `{` + head + `"tools":[1],` + msgs + `}`, "tools.0"},
		{"tool type number", `{` + head + `"tools":[{"type":1,"name":"a"}],` + msgs + `}`, "tools.0.type"},
		{"tool name", `{` + head + `"tools":[{"input_schema":{}}],` + msgs + `}`, "tools.0.name"},
		{"tool duplicate", `{` + head + `"tools":[{"name":"a"},{"name":"a"}],` + msgs + `}`, "tools.1.name"},
		{"tool description", `{` + head + `"tools":[{"name":"a","description":1}],` + msgs + `}`, "tools.0.description"},
		{"tool schema", `{` + head + `"tools":[{"name":"a","input_schema":"x"}],` + msgs + `}`, "tools.0.input_schema"},
		{"tool_choice string", `{` + head + `"tool_choice":"auto",` + msgs + `}`, "tool_choice"},
		{"tool_choice type", `{` + head + `"tool_choice":{"type":"required"},` + msgs + `}`, "tool_choice.type"},
		{"tool_choice type missing", `{` + head + `"tool_choice":{},` + msgs + `}`, "tool_choice.type"},
		{"tool_choice any without tools", `{` + head + `"tool_choice":{"type":"any"},` + msgs + `}`, "tool_choice"},
		{"tool_choice tool name", `{` + head + `"tools":[{"name":"a"}],"tool_choice":{"type":"tool"},` + msgs + `}`, "tool_choice.name"},
		{"tool_choice tool unknown", `{` + head + `"tools":[{"name":"a"}],"tool_choice":{"type":"tool","name":"b"},` + msgs + `}`, "tool_choice.name"},
		{"tool_choice parallel", `{` + head + `"tool_choice":{"type":"auto","disable_parallel_tool_use":1},` + msgs + `}`, "tool_choice.disable_parallel_tool_use"},
		{"stream", `{` + head + `"stream":"yes",` + msgs + `}`, "stream"},
		{"stop_sequences string", `{` + head + `"stop_sequences":"END",` + msgs + `}`, "stop_sequences"},
		{"stop_sequences number", `{` + head + `"stop_sequences":[1],` + msgs + `}`, "stop_sequences"},
		{"stop_sequences too many", `{` + head + `"stop_sequences":["a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a"],` + msgs + `}`, "stop_sequences"},
		{"temperature high", `{` + head + `"temperature":1.5,` + msgs + `}`, "temperature"},
		{"temperature string", `{` + head + `"temperature":"1",` + msgs + `}`, "temperature"},
		{"top_p", `{` + head + `"top_p":-0.1,` + msgs + `}`, "top_p"},
		{"top_k", `{` + head + `"top_k":-1,` + msgs + `}`, "top_k"},
		{"metadata", `{` + head + `"metadata":"x",` + msgs + `}`, "metadata"},
		{"metadata user_id", `{` + head + `"metadata":{"user_id":1},` + msgs + `}`, "metadata.user_id"},
		{"thinking not object", `{` + head + `"thinking":true,` + msgs + `}`, "thinking"},
		{"thinking type", `{` + head + `"thinking":{"type":"on"},` + msgs + `}`, "thinking.type"},
		{"thinking type missing", `{` + head + `"thinking":{},` + msgs + `}`, "thinking.type"},
		{"thinking budget", `{` + head + `"thinking":{"type":"enabled","budget_tokens":0},` + msgs + `}`, "thinking.budget_tokens"},
	}
	m := newMessages(t, `{}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.decode([]byte(tt.body), false)
			if err == nil {
				t.Fatal("decode succeeded")
			}
			if err.Status != http.StatusBadRequest || err.Param != tt.param {
				t.Errorf("status %d param %q, want 400 %q (%s)", err.Status, err.Param, tt.param, err.Message)
			}
			if err.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestResolveModel(t *testing.T) {
	m := newMessages(t, `{"aliases":[{"from":"claude-haiku-4-5","to":"mimo-v2-flash"},{"from":"my-model","to":"mimo-v2.5-pro"}]}`)
	tests := []struct{ in, want string }{
		{"claude-opus-4-1-20250805", "mimo-v2.5-pro"},
		{"claude-3-opus-latest", "mimo-v2.5-pro"},
		{"Claude-Opus-4-6", "mimo-v2.5-pro"},
		{"claude-sonnet-4-5-20250929", "mimo-v2.5"},
		{"claude-3-7-sonnet-latest", "mimo-v2.5"},
		{"claude-sonnet-4-6-nothinking", "mimo-v2.5"},
		{"claude-haiku-4-5-20251001", "mimo-v2-flash"}, // alias after stripping the date
		{"MY-MODEL", "mimo-v2.5-pro"},
		{"mimo-v2.5-pro", "mimo-v2.5-pro"},
		{"MiMo-V2.5", "mimo-v2.5"},
		{"mimo-v2.5-latest", "mimo-v2.5"},
	}
	for _, tt := range tests {
		got, err := m.resolve(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, name := range []string{"gpt-4o", "mimo-v9", "claude", "opus"} {
		_, err := m.resolve(name)
		if err == nil || err.Status != http.StatusNotFound || err.Code != plugin.CodeNotFound || err.Message != "model: "+name {
			t.Errorf("resolve(%q) error = %v, want 404 model: %s", name, err, name)
		}
	}
}

func TestHandle(t *testing.T) {
	m := newMessages(t, `{}`)
	t.Run("messages", func(t *testing.T) {
		ex := plugintest.NewExchange("/v1/messages?beta=true", `{"model":"claude-opus-4-0","max_tokens":8,"messages":[{"role":"user","content":"Hi"}]}`)
		called := false
		err := m.Handle(t.Context(), ex, func(_ context.Context, ex *plugin.Exchange) error {
			called = true
			return nil
		})
		if err != nil || !called {
			t.Fatalf("err %v called %v", err, called)
		}
		if ex.Request.Model != "claude-opus-4-0" || ex.Request.TargetModel() != "mimo-v2.5-pro" {
			t.Errorf("model %q upstream %q", ex.Request.Model, ex.Request.TargetModel())
		}
	})
	t.Run("count_tokens needs no max_tokens", func(t *testing.T) {
		ex := plugintest.NewExchange("/v1/messages/count_tokens", `{"model":"claude-opus-4-0","messages":[{"role":"user","content":"Hi"}]}`)
		if err := m.Handle(t.Context(), ex, plugintest.Reply()); err != nil {
			t.Fatal(err)
		}
		if ex.Request == nil || ex.Request.MaxTokens != 0 {
			t.Errorf("request %+v", ex.Request)
		}
	})
	t.Run("messages need max_tokens", func(t *testing.T) {
		ex := plugintest.NewExchange("/v1/messages", `{"model":"claude-opus-4-0","messages":[{"role":"user","content":"Hi"}]}`)
		err := m.Handle(t.Context(), ex, plugintest.Reply())
		if pe := plugin.AsError(err); pe == nil || pe.Param != "max_tokens" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		ex := plugintest.NewExchange("/v1/messages", `{"model":"gpt-4o","max_tokens":8,"messages":[{"role":"user","content":"Hi"}]}`)
		err := m.Handle(t.Context(), ex, func(context.Context, *plugin.Exchange) error {
			t.Error("next called for an unknown model")
			return nil
		})
		if pe := plugin.AsError(err); pe == nil || pe.Status != http.StatusNotFound {
			t.Errorf("err = %v", err)
		}
	})
}

func TestValidateAliases(t *testing.T) {
	for _, with := range []string{
		`{"aliases":[{"from":"","to":"x"}]}`,
		`{"aliases":[{"from":"a","to":""}]}`,
		`{"aliases":[{"from":"a","to":"x"},{"from":"A","to":"y"}]}`,
		`{"unknown":1}`,
	} {
		if _, err := plugin.Load(ID, []byte(with), plugintest.NewHost(t)); err == nil {
			t.Errorf("load %s succeeded", with)
		}
	}
}
