package sysprompt_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/dialect/openai"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	_ "github.com/mimo2api/mimo2api/plugins/selector"
	_ "github.com/mimo2api/mimo2api/plugins/sysprompt"
	_ "github.com/mimo2api/mimo2api/plugins/upstream"
)

// routeYAML is a chat route whose chain gets the extra entries in the middle.
const routeYAML = `
routes:
  - name: chat
    method: POST
    path: /v1/chat/completions
    chain:
      - use: dialect.openai_chat
%s      - use: select.round_robin
      - use: upstream.mimo
`

// firstLine answers with the first line of the upstream query, where the flattened
// conversation puts the system prompt.
func firstLine(req *sim.Received) sim.Reply {
	line, _, _ := strings.Cut(req.Query, "\n")
	return sim.Reply{Frames: sim.Text(line)}
}

// TestRouteConfig proves that adding prompt.system to a route's YAML chain changes what the
// upstream receives and therefore the answer: the configuration goes through the gateway's own
// loader and chain compiler, and the request through the real dialect, selector and upstream
// terminal against the simulator.
func TestRouteConfig(t *testing.T) {
	tests := []struct {
		name    string
		entries string
		want    string // the answer: the first line of the upstream query
		kept    bool   // whether the client's system prompt reaches the upstream
	}{
		{"without the plugin", "", "system: Be brief.", true},
		{"prepend", "      - use: prompt.system\n        with: {text: Talk like a pirate.}\n",
			"system: Talk like a pirate.", true},
		{"replace", "      - use: prompt.system\n        with:\n          text: Talk like a pirate.\n          position: replace\n",
			"system: Talk like a pirate.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream := sim.New(sim.Options{DefaultScenario: "first_line", Scenarios: map[string]sim.Scenario{"first_line": firstLine}})
			simSrv := httptest.NewServer(upstream)
			t.Cleanup(simSrv.Close)

			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(fmt.Sprintf(routeYAML, tt.entries)), 0o600); err != nil {
				t.Fatal(err)
			}
			bc, err := conf.Load(path, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			host := plugintest.NewHost(t)
			host.Set.UpstreamURL = simSrv.URL
			rt, err := biz.Compile(bc.Routes, host, biz.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rt.Cleanup() })
			gw := httptest.NewServer(rt)
			t.Cleanup(gw.Close)

			got := chatAnswer(t, gw.URL, `{"model":"mimo-v2.5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Bonjour"}]}`)
			if got != tt.want {
				t.Errorf("answer = %q, want %q", got, tt.want)
			}
			reqs := upstream.Requests()
			if len(reqs) != 1 {
				t.Fatalf("upstream got %d requests, want 1", len(reqs))
			}
			if kept := strings.Contains(reqs[0].Query, "Be brief."); kept != tt.kept {
				t.Errorf("client system prompt kept = %v, want %v; query:\n%s", kept, tt.kept, reqs[0].Query)
			}
			if !strings.HasSuffix(reqs[0].Query, "user: Bonjour") {
				t.Errorf("the user's message must reach the upstream; query:\n%s", reqs[0].Query)
			}
		})
	}
}

// chatAnswer posts a non-streaming chat completion and returns the answer text.
func chatAnswer(t *testing.T, base, body string) string {
	t.Helper()
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Choices) != 1 {
		t.Fatalf("status %d, decode error %v, %d choices", resp.StatusCode, err, len(out.Choices))
	}
	return out.Choices[0].Message.Content
}
