package responses

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/golden")

// goldenEvent is a canonical event in an events.json section.
type goldenEvent struct {
	Kind      string `json:"kind"` // text, reasoning, tool_call, usage, finish or error
	Text      string `json:"text,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	Prompt    int    `json:"prompt,omitempty"`
	Output    int    `json:"output,omitempty"`
	Reasoning int    `json:"reasoning,omitempty"`
	Finish    string `json:"finish,omitempty"`
	Status    int    `json:"status,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
}

// replay returns a stream of the golden events; an error event ends it.
func replay(t *testing.T, data []byte) plugin.Stream {
	t.Helper()
	var evs []goldenEvent
	if err := json.Unmarshal(data, &evs); err != nil {
		t.Fatalf("events.json: %v", err)
	}
	return func(yield func(plugin.Event, error) bool) {
		for i, g := range evs {
			var ev plugin.Event
			switch g.Kind {
			case "text":
				ev = text(g.Text)
			case "reasoning":
				ev = reasoning(g.Text)
			case "tool_call":
				ev = toolCall(g.ID, g.Name, g.Arguments)
				ev.Call.Index = i
			case "usage":
				ev = usage(g.Prompt, g.Output, g.Reasoning)
			case "finish":
				ev = finish(plugin.FinishReason(g.Finish))
			case "error":
				yield(plugin.Event{}, &plugin.Error{Status: g.Status, Code: plugin.Code(g.Code), Message: g.Message})
				return
			default:
				t.Errorf("events.json: unknown kind %q", g.Kind)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

func TestGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			arc, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files := make(map[string][]byte)
			for _, f := range arc.Files {
				files[f.Name] = f.Data
			}
			req, ok := files["request.json"]
			if !ok {
				t.Fatal("no request.json section")
			}
			source := func() plugin.Stream {
				if evs, ok := files["events.json"]; ok {
					return replay(t, evs)
				}
				up, ok := files["upstream.sse"]
				if !ok {
					t.Fatal("neither events.json nor upstream.sse")
				}
				return mimo.Events(io.NopCloser(bytes.NewReader(up)))
			}

			_, plain := render(t, "/v1/responses", req, source())
			var indented bytes.Buffer
			if err := json.Indent(&indented, []byte(plain), "", "  "); err != nil {
				t.Fatalf("response is not JSON: %v\n%s", err, plain)
			}
			indented.WriteByte('\n')
			_, streamed := render(t, "/v1/responses?stream=true", req, source())

			got := map[string][]byte{"want.json": indented.Bytes(), "want.sse": []byte(streamed)}
			if *update {
				for _, name := range []string{"want.json", "want.sse"} {
					setSection(arc, name, got[name])
				}
				if err := os.WriteFile(path, txtar.Format(arc), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for name, data := range got {
				want, ok := files[name]
				if !ok {
					t.Errorf("no %s section; run go test -run TestGolden -update", name)
					continue
				}
				if d := cmp.Diff(string(want), string(data)); d != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", name, d)
				}
			}
			if strings.Contains(plain, `"object":"response"`) {
				checkSDK(t, plain, streamed)
			}
		})
	}
}

// render runs the golden request through a fresh dialect.
func render(t *testing.T, target string, body []byte, s plugin.Stream) (int, string) {
	t.Helper()
	d := newDialect(t)
	ex := plugintest.NewExchange(target, string(body))
	err := d.Handle(t.Context(), ex, func(_ context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = s
		return nil
	})
	resp := plugintest.Write(t, d, ex, err)
	return resp.StatusCode, plugintest.Body(t, resp)
}

func setSection(arc *txtar.Archive, name string, data []byte) {
	for i := range arc.Files {
		if arc.Files[i].Name == name {
			arc.Files[i].Data = data
			return
		}
	}
	arc.Files = append(arc.Files, txtar.File{Name: name, Data: data})
}
