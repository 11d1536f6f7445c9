package sieve

import (
	"strings"

	"github.com/mimo2api/mimo2api/internal/mimoml"
)

// testTools are the tools declared in every test that has tools.
var testTools = mimoml.NewToolset([]mimoml.Tool{
	{Name: "get_weather", Description: "Weather for a city", Parameters: []byte(`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}`)},
	{Name: "read_file", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"}}}`)},
	{Name: "write_file", Parameters: []byte(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}}}`)},
	{Name: "get_time_info", Parameters: []byte(`{"type":"object"}`)},
})

// invoke returns a MiMoML invoke element spelled with the given namespace, e.g. "|MiMoML|".
func invoke(ns, name, param, value string) string {
	var b strings.Builder
	b.WriteString("<" + ns + `invoke name="` + name + `">` + "\n")
	if param != "" {
		b.WriteString("<" + ns + `parameter name="` + param + `"><![CDATA[` + value + "]]></" + ns + "parameter>\n")
	}
	b.WriteString("</" + ns + "invoke>\n")
	return b.String()
}

// wrap returns a complete tool-call block with the given namespace around body.
func wrap(ns, body string) string {
	return "<" + ns + "tool_calls>\n" + body + "</" + ns + "tool_calls>"
}

const ns = "|MiMoML|"

var (
	weather  = wrap(ns, invoke(ns, "get_weather", "city", "北京"))
	readFile = wrap(ns, invoke(ns, "read_file", "path", "/etc/hosts"))
	twoCalls = wrap(ns, invoke(ns, "get_weather", "city", "上海")+invoke(ns, "get_time_info", "", ""))
	fenced3  = "```xml\n" + weather + "\n```\n"
)

// sieveCase is one realistic assistant answer.
type sieveCase struct {
	name  string
	in    string
	calls []string // expected call names, in order
	// plain: the answer has no declared-tool markup, so the visible text must equal in.
	plain bool
	// single: the answer has at most one block, so the sieve must agree with mimoml.Parse.
	single bool
	// absent: substrings that must not appear in the visible text.
	absent []string
}

var residue = []string{"MiMoML|", "invoke", "CDATA"}

var sieveCases = []sieveCase{
	{name: "plain prose", in: "The weather in Paris is mild today. Take a light jacket if you go out tonight.", plain: true, single: true},
	{name: "prose with brackets and braces", in: "If a < b then [see docs](http://x) and use {\"a\": 1} or <b>bold</b>.\nTotal: 3 < 4 > 2", plain: true, single: true},
	{name: "CJK prose with fullwidth punctuation", in: "北京今天晴，气温二十度。明天（周二）有小雨：记得带伞！", plain: true, single: true},
	{name: "emoji prose", in: "Done 🎉🎉 — all tests pass ✅. Next: 🚀 deploy.", plain: true, single: true},
	{name: "whitespace at edges", in: "  \n\n Hello there. \n\n\t ", plain: true, single: true},
	{name: "markdown list and table", in: "Tools used:\n- T1: tokenizer\n- T2: tagger\n\n| a | b |\n|---|---|\n| t | T |\n", plain: true, single: true},
	{name: "html-like tags", in: "Use <br> for breaks, <think> is not special here, and </div> closes.", plain: true, single: true},
	{name: "fenced example only", in: "Here is the format:\n" + fenced3 + "That is all.", plain: true},
	{name: "tilde fence example only", in: "Example:\n~~~\n" + readFile + "\n~~~\nEnd.", plain: true},
	{name: "unclosed fence", in: "Code:\n```go\nfmt.Println(\"<|MiMoML|tool_calls>\")\n", plain: true},
	{name: "prose then call", in: "Let me check the weather.\n" + weather, calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "call then prose", in: weather + "\nI asked for the weather.", calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "prose call prose", in: "Checking.\n" + weather + "\nWaiting for the result.", calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "two blocks with prose", in: "First:\n" + weather + "\nThen:\n" + readFile + "\nDone.", calls: []string{"get_weather", "read_file"}, absent: residue},
	{name: "two blocks back to back", in: weather + readFile, calls: []string{"get_weather", "read_file"}, absent: residue},
	{name: "two invokes in one block", in: "Both:\n" + twoCalls, calls: []string{"get_weather", "get_time_info"}, single: true, absent: residue},
	{name: "fenced example then real call", in: "The format looks like this:\n" + fenced3 + "Now for real:\n" + readFile, calls: []string{"read_file"}, single: true},
	{name: "tilde fence then real call", in: "~~~xml\n" + weather + "\n~~~\n" + readFile, calls: []string{"read_file"}, single: true},
	{name: "four backticks nesting three", in: "````markdown\n" + fenced3 + "````\nNow:\n" + readFile, calls: []string{"read_file"}, single: true},
	{name: "indented fence", in: "Example:\n   ```\n" + weather + "\n   ```\n" + readFile, calls: []string{"read_file"}, single: true},
	{name: "mention then call", in: "I will call the tool now.\n" + weather, calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "unterminated block at end", in: "Checking.\n<|MiMoML|tool_calls>\n" + invoke(ns, "get_weather", "city", "北京"), calls: []string{"get_weather"}, single: true},
	{name: "block cut inside invoke", in: "Checking.\n<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"get_wea", single: true},
	{name: "undeclared tool", in: "Deleting.\n" + wrap(ns, invoke(ns, "delete_everything", "path", "/")), single: true, absent: residue},
	{name: "legacy TOOL_CALL line", in: "TOOL_CALL: get_weather(city=\"北京\", days=3)\nOK.", calls: []string{"get_weather"}, single: true},
	{name: "legacy TOOL_CALL after prose", in: "Sure.\nTOOL_CALL: read_file(path=\"/a.txt\")\n", calls: []string{"read_file"}, single: true},
	{name: "DSML variant", in: "Calling.\n" + wrap("|DSML|", invoke("|DSML|", "get_weather", "city", "Paris")), calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "fullwidth pipes", in: "好的。\n" + wrap("｜MiMoML｜", invoke("｜MiMoML｜", "get_weather", "city", "東京")), calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "plain xml tags", in: wrap("", invoke("", "read_file", "path", "/tmp/x")) + "\n", calls: []string{"read_file"}, single: true, absent: residue},
	{name: "CJK around call", in: "我来查一下天气。\n" + weather + "\n查询完成，请稍候。", calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "leading whitespace before block", in: "  \n\t" + weather + "\n\n  ", calls: []string{"get_weather"}, single: true, absent: residue},
	{name: "fence inside CDATA", in: wrap(ns, invoke(ns, "write_file", "content", "```go\nfmt.Println(\"hi\")\n```\n")) + "\nWritten.", calls: []string{"write_file"}, single: true},
	{name: "orphan closing wrapper", in: "Nothing to call here </|MiMoML|tool_calls> really."},
	{name: "tool word in prose", in: "The tool_call: field is documented. TOOL_CALL is legacy; tools call back.", plain: true},
	{name: "json in prose", in: "Config: {\"name\": \"demo\", \"port\": 8080}. Done.", plain: true, single: true},
}
