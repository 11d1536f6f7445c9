package openai

import (
	"encoding/json"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "hello", want: `"hello"`},
		{name: "empty", in: "", want: `""`},
		{name: "quotes and backslash", in: `a"b\c`, want: `"a\"b\\c"`},
		{name: "short escapes", in: "\n\r\t\b\f", want: `"\n\r\t\b\f"`},
		{name: "other controls", in: "\x00\x01\x1f\x7f", want: `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{name: "non-ASCII kept", in: "北京 é 🙂", want: `"北京 é 🙂"`},
		{name: "html kept", in: "<a>&", want: `"<a>&"`},
		{name: "line separators", in: "a\u2028b\u2029", want: `"a\u2028b\u2029"`},
		{name: "invalid UTF-8", in: "a\xffb\xe4\xb8", want: `"a\ufffdb\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendString(nil, tt.in)); got != tt.want {
				t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzAppendString checks that appendString always produces valid JSON that decodes to what
// encoding/json would decode its own encoding to.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\n", "北京\xff", "\u2028", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON %q for %q", got, s)
		}
		var a, b string
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ref, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json to %q", s, a, b)
		}
	})
}

func TestAppendUsage(t *testing.T) {
	tests := []struct {
		name string
		u    plugin.Usage
		want string
	}{
		{name: "unknown", want: `{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"completion_tokens_details":{"reasoning_tokens":0}}`},
		{name: "total derived", u: plugin.Usage{PromptTokens: 10, CompletionTokens: 5, ReasoningTokens: 2},
			want: `{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"completion_tokens_details":{"reasoning_tokens":2}}`},
		{name: "total kept", u: plugin.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 16},
			want: `{"prompt_tokens":10,"completion_tokens":5,"total_tokens":16,"completion_tokens_details":{"reasoning_tokens":0}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendUsage(nil, tt.u)); got != tt.want {
				t.Errorf("appendUsage = %s, want %s", got, tt.want)
			}
		})
	}
}
