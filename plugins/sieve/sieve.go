// Package sieve holds sieve.tools, the response filter that turns the tool-call markup in the
// model's answer into canonical tool calls.
//
// Place it after the terminal (upstream.mimo). When the request has active tools it wraps the
// event stream: text deltas go through one incremental sieve (internal/mimoml/sieve) and
// reasoning deltas through a second one, so a call written inside the reasoning is detected,
// removed from the reasoning and emitted, never lost. Released text and reasoning stream on as
// soon as they cannot start a block; each call becomes an EventToolCall with a fresh id
// "call_<24 hex>" and an Index unique and 0-based across the whole answer. Both sieves are
// flushed before a usage or finish event and at the end of the stream (a block cut short is
// still parsed, or released as cleaned text), and the finish reason becomes "tool_calls" when
// a call was emitted.
//
// Active tools are those stored by prompt.mimoml under prompt.Tools; without that stage they
// are built from the request's tools. No tools, an empty toolset or tool_choice "none" make
// the filter return the stream untouched, at no cost.
//
// Policies (configuration fields of [Tools]):
//
//   - choice ("enforce", default): with tool_choice "required" or a named function, an answer
//     without any call fails with a 422 tool_call_failed error ("the model did not call a tool
//     although tool_choice requires one"), and so does a call of another tool than the named
//     one. In a stream the error arrives after the events already sent, as the dialect's
//     in-stream error; when nothing was sent it is a plain error response. "ignore" passes such
//     answers through.
//   - extra_calls ("drop", default): with parallel_tool_calls false only the first call is
//     kept; every further call is dropped and recorded as a "tool call dropped" event on the
//     filter's span. "reject" fails the answer with a 422 tool_call_failed error instead.
//   - schema_mode ("coerce", default): each call's arguments are validated against the tool's
//     parameters JSON schema, compiled only for tools actually called, once per request, and
//     cached process-wide by schema bytes. A schema that does not compile, or refers to another
//     document, is not enforced. The parser has already coerced values by the schema's property
//     types; arguments that still do not match pass through and are recorded as a "tool
//     arguments invalid" span event. "reject" fails the answer with a 422 tool_call_failed error
//     naming the tool and the violation; "off" skips validation.
//
// Plain prose costs no allocation per chunk beyond the event itself.
package sieve

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	msieve "github.com/mimo2api/mimo2api/internal/mimoml/sieve"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/prompt"
)

// ID is the plugin id of the filter.
const ID = "sieve.tools"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Tools) }})
}

// Values of the policy fields.
const (
	ChoiceEnforce = "enforce"
	ChoiceIgnore  = "ignore"

	ExtraDrop   = "drop"
	ExtraReject = "reject"

	SchemaOff    = "off"
	SchemaCoerce = "coerce"
	SchemaReject = "reject"
)

// Tools is the sieve.tools response filter.
type Tools struct {
	// Choice is the tool_choice policy: "enforce" (default) fails an answer that does not call
	// a tool although tool_choice is "required" or names a function, or that calls another tool
	// than the named one; "ignore" lets it through.
	Choice string `json:"choice,omitempty"`
	// ExtraCalls is the parallel_tool_calls=false policy: "drop" (default) keeps the first call
	// and drops the others, recording a span event; "reject" fails the answer.
	ExtraCalls string `json:"extra_calls,omitempty"`
	// SchemaMode is the argument validation policy: "coerce" (default) passes invalid arguments
	// through with a span event, "reject" fails the answer, "off" does not validate.
	SchemaMode string `json:"schema_mode,omitempty"`

	log *slog.Logger
}

var (
	_ plugin.Filter      = (*Tools)(nil)
	_ plugin.Provisioner = (*Tools)(nil)
	_ plugin.Validator   = (*Tools)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Tools) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Tools) }}
}

// Provision fills the defaults.
func (t *Tools) Provision(h plugin.Host) error {
	if t.Choice == "" {
		t.Choice = ChoiceEnforce
	}
	if t.ExtraCalls == "" {
		t.ExtraCalls = ExtraDrop
	}
	if t.SchemaMode == "" {
		t.SchemaMode = SchemaCoerce
	}
	t.log = h.Logger(ID)
	return nil
}

// Validate checks the configuration.
func (t *Tools) Validate() error {
	if t.Choice != ChoiceEnforce && t.Choice != ChoiceIgnore {
		return fmt.Errorf("choice %q: want %q or %q", t.Choice, ChoiceEnforce, ChoiceIgnore)
	}
	if t.ExtraCalls != ExtraDrop && t.ExtraCalls != ExtraReject {
		return fmt.Errorf("extra_calls %q: want %q or %q", t.ExtraCalls, ExtraDrop, ExtraReject)
	}
	switch t.SchemaMode {
	case SchemaOff, SchemaCoerce, SchemaReject:
	default:
		return fmt.Errorf("schema_mode %q: want %q, %q or %q", t.SchemaMode, SchemaOff, SchemaCoerce, SchemaReject)
	}
	return nil
}

// Filter wraps s when the request has active tools and returns it untouched otherwise.
func (t *Tools) Filter(ctx context.Context, ex *plugin.Exchange, s plugin.Stream) plugin.Stream {
	ts := activeTools(ex)
	if ts.Len() == 0 {
		return s
	}
	f := &filter{
		cfg:    t,
		req:    ex.Request,
		span:   trace.SpanFromContext(ctx),
		text:   msieve.New(ts),
		reason: msieve.New(ts),
		outs:   make([]msieve.Out, 0, 8),
	}
	return f.run(s)
}

// activeTools returns the toolset of the request's active tools, or nil.
func activeTools(ex *plugin.Exchange) *mimoml.Toolset {
	r := ex.Request
	if r == nil || r.ToolChoice.Mode == plugin.ToolChoiceNone {
		return nil
	}
	if ts, ok := prompt.Tools.Get(ex); ok {
		return ts
	}
	if len(r.Tools) == 0 {
		return nil
	}
	tools := make([]mimoml.Tool, len(r.Tools))
	for i, tool := range r.Tools {
		tools[i] = mimoml.Tool{Name: tool.Name, Description: tool.Description, Parameters: tool.Parameters}
	}
	return mimoml.NewToolset(tools)
}
