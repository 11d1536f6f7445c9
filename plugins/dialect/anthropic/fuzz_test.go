package anthropic

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// FuzzDecode checks that no body makes the decoder panic, that every failure is a 400 or 404
// *plugin.Error with a message, and that every success has a model, an upstream model and at
// least one message.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"Hi"}]}`,
		`{"model":"claude-opus-4-1-20250805","max_tokens":8,"system":[{"type":"text","text":"s"}],"stream":true,"stop_sequences":["x"],"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"aGk="}}]}]}`,
		`{"model":"mimo-v2.5","max_tokens":8,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"f"},"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"ok"}]}]}]}`,
		`{"model":"gpt","max_tokens":1,"messages":[]}`,
		`[]`, `{`, `null`,
	} {
		f.Add([]byte(seed), false)
	}
	m := &Messages{models: []string{"mimo-v2.5-pro", "mimo-v2.5"}}
	f.Fuzz(func(t *testing.T, body []byte, count bool) {
		req, err := m.decode(body, count)
		if err != nil {
			if err.Message == "" || (err.Status != http.StatusBadRequest && err.Status != http.StatusNotFound) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if req.Model == "" || req.UpstreamModel == "" || len(req.Messages) == 0 {
			t.Fatalf("incomplete request %+v", req)
		}
		if !count && req.MaxTokens < 1 {
			t.Fatalf("max_tokens %d accepted", req.MaxTokens)
		}
		for _, msg := range req.Messages {
			for _, c := range msg.ToolCalls {
				if c.Arguments == "" || c.Arguments[0] != '{' {
					t.Fatalf("arguments %q are not an object", c.Arguments)
				}
			}
			if msg.Role == plugin.RoleTool && msg.ToolCallID == "" {
				t.Fatal("tool result without id")
			}
		}
	})
}

// FuzzStopper checks the stop sequence matcher against strings.Index: whatever the delta
// boundaries, the emitted text is the input up to the first occurrence of the sequence, or all
// of it.
func FuzzStopper(f *testing.F) {
	f.Add("one two </answer> three", "</answer>", uint64(0x0305))
	f.Add("aaab", "aab", uint64(0x010101))
	f.Add("好的。结束了", "。结束", uint64(0x0402))
	f.Fuzz(func(t *testing.T, text, seq string, cuts uint64) {
		if seq == "" {
			return
		}
		s := stopper{seqs: []string{seq}}
		var out strings.Builder
		found := ""
		for rest := text; rest != "" && found == ""; cuts >>= 4 {
			n := min(int(cuts&0xf)+1, len(rest))
			if cuts == 0 {
				n = len(rest)
			}
			var o string
			o, found = s.feed(rest[:n])
			out.WriteString(o)
			rest = rest[n:]
		}
		want := text
		if i := strings.Index(text, seq); i >= 0 {
			want = text[:i]
			if found != seq {
				t.Fatalf("sequence %q in %q not found", seq, text)
			}
		} else {
			if found != "" {
				t.Fatalf("found %q in %q", found, text)
			}
			out.WriteString(s.flush())
		}
		if out.String() != want {
			t.Fatalf("emitted %q, want %q", out.String(), want)
		}
	})
}
