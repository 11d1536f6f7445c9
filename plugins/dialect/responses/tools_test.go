package responses

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// codexAgents is the namespace tool of the Codex CLI's sub-agent tools, shortened.
const codexAgents = `{"type":"namespace","name":"multi_agent_v1","description":"Sub-agents.","tools":[
	{"type":"function","name":"spawn_agent","description":"Spawn one.","strict":false,"parameters":{"type":"object"}},
	{"type":"function","name":"wait_agent","parameters":{"type":"object"}}]}`

func TestDecodeTools(t *testing.T) {
	obj := json.RawMessage(`{"type":"object"}`)
	tests := []struct {
		name    string
		tools   string
		choice  string
		want    []plugin.Tool
		choose  plugin.ToolChoice
		dropped []string
		ignored string
		echo    string
	}{
		{name: "namespace tools join the list under their own names",
			tools: `[{"type":"function","name":"exec_command"},` + codexAgents + `,{"type":"web_search","external_web_access":false}]`,
			want: []plugin.Tool{{Name: "exec_command"},
				{Name: "spawn_agent", Description: "Spawn one.\n(In the multi_agent_v1 namespace: Sub-agents.)", Parameters: obj},
				{Name: "wait_agent", Description: "(In the multi_agent_v1 namespace: Sub-agents.)", Parameters: obj}},
			choose:  plugin.ToolChoice{Mode: plugin.ToolChoiceAuto},
			dropped: []string{"web_search"},
			echo: `[{"type":"function","name":"exec_command","description":null,"parameters":null,"strict":null},` +
				`{"type":"namespace","name":"multi_agent_v1","description":"Sub-agents.","tools":[` +
				`{"type":"function","name":"spawn_agent","description":"Spawn one.","parameters":{"type":"object"},"strict":false},` +
				`{"type":"function","name":"wait_agent","description":null,"parameters":{"type":"object"},"strict":null}]}]`},
		{name: "a name used twice is qualified in namespaces",
			tools: `[{"type":"namespace","name":"a","tools":[{"type":"function","name":"find"},{"name":"only_a"}]},
				{"type":"function","name":"find"},
				{"type":"namespace","name":"b","tools":[{"type":"function","function":{"name":"find"}}]}]`,
			choice: `{"type":"function","name":"find","namespace":"b"}`,
			want:   []plugin.Tool{{Name: "a.find"}, {Name: "only_a"}, {Name: "find"}, {Name: "b.find"}},
			choose: plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: "b.find"},
			echo: `[{"type":"namespace","name":"a","description":"","tools":[` +
				`{"type":"function","name":"find","description":null,"parameters":null,"strict":null},` +
				`{"type":"function","name":"only_a","description":null,"parameters":null,"strict":null}]},` +
				`{"type":"function","name":"find","description":null,"parameters":null,"strict":null},` +
				`{"type":"namespace","name":"b","description":"","tools":[` +
				`{"type":"function","name":"find","description":null,"parameters":null,"strict":null}]}]`},
		{name: "tool_choice names a namespaced tool by its own name",
			tools: `[` + codexAgents + `]`, choice: `{"type":"function","name":"wait_agent"}`,
			want: []plugin.Tool{
				{Name: "spawn_agent", Description: "Spawn one.\n(In the multi_agent_v1 namespace: Sub-agents.)", Parameters: obj},
				{Name: "wait_agent", Description: "(In the multi_agent_v1 namespace: Sub-agents.)", Parameters: obj}},
			choose: plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: "wait_agent"}},
		{name: "every hosted type is dropped",
			tools: `[{"type":"web_search_preview"},{"type":"file_search","vector_store_ids":["vs_1"]},{"type":"code_interpreter","container":{"type":"auto"}},
				{"type":"image_generation"},{"type":"mcp","server_label":"x","server_url":"https://example.com"},{"type":"web_search_2025_08_26"},
				{"type":"function","name":"f"}]`,
			choice:  `"required"`,
			want:    []plugin.Tool{{Name: "f"}},
			choose:  plugin.ToolChoice{Mode: plugin.ToolChoiceRequired},
			dropped: []string{"web_search_preview", "file_search", "code_interpreter", "image_generation", "mcp", "web_search_2025_08_26"},
			echo:    `[{"type":"function","name":"f","description":null,"parameters":null,"strict":null}]`},
		{name: "tool_choice of a hosted tool becomes auto",
			tools: `[{"type":"function","name":"f"},{"type":"web_search_preview"}]`, choice: `{"type":"web_search_preview"}`,
			want: []plugin.Tool{{Name: "f"}}, choose: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto},
			dropped: []string{"web_search_preview"}, ignored: "web_search_preview"},
		{name: "required with hosted tools only becomes auto",
			tools: `[{"type":"web_search"}]`, choice: `"required"`,
			choose: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}, dropped: []string{"web_search"}, ignored: "required", echo: `[]`},
		{name: "an empty namespace adds no tool",
			tools:  `[{"type":"namespace","name":"n","description":"d","tools":[]}]`,
			choose: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}, echo: `[{"type":"namespace","name":"n","description":"d","tools":[]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"m","input":"x","tools":` + tt.tools
			if tt.choice != "" {
				body += `,"tool_choice":` + tt.choice
			}
			c, err := decode([]byte(body+`}`), options{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d := cmp.Diff(tt.want, c.req.Tools); d != "" {
				t.Errorf("tools (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.choose, c.req.ToolChoice); d != "" {
				t.Errorf("tool_choice (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.dropped, c.dropped); d != "" {
				t.Errorf("dropped (-want +got):\n%s", d)
			}
			if c.ignoredChoice != tt.ignored {
				t.Errorf("ignored tool_choice %q, want %q", c.ignoredChoice, tt.ignored)
			}
			if tt.echo != "" && string(c.tools) != tt.echo {
				t.Errorf("echo\n got %s\nwant %s", c.tools, tt.echo)
			}
		})
	}
}

func TestDecodeToolErrors(t *testing.T) {
	tests := []struct {
		name, body, param string
		reject            bool
		code              plugin.Code
	}{
		{"hosted tool rejected", `{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"web_search"}]}`, "tools[1].type", true, plugin.CodeUnsupported},
		{"hosted tool_choice rejected", `{"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}}`, "tool_choice.type", true, plugin.CodeUnsupported},
		{"required with hosted tools rejected", `{"model":"m","input":"x","tools":[{"type":"web_search"}],"tool_choice":"required"}`, "tools[0].type", true, plugin.CodeUnsupported},
		{"client-executed tool", `{"model":"m","input":"x","tools":[{"type":"apply_patch"}]}`, "tools[0].type", false, plugin.CodeUnsupported},
		{"namespace without name", `{"model":"m","input":"x","tools":[{"type":"namespace","tools":[]}]}`, "tools[0].name", false, plugin.CodeInvalidRequest},
		{"namespace without tools", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n"}]}`, "tools[0].tools", false, plugin.CodeInvalidRequest},
		{"namespace bad description", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","description":1,"tools":[]}]}`, "tools[0].description", false, plugin.CodeInvalidRequest},
		{"namespace custom tool", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"type":"custom","name":"c"}]}]}`, "tools[0].tools[0].type", false, plugin.CodeUnsupported},
		{"namespace tool not object", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[1]}]}`, "tools[0].tools[0]", false, plugin.CodeInvalidRequest},
		{"namespace tool without name", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"type":"function"}]}]}`, "tools[0].tools[0].name", false, plugin.CodeInvalidRequest},
		{"namespace tool bad parameters", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"name":"f","parameters":"x"}]}]}`, "tools[0].tools[0].parameters", false, plugin.CodeInvalidRequest},
		{"duplicate namespace", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[]},{"type":"namespace","name":"n","tools":[]}]}`, "tools[1].name", false, plugin.CodeInvalidRequest},
		{"duplicate name in namespace", `{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"name":"f"},{"name":"f"}]}]}`, "tools[0].tools[1].name", false, plugin.CodeInvalidRequest},
		{"qualified name clashes", `{"model":"m","input":"x","tools":[{"type":"function","name":"n.f"},{"type":"function","name":"f"},{"type":"namespace","name":"n","tools":[{"name":"f"}]}]}`, "tools[2].tools[0].name", false, plugin.CodeInvalidRequest},
		{"tool_choice unknown namespace", `{"model":"m","input":"x","tools":[` + codexAgents + `],"tool_choice":{"type":"function","name":"wait_agent","namespace":"other"}}`, "tool_choice", false, plugin.CodeInvalidRequest},
		{"tool_choice bad namespace", `{"model":"m","input":"x","tools":[` + codexAgents + `],"tool_choice":{"type":"function","name":"wait_agent","namespace":1}}`, "tool_choice.namespace", false, plugin.CodeInvalidRequest},
		{"call bad namespace", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","namespace":2}]}`, "input[0].namespace", false, plugin.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode([]byte(tt.body), options{rejectHosted: tt.reject})
			if err == nil {
				t.Fatalf("decode accepted it: %+v", c.req)
			}
			if err.Status != 400 || err.Code != tt.code || err.Param != tt.param || err.Message == "" {
				t.Errorf("error = %d %s param %q %q, want 400 %s param %q", err.Status, err.Code, err.Param, err.Message, tt.code, tt.param)
			}
		})
	}
}

func TestDecodeNamespacedCalls(t *testing.T) {
	body := `{"model":"m","tools":[{"type":"function","name":"wait_agent"},` + codexAgents + `],"input":[
		{"role":"user","content":"go"},
		{"type":"function_call","call_id":"c1","namespace":"multi_agent_v1","name":"spawn_agent","arguments":"{}"},
		{"type":"function_call","call_id":"c2","namespace":"multi_agent_v1","name":"wait_agent","arguments":"{}"},
		{"type":"function_call","call_id":"c3","namespace":"gone","name":"x","arguments":"{}"},
		{"type":"function_call","call_id":"c4","namespace":"","name":"wait_agent","arguments":"{}"}]}`
	c, err := decode([]byte(body), options{})
	if err != nil {
		t.Fatal(err)
	}
	c.finish()
	want := []plugin.ToolCall{
		{ID: "c1", Name: "spawn_agent", Arguments: "{}"},
		{ID: "c2", Index: 1, Name: "multi_agent_v1.wait_agent", Arguments: "{}"},
		{ID: "c3", Index: 2, Name: "gone.x", Arguments: "{}"},
		{ID: "c4", Index: 3, Name: "wait_agent", Arguments: "{}"},
	}
	if len(c.req.Messages) != 2 {
		t.Fatalf("messages %+v", c.req.Messages)
	}
	if d := cmp.Diff(want, c.req.Messages[1].ToolCalls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

// TestNamespacedCallOutput checks that a call of a namespaced tool is rendered with the
// namespace and the tool's own name, in the response object and in every streamed event
// that carries the item, and that the stored answer keeps the canonical name.
func TestNamespacedCallOutput(t *testing.T) {
	body := `{"model":"m","input":"x","tools":[{"type":"function","name":"wait_agent"},` + codexAgents + `]}`
	calls := []plugin.Event{toolCall("call_1", "spawn_agent", `{"task":"t"}`), toolCall("call_2", "multi_agent_v1.wait_agent", `{}`),
		toolCall("call_3", "wait_agent", `{}`), finish(plugin.FinishToolCalls)}
	want := []struct{ ns, name string }{{"multi_agent_v1", "spawn_agent"}, {"multi_agent_v1", "wait_agent"}, {"", "wait_agent"}}
	check := func(t *testing.T, where string, item string) {
		t.Helper()
		var it struct {
			Type      string  `json:"type"`
			CallID    string  `json:"call_id"`
			Name      string  `json:"name"`
			Namespace *string `json:"namespace"`
		}
		if err := json.Unmarshal([]byte(item), &it); err != nil || it.Type != "function_call" {
			t.Fatalf("%s: item %s: %v", where, item, err)
		}
		i := int(it.CallID[len(it.CallID)-1] - '1')
		ns := ""
		if it.Namespace != nil {
			ns = *it.Namespace
			if ns == "" {
				t.Errorf("%s: empty namespace member in %s", where, item)
			}
		}
		if ns != want[i].ns || it.Name != want[i].name {
			t.Errorf("%s: %s is %q/%q, want %q/%q", where, it.CallID, ns, it.Name, want[i].ns, want[i].name)
		}
	}

	_, plain := run(t, newDialect(t), body, plugin.Events(calls...))
	var resp struct{ Output []json.RawMessage }
	if err := json.Unmarshal([]byte(plain), &resp); err != nil || len(resp.Output) != 3 {
		t.Fatalf("response %s: %v", plain, err)
	}
	for _, it := range resp.Output {
		check(t, "response", string(it))
	}

	_, streamed := run(t, newDialect(t), body[:len(body)-1]+`,"stream":true}`, plugin.Events(calls...))
	items := 0
	for _, ev := range events(t, streamed) {
		var e struct {
			Item     json.RawMessage
			Response struct{ Output []json.RawMessage }
		}
		if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
			t.Fatal(err)
		}
		if e.Item != nil {
			check(t, ev.name, string(e.Item))
			items++
		}
		for _, it := range e.Response.Output {
			check(t, ev.name, string(it))
		}
	}
	if items != 6 {
		t.Errorf("%d output_item events, want 6", items)
	}

	w := &writer{c: &call{toolIndex: mustDecode(t, body).toolIndex}}
	w.snap.items = []*item{{kind: itemCall, callID: "c", name: "spawn_agent", ns: "multi_agent_v1", local: "spawn_agent"}}
	if got := w.answer().ToolCalls[0].Name; got != "spawn_agent" {
		t.Errorf("stored call name %q, want the canonical name", got)
	}
}

func mustDecode(t *testing.T, body string) *call {
	t.Helper()
	c, err := decode([]byte(body), options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHostedToolsPolicy checks the hosted_tools setting end to end through Handle: the default
// drops the tool and records span events; "reject" answers 400.
func TestHostedToolsPolicy(t *testing.T) {
	body := `{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"}],"tool_choice":{"type":"web_search_preview"}}`

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "request")
	d := newDialect(t)
	ex := plugintest.NewExchange("/v1/responses", body)
	var got *plugin.Request
	err := d.Handle(ctx, ex, func(_ context.Context, ex *plugin.Exchange) error { got = ex.Request; return nil })
	span.End()
	if err != nil || got == nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(got.Tools) != 1 || got.Tools[0].Name != "f" || got.ToolChoice.Mode != plugin.ToolChoiceAuto {
		t.Errorf("request tools %+v choice %+v", got.Tools, got.ToolChoice)
	}
	events := map[string]string{}
	for _, ev := range rec.Ended()[0].Events() {
		for _, kv := range ev.Attributes {
			events[ev.Name] = kv.Value.Emit()
		}
	}
	if d := cmp.Diff(map[string]string{"hosted_tools_ignored": `["web_search"]`, "tool_choice_ignored": "web_search_preview"}, events); d != "" {
		t.Errorf("span events (-want +got):\n%s", d)
	}

	strict := plugintest.Load[*Responses](t, plugintest.NewHost(t), ID, `{"hosted_tools":"reject"}`)
	err = strict.Handle(t.Context(), plugintest.NewExchange("/v1/responses", body), func(context.Context, *plugin.Exchange) error {
		t.Error("next called")
		return nil
	})
	if perr := plugin.AsError(err); perr == nil || perr.Status != 400 || perr.Param != "tools[0].type" {
		t.Errorf("reject: %v", err)
	}
}

func TestHostedToolsValidate(t *testing.T) {
	for _, v := range []string{"", "ignore", "reject"} {
		if err := (&Responses{HostedTools: v}).Validate(); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	if err := (&Responses{HostedTools: "drop"}).Validate(); err == nil {
		t.Error(`"drop" accepted`)
	}
}
