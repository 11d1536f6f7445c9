package openai

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func str(s string) *string { return &s }

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		typ        string
		param      *string
		code       *string
		retryAfter string
	}{
		{name: "bad request", err: &plugin.Error{Status: 400, Code: plugin.CodeInvalidRequest, Message: "model must be a string", Param: "model"},
			status: 400, typ: "invalid_request_error", param: str("model")},
		{name: "bad key", err: &plugin.Error{Status: 401, Code: plugin.CodeAuthentication, Message: "Incorrect API key provided"},
			status: 401, typ: "invalid_request_error", code: str("invalid_api_key")},
		{name: "forbidden", err: &plugin.Error{Status: 403, Code: plugin.CodePermission, Message: "no"},
			status: 403, typ: "permission_error", code: str("permission_denied")},
		{name: "model not found", err: &plugin.Error{Status: 404, Code: plugin.CodeNotFound, Message: "The model `x` does not exist", Param: "model"},
			status: 404, typ: "invalid_request_error", param: str("model"), code: str("model_not_found")},
		{name: "too large", err: &plugin.Error{Status: 413, Code: plugin.CodeTooLarge, Message: "too large"},
			status: 413, typ: "invalid_request_error", code: str("request_too_large")},
		{name: "context length", err: &plugin.Error{Status: 400, Code: plugin.CodeContextLength, Message: "too long"},
			status: 400, typ: "invalid_request_error", param: str("messages"), code: str("context_length_exceeded")},
		{name: "unsupported", err: &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Message: "n", Param: "n"},
			status: 400, typ: "invalid_request_error", param: str("n"), code: str("unsupported_value")},
		{name: "tool call failed", err: &plugin.Error{Status: 422, Code: plugin.CodeToolCallFailed, Message: "bad call"},
			status: 422, typ: "invalid_request_error", code: str("tool_call_generation_failed")},
		{name: "rate limited", err: &plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond},
			status: 429, typ: "rate_limit_error", code: str("rate_limit_exceeded"), retryAfter: "2"},
		{name: "overloaded", err: &plugin.Error{Status: 503, Code: plugin.CodeOverloaded, Message: "busy", RetryAfter: 30 * time.Second},
			status: 503, typ: "service_unavailable_error", code: str("server_is_overloaded"), retryAfter: "30"},
		{name: "no account", err: &plugin.Error{Status: 503, Code: plugin.CodeNoAccount, Message: "no account"},
			status: 503, typ: "service_unavailable_error", code: str("no_account_available")},
		{name: "upstream", err: &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "MiMo 500"},
			status: 502, typ: "server_error", code: str("upstream_error")},
		{name: "timeout", err: context.DeadlineExceeded,
			status: 504, typ: "server_error", code: str("timeout")},
		{name: "internal hides cause", err: errors.New("secret detail"),
			status: 500, typ: "server_error"},
		{name: "zero status derived", err: &plugin.Error{Code: plugin.CodeRateLimited},
			status: 429, typ: "rate_limit_error", code: str("rate_limit_exceeded")},
		{name: "zero everything", err: &plugin.Error{},
			status: 500, typ: "server_error"},
	}
	c := newChat(t, `{}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := plugintest.Write(t, c, plugintest.NewExchange("/v1/chat/completions", `{}`), tt.err)
			body := plugintest.Body(t, resp)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			var eb errorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if eb.Error.Message == "" || eb.Error.Type != tt.typ {
				t.Errorf("error = %+v, want type %q and a message", eb.Error, tt.typ)
			}
			if diff := cmp.Diff(tt.param, eb.Error.Param); diff != "" {
				t.Errorf("param (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.code, eb.Error.Code); diff != "" {
				t.Errorf("code (-want +got):\n%s", diff)
			}
			if pe := plugin.AsError(tt.err); pe.Message != "" && eb.Error.Message != pe.Message {
				t.Errorf("message = %q, want %q", eb.Error.Message, pe.Message)
			}
		})
	}
}

func TestWriteErrorClientClosed(t *testing.T) {
	c := newChat(t, `{}`)
	resp := plugintest.Write(t, c, plugintest.NewExchange("/v1/chat/completions", `{}`), context.Canceled)
	if resp.StatusCode != 499 {
		t.Errorf("status = %d, want 499", resp.StatusCode)
	}
	if body := plugintest.Body(t, resp); body != "" {
		t.Errorf("body = %q, want none", body)
	}
}

func TestWriteErrorNil(t *testing.T) {
	c := newChat(t, `{}`)
	rec := httptest.NewRecorder()
	c.WriteError(rec, plugintest.NewExchange("/", `{}`), nil)
	if rec.Code != 500 || !json.Valid(rec.Body.Bytes()) || rec.Body.Len() < 10 {
		t.Errorf("WriteError(nil) = %d %q, want a 500 with an error body", rec.Code, rec.Body.String())
	}
}
