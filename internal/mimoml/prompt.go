package mimoml

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tidwall/sjson"
)

// Choice is the client's tool_choice.
type Choice struct {
	Mode string // "auto", "none", "required", "function" (Name set)
	Name string
}

const promptHead = `# Tool configuration (set by the application)

You can call the tools listed below. To call tools, reply with this block:

<|MiMoML|tool_calls>
<|MiMoML|invoke name="TOOL_NAME_HERE">
<|MiMoML|parameter name="PARAMETER_NAME"><![CDATA[PARAMETER_VALUE]]></|MiMoML|parameter>
</|MiMoML|invoke>
</|MiMoML|tool_calls>

Rules:
1. Always open with <|MiMoML|tool_calls> and close with </|MiMoML|tool_calls>; several invokes may share one block.
2. Put the tool name in the invoke name attribute.
3. One parameter element per top-level argument, named exactly as in the tool's parameters; invent none.
4. Strings go in <![CDATA[...]]>, even short ones.
5. Numbers, booleans and null are written plainly: 3, true, null.
6. Objects are nested elements (<key>value</key>); arrays are repeated <item>value</item>.
7. When calling, the block starts your message: no markdown fence, no explanation, nothing after the closing tag. Wait for the results.

WRONG: wrapping the block in ` + "```xml" + ` fences; an invoke without <|MiMoML|tool_calls> around it; text after </|MiMoML|tool_calls>.
`

// BuildPrompt renders the tool configuration block that is appended to the
// system text: the MiMoML call format, the rules, what tool_choice and
// parallel_tool_calls demand, and every tool with its description and its
// parameter schema on one line. It returns "" when there are no tools or the
// choice is "none".
func BuildPrompt(tools []Tool, choice Choice, parallel bool) string {
	if len(tools) == 0 || choice.Mode == "none" {
		return ""
	}
	var b strings.Builder
	b.WriteString(promptHead)
	switch choice.Mode {
	case "required":
		b.WriteString("\nThis reply MUST call at least one tool.\n")
	case "function":
		b.WriteString("\nThis reply MUST call the tool " + choice.Name + " and no other tool.\n")
	default:
		b.WriteString("\nCall a tool only when it helps; otherwise answer normally.\n")
	}
	if !parallel {
		b.WriteString("Call at most one tool per reply (a single invoke).\n")
	}
	b.WriteString("\nTools:\n")
	for _, t := range tools {
		if t.Name == "" {
			continue
		}
		b.WriteString("- ")
		b.WriteString(t.Name)
		if d := strings.TrimSpace(t.Description); d != "" {
			b.WriteString(": ")
			b.WriteString(d)
		}
		b.WriteString("\n  parameters: ")
		b.WriteString(compactSchema(t.Parameters))
		b.WriteByte('\n')
	}
	return b.String()
}

// compactSchema returns the schema on one line without its "$schema" key,
// or "none".
func compactSchema(schema json.RawMessage) string {
	if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
		return "none"
	}
	if out, err := sjson.DeleteBytes(schema, `\$schema`); err == nil {
		schema = out
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, schema); err != nil {
		return strconv.Quote(string(schema))
	}
	return buf.String()
}
