package openai

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

var update = flag.Bool("update", false, "rewrite the want sections of the golden transcripts")

// TestGolden replays each testdata/golden/*.txtar: request.json is decoded by the dialect,
// upstream.sse (raw MiMo upstream SSE) is decoded by the upstream decoder, and the encoder's
// output must equal want.sse byte for byte.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sections := map[string][]byte{}
			for _, f := range ar.Files {
				sections[f.Name] = f.Data
			}
			got := replay(t, sections["request.json"], sections["upstream.sse"])
			if *update {
				for i := range ar.Files {
					if ar.Files[i].Name == "want.sse" {
						ar.Files[i].Data = []byte(got)
					}
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := string(sections["want.sse"]); got != want {
				t.Errorf("output differs from %s (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", file, got, want)
			}
		})
	}
}

func replay(t *testing.T, request, upstream []byte) string {
	t.Helper()
	c := plugintest.Load[*Chat](t, plugintest.NewHost(t), ID, ``)
	c.newID = func() string { return "chatcmpl-golden000000000000000000" }
	c.now = func() time.Time { return time.Unix(1767225600, 0) }
	ex := plugintest.NewExchange("/v1/chat/completions", string(request))
	err := c.Handle(context.Background(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = mimo.Events(nopCloser{strings.NewReader(string(upstream))})
		return nil
	})
	rec := httptest.NewRecorder()
	if err != nil {
		c.WriteError(rec, ex, plugin.AsError(err))
	} else if err := c.WriteStream(rec, ex, ex.Response.Events); err != nil {
		t.Logf("stream error: %v", err)
	}
	return rec.Body.String()
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
