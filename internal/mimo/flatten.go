package mimo

import (
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Flatten renders the canonical conversation into the upstream's single query string.
//
// The text of every system message (joined with "\n\n") comes first as one "system: <text>"
// line, omitted when empty. Then each other message becomes one "<role>: <text>" line, in order,
// with its text parts joined by a space. A RoleTool message renders as
// "tool: [tool_result id=<ToolCallID>] <text>". Tool calls still attached to an assistant message
// (the prompt.mimoml stage normally rewrites them before this runs) follow its text as
// "[tool_call id=<ID>] <name>(<arguments>)". Message text is never trimmed.
func Flatten(msgs []plugin.Message) string {
	size := 0
	for i := range msgs {
		size += len(msgs[i].Role) + 3
		for _, p := range msgs[i].Parts {
			size += len(p.Text) + 1
		}
		for _, c := range msgs[i].ToolCalls {
			size += len(c.ID) + len(c.Name) + len(c.Arguments) + 18
		}
	}
	var b strings.Builder
	b.Grow(size + 32)

	lines := 0
	for i := range msgs {
		m := &msgs[i]
		if m.Role != plugin.RoleSystem {
			continue
		}
		t := m.Text(" ")
		if t == "" {
			continue
		}
		if lines == 0 {
			b.WriteString("system: ")
			lines = 1
		} else {
			b.WriteString("\n\n")
		}
		b.WriteString(t)
	}

	for i := range msgs {
		m := &msgs[i]
		if m.Role == plugin.RoleSystem {
			continue
		}
		if lines > 0 {
			b.WriteByte('\n')
		}
		lines++
		b.WriteString(string(m.Role))
		b.WriteString(": ")
		if m.Role == plugin.RoleTool && m.ToolCallID != "" {
			b.WriteString("[tool_result id=")
			b.WriteString(m.ToolCallID)
			b.WriteString("] ")
		}
		t := m.Text(" ")
		b.WriteString(t)
		for j, c := range m.ToolCalls {
			if j > 0 || t != "" {
				b.WriteByte(' ')
			}
			writeToolCall(&b, &c)
		}
	}
	return b.String()
}

// writeToolCall renders one call as "[tool_call id=<ID>] <name>(<arguments>)".
func writeToolCall(b *strings.Builder, c *plugin.ToolCall) {
	b.WriteString("[tool_call")
	if c.ID != "" {
		b.WriteString(" id=")
		b.WriteString(c.ID)
	}
	b.WriteString("] ")
	b.WriteString(c.Name)
	b.WriteByte('(')
	if c.Arguments == "" {
		b.WriteString("{}")
	} else {
		b.WriteString(c.Arguments)
	}
	b.WriteByte(')')
}
