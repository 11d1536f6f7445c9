package mimoml

import (
	"encoding/json"
	"strings"
)

// RenderCalls renders an assistant turn's calls as one canonical MiMoML
// block for the flattened history, so the model sees its earlier calls in the
// format it is asked to use. Strings go in CDATA (string="true" when the text
// would otherwise be read as markup), numbers, booleans and null plainly,
// objects and arrays as nested elements when their keys allow it, else as
// JSON. Parse reads the block back to the same arguments. Arguments that are
// not a JSON object are rendered as one "input" parameter.
func RenderCalls(calls []Call) string {
	if len(calls) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<|MiMoML|tool_calls>\n")
	for _, c := range calls {
		b.WriteString(`<|MiMoML|invoke name="`)
		b.WriteString(attrEscape(c.Name))
		b.WriteString("\">\n")
		args := &object{}
		if strings.TrimSpace(c.Arguments) != "" {
			if v, ok := decodeJSON(c.Arguments); ok {
				if o, ok := v.(*object); ok {
					args = o
				} else {
					args.set("input", v)
				}
			} else {
				args.set("input", c.Arguments)
			}
		}
		for i, k := range args.keys {
			b.WriteString(`<|MiMoML|parameter name="`)
			b.WriteString(attrEscape(k))
			b.WriteByte('"')
			if s, ok := args.vals[i].(string); ok && needsRaw(s) {
				b.WriteString(` string="true"`)
			}
			b.WriteByte('>')
			renderValue(&b, args.vals[i])
			b.WriteString("</|MiMoML|parameter>\n")
		}
		b.WriteString("</|MiMoML|invoke>\n")
	}
	b.WriteString("</|MiMoML|tool_calls>")
	return b.String()
}

// RenderResult renders a tool result for the flattened history, tagged with
// the id of the call it answers.
func RenderResult(callID, content string) string {
	return `<|MiMoML|tool_result call_id="` + attrEscape(callID) + "\">\n" + content + "\n</|MiMoML|tool_result>"
}

func attrEscape(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// needsRaw reports whether a CDATA string would be reinterpreted by Parse
// (line-break markup, CR, or text that looks like nested elements).
func needsRaw(s string) bool {
	t := strings.TrimSpace(s)
	return strings.Contains(s, "\r") || indexFold(s, "<br") >= 0 ||
		strings.HasPrefix(t, "<") && strings.Contains(t, ">")
}

func writeCDATA(b *strings.Builder, s string) {
	b.WriteString(cdataOpen)
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// renderValue writes one value: strings as CDATA, scalars plainly,
// containers as nested elements when xmlSafe, else as JSON.
func renderValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		writeCDATA(b, v)
	case nil, bool, json.Number:
		b.Write(appendJSON(nil, v))
	case []any, *object:
		if xmlSafe(v) {
			renderXML(b, v)
		} else {
			b.Write(appendJSON(nil, v))
		}
	}
}

func renderXML(b *strings.Builder, v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			b.WriteString("<item>")
			renderValue(b, e)
			b.WriteString("</item>")
		}
	case *object:
		for i, k := range v.keys {
			b.WriteString("<" + k + ">")
			renderValue(b, v.vals[i])
			b.WriteString("</" + k + ">")
		}
	}
}

// xmlSafe reports whether a container survives the nested-element form:
// it is non-empty and every object key is an element name other than
// item/parameter, unique ignoring case. Nested strings are always safe (they
// are CDATA leaves, read verbatim); empty nested containers are written as
// JSON leaves.
func xmlSafe(v any) bool {
	switch v := v.(type) {
	case []any:
		if len(v) == 0 {
			return false
		}
		for _, e := range v {
			if !nestedSafe(e) {
				return false
			}
		}
	case *object:
		if len(v.keys) == 0 {
			return false
		}
		seen := make(map[string]bool, len(v.keys))
		for i, k := range v.keys {
			lk := strings.ToLower(k)
			if !isElementName(k) || lk == "item" || lk == "parameter" || seen[lk] || !nestedSafe(v.vals[i]) {
				return false
			}
			seen[lk] = true
		}
	}
	return true
}

// nestedSafe is xmlSafe for values inside a container, where empty
// containers are fine (they become JSON leaves).
func nestedSafe(v any) bool {
	switch c := v.(type) {
	case []any:
		return len(c) == 0 || xmlSafe(c)
	case *object:
		return len(c.keys) == 0 || xmlSafe(c)
	}
	return true
}

func isElementName(k string) bool {
	if k == "" || len(k) > 64 || !isIdentStart(k[0]) || k[0] == '$' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isWordByte(k[i]) && k[i] != '.' {
			return false
		}
	}
	return true
}
