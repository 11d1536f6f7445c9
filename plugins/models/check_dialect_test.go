package models

import (
	"context"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/dialect/openai"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// TestCheckModelNotFound renders the stage's error in the OpenAI dialect: 404 model_not_found.
func TestCheckModelNotFound(t *testing.T) {
	h := catalogHost{plugintest.NewHost(t), discovery.New(discovery.Options{Static: []string{"mimo-v2.5"}})}
	c := plugintest.Load[*Check](t, h, "models.check", ``)
	d := plugintest.Load[*openai.Chat](t, h, "dialect.openai_chat", ``)
	ex := plugintest.NewExchange("/v1/chat/completions", `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`)
	err := d.Handle(t.Context(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		return c.Handle(ctx, ex, func(context.Context, *plugin.Exchange) error {
			t.Fatal("the upstream was reached")
			return nil
		})
	})
	resp := plugintest.Write(t, d, ex, err)
	body := plugintest.Body(t, resp)
	if resp.StatusCode != 404 || !strings.Contains(body, `"code":"model_not_found"`) || !strings.Contains(body, "The model 'gpt-9' does not exist") {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}
