package anthropic

import (
	"bytes"
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
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/golden")

// goldenEvent is one canonical event of an events.json section; exactly one field is set.
type goldenEvent struct {
	Text      *string `json:"text,omitempty"`
	Reasoning *string `json:"reasoning,omitempty"`
	Call      *struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"call,omitempty"`
	Usage *struct {
		Prompt     int `json:"prompt"`
		Completion int `json:"completion"`
	} `json:"usage,omitempty"`
	Finish string `json:"finish,omitempty"`
	Error  *struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// goldenCase is one txtar file of testdata/golden: the client's request.json, the upstream's
// answer as raw MiMo SSE (upstream.sse) or canonical events (events.json), and the rendered
// response (want.sse when the request streams, want.json otherwise, indented).
type goldenCase struct {
	name, path string
	arc        *txtar.Archive
	request    []byte
	upstream   []byte
	events     []goldenEvent
	hasEvents  bool
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	var cases []goldenCase
	for _, p := range paths {
		arc, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, arc: arc}
		for _, f := range arc.Files {
			switch f.Name {
			case "request.json":
				c.request = f.Data
			case "upstream.sse":
				c.upstream = f.Data
			case "events.json":
				c.hasEvents = true
				if err := json.Unmarshal(f.Data, &c.events); err != nil {
					t.Fatalf("%s: events.json: %v", p, err)
				}
			}
		}
		if c.request == nil || (c.upstream == nil) == !c.hasEvents {
			t.Fatalf("%s: needs request.json and one of upstream.sse or events.json", p)
		}
		cases = append(cases, c)
	}
	return cases
}

// stream returns the case's canonical event stream.
func (c *goldenCase) stream() plugin.Stream {
	if !c.hasEvents {
		return mimo.Events(io.NopCloser(bytes.NewReader(c.upstream)))
	}
	var evs []plugin.Event
	var end error
	for _, g := range c.events {
		switch {
		case g.Text != nil:
			evs = append(evs, text(*g.Text))
		case g.Reasoning != nil:
			evs = append(evs, reasoning(*g.Reasoning))
		case g.Call != nil:
			evs = append(evs, call(g.Call.ID, g.Call.Name, g.Call.Arguments))
		case g.Usage != nil:
			evs = append(evs, usage(g.Usage.Prompt, g.Usage.Completion))
		case g.Finish != "":
			evs = append(evs, finish(plugin.FinishReason(g.Finish)))
		case g.Error != nil:
			end = &plugin.Error{Status: g.Error.Status, Code: plugin.Code(g.Error.Code), Message: g.Error.Message}
		}
	}
	return func(yield func(plugin.Event, error) bool) {
		for _, ev := range evs {
			if !yield(ev, nil) {
				return
			}
		}
		if end != nil {
			yield(plugin.Event{}, end)
		}
	}
}

// run decodes the case's request and renders its stream, with streaming forced to stream.
func (c *goldenCase) run(t *testing.T, m *Messages, stream bool) (status int, body string) {
	t.Helper()
	req, err := m.decode(c.request, false)
	if err != nil {
		t.Fatalf("decode request.json: %v", err)
	}
	req.Stream = stream
	resp, body := render(t, m, req, c.stream())
	return resp.StatusCode, body
}

func TestGolden(t *testing.T) {
	m := newMessages(t, `{}`)
	for _, c := range loadGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			req, perr := m.decode(c.request, false)
			if perr != nil {
				t.Fatal(perr)
			}
			_, got := c.run(t, m, req.Stream)
			section := "want.sse"
			if !req.Stream {
				section = "want.json"
				var b bytes.Buffer
				if err := json.Indent(&b, []byte(got), "", "  "); err != nil {
					t.Fatalf("response is not JSON: %v\n%s", err, got)
				}
				got = b.String()
			}
			if *update {
				setSection(c.arc, section, got)
				if err := os.WriteFile(c.path, txtar.Format(c.arc), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := sectionData(c.arc, section)
			if !ok {
				t.Fatalf("no %s section (run with -update)", section)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", section, diff)
			}
		})
	}
}

func sectionData(arc *txtar.Archive, name string) (string, bool) {
	for _, f := range arc.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

func setSection(arc *txtar.Archive, name, data string) {
	if !strings.HasSuffix(data, "\n") {
		data += "\n"
	}
	for i, f := range arc.Files {
		if f.Name == name {
			arc.Files[i].Data = []byte(data)
			return
		}
	}
	arc.Files = append(arc.Files, txtar.File{Name: name, Data: []byte(data)})
}
