package mimo2apicmd

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The files of a custom gateway in its own module: one plugin package and a main package.
// Struct tags are written with ~ for backquotes, which raw strings cannot hold.
const (
	extMain = `package main

import (
	_ "example.com/custom/stamp"
	"github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd"
	_ "github.com/mimo2api/mimo2api/plugins/all"
)

func main() { mimo2apicmd.Main() }
`
	extStamp = `// Package stamp is a custom plugin that lives outside the gateway's module.
package stamp

import (
	"context"
	"errors"
	"net/http"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "custom.stamp", New: func() plugin.Plugin { return new(Stamp) }})
}

// Stamp marks every response: a header, and a prefix before the answer text.
type Stamp struct {
	// Value is the X-Custom-Stamp header's value.
	Value string ~json:"value"~
	// Prefix is text streamed before the answer.
	Prefix string ~json:"prefix"~
}

// PluginInfo implements plugin.Plugin.
func (*Stamp) PluginInfo() plugin.Info {
	return plugin.Info{ID: "custom.stamp", New: func() plugin.Plugin { return new(Stamp) }}
}

// Validate implements plugin.Validator.
func (s *Stamp) Validate() error {
	if s.Value == "" {
		return errors.New("value is required")
	}
	return nil
}

// Handle implements plugin.Stage.
func (s *Stamp) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	if err := next(ctx, ex); err != nil {
		return err
	}
	if ex.Response.Header == nil {
		ex.Response.Header = make(http.Header)
	}
	ex.Response.Header.Set("X-Custom-Stamp", s.Value)
	if ex.Response.Events != nil && s.Prefix != "" {
		events := ex.Response.Events
		ex.Response.Events = func(yield func(plugin.Event, error) bool) {
			if !yield(plugin.Event{Kind: plugin.EventText, Text: s.Prefix}, nil) {
				return
			}
			for ev, err := range events {
				if !yield(ev, err) || err != nil {
					return
				}
			}
		}
	}
	return nil
}
`
	extStampTest = `package stamp

import (
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func TestHandle(t *testing.T) {
	s := plugintest.Load[*Stamp](t, plugintest.NewHost(t), "custom.stamp", ~{"value":"v","prefix":"> "}~)
	ex := plugintest.NewExchange("/v1/chat/completions", ~{}~)
	if err := s.Handle(t.Context(), ex, plugintest.Reply(plugin.Event{Kind: plugin.EventText, Text: "hi"})); err != nil {
		t.Fatal(err)
	}
	evs, err := plugintest.Collect(ex.Response.Events)
	if text, _ := plugintest.Text(evs); err != nil || text != "> hi" || ex.Response.Header.Get("X-Custom-Stamp") != "v" {
		t.Fatalf("text %q, err %v, header %v", text, err, ex.Response.Header)
	}
	if _, err := plugin.Load("custom.stamp", nil, plugintest.NewHost(t)); err == nil {
		t.Fatal("a stamp without a value must be refused")
	}
}
`
	extConfig = `server:
  addr: 127.0.0.1:0
routes:
  - name: chat
    method: POST
    path: /v1/chat/completions
    chain:
      - use: auth.apikey
      - use: dialect.openai_chat
      - use: custom.stamp
        with: {value: stamped-outside, prefix: "[stamp] "}
      - use: select.round_robin
      - use: upstream.mimo
`
)

// TestExternalModuleBuild proves that plugins can live in another module: it writes a module
// that requires the gateway (replaced by this checkout), with a plugin package and a main that
// calls Main, builds it offline from the module cache (and runs the plugin's own plugintest
// unit test there), runs it in demo mode with a route that
// uses the plugin, and checks the plugin's effect on a chat response.
func TestExternalModuleBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a gateway binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the external module: %v", err)
	}
	goenv := extGoEnv(t, goBin, "GOMOD", "GOMODCACHE", "GOCACHE")
	root := filepath.Dir(goenv[0])
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	extWrite(t, dir, map[string]string{
		"go.mod": "module example.com/custom\n\ngo 1.26\n\nrequire github.com/mimo2api/mimo2api v0.0.0\n\n" +
			"replace github.com/mimo2api/mimo2api => " + strconv.Quote(root) + "\n",
		"go.sum":              string(sum),
		"main.go":             extMain,
		"stamp/stamp.go":      strings.ReplaceAll(extStamp, "~", "`"),
		"stamp/stamp_test.go": strings.ReplaceAll(extStampTest, "~", "`"),
		"conf/config.yaml":    extConfig,
	})

	offline := append(os.Environ(),
		"GOFLAGS=-mod=mod -buildvcs=false", // fill go.mod and go.sum from the module cache
		"GOPROXY=off",                      // never reach the network
		"GOSUMDB=off",                      // the cache's modules were verified when downloaded
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GOMODCACHE="+goenv[1],
		"GOCACHE="+goenv[2],
	)
	bin := filepath.Join(dir, "custom-gateway")
	for _, args := range [][]string{{"build", "-o", bin, "."}, {"test", "./stamp/"}} {
		cmd := exec.CommandContext(t.Context(), goBin, args...)
		cmd.Dir = dir
		cmd.Env = offline
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in the external module failed: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	logs := &extLog{url: make(chan string, 1)}
	gw := exec.Command(bin, "-conf", filepath.Join(dir, "conf"), "-demo")
	gw.Dir = dir
	gw.Env = append(extEnvWithout(os.Environ(), "MIMO_"),
		"MIMO_HTTP_ADDR=127.0.0.1:0", // the OS picks a free port; the log says which
		"MIMO_DATA_DIR="+filepath.Join(dir, "data"),
	)
	gw.Stdout, gw.Stderr = logs, logs
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { gw.Wait(); close(exited) }()
	t.Cleanup(func() {
		gw.Process.Kill()
		<-exited
	})

	var base string
	select {
	case base = <-logs.url:
	case <-exited:
		t.Fatalf("the custom gateway exited before listening:\n%s", logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("the custom gateway did not log its address within 60s:\n%s", logs)
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/v1/chat/completions",
		strings.NewReader(`{"model":"mimo-v2.5","messages":[{"role":"user","content":"Hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+DemoAPIKey)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("chat request: %v\n%s", err, logs)
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
		t.Fatalf("status %d, decode error %v, %d choices\n%s", resp.StatusCode, err, len(out.Choices), logs)
	}
	if got := resp.Header.Get("X-Custom-Stamp"); got != "stamped-outside" {
		t.Errorf("X-Custom-Stamp = %q, want %q: the external plugin's header is missing", got, "stamped-outside")
	}
	if got := out.Choices[0].Message.Content; !strings.HasPrefix(got, "[stamp] ") || len(got) == len("[stamp] ") {
		t.Errorf("answer = %q, want the demo answer prefixed by the external plugin's %q", got, "[stamp] ")
	}
}

// extGoEnv returns the values of the named go env variables.
func extGoEnv(t *testing.T, goBin string, names ...string) []string {
	t.Helper()
	out, err := exec.Command(goBin, append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(vals) != len(names) || vals[0] == "" || vals[0] == os.DevNull {
		t.Fatalf("go env %v = %q: the test must run inside the gateway's module", names, out)
	}
	return vals
}

// extWrite writes files (path → content) under dir.
func extWrite(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// extEnvWithout returns env without the variables whose names start with prefix, so that the
// caller's MIMO_* settings (accounts, upstream) cannot turn demo mode off.
func extEnvWithout(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

var extListening = regexp.MustCompile(`msg="mimo2api listening" url=(http://\S+)`)

// extLog collects a process's output and reports the gateway's URL once it is logged.
type extLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	url  chan string
	sent bool
}

func (l *extLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.sent {
		if m := extListening.FindSubmatch(l.buf.Bytes()); m != nil {
			l.url <- string(m[1])
			l.sent = true
		}
	}
	return len(p), nil
}

func (l *extLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
