package mimoml

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	ts := NewToolset([]Tool{{Name: "get_weather"}, {Name: "readFile"}, {Name: "Exact"}, {Name: "exact"}, {Name: "do-it"}, {Name: "TOOL_NAME"}})
	for _, tc := range []struct{ in, want string }{
		{"get_weather", "get_weather"},
		{"getWeather", "get_weather"},
		{"GetWeather", "get_weather"},
		{"GET_WEATHER", "get_weather"},
		{"get-weather", "get_weather"},
		{" get_weather ", "get_weather"},
		{"read_file", "readFile"},
		{"READFILE", "readFile"},
		{"readFile", "readFile"},
		{"Exact", "Exact"},
		{"exact", "exact"},
		{"EXACT", "Exact"},
		{"do_it", "do-it"},
		{"doIt", "do-it"},
		{"TOOL_NAME", ""},
		{"TOOL_NAME_HERE", ""},
		{"toolNameHere", ""},
		{"", ""},
		{"unknown", ""},
	} {
		got, ok := ts.Resolve(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if n := ts.Len(); n != 6 {
		t.Errorf("Len = %d, want 6", n)
	}
	var nilSet *Toolset
	if _, ok := nilSet.Resolve("x"); ok || nilSet.Len() != 0 {
		t.Error("nil Toolset must resolve nothing")
	}
}

func TestParseNoTools(t *testing.T) {
	in := `<tool_calls><invoke name="a"></invoke></tool_calls>`
	for _, ts := range []*Toolset{nil, NewToolset(nil)} {
		calls, vis := Parse(in, ts)
		if calls != nil || vis != in {
			t.Errorf("Parse with no tools = %v, %q", calls, vis)
		}
	}
}

func TestParseKeepsWhitespace(t *testing.T) {
	ts := NewToolset(defaultTools)
	in := "  lead \n\n\n<tool_calls><invoke name=\"get_time_info\"></invoke></tool_calls>  \n\n\n trail  "
	calls, vis := Parse(in, ts)
	if len(calls) != 1 || vis != "  lead \n\n\n  \n\n\n trail  " {
		t.Errorf("Parse = %v, %q", calls, vis)
	}
}

func TestClean(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"plain":          {"hello  \n world ", "hello  \n world "},
		"toolcall line":  {"a\nTOOL_CALL: f(x=1)\nb", "a\n\nb"},
		"wrapper tags":   {"x<|MiMoML|tool_calls>y</|MiMoML|tool_calls>z", "xyz"},
		"invoke span":    {"a <|DSML|invoke name=\"f\"><|DSML|parameter name=\"p\">1</|DSML|parameter></|DSML|invoke> b", "a  b"},
		"param span":     {"a<parameter name=\"p\">v</parameter>b", "ab"},
		"cdata":          {"a<![CDATA[x]]>b", "ab"},
		"qwen":           {"a<tool_call><function=f></function></tool_call>b", "ab"},
		"stray closer":   {"done</invoke>", "done"},
		"mimoml other":   {"<|MiMoML|tool_result call_id=\"1\">r", "r"},
		"fence kept":     {"```\n<tool_calls>\n```", "```\n<tool_calls>\n```"},
		"inline kept":    {"use `<invoke>` tags", "use `<invoke>` tags"},
		"html kept":      {"<b>bold</b> <div class=\"tool_calls\">", "<b>bold</b> <div class=\"tool_calls\">"},
		"no trim":        {" \n", " \n"},
		"function plain": {"<function>x</function>", "<function>x"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("%s: Clean(%q) = %q, want %q", name, tc.in, got, tc.want)
		}
	}
}

func TestBuildPrompt(t *testing.T) {
	tools := []Tool{
		{Name: "get_weather", Description: "  Weather forecast.\n", Parameters: json.RawMessage("{\n  \"$schema\": \"x\",\n  \"type\": \"object\",\n  \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"城市\"}}\n}")},
		{Name: "get_time_info"},
	}
	p := BuildPrompt(tools, Choice{Mode: "auto"}, true)
	for _, want := range []string{
		"<|MiMoML|tool_calls>", "TOOL_NAME_HERE", "<![CDATA[", "WRONG",
		"- get_weather: Weather forecast.\n",
		`parameters: {"type":"object","properties":{"city":{"type":"string","description":"城市"}}}`,
		"- get_time_info\n  parameters: none",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	for _, bad := range []string{"system:", "$schema", "MUST", "at most one"} {
		if strings.Contains(p, bad) {
			t.Errorf("auto prompt contains %q", bad)
		}
	}
	if got := BuildPrompt(tools, Choice{Mode: "required"}, false); !strings.Contains(got, "MUST call at least one tool") || !strings.Contains(got, "at most one tool") {
		t.Errorf("required/non-parallel prompt wrong:\n%s", got)
	}
	if got := BuildPrompt(tools, Choice{Mode: "function", Name: "get_weather"}, true); !strings.Contains(got, "MUST call the tool get_weather and no other") {
		t.Errorf("function prompt wrong:\n%s", got)
	}
	if BuildPrompt(tools, Choice{Mode: "none"}, true) != "" || BuildPrompt(nil, Choice{Mode: "auto"}, true) != "" {
		t.Error("none / no tools must give an empty prompt")
	}
	// The template's own example must not parse into a call.
	if calls, _ := Parse(p, NewToolset(tools)); len(calls) != 0 {
		t.Errorf("prompt template parsed as calls: %v", calls)
	}
}

func TestRenderResult(t *testing.T) {
	got := RenderResult(`call_"1"`, "sunny")
	if want := "<|MiMoML|tool_result call_id=\"call_&quot;1&quot;\">\nsunny\n</|MiMoML|tool_result>"; got != want {
		t.Errorf("RenderResult = %q, want %q", got, want)
	}
}

// TestRenderRoundTrip renders every call of the golden corpus (plus some
// awkward values) and parses it back to the same calls.
func TestRenderRoundTrip(t *testing.T) {
	extra := NewToolset([]Tool{{Name: "any"}})
	awkward := []Call{{Name: "any", Arguments: `{"s":" <b>x</b> ","br":"a<br>b","cr":"a\r\nb","cd":"x]]>y","n":1.50,"e":"","nul":null,` +
		`"arr":[[],{},[1],{"a":[{"b":"<i>"}]}],"obj":{"a b":1},"item":{"item":1},"one":["x"],"deep":{"k":{"k":{"k":"v"}}},"num":"7","t":"true","u":"中文"}`}}
	check := func(t *testing.T, calls []Call, ts *Toolset) {
		t.Helper()
		back, vis := Parse(RenderCalls(calls), ts)
		if vis != "" {
			t.Errorf("visible residue %q", vis)
		}
		if diff := cmp.Diff(decodeCalls(t, calls), decodeCalls(t, back)); diff != "" {
			t.Errorf("round trip (-want +got):\n%s\nrendered:\n%s", diff, RenderCalls(calls))
		}
	}
	t.Run("awkward", func(t *testing.T) { check(t, awkward, extra) })
	for _, c := range loadGolden(t) {
		ts := NewToolset(c.tools)
		calls, _ := Parse(c.input, ts)
		if len(calls) == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) { check(t, calls, ts) })
	}
}

func decodeCalls(t *testing.T, calls []Call) []any {
	t.Helper()
	var out []any
	for _, c := range calls {
		var v any
		if err := json.Unmarshal([]byte(c.Arguments), &v); err != nil {
			t.Fatalf("%s: %v", c.Arguments, err)
		}
		out = append(out, []any{c.Name, v})
	}
	return out
}

func TestArgumentsEncoding(t *testing.T) {
	ts := NewToolset(defaultTools)
	calls, _ := Parse("<tool_calls><invoke name=\"echo\"><parameter name=\"message\"><![CDATA[<&> 北京 \"q\" \x01\xff]]></parameter></invoke></tool_calls>", ts)
	if len(calls) != 1 {
		t.Fatalf("calls = %v", calls)
	}
	if want := `{"message":"<&> 北京 \"q\" \u0001` + "\ufffd" + `"}`; calls[0].Arguments != want {
		t.Errorf("Arguments = %s, want %s", calls[0].Arguments, want)
	}
}
