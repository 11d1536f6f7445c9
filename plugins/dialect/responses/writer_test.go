package responses

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func TestErrorBeforeCommit(t *testing.T) {
	upstream := &plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond}
	for _, body := range []string{`{"model":"m","input":"x"}`, `{"model":"m","input":"x","stream":true}`} {
		d := newDialect(t)
		resp, out := run(t, d, body, plugin.ErrorStream(upstream))
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: status %d headers %v", body, resp.StatusCode, resp.Header)
		}
		if got := gjson.Get(out, "error.code").Str; got != "rate_limit_exceeded" || gjson.Get(out, "error.type").Str != "rate_limit_error" {
			t.Errorf("%s: body %s", body, out)
		}
	}
}

func TestDecodeErrorResponse(t *testing.T) {
	d := newDialect(t)
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","input":"x","tools":[{"type":"local_shell"}]}`)
	called := false
	err := d.Handle(t.Context(), ex, func(context.Context, *plugin.Exchange) error { called = true; return nil })
	if called || err == nil {
		t.Fatalf("next called %v, err %v", called, err)
	}
	resp := plugintest.Write(t, d, ex, err)
	out := plugintest.Body(t, resp)
	if resp.StatusCode != 400 || gjson.Get(out, "error.param").Str != "tools[0].type" ||
		gjson.Get(out, "error.code").Str != "unsupported_value" || !strings.Contains(gjson.Get(out, "error.message").Str, `"local_shell"`) {
		t.Errorf("status %d body %s", resp.StatusCode, out)
	}
}

func TestStreamFailureAfterCommit(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantLast string
		code     string
	}{
		{"upstream", &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "upstream broke"}, "response.failed", "upstream_error"},
		{"timeout", context.DeadlineExceeded, "response.failed", "timeout"},
		{"internal", errors.New("secret detail"), "response.failed", "server_error"},
		{"client closed", context.Canceled, "response.output_text.delta", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDialect(t)
			_, out := run(t, d, `{"model":"m","input":"x","stream":true}`, failAfter(tt.err, text("Hi")))
			evs := events(t, out)
			last := evs[len(evs)-1]
			if last.name != tt.wantLast {
				t.Fatalf("last event %s, want %s", last.name, tt.wantLast)
			}
			if tt.code == "" {
				return
			}
			r := gjson.Get(last.data, "response")
			if r.Get("status").Str != "failed" || r.Get("error.code").Str != tt.code || r.Get("error.message").Str == "" {
				t.Errorf("failed response %s", r.Raw)
			}
			if strings.Contains(out, "secret detail") {
				t.Error("an internal error's cause reached the client")
			}
		})
	}
}

func TestStreamWithoutEvents(t *testing.T) {
	d := newDialect(t)
	_, out := run(t, d, `{"model":"m","input":"x","stream":true}`, plugin.Events())
	evs := events(t, out)
	last := evs[len(evs)-1]
	if last.name != "response.completed" {
		t.Fatalf("last event %s", last.name)
	}
	out0 := gjson.Get(last.data, "response.output.0")
	if out0.Get("type").Str != "message" || out0.Get("content.0.text").Str != "" {
		t.Errorf("output %s", out0.Raw)
	}
}

func TestEventsAfterFinishIgnored(t *testing.T) {
	d := newDialect(t)
	_, out := run(t, d, `{"model":"m","input":"x"}`, plugin.Events(text("a"), finish(plugin.FinishStop), text("b"),
		toolCall("", "f", ""), usage(1, 2, 0)))
	if got := gjson.Get(out, "output_text").Str; got != "a" {
		t.Errorf("output_text %q", got)
	}
	if n := len(gjson.Get(out, "output").Array()); n != 1 {
		t.Errorf("%d output items", n)
	}
	if gjson.Get(out, "usage.total_tokens").Int() != 3 {
		t.Errorf("usage %s", gjson.Get(out, "usage").Raw)
	}
}

func TestGeneratedCallID(t *testing.T) {
	d := newDialect(t)
	_, out := run(t, d, `{"model":"m","input":"x"}`, plugin.Events(toolCall("", "f", "")))
	call := gjson.Get(out, "output.0")
	if call.Get("type").Str != "function_call" || !strings.HasPrefix(call.Get("call_id").Str, "call_") || call.Get("arguments").Str != "{}" {
		t.Errorf("call %s", call.Raw)
	}
	if n := len(gjson.Get(out, "output").Array()); n != 1 {
		t.Errorf("a call-only answer has %d items, want no empty message", n)
	}
}

// failWriter fails every write after the first `after` writes.
type failWriter struct {
	*httptest.ResponseRecorder
	after int
}

var errGone = errors.New("client gone")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errGone
	}
	w.after--
	return w.ResponseRecorder.Write(p)
}

func TestStreamWriteError(t *testing.T) {
	d := newDialect(t)
	ex := plugintest.NewExchange("/v1/responses", `{"model":"m","input":"x","stream":true}`)
	if err := d.Handle(t.Context(), ex, plugintest.Reply()); err != nil {
		t.Fatal(err)
	}
	pulled := 0
	s := func(yield func(plugin.Event, error) bool) {
		for range 100 {
			pulled++
			if !yield(text("x"), nil) {
				return
			}
		}
	}
	w := &failWriter{ResponseRecorder: httptest.NewRecorder(), after: 3}
	if err := d.WriteStream(w, ex, s); !errors.Is(err, errGone) {
		t.Errorf("WriteStream = %v, want the write error", err)
	}
	if pulled == 100 {
		t.Error("the stream was drained after the client went away")
	}
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/event-stream" {
		t.Errorf("status %d headers %v", w.Code, w.Header())
	}
}
