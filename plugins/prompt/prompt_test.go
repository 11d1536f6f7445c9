package prompt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/prompt"
)

var weatherSchema = json.RawMessage(`{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}`)

var testTools = []plugin.Tool{
	{Name: "get_weather", Description: "Weather forecast.", Parameters: weatherSchema},
	{Name: "get_time_info"},
}

func user(s string) plugin.Message      { return plugin.TextMessage(plugin.RoleUser, s) }
func system(s string) plugin.Message    { return plugin.TextMessage(plugin.RoleSystem, s) }
func assistant(s string) plugin.Message { return plugin.TextMessage(plugin.RoleAssistant, s) }

func calls(text string, cs ...plugin.ToolCall) plugin.Message {
	m := plugin.Message{Role: plugin.RoleAssistant, ToolCalls: cs}
	if text != "" {
		m.Parts = []plugin.Part{{Kind: plugin.PartText, Text: text}}
	}
	return m
}

func result(id, content string) plugin.Message {
	m := plugin.TextMessage(plugin.RoleTool, content)
	m.ToolCallID = id
	return m
}

func weather(id string) plugin.ToolCall {
	return plugin.ToolCall{ID: id, Name: "get_weather", Arguments: `{"city":"北京","days":3}`}
}

// run passes a request with msgs through the stage and returns the upstream query Flatten
// builds from it, and the toolset the stage stored.
func run(t *testing.T, with string, msgs []plugin.Message, mod func(*plugin.Request)) (string, *mimoml.Toolset, bool) {
	t.Helper()
	p := plugintest.Load[*prompt.MiMoML](t, plugintest.NewHost(t), prompt.ID, with)
	ex := plugintest.NewExchange("/v1/chat/completions", "{}")
	ex.Request = &plugin.Request{Model: "mimo-v2.5-pro", Messages: msgs, Tools: testTools, ParallelToolCalls: true,
		ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}
	if mod != nil {
		mod(ex.Request)
	}
	var query string
	err := p.Handle(t.Context(), ex, func(_ context.Context, ex *plugin.Exchange) error {
		query = mimo.Flatten(ex.Request.Messages)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts, ok := prompt.Tools.Get(ex)
	return query, ts, ok
}

func toolPrompt(choice mimoml.Choice, parallel bool) string {
	return mimoml.BuildPrompt([]mimoml.Tool{
		{Name: "get_weather", Description: "Weather forecast.", Parameters: weatherSchema},
		{Name: "get_time_info"},
	}, choice, parallel)
}

const weatherBlock = "<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"get_weather\">\n" +
	"<|MiMoML|parameter name=\"city\"><![CDATA[北京]]></|MiMoML|parameter>\n" +
	"<|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n</|MiMoML|invoke>\n</|MiMoML|tool_calls>"

func TestPromptConfig(t *testing.T) {
	for _, with := range []string{`{"mode":"xml"}`, `{"max_schema_bytes":-2}`, `{"loop_threshold":1}`, `{"nope":true}`} {
		if _, err := plugin.Load(prompt.ID, []byte(with), plugintest.NewHost(t)); err == nil {
			t.Errorf("with %s: loaded", with)
		}
	}
	p := plugintest.Load[*prompt.MiMoML](t, plugintest.NewHost(t), prompt.ID, "")
	if p.Mode != "mimoml" || p.MaxSchemaBytes != 8192 || p.LoopThreshold != 3 {
		t.Errorf("defaults = %+v", p)
	}
}

// TestHistory checks the whole upstream query for conversations with calls and results.
func TestPromptHistory(t *testing.T) {
	auto := toolPrompt(mimoml.Choice{Mode: "auto"}, true)
	tests := []struct {
		name string
		msgs []plugin.Message
		want string
	}{
		{"first turn", []plugin.Message{system("Be brief."), user("Weather in 北京?")},
			"system: Be brief.\n\n" + auto + "\nuser: Weather in 北京?"},
		{"call and result", []plugin.Message{
			user("Weather in 北京?"),
			calls("Let me check.", weather("call_1")),
			result("call_1", "22°C, sunny"),
		}, "system: " + auto + "\nuser: Weather in 北京?\nassistant: Let me check.\n" + weatherBlock +
			"\ntool: <|MiMoML|tool_result call_id=\"call_1\">\n22°C, sunny\n</|MiMoML|tool_result>"},
		{"call without text, error result", []plugin.Message{
			user("q"), calls("", weather("call_1")),
			{Role: plugin.RoleTool, ToolCallID: "call_1", IsError: true, Parts: []plugin.Part{{Kind: plugin.PartText, Text: "timeout"}}},
			assistant("Sorry."), user("again"),
		}, "system: " + auto + "\nuser: q\nassistant: " + weatherBlock +
			"\ntool: <|MiMoML|tool_result call_id=\"call_1\">\nERROR: timeout\n</|MiMoML|tool_result>\nassistant: Sorry.\nuser: again"},
		{"text ending in a newline", []plugin.Message{user("q"), calls("I'll check.\n", weather("call_1")), result("call_1", "ok")},
			"system: " + auto + "\nuser: q\nassistant: I'll check.\n" + weatherBlock +
				"\ntool: <|MiMoML|tool_result call_id=\"call_1\">\nok\n</|MiMoML|tool_result>"},
		{"orphan result", []plugin.Message{user("q"), result("call_9", "stale"), result("", "anonymous")},
			"system: " + auto + "\nuser: q" +
				"\ntool: <|MiMoML|tool_result call_id=\"call_9\">\nstale\n</|MiMoML|tool_result>" +
				"\ntool: <|MiMoML|tool_result call_id=\"unknown\">\nanonymous\n</|MiMoML|tool_result>"},
		{"orphan call before user", []plugin.Message{
			user("q"), calls("", weather("call_1"), plugin.ToolCall{ID: "call_2", Name: "get_time_info", Arguments: "{}"}),
			result("call_2", "noon"), user("never mind"),
		}, "system: " + auto + "\nuser: q\nassistant: " +
			"<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"get_weather\">\n<|MiMoML|parameter name=\"city\"><![CDATA[北京]]></|MiMoML|parameter>\n" +
			"<|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n</|MiMoML|invoke>\n<|MiMoML|invoke name=\"get_time_info\">\n</|MiMoML|invoke>\n</|MiMoML|tool_calls>" +
			"\ntool: <|MiMoML|tool_result call_id=\"call_2\">\nnoon\n</|MiMoML|tool_result>" +
			"\ntool: <|MiMoML|tool_result call_id=\"call_1\">\n(no result: this call was never answered)\n</|MiMoML|tool_result>" +
			"\nuser: never mind"},
		{"orphan call at end", []plugin.Message{user("q"), calls("", weather("call_1"))},
			"system: " + auto + "\nuser: q\nassistant: " + weatherBlock +
				"\ntool: <|MiMoML|tool_result call_id=\"call_1\">\n(no result: this call was never answered)\n</|MiMoML|tool_result>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := cloneMessages(tt.msgs)
			got, ts, ok := run(t, "", tt.msgs, nil)
			if diff := cmp.Diff(strings.Split(tt.want, "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			if !ok || ts.Len() != 2 {
				t.Errorf("stored toolset %v (%v)", ts, ok)
			}
			if diff := cmp.Diff(orig, tt.msgs); diff != "" {
				t.Errorf("the input messages were modified:\n%s", diff)
			}
		})
	}
}

func cloneMessages(msgs []plugin.Message) []plugin.Message {
	out := make([]plugin.Message, len(msgs))
	for i, m := range msgs {
		m.Parts = append([]plugin.Part(nil), m.Parts...)
		m.ToolCalls = append([]plugin.ToolCall(nil), m.ToolCalls...)
		out[i] = m
	}
	return out
}

// TestRenderedCallsParseBack: the calls rendered into the history are what the sieve would
// read back from them.
func TestPromptRenderedCallsParseBack(t *testing.T) {
	c := plugin.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"a <b> & \"c\"]]>","days":3}`}
	q, ts, _ := run(t, "", []plugin.Message{user("q"), calls("", c), result("call_1", "ok")}, nil)
	got, _ := mimoml.Parse(q, ts)
	if len(got) != 1 || got[0].Name != c.Name {
		t.Fatalf("parsed %+v from %q", got, q)
	}
	var want, have any
	_ = json.Unmarshal([]byte(c.Arguments), &want)
	_ = json.Unmarshal([]byte(got[0].Arguments), &have)
	if diff := cmp.Diff(want, have); diff != "" {
		t.Error(diff)
	}
}

func TestPromptLoop(t *testing.T) {
	round := func(id string) []plugin.Message {
		return []plugin.Message{calls("", weather(id)), result(id, "22°C")}
	}
	var three, two, broken, otherArgs []plugin.Message
	three = append([]plugin.Message{user("q")}, append(append(round("c1"), round("c2")...), round("c3")...)...)
	two = append([]plugin.Message{user("q")}, append(round("c1"), round("c2")...)...)
	broken = append(append([]plugin.Message{}, three...), user("try once more"))
	otherArgs = append(append([]plugin.Message{}, two...),
		calls("", plugin.ToolCall{ID: "c3", Name: "get_weather", Arguments: `{"city":"上海"}`}), result("c3", "x"))
	spaced := append(append([]plugin.Message{}, two...),
		calls("", plugin.ToolCall{ID: "c3", Name: "get_weather", Arguments: `{ "city": "北京", "days": 3 }`}), result("c3", "x"))
	tests := []struct {
		name string
		msgs []plugin.Message
		with string
		want bool
	}{
		{"three identical", three, "", true},
		{"spacing ignored", spaced, "", true},
		{"two identical", two, "", false},
		{"user turn breaks the run", broken, "", false},
		{"other arguments", otherArgs, "", false},
		{"threshold 2", two, `{"loop_threshold":2}`, true},
		{"disabled", three, `{"loop_threshold":-1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _, _ := run(t, tt.with, tt.msgs, nil)
			got := strings.Contains(q, "calls were all get_weather with the same arguments. Do not repeat that call")
			if got != tt.want {
				t.Errorf("loop note present = %v, want %v in\n%s", got, tt.want, q)
			}
			if got && strings.Index(q, "Do not repeat") > strings.Index(q, "\nuser: ") {
				t.Errorf("the note is not in the system line")
			}
		})
	}
}

func TestPromptChoice(t *testing.T) {
	history := []plugin.Message{user("q"), calls("", weather("call_1")), result("call_1", "22°C")}
	tests := []struct {
		name     string
		mod      func(*plugin.Request)
		want     string // the tool prompt, "" for none
		injected bool
	}{
		{"auto", nil, toolPrompt(mimoml.Choice{Mode: "auto"}, true), true},
		{"empty mode is auto", func(r *plugin.Request) { r.ToolChoice = plugin.ToolChoice{} }, toolPrompt(mimoml.Choice{Mode: "auto"}, true), true},
		{"required", func(r *plugin.Request) { r.ToolChoice.Mode = plugin.ToolChoiceRequired },
			toolPrompt(mimoml.Choice{Mode: "required"}, true), true},
		{"function", func(r *plugin.Request) {
			r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: "get_time_info"}
		},
			toolPrompt(mimoml.Choice{Mode: "function", Name: "get_time_info"}, true), true},
		{"no parallel", func(r *plugin.Request) { r.ParallelToolCalls = false }, toolPrompt(mimoml.Choice{Mode: "auto"}, false), true},
		{"none", func(r *plugin.Request) { r.ToolChoice.Mode = plugin.ToolChoiceNone }, "", false},
		{"no tools", func(r *plugin.Request) { r.Tools = nil }, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ts, ok := run(t, "", cloneMessages(history), tt.mod)
			if !ok {
				t.Fatal("no toolset stored")
			}
			if !tt.injected {
				if want := mimo.Flatten(history); q != want {
					t.Errorf("query %q, want the untouched flattening %q", q, want)
				}
				if ts != nil {
					t.Errorf("toolset %v stored, want nil", ts)
				}
				return
			}
			if !strings.HasPrefix(q, "system: "+tt.want+"\nuser: q\n") {
				t.Errorf("query does not start with the system line and prompt:\n%s", q)
			}
		})
	}
}

func TestPromptPassthrough(t *testing.T) {
	q, ts, _ := run(t, `{"mode":"passthrough"}`, []plugin.Message{user("q")}, func(r *plugin.Request) { r.ParallelToolCalls = false })
	want := "system: # Tool configuration (set by the application)\n\n" +
		"You can call the tools defined below (JSON function definitions). To call a tool, reply with the call in the tool-call format you know and wait for its result.\n" +
		"<tools>\n" +
		`[{"type":"function","function":{"name":"get_weather","description":"Weather forecast.","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}},` +
		`{"type":"function","function":{"name":"get_time_info"}}]` + "\n</tools>\n\n" +
		"Call a tool only when it helps; otherwise answer normally.\nCall at most one tool per reply.\n" +
		"\nuser: q"
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(q, "\n")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if ts.Len() != 2 {
		t.Errorf("toolset %v", ts)
	}
}

func TestPromptMaxSchemaBytes(t *testing.T) {
	big := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","description":"` +
		strings.Repeat("x", 200) + `"},"days":{"type":["integer","null"]}},"required":["city"]}`)
	tests := []struct {
		name, with, want string
	}{
		{"fits", `{"max_schema_bytes":1000}`, string(compact(big))},
		{"reduced", `{"max_schema_bytes":200}`, `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":["integer","null"]}},"required":["city"]}`},
		{"bare", `{"max_schema_bytes":50}`, `{"type":"object","description":"parameter schema too large to show"}`},
		{"unbounded", `{"max_schema_bytes":-1}`, string(compact(big))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _, _ := run(t, tt.with, []plugin.Message{user("q")}, func(r *plugin.Request) {
				r.Tools = []plugin.Tool{{Name: "get_weather", Parameters: big}}
			})
			if !strings.Contains(q, "- get_weather\n  parameters: "+tt.want+"\n") {
				t.Errorf("query does not show the schema %s:\n%s", tt.want, q)
			}
		})
	}
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// TestPromptSpanEvents: each history rule that fires is recorded on the stage's span.
func TestPromptSpanEvents(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("test").Start(t.Context(), "plugin prompt.mimoml")

	p := plugintest.Load[*prompt.MiMoML](t, plugintest.NewHost(t), prompt.ID, "")
	ex := plugintest.NewExchange("/v1/chat/completions", "{}")
	ex.Request = &plugin.Request{Tools: testTools, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}, Messages: []plugin.Message{
		user("q"), result("call_x", "stale"),
		calls("", weather("c1")), result("c1", "a"), calls("", weather("c2")), result("c2", "a"), calls("", weather("c3")),
	}}
	if err := p.Handle(ctx, ex, func(context.Context, *plugin.Exchange) error { return nil }); err != nil {
		t.Fatal(err)
	}
	span.End()
	var got []string
	for _, e := range rec.Ended()[0].Events() {
		got = append(got, e.Name)
	}
	want := []string{"orphan tool result", "orphan tool call", "tool call loop"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span events (-want +got):\n%s", diff)
	}
}
