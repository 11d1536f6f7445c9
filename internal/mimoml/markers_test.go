package mimoml

import (
	"strings"
	"testing"
)

// markerVariants are spellings StartIndex must recognise as block starts.
var markerVariants = []string{
	"<|MiMoML|tool_calls>", "<|MiMoML|function_calls>", "<｜MiMoML｜tool_calls>", "<｜MiMoML｜function_calls>",
	"<|DSML|tool_calls>", "<｜DSML｜tool_calls>", "<|DSML|function_calls>", "<tool_calls>", "<function_calls>",
	"<MiMoML|tool_calls>", "<<|MiMoML|tool_calls>", "<|MiMoML tool_calls>", "<MiMoMLtool_calls>",
	"<|MiMoML|tool_calls|>", "<mimoml-tool_calls>", "<|mimoml|tool_calls>", "<||MiMoML||tool_calls>",
	"<mimoml-tool-calls>", "<|MIMOML|TOOL_CALLS>", "<|MiMoML|invoke ", "<|DSML|invoke ", "<invoke ",
	"<|MiMoML|invokename=", "<tool_call>", "<function_call>", "<function=", "TOOL_CALL:", "tool_call:",
	`{"name":`, `{ "function" :`,
}

func TestStartIndex(t *testing.T) {
	for _, m := range markerVariants {
		t.Run(m, func(t *testing.T) {
			s := "Some prose.\n" + m + "x"
			if got, want := StartIndex(s), len("Some prose.\n"); got != want {
				t.Errorf("StartIndex(%q) = %d, want %d", s, got, want)
			}
		})
	}
	for name, tc := range map[string]struct {
		in   string
		want int
	}{
		"empty":               {"", -1},
		"prose":               {"a < b and {x} and tool calls", -1},
		"fenced":              {"```\n<tool_calls>\n```\n", -1},
		"tilde fenced":        {"~~~\n<tool_calls>\n~~~\n", -1},
		"after fence":         {"```\n<tool_calls>\n```\n<tool_calls>", 21},
		"unclosed fence":      {"```xml\n<tool_calls>", -1},
		"inline code":         {"use `<tool_calls>` here", -1},
		"unmatched backtick":  {"a ` <tool_calls>", 4},
		"think":               {"<think><tool_calls></think>", -1},
		"look-alike":          {"<tool_calls_extra>", -1},
		"closing only":        {"</tool_calls>", -1},
		"html class":          {`<div class="tool_calls">`, -1},
		"parameter alone":     {"<|MiMoML|parameter name=\"a\">", -1},
		"toolcall mid line":   {"I will TOOL_CALL: x()", -1},
		"toolcall indented":   {"ok\n  TOOL_CALL: x()", 5},
		"json other key":      {`{"city": "x"}`, -1},
		"function no equals":  {"<function>x</function>", -1},
		"earliest wins":       {"<tool_call> <tool_calls>", 0},
		"partial marker only": {"text <|MiMo", -1},
	} {
		if got := StartIndex(tc.in); got != tc.want {
			t.Errorf("%s: StartIndex(%q) = %d, want %d", name, tc.in, got, tc.want)
		}
	}
}

func TestPartialMarkerLen(t *testing.T) {
	for _, m := range markerVariants {
		for k := 1; k < len(m); k++ {
			if !strings.HasPrefix(m, "<") && !strings.HasPrefix(m, "{") && k < len("tool_call:") {
				// TOOL_CALL: is only a marker at a line start.
				if got := PartialMarkerLen("a\n" + m[:k]); got != k {
					t.Errorf("PartialMarkerLen(%q) = %d, want %d", "a\n"+m[:k], got, k)
				}
				continue
			}
			s := "prose " + m[:k]
			if StartIndex(s) == len("prose ") {
				continue // this prefix is already a whole marker
			}
			if got := PartialMarkerLen(s); got != k {
				t.Errorf("PartialMarkerLen(%q) = %d, want %d", s, got, k)
			}
		}
	}
	for name, tc := range map[string]struct {
		in   string
		want int
	}{
		"empty":          {"", 0},
		"plain":          {"hello world", 0},
		"complete":       {"<tool_calls>", 0},
		"not a marker":   {"a <b", 0},
		"closing":        {"a </tool_c", 0},
		"toolcall mid":   {"I will TOOL_C", 0},
		"json non-key":   {`{"cit`, 0},
		"lone brace":     {"x {", 1},
		"lone lt":        {"x <", 1},
		"fullwidth half": {"<\xef\xbd", 3},
	} {
		if got := PartialMarkerLen(tc.in); got != tc.want {
			t.Errorf("%s: PartialMarkerLen(%q) = %d, want %d", name, tc.in, got, tc.want)
		}
	}
	long := "<" + strings.Repeat(" ", 200)
	if got := PartialMarkerLen(long); got > MaxMarkerLen {
		t.Errorf("PartialMarkerLen exceeds MaxMarkerLen: %d", got)
	}
}

func TestBlockEnd(t *testing.T) {
	block := "<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"a\">\n<|MiMoML|parameter name=\"p\"><![CDATA[x</|MiMoML|tool_calls>]]></|MiMoML|parameter>\n</|MiMoML|invoke>\n</|MiMoML|tool_calls>"
	bare := "<|MiMoML|invoke name=\"a\"></|MiMoML|invoke>"
	for name, tc := range map[string]struct {
		in   string
		end  int
		done bool
	}{
		"complete block":       {block + "\nafter", len(block), true},
		"incomplete block":     {block[:len(block)-3], 0, false},
		"open CDATA":           {block[:80], 0, false},
		"mention":              {"<tool_calls> are tags", len("<tool_calls>"), true},
		"mention waits":        {"<tool_calls>  ", 0, false},
		"bare keyword invoke":  {bare + "\nthen text", len(bare), true},
		"bare invoke waits":    {bare + "\n", 0, false},
		"plain bare invoke":    {`<invoke name="a"></invoke> text`, len(`<invoke name="a">`), true},
		"repaired":             {`<invoke name="a"></invoke></tool_calls>!`, len(`<invoke name="a"></invoke></tool_calls>`), true},
		"toolcall line":        {"TOOL_CALL: f(a=\")\", b=1)\nmore", len("TOOL_CALL: f(a=\")\", b=1)"), true},
		"toolcall incomplete":  {"TOOL_CALL: f(a=1", 0, false},
		"toolcall not a call":  {"TOOL_CALL: none here", len("TOOL_CALL:"), true},
		"json":                 {`{"name": "f", "arguments": {"a": "}"}} tail`, len(`{"name": "f", "arguments": {"a": "}"}}`), true},
		"json incomplete":      {`{"name": "f", "arg`, 0, false},
		"qwen":                 {"<tool_call><function=f></function></tool_call>x", len("<tool_call><function=f></function></tool_call>"), true},
		"hermes":               {"<tool_call>\n{\"name\":\"f\"}\n</tool_call>", len("<tool_call>\n{\"name\":\"f\"}\n</tool_call>"), true},
		"tool_call mention":    {"<tool_call> is a tag", len("<tool_call>"), true},
		"function_call":        {`<function_call>{"name":"f"}</function_call>`, len(`<function_call>{"name":"f"}</function_call>`), true},
		"function_calls S4":    {"<function_calls><function_call>{}</function_call></function_calls>.", len("<function_calls><function_call>{}</function_call></function_calls>"), true},
		"bare function":        {"<function=f><parameter=a>1</parameter></function>", len("<function=f><parameter=a>1</parameter></function>"), true},
		"not a marker":         {"hello", 0, false},
		"empty":                {"", 0, false},
		"incomplete tag":       {"<|MiMoML|tool_calls", 0, false},
		"unclosed wrapper end": {"<tool_calls>\n<invoke name=\"a\"></invoke>\nbye", len("<tool_calls>\n<invoke name=\"a\"></invoke>"), true},
	} {
		end, ok := BlockEnd(tc.in)
		if end != tc.end || ok != tc.done {
			t.Errorf("%s: BlockEnd(%q) = %d, %v; want %d, %v", name, tc.in, end, ok, tc.end, tc.done)
		}
	}
}

// TestBlockEndStable checks that a decision never changes as text grows,
// feeding every golden input byte by byte from each of its markers.
func TestBlockEndStable(t *testing.T) {
	for _, c := range loadGolden(t) {
		s := c.input
		for i := StartIndex(s); i >= 0; {
			checkStable(t, s[i:])
			j := StartIndex(s[i+1:])
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
}

func checkStable(t *testing.T, s string) {
	t.Helper()
	end, ok := BlockEnd(s)
	for k := 1; k <= len(s); k++ {
		e, o := BlockEnd(s[:k])
		if o && (!ok || e != end) {
			t.Fatalf("BlockEnd(%q) = %d, true but BlockEnd of the full %q = %d, %v", s[:k], e, s, end, ok)
		}
	}
}
