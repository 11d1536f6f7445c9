package sieve_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// traced runs the filter inside a recorded span and returns the span's events by name, with
// their "tool" attribute.
func traced(t *testing.T, with string, ex *plugin.Exchange, evs []plugin.Event) ([]plugin.Event, error, map[string][]string) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "plugin sieve.tools")
	out, err := filter(ctx, load(t, with), ex, evs)
	span.End()
	events := map[string][]string{}
	for _, s := range rec.Ended() {
		for _, e := range s.Events() {
			tool := ""
			for _, a := range e.Attributes {
				if a.Key == attribute.Key("tool") {
					tool = a.Value.AsString()
				}
			}
			events[e.Name] = append(events[e.Name], tool)
		}
	}
	return out, err, events
}

func TestSievePolicies(t *testing.T) {
	required := func(r *plugin.Request) { r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceRequired} }
	forced := func(name string) func(*plugin.Request) {
		return func(r *plugin.Request) { r.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: name} }
	}
	single := func(r *plugin.Request) { r.ParallelToolCalls = false }
	badDays := block(`<|MiMoML|invoke name="get_weather">
<|MiMoML|parameter name="city"><![CDATA[北京]]></|MiMoML|parameter>
<|MiMoML|parameter name="days">0</|MiMoML|parameter>
</|MiMoML|invoke>`)

	tests := []struct {
		name   string
		with   string
		req    func(*plugin.Request)
		answer []string
		calls  []string // names of the calls yielded
		text   string   // text yielded (before any error)
		err    string   // substring of the 422 error, "" for none
		events []string // span events, "name:tool"
	}{
		{"required met", "", required, []string{block(weatherInvoke)}, []string{"get_weather"}, "", "", nil},
		{"required without call", "", required, []string{"It is ", "sunny."}, nil, "It is sunny.",
			"did not call a tool although tool_choice requires one", nil},
		{"required ignored", `{"choice":"ignore"}`, required, []string{"It is sunny."}, nil, "It is sunny.", "", nil},
		{"function met", "", forced("read_file"), []string{block(readInvoke)}, []string{"read_file"}, "", "", nil},
		{"function without call", "", forced("read_file"), []string{"No."}, nil, "No.", "did not call a tool", nil},
		{"function other tool", "", forced("read_file"), []string{"x", block(weatherInvoke)}, nil, "x",
			`called the tool "get_weather" although tool_choice requires "read_file"`, nil},
		{"function other tool ignored", `{"choice":"ignore"}`, forced("read_file"), []string{block(weatherInvoke)},
			[]string{"get_weather"}, "", "", nil},
		{"single call drops extra", "", single, []string{block(weatherInvoke, readInvoke), block(timeInvoke)},
			[]string{"get_weather"}, "", "", []string{"tool call dropped:read_file", "tool call dropped:get_time_info"}},
		{"single call reject", `{"extra_calls":"reject"}`, single, []string{block(weatherInvoke, readInvoke)},
			[]string{"get_weather"}, "", "more than one tool call although parallel_tool_calls is false", nil},
		{"parallel allowed", "", nil, []string{block(weatherInvoke, readInvoke)}, []string{"get_weather", "read_file"}, "", "", nil},
		{"schema coerce", "", nil, []string{badDays}, []string{"get_weather"}, "", "", []string{"tool arguments invalid:get_weather"}},
		{"schema reject", `{"schema_mode":"reject"}`, nil, []string{"a", badDays}, nil, "a",
			`the arguments of the tool call "get_weather" do not match its parameters schema: at '/days': minimum: got 0, want 1`, nil},
		{"schema off", `{"schema_mode":"off"}`, nil, []string{badDays}, []string{"get_weather"}, "", "", nil},
		{"schema valid", `{"schema_mode":"reject"}`, nil, []string{block(weatherInvoke)}, []string{"get_weather"}, "", "", nil},
		{"no schema", `{"schema_mode":"reject"}`, nil, []string{block(timeInvoke)}, []string{"get_time_info"}, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err, events := traced(t, tt.with, request(tt.req), text(tt.answer...))
			var names []string
			for _, c := range plugintest.Calls(evs) {
				names = append(names, c.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.calls, ",") {
				t.Errorf("calls %v, want %v", names, tt.calls)
			}
			if got, _ := plugintest.Text(evs); got != tt.text {
				t.Errorf("text %q, want %q", got, tt.text)
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				last := evs[len(evs)-1]
				want := plugin.FinishStop
				if len(tt.calls) > 0 {
					want = plugin.FinishToolCalls
				}
				if last.Kind != plugin.EventFinish || last.Finish != want {
					t.Errorf("last event %+v, want finish %q", last, want)
				}
			} else {
				pe, ok := errors.AsType[*plugin.Error](err)
				if !ok || pe.Status != http.StatusUnprocessableEntity || pe.Code != plugin.CodeToolCallFailed ||
					!strings.Contains(pe.Message, tt.err) {
					t.Fatalf("error %v, want a 422 tool_call_failed error with %q", err, tt.err)
				}
				for _, ev := range evs {
					if ev.Kind == plugin.EventFinish {
						t.Errorf("finish event before the error")
					}
				}
			}
			var got []string
			for name, tools := range events {
				for _, tool := range tools {
					got = append(got, name+":"+tool)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.events, ",") {
				t.Errorf("span events %v, want %v", got, tt.events)
			}
		})
	}
}

// TestSchemaNoExternalDocuments: a schema referring to a file is not loaded, so not enforced.
func TestSieveSchemaNoExternalDocuments(t *testing.T) {
	ex := request(func(r *plugin.Request) {
		r.Tools = []plugin.Tool{{Name: "read_file", Parameters: json.RawMessage(`{"$ref":"file:///etc/passwd"}`)}}
	})
	evs, err, events := traced(t, `{"schema_mode":"reject"}`, ex, text(block(readInvoke)))
	if err != nil {
		t.Fatal(err)
	}
	if len(plugintest.Calls(evs)) != 1 || len(events["tool schema not enforced"]) != 1 {
		t.Errorf("calls %+v, span events %v", plugintest.Calls(evs), events)
	}
}
