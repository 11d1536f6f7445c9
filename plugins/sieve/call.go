package sieve

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// call applies the call policies to one call and yields it, reporting whether the stream goes
// on. id is kept when not empty (a call the terminal already made canonical).
func (f *filter) call(name, args, id string) bool {
	if f.calls > 0 && !f.req.ParallelToolCalls {
		if f.cfg.ExtraCalls == ExtraReject {
			return f.fail(toolError("the model made more than one tool call although parallel_tool_calls is false"))
		}
		f.dropped++
		f.spanEvent("tool call dropped", attribute.String("tool", name),
			attribute.String("reason", "parallel_tool_calls is false"))
		return true
	}
	if f.cfg.Choice == ChoiceEnforce && f.req.ToolChoice.Mode == plugin.ToolChoiceFunction && name != f.req.ToolChoice.Name {
		return f.fail(toolError("the model called the tool %q although tool_choice requires %q", name, f.req.ToolChoice.Name))
	}
	if f.cfg.SchemaMode != SchemaOff {
		if violation := f.validate(name, args); violation != "" {
			if f.cfg.SchemaMode == SchemaReject {
				return f.fail(toolError("the arguments of the tool call %q do not match its parameters schema: %s", name, violation))
			}
			f.spanEvent("tool arguments invalid", attribute.String("tool", name), attribute.String("violation", violation))
		}
	}
	if args == "" {
		args = "{}"
	}
	if id == "" {
		id = NewCallID()
	}
	c := &plugin.ToolCall{ID: id, Index: f.calls, Name: name, Arguments: args}
	f.calls++
	return f.yield(plugin.Event{Kind: plugin.EventToolCall, Call: c}, nil)
}

func (f *filter) spanEvent(name string, attrs ...attribute.KeyValue) {
	if f.span.IsRecording() {
		f.span.AddEvent(name, trace.WithAttributes(attrs...))
	}
}

// toolError returns a 422 tool_call_failed error.
func toolError(format string, args ...any) *plugin.Error {
	return plugin.Errorf(http.StatusUnprocessableEntity, plugin.CodeToolCallFailed, format, args...)
}

// errNoCall is the error of an answer without the call tool_choice demands.
func errNoCall() *plugin.Error {
	return toolError("the model did not call a tool although tool_choice requires one")
}

// NewCallID returns a fresh tool call id: "call_" and 24 random hex digits.
func NewCallID() string {
	var raw [12]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	var id [5 + 24]byte
	copy(id[:], "call_")
	hex.Encode(id[5:], raw[:])
	return string(id[:])
}
