package upstream

import (
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// estimateUsage completes the upstream's usage report: the web upstream sometimes reports no
// usage or zero completion tokens on streams. Missing numbers are counted with tok over the query
// and the answer (text, reasoning and tool calls) and the report is marked Estimated. A stream
// that reports nothing gets an estimated report before its finish event.
func estimateUsage(s plugin.Stream, tok plugin.Tokenizer, query string) plugin.Stream {
	if tok == nil {
		return s
	}
	return func(yield func(plugin.Event, error) bool) {
		var (
			answer   strings.Builder
			reported bool
		)
		fill := func(u plugin.Usage) *plugin.Usage {
			if u.PromptTokens == 0 {
				u.PromptTokens, u.Estimated = tok.Count(query), true
			}
			if u.CompletionTokens == 0 && answer.Len() > 0 {
				u.CompletionTokens, u.Estimated = tok.Count(answer.String()), true
			}
			if u.TotalTokens < u.PromptTokens+u.CompletionTokens {
				u.TotalTokens = u.PromptTokens + u.CompletionTokens
			}
			return &u
		}
		for ev, err := range s {
			if err == nil {
				switch ev.Kind {
				case plugin.EventText, plugin.EventReasoning:
					answer.WriteString(ev.Text)
				case plugin.EventToolCall:
					if ev.Call != nil {
						answer.WriteString(ev.Call.Name)
						answer.WriteString(ev.Call.Arguments)
					}
				case plugin.EventUsage:
					reported = true
					if ev.Usage != nil && (ev.Usage.PromptTokens == 0 || ev.Usage.CompletionTokens == 0) {
						ev.Usage = fill(*ev.Usage)
					}
				case plugin.EventFinish:
					if !reported {
						reported = true
						if !yield(plugin.Event{Kind: plugin.EventUsage, Usage: fill(plugin.Usage{})}, nil) {
							return
						}
					}
				}
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}
