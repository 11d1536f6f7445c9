package responses

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func msg(role plugin.Role, text string) plugin.Message { return plugin.TextMessage(role, text) }

func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []plugin.Message
	}{
		{"string input", `{"model":"m","input":"hi"}`, []plugin.Message{msg(plugin.RoleUser, "hi")}},
		{"instructions first", `{"model":"m","instructions":"be nice","input":"hi"}`,
			[]plugin.Message{msg(plugin.RoleSystem, "be nice"), msg(plugin.RoleUser, "hi")}},
		{"roles and parts", `{"model":"m","input":[
			{"type":"message","role":"developer","content":"dev"},
			{"role":"system","content":[{"type":"input_text","text":"sys"}]},
			{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_text","text":"b"}]},
			{"role":"assistant","content":[{"type":"output_text","text":"ok","annotations":[]}]}]}`,
			[]plugin.Message{msg(plugin.RoleSystem, "dev"), msg(plugin.RoleSystem, "sys"),
				{Role: plugin.RoleUser, Parts: []plugin.Part{{Text: "a"}, {Text: "b"}}}, msg(plugin.RoleAssistant, "ok")}},
		{"calls merge into the assistant message", `{"model":"m","input":[
			{"role":"user","content":"weather?"},
			{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"need tools"}]},
			{"role":"assistant","content":"checking"},
			{"type":"function_call","call_id":"call_1","name":"w","arguments":"{\"c\":1}"},
			{"type":"function_call","call_id":"call_2","name":"t","arguments":{"z":2}},
			{"type":"function_call_output","call_id":"call_1","output":"sunny"},
			{"type":"function_call_output","call_id":"call_2","output":{"time":"noon"}},
			{"type":"function_call_output","call_id":"call_3","output":[{"type":"input_text","text":"x"}]}]}`,
			[]plugin.Message{msg(plugin.RoleUser, "weather?"),
				{Role: plugin.RoleAssistant, Parts: []plugin.Part{{Text: "checking"}}, Reasoning: "need tools", ToolCalls: []plugin.ToolCall{
					{ID: "call_1", Name: "w", Arguments: `{"c":1}`}, {ID: "call_2", Index: 1, Name: "t", Arguments: `{"z":2}`}}},
				{Role: plugin.RoleTool, ToolCallID: "call_1", Parts: []plugin.Part{{Text: "sunny"}}},
				{Role: plugin.RoleTool, ToolCallID: "call_2", Parts: []plugin.Part{{Text: `{"time":"noon"}`}}},
				{Role: plugin.RoleTool, ToolCallID: "call_3", Parts: []plugin.Part{{Text: "x"}}}}},
		{"top-level calls form an assistant message", `{"model":"m","input":[
			{"role":"user","content":"go"},
			{"type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"full"}]},
			{"type":"function_call","call_id":"c1","name":"f"},
			{"type":"function_call_output","call_id":"c1","output":""}]}`,
			[]plugin.Message{msg(plugin.RoleUser, "go"),
				{Role: plugin.RoleAssistant, Reasoning: "full", ToolCalls: []plugin.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}}},
				{Role: plugin.RoleTool, ToolCallID: "c1"}}},
		{"reasoning before a user message is dropped", `{"model":"m","input":[
			{"type":"reasoning","summary":[{"type":"summary_text","text":"lost"}]},
			{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}`,
			[]plugin.Message{msg(plugin.RoleUser, "hi"), msg(plugin.RoleAssistant, "yo")}},
		{"images and files", `{"model":"m","input":[{"role":"user","content":[
			{"type":"input_image","image_url":"data:image/png;base64,aGk=","detail":"auto"},
			{"type":"input_image","image_url":"https://example.com/a.png"},
			{"type":"input_file","filename":"a.txt","file_data":"aGk="},
			{"type":"input_file","filename":"b.pdf","file_data":"data:application/pdf;base64,aGk="}]}]}`,
			[]plugin.Message{{Role: plugin.RoleUser, Parts: []plugin.Part{
				{Kind: plugin.PartImage, MIME: "image/png", Data: []byte("hi")},
				{Kind: plugin.PartImage, URL: "https://example.com/a.png"},
				{Kind: plugin.PartFile, MIME: "text/plain; charset=utf-8", Data: []byte("hi"), Name: "a.txt"},
				{Kind: plugin.PartFile, MIME: "application/pdf", Data: []byte("hi"), Name: "b.pdf"}}}}},
		{"instructions as items", `{"model":"m","instructions":[{"role":"developer","content":"d"}],"input":"hi"}`,
			[]plugin.Message{msg(plugin.RoleSystem, "d"), msg(plugin.RoleUser, "hi")}},
		{"json_object instruction after the last system message", `{"model":"m","instructions":"I","input":[{"role":"user","content":"u"}],"text":{"format":{"type":"json_object"}}}`,
			[]plugin.Message{msg(plugin.RoleSystem, "I"), msg(plugin.RoleSystem, (&textFormat{kind: formatJSONObject}).instruction()), msg(plugin.RoleUser, "u")}},
		{"json_schema instruction first without system messages", `{"model":"m","input":"u","text":{"format":{"type":"json_schema","name":"n","schema":{"type": "object"}}}}`,
			[]plugin.Message{msg(plugin.RoleSystem, `Answer with a single JSON value and nothing else: no explanation, no Markdown code fence. The value must be valid against this JSON schema ("n"): {"type":"object"}`), msg(plugin.RoleUser, "u")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode([]byte(tt.body), options{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			c.finish()
			if d := cmp.Diff(tt.want, c.req.Messages); d != "" {
				t.Errorf("messages (-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeOptions(t *testing.T) {
	half, one := 0.5, 1.0
	tests := []struct {
		name string
		body string
		want plugin.Request
	}{
		{"defaults", `{"model":"m","input":"x"}`,
			plugin.Request{Model: "m", ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}},
		{"everything", `{"model":"m","input":"x","stream":true,"parallel_tool_calls":false,"max_output_tokens":100,
			"temperature":0.5,"top_p":1,"user":"u","reasoning":{"effort":"medium"},"store":true,"metadata":{"k":"v"},
			"tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":false},
			         {"type":"function","function":{"name":"g"}}],
			"tool_choice":{"type":"function","name":"g"},"include":["reasoning.encrypted_content"],"service_tier":"auto"}`,
			plugin.Request{Model: "m", Stream: true, MaxTokens: 100, Temperature: &half, TopP: &one, User: "u",
				Thinking: true, ReasoningEffort: "medium",
				Tools:      []plugin.Tool{{Name: "f", Description: "d", Parameters: []byte(`{"type":"object"}`)}, {Name: "g"}},
				ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: "g"}}},
		{"effort none", `{"model":"m","input":"x","reasoning":{"effort":"none"}}`,
			plugin.Request{Model: "m", ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}},
		{"effort minimal", `{"model":"m","input":"x","reasoning":{"effort":"minimal"}}`,
			plugin.Request{Model: "m", ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}},
		{"effort xhigh", `{"model":"m","input":"x","reasoning":{"effort":"xhigh"}}`,
			plugin.Request{Model: "m", ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}, Thinking: true, ReasoningEffort: "high"}},
		{"safety_identifier as user", `{"model":"m","input":"x","safety_identifier":"s"}`,
			plugin.Request{Model: "m", ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}, User: "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode([]byte(tt.body), options{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got := *c.req
			got.Messages = nil
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("request (-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, param string
		code              plugin.Code
	}{
		{"not JSON", `{`, "", plugin.CodeInvalidRequest},
		{"not an object", `[]`, "", plugin.CodeInvalidRequest},
		{"no model", `{"input":"x"}`, "model", plugin.CodeInvalidRequest},
		{"model not a string", `{"model":1,"input":"x"}`, "model", plugin.CodeInvalidRequest},
		{"no input", `{"model":"m"}`, "input", plugin.CodeInvalidRequest},
		{"empty input", `{"model":"m","input":""}`, "input", plugin.CodeInvalidRequest},
		{"empty input list", `{"model":"m","input":[]}`, "input", plugin.CodeInvalidRequest},
		{"input number", `{"model":"m","input":3}`, "input", plugin.CodeInvalidRequest},
		{"item not object", `{"model":"m","input":[1]}`, "input[0]", plugin.CodeInvalidRequest},
		{"item without type or role", `{"model":"m","input":[{"content":"x"}]}`, "input[0].type", plugin.CodeInvalidRequest},
		{"bad role", `{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input[0].role", plugin.CodeInvalidRequest},
		{"unknown item type", `{"model":"m","input":[{"type":"web_search_call","id":"x"}]}`, "input[0].type", plugin.CodeUnsupported},
		{"item reference", `{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0].type", plugin.CodeUnsupported},
		{"bad content", `{"model":"m","input":[{"role":"user","content":5}]}`, "input[0].content", plugin.CodeInvalidRequest},
		{"unknown part", `{"model":"m","input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "input[0].content[0].type", plugin.CodeUnsupported},
		{"part text missing", `{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}`, "input[0].content[0].text", plugin.CodeInvalidRequest},
		{"image file_id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file_1"}]}]}`, "input[0].content[0].file_id", plugin.CodeUnsupported},
		{"image bad url", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"ftp://x/y"}]}]}`, "input[0].content[0].image_url", plugin.CodeInvalidRequest},
		{"image bad base64", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,!!"}]}]}`, "input[0].content[0].image_url", plugin.CodeInvalidRequest},
		{"file id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}`, "input[0].content[0].file_id", plugin.CodeUnsupported},
		{"file url", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://x/y.pdf"}]}]}`, "input[0].content[0].file_url", plugin.CodeUnsupported},
		{"file without data", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","filename":"a"}]}]}`, "input[0].content[0].file_data", plugin.CodeInvalidRequest},
		{"call without call_id", `{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", plugin.CodeInvalidRequest},
		{"call without name", `{"model":"m","input":[{"type":"function_call","call_id":"c"}]}`, "input[0].name", plugin.CodeInvalidRequest},
		{"call bad arguments", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":3}]}`, "input[0].arguments", plugin.CodeInvalidRequest},
		{"output without call_id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", plugin.CodeInvalidRequest},
		{"output missing", `{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}`, "input[0].output", plugin.CodeInvalidRequest},
		{"reasoning summary not list", `{"model":"m","input":[{"type":"reasoning","summary":"x"}]}`, "input[0].summary", plugin.CodeInvalidRequest},
		{"instructions number", `{"model":"m","input":"x","instructions":1}`, "instructions", plugin.CodeInvalidRequest},
		{"tools not list", `{"model":"m","input":"x","tools":{}}`, "tools", plugin.CodeInvalidRequest},
		{"local_shell tool", `{"model":"m","input":"x","tools":[{"type":"local_shell"}]}`, "tools[0].type", plugin.CodeUnsupported},
		{"computer tool", `{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"computer_use_preview"}]}`, "tools[1].type", plugin.CodeUnsupported},
		{"tool without name", `{"model":"m","input":"x","tools":[{"type":"function"}]}`, "tools[0].name", plugin.CodeInvalidRequest},
		{"duplicate tool", `{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"function","name":"f"}]}`, "tools[1].name", plugin.CodeInvalidRequest},
		{"tool bad parameters", `{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":[]}]}`, "tools[0].parameters", plugin.CodeInvalidRequest},
		{"tool bad strict", `{"model":"m","input":"x","tools":[{"type":"function","name":"f","strict":"yes"}]}`, "tools[0].strict", plugin.CodeInvalidRequest},
		{"tool_choice word", `{"model":"m","input":"x","tool_choice":"any"}`, "tool_choice", plugin.CodeInvalidRequest},
		{"tool_choice computer", `{"model":"m","input":"x","tool_choice":{"type":"computer_use_preview"}}`, "tool_choice.type", plugin.CodeUnsupported},
		{"tool_choice unknown function", `{"model":"m","input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"g"}}`, "tool_choice", plugin.CodeInvalidRequest},
		{"required without tools", `{"model":"m","input":"x","tool_choice":"required"}`, "tool_choice", plugin.CodeInvalidRequest},
		{"parallel not bool", `{"model":"m","input":"x","parallel_tool_calls":"yes"}`, "parallel_tool_calls", plugin.CodeInvalidRequest},
		{"reasoning not object", `{"model":"m","input":"x","reasoning":"high"}`, "reasoning", plugin.CodeInvalidRequest},
		{"bad effort", `{"model":"m","input":"x","reasoning":{"effort":"max"}}`, "reasoning.effort", plugin.CodeInvalidRequest},
		{"bad summary", `{"model":"m","input":"x","reasoning":{"summary":"long"}}`, "reasoning.summary", plugin.CodeInvalidRequest},
		{"text not object", `{"model":"m","input":"x","text":"json"}`, "text", plugin.CodeInvalidRequest},
		{"bad verbosity", `{"model":"m","input":"x","text":{"verbosity":"loud"}}`, "text.verbosity", plugin.CodeInvalidRequest},
		{"format not object", `{"model":"m","input":"x","text":{"format":"json"}}`, "text.format", plugin.CodeInvalidRequest},
		{"unknown format", `{"model":"m","input":"x","text":{"format":{"type":"grammar"}}}`, "text.format.type", plugin.CodeUnsupported},
		{"schema missing", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n"}}}`, "text.format.schema", plugin.CodeInvalidRequest},
		{"schema invalid", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"type":"objekt"}}}}`, "text.format.schema", plugin.CodeInvalidRequest},
		{"schema remote ref", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"$ref":"https://example.com/s.json"}}}}`, "text.format.schema", plugin.CodeInvalidRequest},
		{"schema file ref", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"$ref":"file:///etc/passwd"}}}}`, "text.format.schema", plugin.CodeInvalidRequest},
		{"max_output_tokens zero", `{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens", plugin.CodeInvalidRequest},
		{"max_output_tokens fraction", `{"model":"m","input":"x","max_output_tokens":1.5}`, "max_output_tokens", plugin.CodeInvalidRequest},
		{"metadata not object", `{"model":"m","input":"x","metadata":[]}`, "metadata", plugin.CodeInvalidRequest},
		{"metadata value number", `{"model":"m","input":"x","metadata":{"a":1}}`, "metadata.a", plugin.CodeInvalidRequest},
		{"metadata too many keys", `{"model":"m","input":"x","metadata":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":"","l":"","m":"","n":"","o":"","p":"","q":""}}`, "metadata", plugin.CodeInvalidRequest},
		{"store not bool", `{"model":"m","input":"x","store":"no"}`, "store", plugin.CodeInvalidRequest},
		{"stream not bool", `{"model":"m","input":"x","stream":1}`, "stream", plugin.CodeInvalidRequest},
		{"background not bool", `{"model":"m","input":"x","background":1}`, "background", plugin.CodeInvalidRequest},
		{"background not stored", `{"model":"m","input":"x","background":true,"store":false}`, "background", plugin.CodeInvalidRequest},
		{"background stream", `{"model":"m","input":"x","background":true,"stream":true}`, "background", plugin.CodeUnsupported},
		{"truncation", `{"model":"m","input":"x","truncation":"middle"}`, "truncation", plugin.CodeInvalidRequest},
		{"temperature high", `{"model":"m","input":"x","temperature":3}`, "temperature", plugin.CodeInvalidRequest},
		{"top_p string", `{"model":"m","input":"x","top_p":"1"}`, "top_p", plugin.CodeInvalidRequest},
		{"user number", `{"model":"m","input":"x","user":1}`, "user", plugin.CodeInvalidRequest},
		{"previous id empty", `{"model":"m","input":"x","previous_response_id":""}`, "previous_response_id", plugin.CodeInvalidRequest},
		{"prompt template", `{"model":"m","input":"x","prompt":{"id":"pmpt_1"}}`, "prompt", plugin.CodeUnsupported},
		{"conversation", `{"model":"m","input":"x","conversation":"conv_1"}`, "conversation", plugin.CodeUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode([]byte(tt.body), options{})
			if err == nil {
				t.Fatalf("decode accepted it: %+v", c.req)
			}
			if err.Status != 400 || err.Code != tt.code || err.Param != tt.param || err.Message == "" {
				t.Errorf("error = %d %s param %q %q, want 400 %s param %q", err.Status, err.Code, err.Param, err.Message, tt.code, tt.param)
			}
		})
	}
}
