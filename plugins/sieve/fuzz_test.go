package sieve_test

import (
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// FuzzToolsFilter checks that the filter never panics, that cutting the answer into three
// deltas changes nothing, and that an answer without any tool markup comes out unchanged,
// whether it arrives as text or as reasoning.
func FuzzToolsFilter(f *testing.F) {
	seeds := []string{
		"Hello there!",
		"I'll check.\n" + block(weatherInvoke),
		block(weatherInvoke) + "\nand\n" + block(readInvoke, timeInvoke),
		"```\n" + block(weatherInvoke) + "\n```\n",
		"TOOL_CALL: get_weather(city=\"x\")\n",
		`{"name": "read_file", "arguments": {"path": "/a"}}`,
		"a < b && c > d {not json} `code` ~~~",
		"<|MiMoML|tool_calls><|MiMoML|invoke name=\"get_weather\">",
		"北京今天晴。<|MiMoML|",
	}
	for i, s := range seeds {
		f.Add(s, uint(len(s)/3), uint(len(s)/2), i%2 == 1)
	}
	tools := load(f, "")
	f.Fuzz(func(t *testing.T, data string, cut1, cut2 uint, reasoning bool) {
		if len(data) > 1<<12 {
			return
		}
		a, b := 0, 0
		if len(data) > 0 {
			a, b = int(cut1%uint(len(data)+1)), int(cut2%uint(len(data)+1))
		}
		a, b = min(a, b), max(a, b)
		kind := plugin.EventText
		if reasoning {
			kind = plugin.EventReasoning
		}
		deliver := func(chunks ...string) answer {
			evs := []plugin.Event{}
			for _, c := range chunks {
				if c != "" {
					evs = append(evs, plugin.Event{Kind: kind, Text: c})
				}
			}
			evs = append(evs, plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop})
			out, err := filter(t.Context(), tools, request(nil), evs)
			return normalize(t, out, err)
		}
		whole := deliver(data)
		if d := diff(whole, deliver(data[:a], data[a:b], data[b:])); d != "" {
			t.Fatalf("cut at %d and %d (-whole +cut):\n%s", a, b, d)
		}
		if mimoml.StartIndex(data) >= 0 || strings.ContainsAny(data, "`~") {
			return
		}
		var got strings.Builder
		for _, ev := range whole.Events {
			switch ev.Kind {
			case kind:
				got.WriteString(ev.Text)
			case plugin.EventToolCall, plugin.EventText, plugin.EventReasoning:
				t.Fatalf("unexpected %v event %+v", ev.Kind, ev)
			}
		}
		if got.String() != data {
			t.Fatalf("text without markup changed: %q -> %q", data, got.String())
		}
	})
}
