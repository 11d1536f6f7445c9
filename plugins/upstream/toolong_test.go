package upstream_test

import (
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// TestCallTooLong checks that the upstream's "text too long" answer becomes a non-retryable
// context_length_exceeded error instead of answer text.
func TestCallTooLong(t *testing.T) {
	_, m := setup(t, ``)
	ex := exchange(&plugin.Request{Model: "mimo-v2.5-pro", Messages: []plugin.Message{
		plugin.TextMessage(plugin.RoleUser, "a very long question [sim:too_long]"),
	}})
	if err := m.Call(t.Context(), ex); err != nil {
		t.Fatal(err)
	}
	evs, err := plugintest.Collect(ex.Response.Events)
	pe := plugin.AsError(err)
	if pe == nil || pe.Status != 400 || pe.Code != plugin.CodeContextLength || pe.Retryable {
		t.Fatalf("err = %v, want a non-retryable 400 context_length_exceeded", err)
	}
	if text, _ := plugintest.Text(evs); text != "" {
		t.Errorf("text %q leaked before the error", text)
	}
}
