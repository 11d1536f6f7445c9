package mimo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestEventsTranscripts(t *testing.T) {
	tests := []struct {
		name            string
		sse             string
		text, reasoning string
		usage           plugin.Usage
	}{
		{"plain", plainTranscript, "Hello there!", "", plugin.Usage{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15}},
		{"reasoning", reasoningTranscript, "The answer is 4.", "Let me add 2 and 2.", plugin.Usage{PromptTokens: 20, CompletionTokens: 14, TotalTokens: 34}},
		{"tool call", toolCallTranscript, toolCallText, "", plugin.Usage{PromptTokens: 410, CompletionTokens: 60, TotalTokens: 470}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, tt.sse)
			if r.err != nil {
				t.Fatalf("error: %v", r.err)
			}
			if r.text != tt.text || r.reasoning != tt.reasoning {
				t.Errorf("text %q reasoning %q, want %q and %q", r.text, r.reasoning, tt.text, tt.reasoning)
			}
			if !finished(r) {
				t.Fatalf("kinds %v: want usage then finish at the end", r.kinds)
			}
			if diff := cmp.Diff(tt.usage, *r.usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventsPlainEventSequence(t *testing.T) {
	var got []plugin.Event
	for ev, err := range Events(newBody(plainTranscript)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	want := []plugin.Event{
		{Kind: plugin.EventText, Text: "Hello"},
		{Kind: plugin.EventText, Text: " there!"},
		{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15}},
		{Kind: plugin.EventFinish, Finish: plugin.FinishStop},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestEventsErrorEvent(t *testing.T) {
	for name, sse := range map[string]string{
		"alone":         errorTranscript,
		"after text":    frames(false, "Hi") + errorTranscript,
		"before finish": "event:dialogId\ndata:{\"content\":\"1\"}\n\n" + errorTranscript + frames(true, "never"),
	} {
		t.Run(name, func(t *testing.T) {
			r := decode(t, sse)
			e := asError(t, r.err)
			want := "upstream error: 服务器繁忙，请稍后再试"
			if e.Status != http.StatusBadGateway || e.Code != plugin.CodeUpstream || !e.Retryable || e.Message != want {
				t.Errorf("got %+v, want 502 upstream retryable %q", e, want)
			}
			if strings.Contains(r.text, "服务器") || strings.Contains(r.text, "never") {
				t.Errorf("error content leaked into the answer: %q", r.text)
			}
		})
	}
}

func TestEventsEmpty(t *testing.T) {
	tests := map[string]string{
		"empty message":      "event:dialogId\ndata:{\"content\":\"8170797\"}\n\n" + frames(true, ""),
		"native name only":   frames(true, "", "webSearch"),
		"NULs only":          frames(true, "\x00", "\x00\x00"),
		"citation only":      frames(true, "(citation:1)", "(citation:", "2)"),
		"empty think":        frames(true, "<think>", "\x00</think>\x00"),
		"no body":            "",
		"no finish, no text": frames(false, ""),
	}
	for name, sse := range tests {
		t.Run(name, func(t *testing.T) {
			r := decode(t, sse)
			e := asError(t, r.err)
			if e.Status != http.StatusBadGateway || e.Code != plugin.CodeUpstreamEmpty || !e.Retryable ||
				e.Message != "the upstream returned an empty answer" {
				t.Errorf("got %+v", e)
			}
			if len(r.kinds) != 0 {
				t.Errorf("events before the error: %v", r.kinds)
			}
		})
	}
}

func TestEventsCut(t *testing.T) {
	r := decode(t, frames(false, "Hello", " there"))
	e := asError(t, r.err)
	if r.text != "Hello there" {
		t.Errorf("text %q", r.text)
	}
	if e.Code != plugin.CodeUpstream || e.Status != http.StatusBadGateway || e.Retryable ||
		e.Message != "upstream stream ended unexpectedly" {
		t.Errorf("got %+v, want 502 upstream not retryable", e)
	}
}

// failingReader returns its text, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestEventsReadError(t *testing.T) {
	tests := []struct {
		name      string
		sse       string
		err       error
		retryable bool
		ctxErr    bool
	}{
		{"after content", frames(false, "Hi"), io.ErrUnexpectedEOF, false, false},
		{"before content", frames(false, ""), io.ErrUnexpectedEOF, true, false},
		{"cancelled", frames(false, "Hi"), context.Canceled, false, true},
		{"deadline", frames(false, "Hi"), context.DeadlineExceeded, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &body{Reader: &failingReader{r: strings.NewReader(tt.sse), err: tt.err}}
			r := collect(t, Events(b))
			if !b.closed.Load() {
				t.Error("body not closed")
			}
			if !errors.Is(r.err, tt.err) {
				t.Fatalf("error %v, want %v", r.err, tt.err)
			}
			if tt.ctxErr {
				if r.err != tt.err {
					t.Errorf("context error wrapped: %v", r.err)
				}
				return
			}
			if e := asError(t, r.err); e.Code != plugin.CodeUpstream || e.Retryable != tt.retryable {
				t.Errorf("got %+v, want upstream retryable=%v", e, tt.retryable)
			}
		})
	}
}

func TestEventsEarlyStopClosesBody(t *testing.T) {
	b := newBody(plainTranscript)
	n := 0
	for _, err := range Events(b) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 || !b.closed.Load() {
		t.Errorf("events %d, closed %v: want 1 and closed", n, b.closed.Load())
	}
}

func TestEventsDeltas(t *testing.T) {
	tests := []struct {
		name            string
		deltas          []string
		text, reasoning string
	}{
		{"whitespace at edges", []string{"Hello", " there", "\n", "  x  ", "\t"}, "Hello there\n  x  \t", ""},
		{"NUL bytes", []string{"a\x00b", "\x00", " c\x00"}, "ab c", ""},
		{"native names dropped", []string{"webSearch", "A", " getTime\n", "calculator", "B"}, "AB", ""},
		{"native names kept inside text", []string{"use webSearch", " Calculator", " getTime."}, "use webSearch Calculator getTime.", ""},
		{"native name with NUL", []string{"webSearch\x00", "ok"}, "ok", ""},
		{"reasoning keeps leading newline", []string{"<think>\nplan\n</think>\n\nanswer"}, "\n\nanswer", "\nplan\n"},
		{"text before think", []string{"pre<think>r</think>post"}, "prepost", "r"},
		{"two think blocks", []string{"<think>a</think>b<think>c</think>d"}, "bd", "ac"},
		{"unterminated think", []string{"<think>still thinking"}, "", "still thinking"},
		{"think tag prefix at end", []string{"a<thi"}, "a<thi", ""},
		{"close tag outside think", []string{"a</think>b"}, "a</think>b", ""},
		{"open tag inside think", []string{"<think>x<think>y</think>z"}, "z", "x<think>y"},
		{"other tags", []string{"<thinking>", "<|MiMoML|x>", "<b>"}, "<thinking><|MiMoML|x><b>", ""},
		{"citations", []string{"a(citation:1)b(citation:23)(citation:4) c"}, "ab c", ""},
		{"citation in reasoning", []string{"<think>r(citation:7)</think>t"}, "t", "r"},
		{"not citations", []string{"f(x) (citation:) (citation:a) (citation:1 (Citation:1)"}, "f(x) (citation:) (citation:a) (citation:1 (Citation:1)", ""},
		{"citation number too long", []string{"(citation:1234567890)"}, "(citation:1234567890)", ""},
		{"citation prefix at end", []string{"a(cita"}, "a(cita", ""},
		{"citation digits at end", []string{"a(citation:12"}, "a(citation:12", ""},
		{"open paren at end", []string{"call(", ")"}, "call()", ""},
		{"unicode", []string{"北", "京(citation:1)。"}, "北京。", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, frames(true, tt.deltas...))
			if r.err != nil {
				t.Fatalf("error: %v", r.err)
			}
			if r.text != tt.text || r.reasoning != tt.reasoning {
				t.Errorf("text %q reasoning %q, want %q and %q", r.text, r.reasoning, tt.text, tt.reasoning)
			}
		})
	}
}

// splits calls f with every way of cutting s into two or three deltas.
func splits(s string, f func(deltas []string)) {
	for i := 0; i <= len(s); i++ {
		for j := i; j <= len(s); j++ {
			f([]string{s[:i], s[i:j], s[j:]})
		}
	}
	bytes := make([]string, len(s))
	for i := range s {
		bytes[i] = s[i : i+1]
	}
	f(bytes)
}

func TestEventsEverySplit(t *testing.T) {
	tests := []struct {
		name, full      string
		text, reasoning string
	}{
		{"reasoning transcript", "<think>\x00Let me add 2 and 2.</think>\x00The answer is 4.", "The answer is 4.", "Let me add 2 and 2."},
		{"citation", "Hello there(citation:12)! (citation:3)", "Hello there! ", ""},
		{"think and citation", "<think>a(citation:1)b</think>c(citation:2)d", "cd", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			splits(tt.full, func(deltas []string) {
				r := decode(t, frames(true, deltas...))
				if r.err != nil || r.text != tt.text || r.reasoning != tt.reasoning {
					t.Fatalf("deltas %q: text %q reasoning %q err %v, want %q and %q",
						deltas, r.text, r.reasoning, r.err, tt.text, tt.reasoning)
				}
			})
		})
	}
}

func TestEventsHoldsBackOnlyPrefixes(t *testing.T) {
	// Each delta's safe text is yielded before the next delta is read.
	var s splitter
	steps := []struct {
		delta, want string
	}{
		{"Hello <", "Hello "},
		{"b> (", "<b> "},
		{"citation:4", ""},
		{"2) world <th", " world "},
		{"ink>", ""},
		{"r</th", "r"},
		{"ink>x", "x"},
	}
	for _, st := range steps {
		var got strings.Builder
		for _, ev := range s.push(st.delta) {
			got.WriteString(ev.Text)
		}
		if got.String() != st.want {
			t.Errorf("push(%q) = %q, want %q", st.delta, got.String(), st.want)
		}
	}
}

func TestEventsWireTolerance(t *testing.T) {
	tests := []struct {
		name  string
		sse   string
		text  string
		usage plugin.Usage
	}{
		{
			name:  "space after colon and CRLF",
			sse:   "event: message\r\ndata: {\"type\":\"text\",\"content\":\"a\"}\r\n\r\nevent: usage\r\ndata: {\"promptTokens\":5,\"completionTokens\":1}\r\n\r\nevent: finish\r\ndata: {}\r\n\r\n",
			text:  "a",
			usage: plugin.Usage{PromptTokens: 5, CompletionTokens: 1, TotalTokens: 6},
		},
		{
			name: "undecodable and foreign payloads skipped",
			sse: "event:message\ndata:{not json\n\n" +
				"event:message\ndata:{\"type\":\"text\",\"content\":\"a\"\n\n" +
				"event:message\ndata:[{\"url\":\"https://example.com\"}]\n\n" +
				"event:message\ndata:{\"type\":\"image\",\"content\":\"x\"}\n\n" +
				"event:message\ndata:{\"type\":\"text\",\"content\":7}\n\n" +
				"event:doc\ndata:{\"type\":\"text\",\"content\":\"doc\"}\n\n" +
				"event:tip_ratio\ndata:{\"content\":\"tip\"}\n\n" +
				"event:sensitive_query\ndata:{\"type\":\"text\",\"content\":\"s\"}\n\n" +
				"event:web_search\ndata:[1,2]\n\n" +
				": comment\n\n" +
				"data:{\"type\":\"text\",\"content\":\"b\"}\n\n" +
				"event:usage\ndata:{\"promptTokens\":1,\"completionTokens\":1,\"totalTokens\":2}\n\n" +
				"event:usage\ndata:{\"promptTokens\":\"x\"}\n\n" +
				"event:stats\ndata:{\"promptTokens\":9,\"completionTokens\":4,\"totalTokens\":13}\n\n" +
				"event:finish\ndata:{\"content\":\"[DONE]\"}\n\n" +
				"event:message\ndata:{\"type\":\"text\",\"content\":\"after finish\"}\n\n",
			text:  "b",
			usage: plugin.Usage{PromptTokens: 9, CompletionTokens: 4, TotalTokens: 13},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, tt.sse)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.text != tt.text {
				t.Errorf("text %q, want %q", r.text, tt.text)
			}
			if !finished(r) {
				t.Fatalf("kinds %v", r.kinds)
			}
			if diff := cmp.Diff(tt.usage, *r.usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventsWithoutUsage(t *testing.T) {
	r := decode(t, frames(false, "a")+"event:finish\ndata:{}\n\n")
	want := []plugin.EventKind{plugin.EventText, plugin.EventFinish}
	if r.err != nil || !cmp.Equal(r.kinds, want) {
		t.Errorf("kinds %v err %v, want %v", r.kinds, r.err, want)
	}
}
