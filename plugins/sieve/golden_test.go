package sieve_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// goldenDeltas are the text deltas of the tool-call transcript of the protocol reference (A.10).
var goldenDeltas = []string{
	"I'll check.\n<|MiM",
	"oML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北",
	"京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>",
}

// transcript renders deltas as the upstream's SSE body, with the transcript's usage and finish.
func transcript(deltas ...string) string {
	var b strings.Builder
	b.WriteString("event:dialogId\ndata:{\"content\":\"42\"}\n\n")
	for _, d := range deltas {
		c, _ := json.Marshal(d)
		b.WriteString("event:message\ndata:{\"type\":\"text\",\"content\":")
		b.Write(c)
		b.WriteString("}\n\n")
	}
	b.WriteString("event:usage\ndata:{\"promptTokens\":410,\"completionTokens\":60,\"totalTokens\":470}\n\n")
	b.WriteString("event:finish\ndata:{\"content\":\"[DONE]\"}\n\n")
	return b.String()
}

// chunkReader returns its chunks one Read at a time.
type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

func decodeFiltered(t *testing.T, body io.Reader) answer {
	t.Helper()
	evs, err := plugintest.Collect(load(t, "").Filter(t.Context(), request(nil), mimo.Events(io.NopCloser(body))))
	return normalize(t, evs, err)
}

// TestGoldenTranscript feeds the A.10 tool transcript through mimo.Events and the filter: the
// client sees the preamble, one get_weather call and finish tool_calls, whatever the cuts.
func TestSieveGoldenTranscript(t *testing.T) {
	want := expect(t, []plugin.Event{
		{Kind: plugin.EventText, Text: "I'll check.\n"},
		{Kind: plugin.EventToolCall, Call: &plugin.ToolCall{Name: "get_weather", Arguments: `{"city":"北京","days":3}`}},
		{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: 410, CompletionTokens: 60, TotalTokens: 470}},
		{Kind: plugin.EventFinish, Finish: plugin.FinishToolCalls},
	})
	whole := transcript(goldenDeltas...)
	if d := diff(want, decodeFiltered(t, strings.NewReader(whole))); d != "" {
		t.Fatalf("whole transcript (-want +got):\n%s", d)
	}

	t.Run("deltas", func(t *testing.T) {
		splits(strings.Join(goldenDeltas, ""), func(chunks []string) {
			if d := diff(want, decodeFiltered(t, strings.NewReader(transcript(nonEmpty(chunks)...)))); d != "" {
				t.Fatalf("deltas %q (-want +got):\n%s", chunks, d)
			}
		})
	})
	t.Run("body bytes", func(t *testing.T) {
		for i := range len(whole) + 1 {
			if d := diff(want, decodeFiltered(t, &chunkReader{[]string{whole[:i], whole[i:]}})); d != "" {
				t.Fatalf("body cut at %d (-want +got):\n%s", i, d)
			}
		}
		if d := diff(want, decodeFiltered(t, iotest.OneByteReader(strings.NewReader(whole)))); d != "" {
			t.Fatalf("one byte at a time (-want +got):\n%s", d)
		}
	})
}
