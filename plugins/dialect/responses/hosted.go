package responses

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Values of the hosted_tools setting.
const (
	hostedIgnore = "ignore"
	hostedReject = "reject"
)

// hostedTools are the tool types that the API provider runs on its own side, which the gateway
// cannot run: MiMo has no web search, file search, code interpreter, image generation or
// remote MCP access that the gateway could reach. Client-executed types (computer use,
// local_shell, shell, apply_patch, custom) are not among them: they need output items the
// gateway does not produce, and dropping them would silently take the client's own tools away,
// so they stay unsupported.
var hostedTools = map[string]bool{
	"web_search":                    true,
	"web_search_2025_08_26":         true,
	"web_search_preview":            true,
	"web_search_preview_2025_03_11": true,
	"file_search":                   true,
	"code_interpreter":              true,
	"image_generation":              true,
	"mcp":                           true,
}

// reportIgnored records the hosted tools and the tool_choice that decoding left out, as span
// events of ctx and debug log lines.
func (d *Responses) reportIgnored(ctx context.Context, c *call) {
	if len(c.dropped) == 0 && c.ignoredChoice == "" {
		return
	}
	span := trace.SpanFromContext(ctx)
	if len(c.dropped) > 0 {
		span.AddEvent("hosted_tools_ignored", trace.WithAttributes(attribute.StringSlice("tool.types", c.dropped)))
		if d.log != nil {
			d.log.DebugContext(ctx, "hosted tools dropped: the gateway cannot run them", "types", strings.Join(c.dropped, ","))
		}
	}
	if c.ignoredChoice != "" {
		span.AddEvent("tool_choice_ignored", trace.WithAttributes(attribute.String("tool_choice", c.ignoredChoice)))
		if d.log != nil {
			d.log.DebugContext(ctx, "tool_choice names a dropped hosted tool; using auto", "tool_choice", c.ignoredChoice)
		}
	}
}
