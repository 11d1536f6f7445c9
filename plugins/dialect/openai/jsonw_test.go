package openai

import (
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

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
