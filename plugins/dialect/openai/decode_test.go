package openai

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func ptr(f float64) *float64 { return &f }

// base returns the request decoded from a minimal body with msgs (default: one user "hi").
func base(msgs ...plugin.Message) *plugin.Request {
	if msgs == nil {
		msgs = []plugin.Message{plugin.TextMessage(plugin.RoleUser, "hi")}
	}
	return &plugin.Request{Model: "mimo-v2.5", Messages: msgs, ParallelToolCalls: true,
		ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}
}

const userHi = `"messages":[{"role":"user","content":"hi"}]`

func TestDecode(t *testing.T) {
	weather := plugin.Tool{Name: "get_weather", Description: "Weather of a city",
		Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`)}
	const weatherJSON = `{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}`
	tests := []struct {
		name string
		body string
		want func(r *plugin.Request)
	}{
		{name: "minimal", body: `{"model":"mimo-v2.5",` + userHi + `}`},
		{name: "nulls are absent", body: `{"model":"mimo-v2.5",` + userHi + `,"tools":null,"tool_choice":null,"stream":null,"stream_options":null,"stop":null,"temperature":null,"top_p":null,"max_tokens":null,"user":null,"reasoning_effort":null,"n":null}`},
		{name: "roles", body: `{"model":"mimo-v2.5","messages":[
			{"role":"system","content":"s"},{"role":"developer","content":"d"},{"role":"user","content":"u"},
			{"role":"assistant","content":"a","reasoning_content":"r"},{"role":"tool","tool_call_id":"call_1","content":"t"},
			{"role":"function","name":"f","content":"fn"},{"role":"assistant","content":null,"reasoning":"r2"}]}`,
			want: func(r *plugin.Request) {
				asst := plugin.TextMessage(plugin.RoleAssistant, "a")
				asst.Reasoning = "r"
				tool := plugin.TextMessage(plugin.RoleTool, "t")
				tool.ToolCallID = "call_1"
				r.Messages = []plugin.Message{
					plugin.TextMessage(plugin.RoleSystem, "s"), plugin.TextMessage(plugin.RoleSystem, "d"),
					plugin.TextMessage(plugin.RoleUser, "u"), asst, tool, plugin.TextMessage(plugin.RoleTool, "fn"),
					{Role: plugin.RoleAssistant, Reasoning: "r2"},
				}
			}},
		{name: "empty string content has no parts", body: `{"model":"mimo-v2.5","messages":[{"role":"user","content":""}]}`,
			want: func(r *plugin.Request) { r.Messages = []plugin.Message{{Role: plugin.RoleUser}} }},
		{name: "parts", body: `{"model":"mimo-v2.5","messages":[{"role":"user","content":[
			{"type":"text","text":"look"},
			{"type":"image_url","image_url":{"url":"data:image/PNG;base64,aGVsbG8=","detail":"high"}},
			{"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}},
			{"type":"image_url","image_url":"http://example.com/b.png"},
			{"type":"input_audio","input_audio":{"data":"aGVsbG8","format":"wav"}},
			{"type":"input_audio","input_audio":{"data":"aGVsbG8=","format":"mp3"}},
			{"type":"file","file":{"filename":"notes.txt","file_data":"aGVsbG8="}},
			{"type":"file","file":{"filename":"x.pdf","file_data":"data:application/pdf;base64,aGVsbG8="}},
			{"type":"file","file":{"data":"aGVsbG8-"}},
			{"type":"file","file":{"file_data":"data:,a%20b"}}]}]}`,
			want: func(r *plugin.Request) {
				hello := []byte("hello")
				r.Messages = []plugin.Message{{Role: plugin.RoleUser, Parts: []plugin.Part{
					{Kind: plugin.PartText, Text: "look"},
					{Kind: plugin.PartImage, MIME: "image/png", Data: hello},
					{Kind: plugin.PartImage, URL: "https://example.com/a.jpg"},
					{Kind: plugin.PartImage, URL: "http://example.com/b.png"},
					{Kind: plugin.PartAudio, MIME: "audio/wav", Data: hello},
					{Kind: plugin.PartAudio, MIME: "audio/mpeg", Data: hello},
					{Kind: plugin.PartFile, Name: "notes.txt", MIME: "text/plain; charset=utf-8", Data: hello},
					{Kind: plugin.PartFile, Name: "x.pdf", MIME: "application/pdf", Data: hello},
					{Kind: plugin.PartFile, MIME: "application/octet-stream", Data: []byte("hello>")},
					{Kind: plugin.PartFile, MIME: "text/plain", Data: []byte("a b")},
				}}}
			}},
		{name: "assistant tool calls and tool result", body: `{"model":"mimo-v2.5","messages":[
			{"role":"user","content":"weather?"},
			{"role":"assistant","content":null,"tool_calls":[
				{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"北京\"}"}},
				{"id":"call_b","function":{"name":"get_weather","arguments":{"city":"Paris"}}},
				{"id":"call_c","type":"function","function":{"name":"now"}}]},
			{"role":"tool","tool_call_id":"call_a","content":[{"type":"text","text":"sunny"}]}]}`,
			want: func(r *plugin.Request) {
				tool := plugin.TextMessage(plugin.RoleTool, "sunny")
				tool.ToolCallID = "call_a"
				r.Messages = []plugin.Message{
					plugin.TextMessage(plugin.RoleUser, "weather?"),
					{Role: plugin.RoleAssistant, ToolCalls: []plugin.ToolCall{
						{ID: "call_a", Index: 0, Name: "get_weather", Arguments: `{"city":"北京"}`},
						{ID: "call_b", Index: 1, Name: "get_weather", Arguments: `{"city":"Paris"}`},
						{ID: "call_c", Index: 2, Name: "now", Arguments: `{}`},
					}},
					tool,
				}
			}},
		{name: "tools default auto", body: `{"model":"mimo-v2.5",` + userHi + `,"tools":[` + weatherJSON + `,{"function":{"name":"now"}}]}`,
			want: func(r *plugin.Request) { r.Tools = []plugin.Tool{weather, {Name: "now"}} }},
		{name: "tool_choice none", body: `{"model":"mimo-v2.5",` + userHi + `,"tools":[` + weatherJSON + `],"tool_choice":"none"}`,
			want: func(r *plugin.Request) {
				r.Tools = []plugin.Tool{weather}
				r.ToolChoice.Mode = plugin.ToolChoiceNone
			}},
		{name: "tool_choice none without tools", body: `{"model":"mimo-v2.5",` + userHi + `,"tool_choice":"none"}`,
			want: func(r *plugin.Request) { r.ToolChoice.Mode = plugin.ToolChoiceNone }},
		{name: "tool_choice required", body: `{"model":"mimo-v2.5",` + userHi + `,"tools":[` + weatherJSON + `],"tool_choice":"required","parallel_tool_calls":false}`,
			want: func(r *plugin.Request) {
				r.Tools = []plugin.Tool{weather}
				r.ToolChoice.Mode = plugin.ToolChoiceRequired
				r.ParallelToolCalls = false
			}},
		{name: "tool_choice function", body: `{"model":"mimo-v2.5",` + userHi + `,"tools":[` + weatherJSON + `],"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`,
			want: func(r *plugin.Request) {
				r.Tools = []plugin.Tool{weather}
				r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: "get_weather"}
			}},
		{name: "stream with usage", body: `{"model":"mimo-v2.5",` + userHi + `,"stream":true,"stream_options":{"include_usage":true}}`,
			want: func(r *plugin.Request) { r.Stream, r.IncludeUsage = true, true }},
		{name: "reasoning effort", body: `{"model":"mimo-v2.5",` + userHi + `,"reasoning_effort":"high"}`,
			want: func(r *plugin.Request) { r.Thinking, r.ReasoningEffort = true, "high" }},
		{name: "reasoning effort none", body: `{"model":"mimo-v2.5",` + userHi + `,"reasoning_effort":"none"}`},
		{name: "reasoning effort empty", body: `{"model":"mimo-v2.5",` + userHi + `,"reasoning_effort":""}`},
		{name: "max_tokens", body: `{"model":"mimo-v2.5",` + userHi + `,"max_tokens":100}`,
			want: func(r *plugin.Request) { r.MaxTokens = 100 }},
		{name: "max_completion_tokens wins", body: `{"model":"mimo-v2.5",` + userHi + `,"max_tokens":100,"max_completion_tokens":2e3}`,
			want: func(r *plugin.Request) { r.MaxTokens = 2000 }},
		{name: "sampling", body: `{"model":"mimo-v2.5",` + userHi + `,"temperature":0.7,"top_p":1,"n":1,"user":"u-1"}`,
			want: func(r *plugin.Request) { r.Temperature, r.TopP, r.User = ptr(0.7), ptr(1), "u-1" }},
		{name: "stop string", body: `{"model":"mimo-v2.5",` + userHi + `,"stop":"END"}`,
			want: func(r *plugin.Request) { r.Stop = []string{"END"} }},
		{name: "stop array", body: `{"model":"mimo-v2.5",` + userHi + `,"stop":["a","","b","c"]}`,
			want: func(r *plugin.Request) { r.Stop = []string{"a", "b", "c"} }},
		{name: "unknown fields ignored", body: `{"model":"mimo-v2.5",` + userHi + `,"seed":1,"logit_bias":{},"passthrough":true,"metadata":{"a":"b"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			want := base()
			if tt.want != nil {
				tt.want(want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, param string
		code              plugin.Code
	}{
		{name: "not JSON", body: `{"model":`},
		{name: "empty body", body: ``},
		{name: "array body", body: `[]`},
		{name: "model missing", body: `{` + userHi + `}`, param: "model"},
		{name: "model null", body: `{"model":null,` + userHi + `}`, param: "model"},
		{name: "model number", body: `{"model":5,` + userHi + `}`, param: "model"},
		{name: "model empty", body: `{"model":"",` + userHi + `}`, param: "model"},
		{name: "messages missing", body: `{"model":"m"}`, param: "messages"},
		{name: "messages object", body: `{"model":"m","messages":{}}`, param: "messages"},
		{name: "messages empty", body: `{"model":"m","messages":[]}`, param: "messages"},
		{name: "message not object", body: `{"model":"m","messages":["hi"]}`, param: "messages[0]"},
		{name: "role missing", body: `{"model":"m","messages":[{"content":"hi"}]}`, param: "messages[0].role"},
		{name: "role unknown", body: `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"bot","content":"hi"}]}`, param: "messages[1].role"},
		{name: "content number", body: `{"model":"m","messages":[{"role":"user","content":1}]}`, param: "messages[0].content"},
		{name: "content object", body: `{"model":"m","messages":[{"role":"user","content":{"type":"text"}}]}`, param: "messages[0].content"},
		{name: "part not object", body: `{"model":"m","messages":[{"role":"user","content":["x"]}]}`, param: "messages[0].content[0]"},
		{name: "part type missing", body: `{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}`, param: "messages[0].content[0].type"},
		{name: "part type unknown", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"video","video":{}}]}]}`, param: "messages[0].content[1].type"},
		{name: "text not string", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, param: "messages[0].content[0].text"},
		{name: "image url missing", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, param: "messages[0].content[0].image_url.url"},
		{name: "image bad base64", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!!"}}]}]}`, param: "messages[0].content[0].image_url.url"},
		{name: "image data URL without comma", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64"}}]}]}`, param: "messages[0].content[0].image_url.url"},
		{name: "image ftp URL", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, param: "messages[0].content[0].image_url.url"},
		{name: "audio bad base64", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"***","format":"wav"}}]}]}`, param: "messages[0].content[0].input_audio.data"},
		{name: "audio no format", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"aGk="}}]}]}`, param: "messages[0].content[0].input_audio.format"},
		{name: "audio not object", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":"aGk="}]}]}`, param: "messages[0].content[0].input_audio"},
		{name: "file_id", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, param: "messages[0].content[0].file.file_id", code: plugin.CodeUnsupported},
		{name: "file no data", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.txt"}}]}]}`, param: "messages[0].content[0].file.file_data"},
		{name: "file bad base64", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_data":"%%%"}}]}]}`, param: "messages[0].content[0].file.file_data"},
		{name: "file name number", body: `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"filename":1,"file_data":"aGk="}}]}]}`, param: "messages[0].content[0].file.filename"},
		{name: "tool_calls object", body: `{"model":"m","messages":[{"role":"assistant","tool_calls":{}}]}`, param: "messages[0].tool_calls"},
		{name: "tool call type", body: `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"custom","function":{"name":"f"}}]}]}`, param: "messages[0].tool_calls[0].type"},
		{name: "tool call no name", body: `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}]}`, param: "messages[0].tool_calls[0].function.name"},
		{name: "tool call no function", body: `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c"}]}]}`, param: "messages[0].tool_calls[0].function"},
		{name: "tool call arguments number", body: `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":1}}]}]}`, param: "messages[0].tool_calls[0].function.arguments"},
		{name: "tool call id number", body: `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":1,"function":{"name":"f"}}]}]}`, param: "messages[0].tool_calls[0].id"},
		{name: "reasoning_content number", body: `{"model":"m","messages":[{"role":"assistant","content":"a","reasoning_content":1}]}`, param: "messages[0].reasoning_content"},
		{name: "tool_call_id missing", body: `{"model":"m","messages":[{"role":"tool","content":"r"}]}`, param: "messages[0].tool_call_id"},
		{name: "tools object", body: `{"model":"m",` + userHi + `,"tools":{}}`, param: "tools"},
		{name: "tool not object", body: `{"model":"m",` + userHi + `,"tools":[1]}`, param: "tools[0]"},
		{name: "tool type", body: `{"model":"m",` + userHi + `,"tools":[{"type":"web_search"}]}`, param: "tools[0].type"},
		{name: "tool no function", body: `{"model":"m",` + userHi + `,"tools":[{"type":"function"}]}`, param: "tools[0].function"},
		{name: "tool no name", body: `{"model":"m",` + userHi + `,"tools":[{"type":"function","function":{"name":""}}]}`, param: "tools[0].function.name"},
		{name: "tool duplicate", body: `{"model":"m",` + userHi + `,"tools":[{"function":{"name":"f"}},{"function":{"name":"f"}}]}`, param: "tools[1].function.name"},
		{name: "tool description", body: `{"model":"m",` + userHi + `,"tools":[{"function":{"name":"f","description":1}}]}`, param: "tools[0].function.description"},
		{name: "tool parameters", body: `{"model":"m",` + userHi + `,"tools":[{"function":{"name":"f","parameters":"{}"}}]}`, param: "tools[0].function.parameters"},
		{name: "tool_choice unknown", body: `{"model":"m",` + userHi + `,"tool_choice":"any"}`, param: "tool_choice"},
		{name: "tool_choice number", body: `{"model":"m",` + userHi + `,"tool_choice":1}`, param: "tool_choice"},
		{name: "tool_choice required without tools", body: `{"model":"m",` + userHi + `,"tool_choice":"required"}`, param: "tool_choice"},
		{name: "tool_choice undeclared", body: `{"model":"m",` + userHi + `,"tools":[{"function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}`, param: "tool_choice"},
		{name: "tool_choice object type", body: `{"model":"m",` + userHi + `,"tools":[{"function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools"}}`, param: "tool_choice.type"},
		{name: "tool_choice no name", body: `{"model":"m",` + userHi + `,"tools":[{"function":{"name":"f"}}],"tool_choice":{"type":"function"}}`, param: "tool_choice.function.name"},
		{name: "parallel_tool_calls string", body: `{"model":"m",` + userHi + `,"parallel_tool_calls":"yes"}`, param: "parallel_tool_calls"},
		{name: "stream string", body: `{"model":"m",` + userHi + `,"stream":"true"}`, param: "stream"},
		{name: "stream_options bool", body: `{"model":"m",` + userHi + `,"stream_options":true}`, param: "stream_options"},
		{name: "include_usage string", body: `{"model":"m",` + userHi + `,"stream_options":{"include_usage":1}}`, param: "stream_options.include_usage"},
		{name: "reasoning_effort bool", body: `{"model":"m",` + userHi + `,"reasoning_effort":true}`, param: "reasoning_effort"},
		{name: "max_tokens negative", body: `{"model":"m",` + userHi + `,"max_tokens":-1}`, param: "max_tokens"},
		{name: "max_tokens fraction", body: `{"model":"m",` + userHi + `,"max_tokens":1.5}`, param: "max_tokens"},
		{name: "max_tokens string", body: `{"model":"m",` + userHi + `,"max_tokens":"10"}`, param: "max_tokens"},
		{name: "max_tokens huge", body: `{"model":"m",` + userHi + `,"max_tokens":1e999}`, param: "max_tokens"},
		{name: "max_completion_tokens negative", body: `{"model":"m",` + userHi + `,"max_completion_tokens":-5}`, param: "max_completion_tokens"},
		{name: "temperature string", body: `{"model":"m",` + userHi + `,"temperature":"hot"}`, param: "temperature"},
		{name: "temperature range", body: `{"model":"m",` + userHi + `,"temperature":2.5}`, param: "temperature"},
		{name: "top_p range", body: `{"model":"m",` + userHi + `,"top_p":-0.1}`, param: "top_p"},
		{name: "stop number", body: `{"model":"m",` + userHi + `,"stop":1}`, param: "stop"},
		{name: "stop element number", body: `{"model":"m",` + userHi + `,"stop":["a",1]}`, param: "stop"},
		{name: "stop too many", body: `{"model":"m",` + userHi + `,"stop":["a","b","c","d","e"]}`, param: "stop"},
		{name: "n two", body: `{"model":"m",` + userHi + `,"n":2}`, param: "n", code: plugin.CodeUnsupported},
		{name: "user number", body: `{"model":"m",` + userHi + `,"user":1}`, param: "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("decode succeeded: %+v", req)
			}
			code := tt.code
			if code == "" {
				code = plugin.CodeInvalidRequest
			}
			if err.Status != 400 || err.Code != code || err.Param != tt.param || err.Message == "" {
				t.Errorf("decode error = {%d %s param=%q %q}, want {400 %s param=%q}", err.Status, err.Code, err.Param, err.Message, code, tt.param)
			}
		})
	}
}
