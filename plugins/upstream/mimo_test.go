package upstream_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

const (
	testToken = "svc-token-SECRET-0123456789"
	testPH    = "ph-SECRET-0001=="
)

func setup(t *testing.T, with string) (*sim.Server, *upstream.MiMo) {
	t.Helper()
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	h := plugintest.NewHost(t)
	h.Client = srv.Client()
	h.Set.UpstreamURL = srv.URL
	return s, plugintest.Load[*upstream.MiMo](t, h, "upstream.mimo", with)
}

func exchange(req *plugin.Request) *plugin.Exchange {
	ex := plugintest.NewExchange("/v1/chat/completions", "{}")
	ex.Request = req
	ex.Account = &plugin.Account{ID: "1001", UserID: "1001", ServiceToken: testToken, PH: testPH}
	return ex
}

func TestCall(t *testing.T) {
	s, m := setup(t, `{"web_search":"auto","user_agent":"agent/1"}`)
	req := &plugin.Request{
		Model:         "gpt-4o",
		UpstreamModel: "mimo-v2.5",
		Thinking:      true,
		Messages: []plugin.Message{
			plugin.TextMessage(plugin.RoleSystem, "Be brief."),
			plugin.TextMessage(plugin.RoleUser, "What is 2+2? [sim:reasoning]"),
		},
	}
	ex := exchange(req)
	if err := m.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	evs, err := plugintest.Collect(ex.Response.Events)
	if err != nil {
		t.Fatal(err)
	}
	text, reasoning := plugintest.Text(evs)
	if text != "The answer is 4." || reasoning != "Let me add 2 and 2." {
		t.Errorf("text %q reasoning %q", text, reasoning)
	}
	if last := evs[len(evs)-1]; last.Kind != plugin.EventFinish || last.Finish != plugin.FinishStop {
		t.Errorf("last event %+v", last)
	}

	got := s.Requests()[0]
	conv, ok := upstream.ConversationID.Get(ex)
	if !ok || len(conv) != 32 || got.ConversationID != conv {
		t.Errorf("conversation id stored %q (%v), sent %q", conv, ok, got.ConversationID)
	}
	if want := mimo.Flatten(req.Messages); got.Query != want {
		t.Errorf("query %q, want %q", got.Query, want)
	}
	if got.Model != "mimo-v2.5" || !got.EnableThinking || got.ReasoningEffort != "high" ||
		got.WebSearchStatus != "auto" || got.Header.Get("User-Agent") != "agent/1" {
		t.Errorf("request %+v", got)
	}
}

func TestCallKeys(t *testing.T) {
	s, m := setup(t, `{"default_effort":"low"}`)
	ex := exchange(&plugin.Request{Model: "mimo-v2.5-pro", Thinking: true, Messages: []plugin.Message{
		plugin.TextMessage(plugin.RoleUser, "ignored"),
	}})
	upstream.ConversationID.Set(ex, "0123456789abcdef0123456789abcdef")
	upstream.Query.Set(ex, "user: only this [sim:echo]")
	media := []json.RawMessage{json.RawMessage(`{"id":"m1"}`)}
	upstream.MultiMedias.Set(ex, media)
	if err := m.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	evs, err := plugintest.Collect(ex.Response.Events)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := plugintest.Text(evs); text != "user: only this [sim:echo]" {
		t.Errorf("text %q", text)
	}
	got := s.Requests()[0]
	if got.ConversationID != "0123456789abcdef0123456789abcdef" || got.Query != "user: only this [sim:echo]" ||
		got.Model != "mimo-v2.5-pro" || got.ReasoningEffort != "low" || got.WebSearchStatus != "disabled" {
		t.Errorf("request %+v", got)
	}
	if len(got.MultiMedias) != 1 || string(got.MultiMedias[0]) != `{"id":"m1"}` {
		t.Errorf("multiMedias %s", got.MultiMedias)
	}
}

func TestCallClientEffort(t *testing.T) {
	s, m := setup(t, ``)
	ex := exchange(&plugin.Request{Model: "m", Thinking: true, ReasoningEffort: "medium",
		Messages: []plugin.Message{plugin.TextMessage(plugin.RoleUser, "hi")}})
	if err := m.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	if _, err := plugintest.Collect(ex.Response.Events); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests()[0].ReasoningEffort; got != "medium" {
		t.Errorf("reasoning_effort %q", got)
	}
}

func TestCallErrors(t *testing.T) {
	_, m := setup(t, ``)
	tests := []struct {
		name   string
		ex     func() *plugin.Exchange
		status int
		code   plugin.Code
	}{
		{"no request", func() *plugin.Exchange { return exchange(nil) }, 500, plugin.CodeInternal},
		{"no account", func() *plugin.Exchange {
			ex := exchange(&plugin.Request{Model: "m"})
			ex.Account = nil
			return ex
		}, 503, plugin.CodeNoAccount},
		{"upstream 401", func() *plugin.Exchange {
			return exchange(&plugin.Request{Model: "m", Messages: []plugin.Message{plugin.TextMessage(plugin.RoleUser, "[sim:http401]")}})
		}, 503, plugin.CodeUpstreamAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := tt.ex()
			err := m.Call(t.Context(), ex)
			e := plugin.AsError(err)
			if e == nil || e.Status != tt.status || e.Code != tt.code {
				t.Fatalf("error %v, want %d %s", err, tt.status, tt.code)
			}
			if ex.Response.Events != nil {
				t.Error("events set on error")
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error shows a credential: %v", err)
			}
		})
	}
}

func TestCallSpan(t *testing.T) {
	_, m := setup(t, ``)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "call")
	ex := exchange(&plugin.Request{Model: "mimo-v2.5-pro", Messages: []plugin.Message{plugin.TextMessage(plugin.RoleUser, "hi")}})
	if err := m.Call(ctx, ex); err != nil {
		t.Fatal(err)
	}
	if _, err := plugintest.Collect(ex.Response.Events); err != nil {
		t.Fatal(err)
	}
	span.End()
	conv, _ := upstream.ConversationID.Get(ex)
	want := map[string]string{"gen_ai.request.model": "mimo-v2.5-pro", "mimo.conversation_id": conv, "mimo.account": "1001"}
	got := map[string]string{}
	for _, kv := range rec.Ended()[0].Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
		if strings.Contains(kv.Value.Emit(), "SECRET") {
			t.Errorf("span attribute %s shows a credential", kv.Key)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestConfig(t *testing.T) {
	h := plugintest.NewHost(t)
	h.Set.UpstreamURL = "http://127.0.0.1:1"
	tests := []struct {
		name, with string
		ok         bool
	}{
		{"defaults", ``, true},
		{"all fields", `{"base_url":"https://example.com","web_search":"enabled","default_effort":"medium","user_agent":"x"}`, true},
		{"unknown key", `{"model":"x"}`, false},
		{"bad web_search", `{"web_search":"always"}`, false},
		{"bad effort", `{"default_effort":"max"}`, false},
		{"bad base_url", `{"base_url":"ftp://example.com"}`, false},
		{"relative base_url", `{"base_url":"/open-apis"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plugin.Load("upstream.mimo", []byte(tt.with), h)
			if (err == nil) != tt.ok {
				t.Fatalf("load: %v, want ok=%v", err, tt.ok)
			}
			if err == nil {
				if _, ok := p.(plugin.Terminal); !ok {
					t.Errorf("%T is not a terminal", p)
				}
			}
		})
	}
	m := plugintest.Load[*upstream.MiMo](t, h, "upstream.mimo", ``)
	if m.BaseURL != "http://127.0.0.1:1" || m.WebSearch != "disabled" || m.DefaultEffort != "high" {
		t.Errorf("defaults %+v", m)
	}
}

func TestCallToolResultRoundTrip(t *testing.T) {
	_, m := setup(t, ``)
	ex := exchange(&plugin.Request{Model: "mimo-v2.5-pro", Messages: []plugin.Message{
		plugin.TextMessage(plugin.RoleUser, "Weather in Beijing? [sim:tool_result]"),
		{Role: plugin.RoleAssistant, ToolCalls: []plugin.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"北京"}`}}},
		{Role: plugin.RoleTool, ToolCallID: "call_1", Parts: []plugin.Part{{Text: "sunny, 25°C"}}},
	}})
	if err := m.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	evs, err := plugintest.Collect(ex.Response.Events)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := plugintest.Text(evs); text != "The tool said: sunny, 25°C" {
		t.Errorf("text %q", text)
	}
}
