package sieve_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/prompt"
)

func TestSieveConfig(t *testing.T) {
	for _, with := range []string{`{"choice":"maybe"}`, `{"extra_calls":"keep"}`, `{"schema_mode":"strict"}`, `{"unknown":1}`} {
		if _, err := plugin.Load("sieve.tools", []byte(with), plugintest.NewHost(t)); err == nil {
			t.Errorf("with %s: loaded", with)
		}
	}
	f := load(t, "")
	if f.Choice != "enforce" || f.ExtraCalls != "drop" || f.SchemaMode != "coerce" {
		t.Errorf("defaults = %+v", f)
	}
}

// TestNoToolsIdentity: without active tools the filter returns the very stream it got.
func TestSieveNoToolsIdentity(t *testing.T) {
	tests := []struct {
		name string
		ex   func() *plugin.Exchange
	}{
		{"no request", func() *plugin.Exchange { return plugintest.NewExchange("/", "{}") }},
		{"no tools", func() *plugin.Exchange { return request(func(r *plugin.Request) { r.Tools = nil }) }},
		{"tool_choice none", func() *plugin.Exchange {
			return request(func(r *plugin.Request) { r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceNone} })
		}},
		{"prompt stored nil", func() *plugin.Exchange {
			ex := request(nil)
			prompt.Tools.Set(ex, nil)
			return ex
		}},
		{"prompt stored empty", func() *plugin.Exchange {
			ex := request(nil)
			prompt.Tools.Set(ex, mimoml.NewToolset(nil))
			return ex
		}},
	}
	f := load(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := plugin.Events(text("a ", block(weatherInvoke))...)
			got := f.Filter(t.Context(), tt.ex(), s)
			if reflect.ValueOf(got).Pointer() != reflect.ValueOf(s).Pointer() {
				t.Fatal("the stream was wrapped")
			}
		})
	}
}

func TestSieveFilter(t *testing.T) {
	weather := &plugin.ToolCall{Name: "get_weather", Arguments: `{"city":"北京","days":3}`}
	usage := plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}}
	toolsFinish := plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishToolCalls}
	stop := plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop}
	txt := func(s string) plugin.Event { return plugin.Event{Kind: plugin.EventText, Text: s} }
	rsn := func(s string) plugin.Event { return plugin.Event{Kind: plugin.EventReasoning, Text: s} }
	call := func(i int, c *plugin.ToolCall) plugin.Event {
		cc := *c
		cc.Index = i
		return plugin.Event{Kind: plugin.EventToolCall, Call: &cc}
	}
	tests := []struct {
		name string
		in   []plugin.Event
		want []plugin.Event
	}{
		{"prose", text("Hello ", "there!"), []plugin.Event{txt("Hello there!"), usage, stop}},
		{"text then call", text("I'll check.\n", block(weatherInvoke)),
			[]plugin.Event{txt("I'll check.\n"), call(0, weather), usage, toolsFinish}},
		{"two blocks", text(block(weatherInvoke), "\nand\n", block(readInvoke)), []plugin.Event{
			call(0, weather), txt("\nand\n"),
			call(1, &plugin.ToolCall{Name: "read_file", Arguments: `{"path":"/etc/hosts"}`}), usage, toolsFinish}},
		{"two invokes one block", text(block(weatherInvoke, timeInvoke)), []plugin.Event{
			call(0, weather), call(1, &plugin.ToolCall{Name: "get_time_info", Arguments: `{}`}), usage, toolsFinish}},
		{"call in reasoning", []plugin.Event{
			rsn("Let me look.\n<|MiMoML|tool_"), rsn("calls>\n" + weatherInvoke[:30]), rsn(weatherInvoke[30:] + "\n</|MiMoML|tool_calls>"),
			rsn(" done"), txt("Asked."), stop,
		}, []plugin.Event{rsn("Let me look.\n"), call(0, weather), rsn(" done"), txt("Asked."), toolsFinish}},
		{"reasoning hold-back released before text", []plugin.Event{rsn("a <"), txt("b"), stop},
			[]plugin.Event{rsn("a <"), txt("b"), stop}},
		{"undeclared tool stays out", text(block(`<|MiMoML|invoke name="rm_rf"></|MiMoML|invoke>`), "ok"),
			[]plugin.Event{txt("ok"), usage, stop}},
		{"fenced example is text", text("```\n" + block(weatherInvoke) + "\n```\n"),
			[]plugin.Event{txt("```\n" + block(weatherInvoke) + "\n```\n"), usage, stop}},
		{"unclosed block at end parsed", text("x\n" + strings.TrimSuffix(block(weatherInvoke), "\n</|MiMoML|tool_calls>")),
			[]plugin.Event{txt("x\n"), call(0, weather), usage, toolsFinish}},
		{"no finish", []plugin.Event{txt(block(weatherInvoke))}, []plugin.Event{call(0, weather)}},
		{"upstream call kept", []plugin.Event{{Kind: plugin.EventToolCall, Call: &plugin.ToolCall{ID: "call_000000000000000000000001", Name: "get_time_info"}}, stop},
			[]plugin.Event{call(0, &plugin.ToolCall{Name: "get_time_info", Arguments: "{}"}), toolsFinish}},
	}
	f := load(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := filter(t.Context(), f, request(nil), tt.in)
			got := normalize(t, evs, err)
			want := expect(t, tt.want)
			if d := diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestEverySplit: the same answer cut at every pair of rune boundaries, or rune by rune, gives
// the same text and calls.
func TestSieveEverySplit(t *testing.T) {
	tests := []struct{ name, answer string }{
		{"text call text", "I'll check.\n" + block(weatherInvoke) + "\nDone."},
		{"two blocks", block(weatherInvoke) + "\n" + block(timeInvoke, readInvoke)},
		{"fence then call", "```xml\n" + block(weatherInvoke) + "\n```\nNow:\n" + block(readInvoke)},
		{"legacy line", "Sure.\nTOOL_CALL: get_weather(city=\"北京\", days=3)\n"},
	}
	f := load(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := filter(t.Context(), f, request(nil), text(tt.answer))
			whole := normalize(t, evs, err)
			if len(plugintest.Calls(evs)) == 0 {
				t.Fatalf("no call in the whole answer: %+v", whole)
			}
			splits(tt.answer, func(chunks []string) {
				evs, err := filter(t.Context(), f, request(nil), text(nonEmpty(chunks)...))
				if d := diff(whole, normalize(t, evs, err)); d != "" {
					t.Fatalf("chunks %q (-whole +split):\n%s", chunks, d)
				}
			})
		})
	}
}

func TestSieveDistinctIDs(t *testing.T) {
	f := load(t, "")
	evs, err := filter(t.Context(), f, request(nil), text(block(weatherInvoke), block(readInvoke)))
	if err != nil {
		t.Fatal(err)
	}
	calls := plugintest.Calls(evs)
	if len(calls) != 2 || calls[0].Index != 0 || calls[1].Index != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	if calls[0].ID == calls[1].ID || !callID.MatchString(calls[0].ID) || !callID.MatchString(calls[1].ID) {
		t.Errorf("ids %q and %q", calls[0].ID, calls[1].ID)
	}
}

// TestPromptToolset: the toolset stored by prompt.mimoml wins over the request's tools.
func TestSievePromptToolset(t *testing.T) {
	ex := request(nil)
	prompt.Tools.Set(ex, mimoml.NewToolset([]mimoml.Tool{{Name: "read_file"}}))
	evs, err := filter(t.Context(), load(t, ""), ex, text(block(weatherInvoke, readInvoke)))
	if err != nil {
		t.Fatal(err)
	}
	if calls := plugintest.Calls(evs); len(calls) != 1 || calls[0].Name != "read_file" {
		t.Errorf("calls = %+v, want only read_file", calls)
	}
}

// TestUpstreamError: what the sieves hold is released before the error is passed on.
func TestSieveUpstreamError(t *testing.T) {
	boom := errors.New("boom")
	s := func(yield func(plugin.Event, error) bool) {
		_ = yield(plugin.Event{Kind: plugin.EventText, Text: "partial <|MiMoML|tool"}, nil) &&
			yield(plugin.Event{}, boom)
	}
	evs, err := plugintest.Collect(load(t, "").Filter(t.Context(), request(nil), s))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := plugintest.Text(evs); !strings.HasPrefix(got, "partial ") {
		t.Errorf("text = %q", got)
	}
}

// TestStopEarly: a consumer that stops ranging stops the upstream too.
func TestSieveStopEarly(t *testing.T) {
	pulled := 0
	s := func(yield func(plugin.Event, error) bool) {
		for range 10 {
			pulled++
			if !yield(plugin.Event{Kind: plugin.EventText, Text: "word "}, nil) {
				return
			}
		}
	}
	for range load(t, "").Filter(t.Context(), request(nil), s) {
		break
	}
	if pulled != 1 {
		t.Errorf("pulled %d events after the consumer stopped", pulled)
	}
}

func TestSieveArgumentsAreJSON(t *testing.T) {
	evs, err := filter(t.Context(), load(t, ""), request(nil), text(block(weatherInvoke)))
	if err != nil {
		t.Fatal(err)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(plugintest.Calls(evs)[0].Arguments), &args); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"city": "北京", "days": 3.0}, args); diff != "" {
		t.Error(diff)
	}
}
