package anthropic

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// testHex is the fixed id of test responses.
const testHex = "0123456789abcdef01234567"

// newMessages loads the dialect with the JSON configuration with and fixed ids.
func newMessages(t testing.TB, with string) *Messages {
	t.Helper()
	m := plugintest.Load[*Messages](t, plugintest.NewHost(t), ID, with)
	m.newID = func() string { return testHex }
	return m
}

// render writes s through the dialect for req and returns the response and its body.
func render(t testing.TB, m *Messages, req *plugin.Request, s plugin.Stream) (*http.Response, string) {
	t.Helper()
	ex := plugintest.NewExchange("/v1/messages", `{}`)
	ex.Request = req
	ex.Response.Events = s
	resp := plugintest.Write(t, m, ex, nil)
	return resp, plugintest.Body(t, resp)
}

func text(s string) plugin.Event      { return plugin.Event{Kind: plugin.EventText, Text: s} }
func reasoning(s string) plugin.Event { return plugin.Event{Kind: plugin.EventReasoning, Text: s} }
func finish(r plugin.FinishReason) plugin.Event {
	return plugin.Event{Kind: plugin.EventFinish, Finish: r}
}
func call(id, name, args string) plugin.Event {
	return plugin.Event{Kind: plugin.EventToolCall, Call: &plugin.ToolCall{ID: id, Name: name, Arguments: args}}
}
func usage(p, c int) plugin.Event {
	return plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: p, CompletionTokens: c}}
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newExchange() *plugin.Exchange { return plugintest.NewExchange("/v1/messages", `{}`) }

// writeExchange renders ex's events through m and returns the body.
func writeExchange(t testing.TB, m *Messages, ex *plugin.Exchange) string {
	t.Helper()
	return plugintest.Body(t, plugintest.Write(t, m, ex, nil))
}
