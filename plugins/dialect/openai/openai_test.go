package openai

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

const (
	testID      = "chatcmpl-0123456789abcdef01234567"
	testCreated = 1760000000
)

// newChat loads the dialect with config with and a fixed id and clock.
func newChat(t testing.TB, with string) *Chat {
	t.Helper()
	c := plugintest.Load[*Chat](t, plugintest.NewHost(t), ID, with)
	c.newID = func() string { return testID }
	c.now = func() time.Time { return time.Unix(testCreated, 0) }
	return c
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name, with, want string
		wantErr          bool
	}{
		{name: "default", with: `{}`, want: ReasoningBoth},
		{name: "null", with: `null`, want: ReasoningBoth},
		{name: "reasoning_content", with: `{"reasoning_field":"reasoning_content"}`, want: ReasoningContent},
		{name: "reasoning", with: `{"reasoning_field":"reasoning"}`, want: ReasoningPlain},
		{name: "bad value", with: `{"reasoning_field":"thinking"}`, wantErr: true},
		{name: "unknown key", with: `{"reasoning":"both"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plugin.Load(ID, []byte(tt.with), plugintest.NewHost(t))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Load(%s) succeeded, want an error", tt.with)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%s): %v", tt.with, err)
			}
			if got := p.(*Chat).ReasoningField; got != tt.want {
				t.Errorf("ReasoningField = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHandle(t *testing.T) {
	c := newChat(t, `{}`)
	ex := plugintest.NewExchange("/v1/chat/completions", `{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}],"stream":true}`)
	called := false
	err := c.Handle(context.Background(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		called = true
		if ex.Request == nil || ex.Request.Model != "mimo-v2.5" || !ex.Request.Stream {
			t.Errorf("next saw request %+v", ex.Request)
		}
		return nil
	})
	if err != nil || !called {
		t.Fatalf("Handle = %v, next called %v", err, called)
	}

	ex = plugintest.NewExchange("/v1/chat/completions", `{"model":`)
	err = c.Handle(context.Background(), ex, func(context.Context, *plugin.Exchange) error {
		t.Error("next called for a malformed body")
		return nil
	})
	var perr *plugin.Error
	if !errors.As(err, &perr) || perr.Status != 400 || perr.Message != "request body is not valid JSON" {
		t.Fatalf("Handle(malformed) = %v, want a 400 invalid JSON error", err)
	}
	if ex.Request != nil {
		t.Errorf("ex.Request set on failure: %+v", ex.Request)
	}

	wantErr := errors.New("boom")
	ex = plugintest.NewExchange("/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`)
	if err := c.Handle(context.Background(), ex, plugintest.Fail(wantErr)); err != wantErr {
		t.Errorf("Handle did not return next's error: %v", err)
	}
}
