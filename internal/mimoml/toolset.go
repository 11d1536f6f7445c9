package mimoml

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
)

// Tool is a declared client tool.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON schema of the arguments object (may be nil)
}

// Call is one parsed tool call.
type Call struct {
	Name      string // the DECLARED name it resolved to
	Arguments string // a JSON object, compact, non-ASCII unescaped ("{}" when none)
}

// Toolset is the compiled view of declared tools: name resolution and the
// JSON schema type of each top-level property. Build it once per request;
// it is safe for concurrent use.
type Toolset struct {
	names []string
	exact map[string]string // name → name
	fold  map[string]string // lower-case name → first declared name
	canon map[string]string // canonical (snake, lower) → first declared name
	props map[string]map[string]string
}

// NewToolset compiles tools. Tools without a name are ignored.
func NewToolset(tools []Tool) *Toolset {
	ts := &Toolset{
		exact: make(map[string]string, len(tools)),
		fold:  make(map[string]string, len(tools)),
		canon: make(map[string]string, len(tools)),
		props: make(map[string]map[string]string, len(tools)),
	}
	for _, t := range tools {
		name := t.Name
		if name == "" {
			continue
		}
		if _, dup := ts.exact[name]; dup {
			continue
		}
		ts.names = append(ts.names, name)
		ts.exact[name] = name
		if _, ok := ts.fold[strings.ToLower(name)]; !ok {
			ts.fold[strings.ToLower(name)] = name
		}
		if c := canonicalName(name); c != "" {
			if _, ok := ts.canon[c]; !ok {
				ts.canon[c] = name
			}
		}
		ts.props[name] = schemaTypes(t.Parameters)
	}
	return ts
}

// schemaTypes maps each top-level property to its JSON schema type. A type
// list such as ["string","null"] yields its first non-null member.
func schemaTypes(schema json.RawMessage) map[string]string {
	if len(schema) == 0 {
		return nil
	}
	props := gjson.GetBytes(schema, "properties")
	if !props.IsObject() {
		return nil
	}
	m := map[string]string{}
	props.ForEach(func(k, v gjson.Result) bool {
		typ := v.Get("type")
		if typ.IsArray() {
			for _, e := range typ.Array() {
				if e.Str != "null" {
					m[k.Str] = e.Str
					break
				}
			}
		} else if typ.Type == gjson.String {
			m[k.Str] = typ.Str
		} else if v.Get("properties").IsObject() {
			m[k.Str] = "object"
		} else if v.Get("items").Exists() {
			m[k.Str] = "array"
		}
		return true
	})
	return m
}

// Len returns the number of declared tools.
func (ts *Toolset) Len() int {
	if ts == nil {
		return 0
	}
	return len(ts.names)
}

// placeholders are names from the prompt template that a model may echo.
var placeholders = map[string]bool{
	"tool_name_here": true, "tool_name": true, "function_name": true,
	"parameter_name": true, "parameter_value": true, "your_tool_name": true,
}

// Resolve maps a name written by the model to a declared tool name: exact,
// then case-insensitive, then by canonical form (camelCase → snake_case,
// hyphens → underscores, lower case), so getWeather, GetWeather, GET_WEATHER
// and get-weather all find get_weather and get_weather finds getWeather.
// Placeholder names of the prompt template never resolve.
func (ts *Toolset) Resolve(name string) (string, bool) {
	if ts == nil {
		return "", false
	}
	name = strings.TrimSpace(name)
	c := canonicalName(name)
	if c == "" || placeholders[c] {
		return "", false
	}
	if n, ok := ts.exact[name]; ok {
		return n, true
	}
	if n, ok := ts.fold[strings.ToLower(name)]; ok {
		return n, true
	}
	n, ok := ts.canon[c]
	return n, ok
}

// canonicalName lower-cases name, turns hyphens, dots and spaces into
// underscores and inserts an underscore at each lower→upper (or digit→upper)
// transition.
func canonicalName(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			if i > 0 {
				if p := name[i-1]; 'a' <= p && p <= 'z' || '0' <= p && p <= '9' {
					b.WriteByte('_')
				}
			}
			b.WriteByte(c + 'a' - 'A')
		case c == '-' || c == ' ' || c == '.':
			b.WriteByte('_')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// propType returns the schema type of a tool's top-level property, or "".
func (ts *Toolset) propType(tool, prop string) string {
	return ts.props[tool][prop]
}
