package anthropic

import (
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestStreamHeaders(t *testing.T) {
	m := newMessages(t, `{}`)
	resp, body := render(t, m, &plugin.Request{Model: "claude-x", Stream: true}, plugin.Events(text("hi"), finish(plugin.FinishStop)))
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Request-Id": "req_" + testHex} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.HasPrefix(body, "event: message_start\ndata: ") || !strings.Contains(body, "event: ping\ndata: {\"type\":\"ping\"}\n\n") {
		t.Errorf("body %s", body)
	}
}

func TestStreamErrorBeforeFirstEvent(t *testing.T) {
	m := newMessages(t, `{}`)
	for _, stream := range []bool{true, false} {
		resp, body := render(t, m, &plugin.Request{Model: "claude-x", Stream: stream},
			plugin.ErrorStream(&plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "slow down"}))
		if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "application/json" ||
			!strings.HasPrefix(body, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}`) {
			t.Errorf("stream=%v: %d %s", stream, resp.StatusCode, body)
		}
	}
}

func TestStreamClientClosed(t *testing.T) {
	m := newMessages(t, `{}`)
	s := func(yield func(plugin.Event, error) bool) {
		if yield(text("hi"), nil) {
			yield(plugin.Event{}, plugin.Errorf(499, plugin.CodeClientClosed, "gone"))
		}
	}
	_, body := render(t, m, &plugin.Request{Model: "claude-x", Stream: true}, s)
	if strings.Contains(body, "event: error") || strings.Contains(body, "message_stop") {
		t.Errorf("body %s", body)
	}
}

func TestEventsAfterFinishIgnored(t *testing.T) {
	m := newMessages(t, `{}`)
	_, body := render(t, m, &plugin.Request{Model: "claude-x"},
		plugin.Events(text("a"), finish(plugin.FinishStop), text("b"), reasoning("c"), call("x", "f", "{}"), usage(3, 4)))
	want := `{"id":"msg_` + testHex + `","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"a"}],` +
		`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}}` + "\n"
	if body != want {
		t.Errorf("body %s\nwant %s", body, want)
	}
}
