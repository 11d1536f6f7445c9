// Package plugintest runs MiMo2API plugins in tests without a server: a ready Host, exchanges
// built from request bodies, terminals that replay canned events, and helpers to collect and
// inspect streams.
package plugintest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Host is a plugin.Host for tests. Set its fields before loading plugins.
type Host struct {
	// Log receives the plugins' records (through t.Log by default).
	Log *slog.Logger
	// Trace is the tracer plugins get (a no-op one by default).
	Trace trace.Tracer
	// Client is the upstream HTTP client (http.DefaultClient by default).
	Client *http.Client
	// Pool is the account pool (one test account by default).
	Pool plugin.AccountPool
	// Tok counts tokens (an estimate of runes/4 by default).
	Tok plugin.Tokenizer
	// Set holds the deployment settings (key sk-test and two models by default).
	Set plugin.Settings
}

var _ plugin.Host = (*Host)(nil)

// NewHost returns a Host that logs through t, traces nowhere, uses http.DefaultClient and has
// one test account whose upstream is settings.UpstreamURL.
func NewHost(t testing.TB) *Host {
	t.Helper()
	acct := &plugin.Account{ID: "1001", UserID: "1001", ServiceToken: "test-service-token-0001", PH: "test-ph-0001=="}
	return &Host{
		Log:    slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Trace:  noop.NewTracerProvider().Tracer("plugintest"),
		Client: http.DefaultClient,
		Pool:   data.NewPool([]*plugin.Account{acct}, data.PoolOptions{}),
		Tok:    runeCounter{},
		Set:    plugin.Settings{APIKeys: []string{"sk-test"}, Models: []string{"mimo-v2.5-pro", "mimo-v2.5"}},
	}
}

// Logger implements plugin.Host.
func (h *Host) Logger(id string) *slog.Logger { return h.Log.With("plugin", id) }

// Tracer implements plugin.Host.
func (h *Host) Tracer() trace.Tracer { return h.Trace }

// HTTPClient implements plugin.Host.
func (h *Host) HTTPClient() *http.Client { return h.Client }

// Accounts implements plugin.Host.
func (h *Host) Accounts() plugin.AccountPool { return h.Pool }

// Tokenizer implements plugin.Host.
func (h *Host) Tokenizer() plugin.Tokenizer { return h.Tok }

// Settings implements plugin.Host.
func (h *Host) Settings() plugin.Settings { return h.Set }

// Load runs the plugin's life cycle with the JSON configuration with, failing the test on error.
// The plugin is cleaned up when the test ends.
func Load[P plugin.Plugin](t testing.TB, h plugin.Host, id, with string) P {
	t.Helper()
	p, err := plugin.Load(id, []byte(with), h)
	if err != nil {
		t.Fatalf("load %s: %v", id, err)
	}
	t.Cleanup(func() {
		if err := plugin.Cleanup(p); err != nil {
			t.Errorf("cleanup %s: %v", id, err)
		}
	})
	typed, ok := p.(P)
	if !ok {
		t.Fatalf("plugin %s is a %T", id, p)
	}
	return typed
}

// NewExchange returns an exchange for a POST of body to path.
func NewExchange(path, body string) *plugin.Exchange {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return &plugin.Exchange{Route: "test", HTTP: r, Body: []byte(body), Start: time.Now()}
}

// Reply returns a Next that acts as a terminal replaying evs.
func Reply(evs ...plugin.Event) plugin.Next {
	return func(ctx context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = plugin.Events(evs...)
		return nil
	}
}

// Fail returns a Next that fails with err.
func Fail(err error) plugin.Next {
	return func(context.Context, *plugin.Exchange) error { return err }
}

// Collect drains s and returns its events and its error.
func Collect(s plugin.Stream) ([]plugin.Event, error) {
	var evs []plugin.Event
	for ev, err := range s {
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// Text concatenates the text deltas of evs, and the reasoning deltas.
func Text(evs []plugin.Event) (text, reasoning string) {
	var t, r strings.Builder
	for _, ev := range evs {
		switch ev.Kind {
		case plugin.EventText:
			t.WriteString(ev.Text)
		case plugin.EventReasoning:
			r.WriteString(ev.Text)
		}
	}
	return t.String(), r.String()
}

// Calls returns the tool calls of evs.
func Calls(evs []plugin.Event) []plugin.ToolCall {
	var calls []plugin.ToolCall
	for _, ev := range evs {
		if ev.Kind == plugin.EventToolCall && ev.Call != nil {
			calls = append(calls, *ev.Call)
		}
	}
	return calls
}

// Write renders the exchange's response through its dialect into a recorder: the error when
// err is not nil, otherwise the events. It returns the recorded response.
func Write(t testing.TB, d plugin.Dialect, ex *plugin.Exchange, err error) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	ex.Dialect = d
	if err != nil {
		d.WriteError(rec, ex, plugin.AsError(err))
	} else if werr := d.WriteStream(rec, ex, ex.Response.Events); werr != nil {
		t.Logf("write stream: %v", werr)
	}
	return rec.Result()
}

// Body reads and closes a response body.
func Body(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b.String()
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// runeCounter approximates tokens as runes/4, enough for tests that need some tokenizer.
type runeCounter struct{}

func (runeCounter) Count(s string) int { return (utf8.RuneCountInString(s) + 3) / 4 }
