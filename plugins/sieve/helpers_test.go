package sieve_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/sieve"
)

var testTools = []plugin.Tool{
	{Name: "get_weather", Description: "Weather forecast.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1}},"required":["city"]}`)},
	{Name: "read_file", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)},
	{Name: "get_time_info"},
}

// block renders one MiMoML block with the given invokes.
func block(invokes ...string) string {
	return "<|MiMoML|tool_calls>\n" + strings.Join(invokes, "\n") + "\n</|MiMoML|tool_calls>"
}

const (
	weatherInvoke = `<|MiMoML|invoke name="get_weather">
<|MiMoML|parameter name="city"><![CDATA[北京]]></|MiMoML|parameter>
<|MiMoML|parameter name="days">3</|MiMoML|parameter>
</|MiMoML|invoke>`
	readInvoke = `<|MiMoML|invoke name="read_file">
<|MiMoML|parameter name="path"><![CDATA[/etc/hosts]]></|MiMoML|parameter>
</|MiMoML|invoke>`
	timeInvoke = `<|MiMoML|invoke name="get_time_info"></|MiMoML|invoke>`
)

var callID = regexp.MustCompile(`^call_[0-9a-f]{24}$`)

// request returns a chat request with testTools, changed by mod.
func request(mod func(*plugin.Request)) *plugin.Exchange {
	ex := plugintest.NewExchange("/v1/chat/completions", "{}")
	ex.Request = &plugin.Request{Model: "mimo-v2.5-pro", Tools: testTools, ParallelToolCalls: true,
		ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}
	if mod != nil {
		mod(ex.Request)
	}
	return ex
}

func load(t testing.TB, with string) *sieve.Tools {
	t.Helper()
	return plugintest.Load[*sieve.Tools](t, plugintest.NewHost(t), sieve.ID, with)
}

// text returns text deltas followed by usage and a stop finish.
func text(chunks ...string) []plugin.Event {
	evs := make([]plugin.Event, 0, len(chunks)+2)
	for _, c := range chunks {
		evs = append(evs, plugin.Event{Kind: plugin.EventText, Text: c})
	}
	return append(evs,
		plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
		plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop})
}

func filter(ctx context.Context, f *sieve.Tools, ex *plugin.Exchange, evs []plugin.Event) ([]plugin.Event, error) {
	return plugintest.Collect(f.Filter(ctx, ex, plugin.Events(evs...)))
}

// answer is a filtered stream in comparable form: adjacent deltas of one kind merged, call ids
// checked and blanked.
type answer struct {
	Events []plugin.Event
	Err    string
}

func normalize(t testing.TB, evs []plugin.Event, err error) answer {
	t.Helper()
	return merge(t, evs, err, true)
}

// expect is normalize for expected events, which carry no call ids.
func expect(t testing.TB, evs []plugin.Event) answer {
	t.Helper()
	return merge(t, evs, nil, false)
}

func merge(t testing.TB, evs []plugin.Event, err error, ids bool) answer {
	t.Helper()
	var a answer
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.Kind == plugin.EventText || ev.Kind == plugin.EventReasoning {
			if ev.Text == "" {
				t.Fatalf("empty %v delta", ev.Kind)
			}
			if n := len(a.Events); n > 0 && a.Events[n-1].Kind == ev.Kind {
				a.Events[n-1].Text += ev.Text
				continue
			}
		}
		if ev.Kind == plugin.EventToolCall {
			c := *ev.Call
			if ids && (!callID.MatchString(c.ID) || seen[c.ID]) {
				t.Fatalf("call id %q is malformed or repeated", c.ID)
			}
			seen[c.ID] = true
			c.ID = ""
			ev.Call = &c
		}
		a.Events = append(a.Events, ev)
	}
	if err != nil {
		a.Err = err.Error()
	}
	return a
}

func diff(want, got answer) string { return cmp.Diff(want, got) }

// splits calls f with s cut at every rune boundary, at every pair of rune boundaries at most
// 24 bytes apart (a marker cut twice), and rune by rune.
func splits(s string, f func([]string)) {
	var cuts []int
	for i := range s {
		cuts = append(cuts, i)
	}
	cuts = append(cuts, len(s))
	for a, i := range cuts {
		for _, j := range cuts[a:] {
			if j-i > 24 {
				break
			}
			f([]string{s[:i], s[i:j], s[j:]})
		}
	}
	var runes []string
	for _, r := range s {
		runes = append(runes, string(r))
	}
	f(runes)
}

// nonEmpty drops empty chunks (the upstream never sends an empty delta).
func nonEmpty(chunks []string) []string {
	out := chunks[:0:0]
	for _, c := range chunks {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}
