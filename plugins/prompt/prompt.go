// Package prompt holds prompt.mimoml, the request stage that gives the MiMo web chat — an
// upstream without native tool calling — the client's tools as text.
//
// Place it after the dialect (it reads the canonical request) and before the selector (it runs
// once per request, not once per account attempt). With tools declared and tool_choice other
// than "none" it
//
//   - appends the tool configuration block as a trailing system message, so that
//     internal/mimo.Flatten puts it at the end of the single "system:" line. The block is framed
//     as the application's tool configuration; it never appears as a role line inside user text.
//     In mode "mimoml" it is mimoml.BuildPrompt (the MiMoML call format, what tool_choice and
//     parallel_tool_calls demand, every tool with its description and compact parameter schema);
//     in mode "passthrough" it lists the tool definitions as compact JSON inside <tools>…</tools>;
//   - rewrites the history: each assistant message's tool calls become a MiMoML block
//     (mimoml.RenderCalls) after its text, and each tool message becomes a tool_result element
//     carrying its call id (mimoml.RenderResult), so the model sees its earlier calls in the format
//     it is asked to use and Flatten renders them once;
//   - stores the compiled toolset under [Tools] for sieve.tools.
//
// With no tools, or tool_choice "none", tools are treated as absent: nothing is injected, the
// history is left to Flatten's own compact rendering (which does not teach the call format) and
// [Tools] holds nil, which turns sieve.tools into a pass-through.
//
// History rules:
//
//   - Orphan tool result (no earlier call has its id, or it has no id): its content is real data
//     the client sent, so it is kept in place and rendered like any result, with the id as sent
//     (or "unknown").
//   - Orphan call (not answered before the next user turn or the end of the history): a
//     tool_result saying that no result was returned is inserted for it right before that user
//     turn (or at the end), so every rendered call has an answer and the model does not wait for
//     one. Calls without an id are not checked.
//   - Loop: when the history ends with loop_threshold (default 3) or more identical calls in a
//     row (same name and arguments, no user turn or call-free assistant answer in between), the
//     tool prompt gets a note telling the model to stop repeating that call.
//
// Each rule that fires records an event on the stage's span.
package prompt

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the plugin id of the stage.
const ID = "prompt.mimoml"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(MiMoML) }})
}

// Tools holds the toolset of the request's active tools, set by prompt.mimoml for sieve.tools.
// A nil toolset, or none stored, means no tools are active.
var Tools = plugin.NewKey[*mimoml.Toolset]("prompt.tools")

// Modes of the tool prompt.
const (
	ModeMiMoML      = "mimoml"
	ModePassthrough = "passthrough"
)

// Defaults of the configuration.
const (
	DefaultMaxSchemaBytes = 8 << 10
	DefaultLoopThreshold  = 3
)

// MiMoML is the prompt.mimoml request stage.
type MiMoML struct {
	// Mode is how the tools are described: "mimoml" (default) teaches the MiMoML call format;
	// "passthrough" lists the tool definitions as compact JSON inside <tools>…</tools> and leaves
	// the call format to the model (sieve.tools understands every format mimoml.Parse knows).
	Mode string `json:"mode,omitempty"`
	// MaxSchemaBytes bounds one tool's parameter schema in the prompt, in bytes of compact JSON
	// (default 8192; -1 disables the bound). A larger schema is reduced to its top-level property
	// names and types and its required list, and replaced by a bare object schema when even that
	// is too large. The sieve still validates against the full schema.
	MaxSchemaBytes int `json:"max_schema_bytes,omitempty"`
	// LoopThreshold is how many identical calls in a row at the end of the history make the
	// prompt warn the model about a loop (default 3; -1 disables the warning).
	LoopThreshold int `json:"loop_threshold,omitempty"`
}

var (
	_ plugin.Stage       = (*MiMoML)(nil)
	_ plugin.Provisioner = (*MiMoML)(nil)
	_ plugin.Validator   = (*MiMoML)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*MiMoML) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(MiMoML) }}
}

// Provision fills the defaults.
func (p *MiMoML) Provision(plugin.Host) error {
	if p.Mode == "" {
		p.Mode = ModeMiMoML
	}
	if p.MaxSchemaBytes == 0 {
		p.MaxSchemaBytes = DefaultMaxSchemaBytes
	}
	if p.LoopThreshold == 0 {
		p.LoopThreshold = DefaultLoopThreshold
	}
	return nil
}

// Validate checks the configuration.
func (p *MiMoML) Validate() error {
	switch p.Mode {
	case ModeMiMoML, ModePassthrough:
	default:
		return fmt.Errorf("mode %q: want %q or %q", p.Mode, ModeMiMoML, ModePassthrough)
	}
	if p.MaxSchemaBytes < -1 {
		return fmt.Errorf("max_schema_bytes %d: want a positive size or -1", p.MaxSchemaBytes)
	}
	if p.LoopThreshold < -1 || p.LoopThreshold == 1 {
		return fmt.Errorf("loop_threshold %d: want at least 2, or -1", p.LoopThreshold)
	}
	return nil
}

// Handle injects the tool prompt, rewrites the history and stores the toolset, then runs the
// rest of the chain.
func (p *MiMoML) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	r := ex.Request
	if r == nil {
		return next(ctx, ex)
	}
	if len(r.Tools) == 0 || r.ToolChoice.Mode == plugin.ToolChoiceNone {
		Tools.Set(ex, nil)
		return next(ctx, ex)
	}
	tools := make([]mimoml.Tool, len(r.Tools))
	for i, t := range r.Tools {
		tools[i] = mimoml.Tool{Name: t.Name, Description: t.Description, Parameters: t.Parameters}
	}
	ts := mimoml.NewToolset(tools)

	span := trace.SpanFromContext(ctx)
	h := rewriteHistory(r.Messages, p.LoopThreshold, span)

	shown := make([]mimoml.Tool, len(tools))
	for i, t := range tools {
		shown[i] = t
		shown[i].Parameters = limitSchema(t.Parameters, p.MaxSchemaBytes)
	}
	var block string
	if p.Mode == ModePassthrough {
		block = passthroughPrompt(shown, r.ToolChoice, r.ParallelToolCalls)
	} else {
		block = mimoml.BuildPrompt(shown, choice(r.ToolChoice), r.ParallelToolCalls)
	}
	if h.loop != nil {
		block += loopNote(h.loop)
	}
	r.Messages = append(h.msgs, plugin.TextMessage(plugin.RoleSystem, block))
	Tools.Set(ex, ts)
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("mimoml.tools", ts.Len()), attribute.String("mimoml.mode", p.Mode))
	}
	return next(ctx, ex)
}

// choice converts the canonical tool_choice.
func choice(tc plugin.ToolChoice) mimoml.Choice {
	if tc.Mode == "" {
		return mimoml.Choice{Mode: string(plugin.ToolChoiceAuto)}
	}
	return mimoml.Choice{Mode: string(tc.Mode), Name: tc.Name}
}
