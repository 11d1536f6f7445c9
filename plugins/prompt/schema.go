package prompt

import (
	"bytes"
	"encoding/json"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// bareSchema replaces a schema too large to show even reduced.
var bareSchema = json.RawMessage(`{"type":"object","description":"parameter schema too large to show"}`)

// limitSchema returns schema as compact JSON when it fits in max bytes (max < 0: no bound);
// otherwise its reduction to top-level property names and types plus the required list, or
// bareSchema when that does not fit either. A schema that is not valid JSON is returned as is.
func limitSchema(schema json.RawMessage, max int) json.RawMessage {
	if len(schema) == 0 {
		return schema
	}
	var b bytes.Buffer
	if err := json.Compact(&b, schema); err != nil {
		return schema
	}
	if max < 0 || b.Len() <= max {
		return b.Bytes()
	}
	r := reduceSchema(b.Bytes())
	if len(r) <= max {
		return r
	}
	return bareSchema
}

// reduceSchema keeps the top-level "type", each property's "type" and "required".
func reduceSchema(schema []byte) json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"type":"object","properties":{`)
	n := 0
	gjson.GetBytes(schema, "properties").ForEach(func(k, v gjson.Result) bool {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		writeJSONString(&b, k.String())
		b.WriteString(`:{`)
		if t := v.Get("type"); t.Exists() {
			b.WriteString(`"type":`)
			b.WriteString(t.Raw)
		}
		b.WriteByte('}')
		return true
	})
	b.WriteByte('}')
	if req := gjson.GetBytes(schema, "required"); req.IsArray() {
		b.WriteString(`,"required":`)
		b.WriteString(req.Raw)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if json.Compact(&out, b.Bytes()) != nil {
		return bareSchema
	}
	return out.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// passthroughHead introduces the tool definitions in passthrough mode.
const passthroughHead = `# Tool configuration (set by the application)

You can call the tools defined below (JSON function definitions). To call a tool, reply with the call in the tool-call format you know and wait for its result.
<tools>
`

// passthroughPrompt renders the tools as the compact <tools> JSON block, followed by what
// tool_choice and parallel_tool_calls demand.
func passthroughPrompt(tools []mimoml.Tool, tc plugin.ToolChoice, parallel bool) string {
	type function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	}
	type def struct {
		Type     string   `json:"type"`
		Function function `json:"function"`
	}
	defs := make([]def, 0, len(tools))
	for _, t := range tools {
		params := t.Parameters
		if !json.Valid(params) {
			params = nil
		}
		defs = append(defs, def{Type: "function", Function: function{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	var b bytes.Buffer
	b.WriteString(passthroughHead)
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(defs); err != nil { // cannot fail: every value is valid JSON
		b.WriteString("[]\n")
	}
	b.WriteString("</tools>\n")
	switch tc.Mode {
	case plugin.ToolChoiceRequired:
		b.WriteString("\nThis reply MUST call at least one tool.\n")
	case plugin.ToolChoiceFunction:
		b.WriteString("\nThis reply MUST call the tool " + tc.Name + " and no other tool.\n")
	default:
		b.WriteString("\nCall a tool only when it helps; otherwise answer normally.\n")
	}
	if !parallel {
		b.WriteString("Call at most one tool per reply.\n")
	}
	return b.String()
}
