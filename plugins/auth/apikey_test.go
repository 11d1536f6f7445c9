package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func TestAPIKey(t *testing.T) {
	h := plugintest.NewHost(t)
	a := plugintest.Load[*APIKey](t, h, "auth.apikey", `{"keys":["sk-one","sk-two"]}`)
	tests := []struct {
		name    string
		headers map[string]string
		ok      bool
	}{
		{"bearer", map[string]string{"Authorization": "Bearer sk-two"}, true},
		{"bearer lower-case scheme", map[string]string{"Authorization": "bearer sk-one"}, true},
		{"x-api-key", map[string]string{"x-api-key": "sk-one"}, true},
		{"wrong key", map[string]string{"Authorization": "Bearer sk-three"}, false},
		{"prefix of a key", map[string]string{"Authorization": "Bearer sk-on"}, false},
		{"no key", nil, false},
		{"basic scheme", map[string]string{"Authorization": "Basic sk-one"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := plugintest.NewExchange("/v1/chat/completions", "{}")
			for k, v := range tt.headers {
				ex.HTTP.Header.Set(k, v)
			}
			called := false
			err := a.Handle(context.Background(), ex, func(context.Context, *plugin.Exchange) error { called = true; return nil })
			if tt.ok != (err == nil) || tt.ok != called {
				t.Fatalf("err = %v called = %v, want ok = %v", err, called, tt.ok)
			}
			if !tt.ok {
				pe, ok := errors.AsType[*plugin.Error](err)
				if !ok || pe.Status != 401 || pe.Code != plugin.CodeAuthentication {
					t.Fatalf("err = %#v", err)
				}
			}
		})
	}
}

func TestAPIKeyDefaultsAndRefusal(t *testing.T) {
	h := plugintest.NewHost(t) // settings carry sk-test
	a := plugintest.Load[*APIKey](t, h, "auth.apikey", ``)
	ex := plugintest.NewExchange("/", "{}")
	ex.HTTP.Header.Set("x-api-key", "sk-test")
	if err := a.Handle(context.Background(), ex, func(context.Context, *plugin.Exchange) error { return nil }); err != nil {
		t.Fatalf("host keys not used: %v", err)
	}
	h.Set.APIKeys = nil
	if _, err := plugin.Load("auth.apikey", nil, h); err == nil {
		t.Fatal("a route with no keys at all must be refused unless allow_anonymous")
	}
	if _, err := plugin.Load("auth.apikey", []byte(`{"allow_anonymous":true}`), h); err != nil {
		t.Fatal(err)
	}
}
