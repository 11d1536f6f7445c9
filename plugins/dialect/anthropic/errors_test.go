package anthropic

import (
	"errors"
	"net/http"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		typ        string
		retryAfter string
	}{
		{"bad request", plugin.BadRequest("messages: field required"), 400, "invalid_request_error", ""},
		{"unsupported", &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Message: "no"}, 400, "invalid_request_error", ""},
		{"unprocessable", &plugin.Error{Status: 422, Code: plugin.CodeUnprocessable, Message: "no"}, 422, "invalid_request_error", ""},
		{"authentication", plugin.Errorf(401, plugin.CodeAuthentication, "invalid x-api-key"), 401, "authentication_error", ""},
		{"permission", plugin.Errorf(403, plugin.CodePermission, "denied"), 403, "permission_error", ""},
		{"not found", plugin.Errorf(404, plugin.CodeNotFound, "model: gpt-4"), 404, "not_found_error", ""},
		{"too large", plugin.Errorf(413, plugin.CodeTooLarge, "too big"), 413, "request_too_large", ""},
		{"rate limited", &plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, "rate_limit_error", "2"},
		{"internal", errors.New("secret cause"), 500, "api_error", ""},
		{"overloaded", &plugin.Error{Status: 503, Code: plugin.CodeOverloaded, Message: "busy", RetryAfter: 3 * time.Second}, 529, "overloaded_error", "3"},
		{"no account", &plugin.Error{Status: 503, Code: plugin.CodeNoAccount, Message: "no account"}, 529, "overloaded_error", ""},
		{"upstream", &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "bad gateway"}, 502, "api_error", ""},
		{"unavailable", &plugin.Error{Status: 503, Code: plugin.CodeUpstream, Message: "down"}, 503, "api_error", ""},
		{"timeout", &plugin.Error{Status: 504, Code: plugin.CodeTimeout, Message: "late"}, 504, "api_error", ""},
		{"status from code", &plugin.Error{Code: plugin.CodeRateLimited, Message: "x"}, 429, "rate_limit_error", ""},
		{"other 4xx", plugin.Errorf(405, plugin.CodeInvalidRequest, "method"), 405, "invalid_request_error", ""},
	}
	m := newMessages(t, `{}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := plugintest.NewExchange("/v1/messages", `{}`)
			resp := plugintest.Write(t, m, ex, tt.err)
			body := plugintest.Body(t, resp)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("retry-after %q, want %q", got, tt.retryAfter)
			}
			if got := resp.Header.Get("request-id"); got != "req_"+testHex {
				t.Errorf("request-id %q", got)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content-type %q", ct)
			}
			var e sdk.Error
			if err := e.UnmarshalJSON([]byte(body)); err != nil {
				t.Fatalf("sdk cannot parse %s: %v", body, err)
			}
			if string(e.Type()) != tt.typ || e.Message == "" {
				t.Errorf("type %q message %q, want %q; body %s", e.Type(), e.Message, tt.typ, body)
			}
			want := `{"type":"error","error":{"type":"` + tt.typ + `","message":`
			if len(body) < len(want) || body[:len(want)] != want {
				t.Errorf("body %s does not start with %s", body, want)
			}
		})
	}
}

func TestWriteErrorHidesCause(t *testing.T) {
	m := newMessages(t, `{}`)
	resp := plugintest.Write(t, m, plugintest.NewExchange("/v1/messages", `{}`), errors.New("cookie=abc123"))
	body := plugintest.Body(t, resp)
	want := `{"type":"error","error":{"type":"api_error","message":"internal error"},"request_id":"req_` + testHex + "\"}\n"
	if body != want {
		t.Errorf("body %q, want %q", body, want)
	}
}

func TestWriteErrorClientClosed(t *testing.T) {
	m := newMessages(t, `{}`)
	resp := plugintest.Write(t, m, plugintest.NewExchange("/v1/messages", `{}`), plugin.Errorf(499, plugin.CodeClientClosed, "gone"))
	if body := plugintest.Body(t, resp); resp.StatusCode != 499 || body != "" {
		t.Errorf("status %d body %q", resp.StatusCode, body)
	}
}

func TestWriteErrorNil(t *testing.T) {
	m := newMessages(t, `{}`)
	rec := plugintest.NewExchange("/v1/messages", `{}`)
	w := newRecorder()
	m.WriteError(w, rec, nil)
	if w.Code != http.StatusInternalServerError || w.Body.Len() == 0 {
		t.Errorf("status %d body %q", w.Code, w.Body.String())
	}
}
