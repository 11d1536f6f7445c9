package sim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestPlainExactBytes checks the whole plain transcript byte for byte.
func TestPlainExactBytes(t *testing.T) {
	_, ts := start(t, Options{})
	status, ctype, body := chatCall{query: "user: hi"}.do(t, ts.URL)
	if status != http.StatusOK || ctype != "text/event-stream" {
		t.Fatalf("status %d, content type %q", status, ctype)
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(string(body), "id:"), "\n")
	if !hexID.MatchString(id) {
		t.Fatalf("response id %q is not 32 hex digits", id)
	}
	want := strings.ReplaceAll(`id:ID
event:dialogId
data:{"content":"8170797"}

id:ID
event:message
data:{"type":"text","content":""}

id:ID
event:message
data:{"type":"text","content":"webSearch"}

id:ID
event:message
data:{"type":"text","content":"Hello"}

id:ID
event:message
data:{"type":"text","content":" there(citation:1)!"}

id:ID
event:usage
data:{"promptTokens":12,"completionTokens":3,"totalTokens":15,"nativeUsage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}

id:ID
event:finish
data:{"type":null,"content":"[DONE]","usage":null}

`, "ID", id)
	if diff := cmp.Diff(want, string(body)); diff != "" {
		t.Errorf("plain transcript (-want +got):\n%s", diff)
	}
}

func TestScenarioFrames(t *testing.T) {
	type ev struct{ Event, Data string }
	const finish = `{"type":null,"content":"[DONE]","usage":null}`
	tests := []struct {
		name  string
		query string
		want  []ev
	}{
		{
			name:  "reasoning",
			query: "[sim:reasoning]",
			want: []ev{
				{"dialogId", `{"content":"30193626"}`},
				{"message", `{"type":"text","content":"<thi"}`},
				{"message", `{"type":"text","content":"nk>\u0000Let me add 2 and 2"}`},
				{"message", `{"type":"text","content":".</think>\u0000The answer"}`},
				{"message", `{"type":"text","content":" is 4."}`},
				{"usage", `{"promptTokens":20,"completionTokens":14,"totalTokens":34}`},
				{"finish", finish},
			},
		},
		{
			name:  "tool_call",
			query: "[sim:tool_call]",
			want: []ev{
				{"dialogId", `{"content":"42"}`},
				{"message", `{"type":"text","content":"I'll check.\n<|MiM"}`},
				{"message", `{"type":"text","content":"oML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北"}`},
				{"message", `{"type":"text","content":"京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>"}`},
				{"usage", `{"promptTokens":410,"completionTokens":60,"totalTokens":470}`},
				{"finish", finish},
			},
		},
		{
			name:  "error_event",
			query: "[sim:error_event]",
			want: []ev{
				{"dialogId", `{"content":"8170797"}`},
				{"error", `{"type":"text","content":"服务器繁忙，请稍后再试"}`},
				{"finish", finish},
			},
		},
		{
			name:  "empty",
			query: "[sim:empty]",
			want: []ev{
				{"dialogId", `{"content":"8170797"}`},
				{"message", `{"type":"text","content":""}`},
				{"finish", finish},
			},
		},
		{
			name:  "echo keeps whitespace on delta edges",
			query: "system: be brief\nuser: hi  there [sim:echo]  \n",
			want: []ev{
				{"dialogId", `{"content":"8170797"}`},
				{"message", `{"type":"text","content":""}`},
				{"message", `{"type":"text","content":"user"}`},
				{"message", `{"type":"text","content":": hi"}`},
				{"message", `{"type":"text","content":"  th"}`},
				{"message", `{"type":"text","content":"ere "}`},
				{"message", `{"type":"text","content":"[sim"}`},
				{"message", `{"type":"text","content":":ech"}`},
				{"message", `{"type":"text","content":"o]  "}`},
				{"usage", `{"promptTokens":12,"completionTokens":7,"totalTokens":19,"nativeUsage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}`},
				{"finish", finish},
			},
		},
		{
			name:  "too_long",
			query: "[sim:too_long]",
			want: []ev{
				{"dialogId", `{"content":"8170797"}`},
				{"message", `{"type":"text","content":""}`},
				{"message", `{"type":"text","content":"您发送的"}`},
				{"message", `{"type":"text","content":"文本过长"}`},
				{"usage", `{"promptTokens":12,"completionTokens":2,"totalTokens":14,"nativeUsage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}}`},
				{"finish", finish},
			},
		},
	}
	_, ts := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := chatCall{query: tt.query}.do(t, ts.URL)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			frames := parseFrames(t, body)
			var got []ev
			for _, f := range frames {
				if f.ID != frames[0].ID || !hexID.MatchString(f.ID) {
					t.Errorf("frame id %q, want the response's 32-hex id %q", f.ID, frames[0].ID)
				}
				got = append(got, ev{f.Event, f.Data})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScenarioAnswers(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{"plain", "user: hi", "webSearchHello there(citation:1)!"},
		{"reasoning", "[sim:reasoning]", "<think>\x00Let me add 2 and 2.</think>\x00The answer is 4."},
		{"tool_result with result", "[sim:tool_result]\nuser: weather?\nassistant: TOOL_CALL: get_weather(city='北京')\ntool: [tool_result id=call_abc] 22°C, sunny",
			"The tool said: 22°C, sunny"},
		{"tool_result before result", "system: [sim:tool_result]\nuser: weather in 北京?", "I'll check.\n" + toolCallText},
		{"tool_result stale result", "system: [sim:tool_result]\ntool: old\nuser: again?", "I'll check.\n" + toolCallText},
		{"too_long", "[sim:too_long]", TooLongText},
	}
	_, ts := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := chatCall{query: tt.query}.do(t, ts.URL)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			frames := parseFrames(t, body)
			if got := answer(t, frames); got != tt.want {
				t.Errorf("answer %q, want %q", got, tt.want)
			}
			if last := frames[len(frames)-1]; last.Event != "finish" {
				t.Errorf("last frame %+v, want finish", last)
			}
		})
	}
}

const toolCallText = "<|MiMoML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>"

func TestHTTPErrorScenarios(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"http401", 401, UnauthorizedBody},
		{"http429", 429, `{"code":429,"msg":"too many requests"}`},
		{"http500", 500, `{"code":500,"msg":"internal server error"}`},
		{"http503", 503, `{"code":503,"msg":"service unavailable"}`},
	}
	_, ts := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := chatCall{query: "[sim:" + tt.name + "]"}.do(t, ts.URL)
			if status != tt.status || string(body) != tt.body || ctype != "application/json" {
				t.Errorf("got %d %q %s, want %d application/json %s", status, ctype, body, tt.status, tt.body)
			}
		})
	}
}

func TestLarge(t *testing.T) {
	_, ts := start(t, Options{DefaultScenario: "large"})
	_, _, body := chatCall{query: "user: big"}.do(t, ts.URL)
	frames := parseFrames(t, body)
	var deltas int
	for _, f := range frames[2:] {
		if f.Event == "message" {
			deltas++
			if n := len(f.Data) - len(`{"type":"text","content":""}`); n != 4096 {
				t.Fatalf("delta of %d bytes, want 4096", n)
			}
		}
	}
	if got := answer(t, frames); deltas != 256 || len(got) != 1<<20 {
		t.Errorf("%d deltas, %d bytes of text; want 256 deltas, 1 MiB", deltas, len(got))
	}
}

func TestCut(t *testing.T) {
	_, ts := start(t, Options{})
	resp, err := http.DefaultClient.Do(chatCall{query: "[sim:cut]"}.request(t, context.Background(), ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error %v, want unexpected EOF", err)
	}
	frames := parseFrames(t, body)
	if got := answer(t, frames); got != "Hello there, this answer" {
		t.Errorf("answer before the cut %q", got)
	}
	for _, f := range frames {
		if f.Event == "finish" || f.Event == "usage" {
			t.Errorf("unexpected %s frame before the cut", f.Event)
		}
	}
}

func TestSlowDrips(t *testing.T) {
	const drip = 10 * time.Millisecond
	_, ts := start(t, Options{Drip: drip})
	begin := time.Now()
	_, _, body := chatCall{query: "[sim:slow]"}.do(t, ts.URL)
	elapsed := time.Since(begin)
	frames := parseFrames(t, body)
	if got := answer(t, frames); got != "webSearchHello there(citation:1)!" {
		t.Errorf("answer %q", got)
	}
	if min := time.Duration(len(frames)-1) * drip; elapsed < min {
		t.Errorf("took %v, want at least %v", elapsed, min)
	}
}

func TestSlowStopsWhenClientLeaves(t *testing.T) {
	s := New(Options{Drip: time.Hour})
	done := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		s.ServeHTTP(w, r)
	}))
	defer ts.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(chatCall{query: "[sim:slow]"}.request(t, ctx, ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("id:")+32+len("\nevent:dialogId\n"))
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("reading the first frame: %v", err)
	}
	if !strings.HasSuffix(string(first), "event:dialogId\n") {
		t.Fatalf("first frame starts %q", first)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler still running 10s after the client went away")
	}
}

func TestLastToolResult(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		want   string
		wantOK bool
	}{
		{"none", "user: hi", "", false},
		{"after user", "user: hi\ntool: 42", "42", true},
		{"tag stripped", "user: hi\ntool: [tool_result id=abc12345]  ok ", "ok", true},
		{"last of several", "user: hi\ntool: a\ntool: b", "b", true},
		{"before last user", "tool: a\nuser: hi", "", false},
		{"no user line", "tool: x", "x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lastToolResult(tt.query)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("lastToolResult = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLastToolResultForms(t *testing.T) {
	tests := []struct{ query, want string }{
		{"user: hi\ntool: [tool_result id=call_1] 22°C", "22°C"},
		{"user: hi\nassistant: x\ntool: <|MiMoML|tool_result call_id=\"call_1\">\n22°C\nsunny\n</|MiMoML|tool_result>", "22°C\nsunny"},
		{"user: hi\ntool: plain", "plain"},
	}
	for _, tt := range tests {
		got, ok := lastToolResult(tt.query)
		if !ok || got != tt.want {
			t.Errorf("lastToolResult(%q) = %q, %v; want %q", tt.query, got, ok, tt.want)
		}
	}
	if _, ok := lastToolResult("tool: old\nuser: new question"); ok {
		t.Error("a tool result before the last user turn counts")
	}
}
