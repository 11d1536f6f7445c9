package biz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// Test plugins, registered once for the package's tests.

type testStage struct {
	Tag string `json:"tag"`
}

func (*testStage) PluginInfo() plugin.Info { return plugin.Info{ID: "test.stage"} }
func (s *testStage) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	trail.Set(ex, trailOf(ex)+s.Tag)
	return next(ctx, ex)
}

// testTerminal replays a script: each call pops the next outcome.
type testTerminal struct {
	Fail int    `json:"fail"` // fail this many calls (retryably) before the first event
	Hang bool   `json:"hang"` // block until ctx is done
	Idle bool   `json:"idle"` // yield one event, then block until ctx is done
	Text string `json:"text"`

	calls atomic.Int32
}

func (*testTerminal) PluginInfo() plugin.Info { return plugin.Info{ID: "test.terminal"} }
func (t *testTerminal) Call(ctx context.Context, ex *plugin.Exchange) error {
	n := t.calls.Add(1)
	ex.Response.Events = func(yield func(plugin.Event, error) bool) {
		if int(n) <= t.Fail {
			yield(plugin.Event{}, &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "flaky", Retryable: true})
			return
		}
		if t.Hang {
			<-ctx.Done()
			yield(plugin.Event{}, ctx.Err())
			return
		}
		if !yield(plugin.Event{Kind: plugin.EventText, Text: trailOf(ex) + t.Text}, nil) {
			return
		}
		if t.Idle {
			<-ctx.Done()
			yield(plugin.Event{}, ctx.Err())
			return
		}
		yield(plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop}, nil)
	}
	return nil
}

type testFilter struct{}

func (*testFilter) PluginInfo() plugin.Info { return plugin.Info{ID: "test.upper"} }
func (*testFilter) Filter(_ context.Context, _ *plugin.Exchange, s plugin.Stream) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		for ev, err := range s {
			ev.Text = strings.ToUpper(ev.Text)
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// testRetry retries retryable failures up to 3 times.
type testRetry struct{ attempts atomic.Int32 }

func (*testRetry) PluginInfo() plugin.Info { return plugin.Info{ID: "test.retry"} }
func (r *testRetry) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	var err error
	for range 3 {
		r.attempts.Add(1)
		if err = next(ctx, ex); err == nil || !plugin.IsRetryable(err) {
			return err
		}
	}
	return err
}

// testDialect writes events as plain text lines and errors as "error <status> <code>".
type testDialect struct{}

func (*testDialect) PluginInfo() plugin.Info { return plugin.Info{ID: "test.dialect"} }
func (*testDialect) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	ex.Request = &plugin.Request{Model: "m"}
	return next(ctx, ex)
}
func (*testDialect) WriteError(w http.ResponseWriter, _ *plugin.Exchange, err *plugin.Error) {
	w.WriteHeader(err.Status)
	io.WriteString(w, "error "+string(err.Code))
}
func (*testDialect) WriteStream(w http.ResponseWriter, _ *plugin.Exchange, s plugin.Stream) error {
	for ev, err := range s {
		if err != nil {
			io.WriteString(w, "|error "+string(plugin.AsError(err).Code))
			return err
		}
		if ev.Kind == plugin.EventText {
			io.WriteString(w, ev.Text)
		}
	}
	return nil
}

var trail = plugin.NewKey[string]("test.trail")

func trailOf(ex *plugin.Exchange) string { v, _ := trail.Get(ex); return v }

func init() {
	for _, p := range []plugin.Plugin{new(testStage), new(testTerminal), new(testFilter), new(testRetry), new(testDialect)} {
		id := p.PluginInfo().ID
		switch p.(type) {
		case *testStage:
			plugin.Register(plugin.Info{ID: id, New: func() plugin.Plugin { return new(testStage) }})
		case *testTerminal:
			plugin.Register(plugin.Info{ID: id, New: func() plugin.Plugin { return new(testTerminal) }})
		case *testFilter:
			plugin.Register(plugin.Info{ID: id, New: func() plugin.Plugin { return new(testFilter) }})
		case *testRetry:
			plugin.Register(plugin.Info{ID: id, New: func() plugin.Plugin { return new(testRetry) }})
		case *testDialect:
			plugin.Register(plugin.Info{ID: id, New: func() plugin.Plugin { return new(testDialect) }})
		}
	}
}

func entry(id, with string) conf.Entry { return conf.Entry{Use: id, With: []byte(with)} }

func route(name string, chain ...conf.Entry) conf.Route {
	return conf.Route{Name: name, Method: "POST", Path: "/" + name, Errors: "test.dialect", Chain: chain}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		route conf.Route
		want  string
	}{
		{"no terminal", route("r", entry("test.stage", "")), `route "r": chain has no terminal`},
		{"two terminals", route("r", entry("test.terminal", ""), entry("test.terminal", "")),
			`route "r": chain[1] (test.terminal): a chain has exactly one terminal, and chain[0] (test.terminal) is already one`},
		{"stage after terminal", route("r", entry("test.terminal", ""), entry("test.stage", "")),
			`route "r": chain[1] (test.stage): is a request stage: place it before the terminal test.terminal`},
		{"filter before terminal", route("r", entry("test.upper", ""), entry("test.terminal", "")),
			`route "r": chain[0] (test.upper): is a response stage: place it after the terminal`},
		{"unknown plugin", route("r", entry("test.nope", ""), entry("test.terminal", "")),
			`route "r": chain[0] (test.nope): unknown plugin "test.nope"`},
		{"unknown with key", route("r", entry("test.stage", `{"tga":"x"}`), entry("test.terminal", "")),
			`route "r": chain[0] (test.stage): with: json: unknown field "tga"`},
		{"empty chain", route("r"), `route "r": chain is empty`},
		{"two dialects", route("r", entry("test.dialect", ""), entry("test.dialect", ""), entry("test.terminal", "")),
			`route "r": chain[1] (test.dialect): a chain has at most one dialect`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile([]conf.Route{tt.route}, plugintest.NewHost(t), Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestCompileDuplicateRoute(t *testing.T) {
	r := route("r", entry("test.terminal", ""))
	r2 := route("r2", entry("test.terminal", ""))
	r2.Path = r.Path
	_, err := Compile([]conf.Route{r, r2}, plugintest.NewHost(t), Options{})
	if err == nil || !strings.Contains(err.Error(), `POST /r is already served by route "r"`) {
		t.Fatalf("error = %v", err)
	}
}

func serve(t *testing.T, routes ...conf.Route) *httptest.Server {
	t.Helper()
	rt, err := Compile(routes, plugintest.NewHost(t), Options{MaxBodyBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(func() { srv.Close(); rt.Cleanup() })
	return srv
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestChainOrder(t *testing.T) {
	srv := serve(t, route("r", entry("test.dialect", ""), entry("test.stage", `{"tag":"a"}`), entry("test.stage", `{"tag":"b"}`),
		entry("test.terminal", `{"text":"-x"}`), entry("test.upper", "")))
	status, body := post(t, srv.URL+"/r", "{}")
	if status != 200 || body != "AB-X" {
		t.Fatalf("got %d %q, want 200 \"AB-X\"", status, body)
	}
}

func TestLateCommitRetry(t *testing.T) {
	srv := serve(t, route("r", entry("test.dialect", ""), entry("test.retry", ""), entry("test.terminal", `{"fail":2,"text":"ok"}`)))
	status, body := post(t, srv.URL+"/r", "{}")
	if status != 200 || body != "ok" {
		t.Fatalf("got %d %q: a failure before the first event must be retryable", status, body)
	}
	srv2 := serve(t, route("r", entry("test.dialect", ""), entry("test.retry", ""), entry("test.terminal", `{"fail":5}`)))
	status, body = post(t, srv2.URL+"/r", "{}")
	if status != 502 || body != "error upstream" {
		t.Fatalf("got %d %q, want the last error", status, body)
	}
}

func TestErrorsBeforeDialect(t *testing.T) {
	srv := serve(t, route("r", entry("test.terminal", `{"fail":1}`)))
	status, body := post(t, srv.URL+"/r", "{}")
	if status != 502 || body != "error upstream" {
		t.Fatalf("got %d %q: errors of chains without a dialect use the route's error dialect", status, body)
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	srv := serve(t, route("r", entry("test.terminal", "")))
	if status, body := post(t, srv.URL+"/nope", "{}"); status != 404 || body != "error not_found" {
		t.Fatalf("unknown route: %d %q", status, body)
	}
	resp, err := http.Get(srv.URL + "/r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("wrong method: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestBodyLimit(t *testing.T) {
	srv := serve(t, route("r", entry("test.dialect", ""), entry("test.terminal", "")))
	status, body := post(t, srv.URL+"/r", strings.Repeat("x", 65))
	if status != 413 || body != "error request_too_large" {
		t.Fatalf("got %d %q", status, body)
	}
}

func TestTimeouts(t *testing.T) {
	hang := route("hang", entry("test.dialect", ""), entry("test.terminal", `{"hang":true}`))
	hang.Timeouts.FirstByte = plugin.Duration(20 * time.Millisecond)
	idle := route("idle", entry("test.dialect", ""), entry("test.terminal", `{"idle":true,"text":"a"}`))
	idle.Timeouts.Idle = plugin.Duration(20 * time.Millisecond)
	total := route("total", entry("test.dialect", ""), entry("test.terminal", `{"hang":true}`))
	total.Timeouts.Total = plugin.Duration(20 * time.Millisecond)
	srv := serve(t, hang, idle, total)
	if status, body := post(t, srv.URL+"/hang", "{}"); status != 504 || body != "error timeout" {
		t.Errorf("first byte: %d %q", status, body)
	}
	if status, body := post(t, srv.URL+"/idle", "{}"); status != 200 || body != "a|error timeout" {
		t.Errorf("idle: %d %q", status, body)
	}
	if status, body := post(t, srv.URL+"/total", "{}"); status != 504 || body != "error timeout" {
		t.Errorf("total: %d %q", status, body)
	}
}

func TestPeekReleasesUnreadStream(t *testing.T) {
	released := make(chan struct{})
	s := func(yield func(plugin.Event, error) bool) {
		defer close(released)
		if !yield(plugin.Event{Kind: plugin.EventText, Text: "a"}, nil) {
			return
		}
		yield(plugin.Event{Kind: plugin.EventText, Text: "b"}, nil)
	}
	rest, err := peek(s)
	if err != nil {
		t.Fatal(err)
	}
	for range rest {
		break
	}
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("stopping the peeked stream did not release the source")
	}
}

func TestPeekError(t *testing.T) {
	want := errors.New("boom")
	if _, err := peek(plugin.ErrorStream(want)); err != want {
		t.Fatalf("err = %v", err)
	}
}
