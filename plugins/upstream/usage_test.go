package upstream

import (
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

type runeTok struct{}

func (runeTok) Count(s string) int { return len([]rune(s)) }

func TestEstimateUsage(t *testing.T) {
	text := func(s string) plugin.Event { return plugin.Event{Kind: plugin.EventText, Text: s} }
	finish := plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop}
	usage := func(p, c int) plugin.Event {
		return plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: p + c}}
	}
	tests := []struct {
		name      string
		in        []plugin.Event
		want      plugin.Usage
		estimated bool
	}{
		{"reported", []plugin.Event{text("abc"), usage(10, 2), finish}, plugin.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}, false},
		{"zero completion", []plugin.Event{text("abc"), text("de"), usage(10, 0), finish}, plugin.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, Estimated: true}, true},
		{"no report", []plugin.Event{{Kind: plugin.EventReasoning, Text: "hm"}, text("abc"), finish}, plugin.Usage{PromptTokens: 7, CompletionTokens: 5, TotalTokens: 12, Estimated: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := plugintest.Collect(estimateUsage(plugin.Events(tt.in...), runeTok{}, "user: q"))
			if err != nil {
				t.Fatal(err)
			}
			var got *plugin.Usage
			finishes := 0
			for i, ev := range evs {
				switch ev.Kind {
				case plugin.EventUsage:
					got = ev.Usage
				case plugin.EventFinish:
					finishes++
					if got == nil || i != len(evs)-1 {
						t.Fatalf("usage must come before the finish event: %v", evs)
					}
				}
			}
			if got == nil || *got != tt.want || finishes != 1 {
				t.Fatalf("usage = %+v, want %+v", got, tt.want)
			}
		})
	}
}
