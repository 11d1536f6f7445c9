package mimoml

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite want.json of the golden parse corpus")

// defaultTools are the tools of protocol B.8, used when a case has no
// tools.json section.
var defaultTools = []Tool{
	{Name: "get_weather", Description: "Weather forecast.", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}`)},
	{Name: "read_file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)},
	{Name: "write_file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}}}`)},
	{Name: "search", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}}}}`)},
	{Name: "get_time_info", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)},
	{Name: "skill_view", Parameters: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`)},
	{Name: "set_opts", Parameters: json.RawMessage(`{"type":"object","properties":{"opts":{"type":"object"}}}`)},
	{Name: "echo", Parameters: json.RawMessage(`{"type":"object","properties":{"message":{"type":"string"},"code":{"type":"string"}}}`)},
}

type goldenCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

type goldenWant struct {
	Calls   []goldenCall `json:"calls"`
	Visible string       `json:"visible"`
}

// goldenCase is one txtar file of testdata/parse. The input section loses
// exactly one trailing newline (the one txtar adds), so "-- input --" can
// express text with or without a final newline.
type goldenCase struct {
	name  string
	path  string
	arc   *txtar.Archive
	input string
	tools []Tool
	want  *goldenWant
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "parse", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	var cases []goldenCase
	for _, p := range paths {
		arc, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, arc: arc, tools: defaultTools}
		for _, f := range arc.Files {
			switch f.Name {
			case "input":
				c.input = strings.TrimSuffix(string(f.Data), "\n")
			case "tools.json":
				c.tools = nil
				if err := json.Unmarshal(f.Data, &c.tools); err != nil {
					t.Fatalf("%s: tools.json: %v", p, err)
				}
			case "want.json":
				c.want = new(goldenWant)
				if err := json.Unmarshal(f.Data, c.want); err != nil {
					t.Fatalf("%s: want.json: %v", p, err)
				}
			}
		}
		cases = append(cases, c)
	}
	return cases
}

func TestGolden(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			calls, visible := Parse(c.input, NewToolset(c.tools))
			got := goldenWant{Calls: []goldenCall{}, Visible: visible}
			for _, call := range calls {
				if !json.Valid([]byte(call.Arguments)) {
					t.Fatalf("invalid arguments JSON %q", call.Arguments)
				}
				got.Calls = append(got.Calls, goldenCall{Name: call.Name, Arguments: json.RawMessage(call.Arguments)})
			}
			if *update {
				writeWant(t, c, got)
				return
			}
			if c.want == nil {
				t.Fatalf("no want.json (run with -update)")
			}
			if diff := cmp.Diff(normalizeWant(t, *c.want), normalizeWant(t, got)); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// normalizeWant decodes arguments so they compare as JSON values.
func normalizeWant(t *testing.T, w goldenWant) any {
	type call struct {
		Name string
		Args any
	}
	out := struct {
		Calls   []call
		Visible string
	}{Visible: w.Visible}
	for _, c := range w.Calls {
		var v any
		if err := json.Unmarshal(c.Arguments, &v); err != nil {
			t.Fatalf("arguments %s: %v", c.Arguments, err)
		}
		out.Calls = append(out.Calls, call{c.Name, v})
	}
	return out
}

func writeWant(t *testing.T, c goldenCase, got goldenWant) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	found := false
	for i := range c.arc.Files {
		if c.arc.Files[i].Name == "want.json" {
			c.arc.Files[i].Data, found = buf.Bytes(), true
		}
	}
	if !found {
		c.arc.Files = append(c.arc.Files, txtar.File{Name: "want.json", Data: buf.Bytes()})
	}
	if err := os.WriteFile(c.path, txtar.Format(c.arc), 0o644); err != nil {
		t.Fatal(err)
	}
}
