package responses

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Output format types of text.format.
const (
	formatText       = "text"
	formatJSONObject = "json_object"
	formatJSONSchema = "json_schema"
)

// schemaURL is the in-memory location of a request's schema.
const schemaURL = "mem:///text.format.schema.json"

// textFormat is the decoded text.format.
type textFormat struct {
	kind   string // "" or one of the format* constants
	name   string
	schema []byte // compact JSON schema of a json_schema format
	sch    *jsonschema.Schema
}

// decodeText decodes the text configuration and returns it with its echo.
func decodeText(v gjson.Result) (textFormat, []byte, *plugin.Error) {
	var f textFormat
	if !dialectkit.Present(v) {
		return f, nil, nil
	}
	if !v.IsObject() {
		return f, nil, dialectkit.BadParam("text", "text must be an object")
	}
	if vb := v.Get("verbosity"); dialectkit.Present(vb) && (vb.Type != gjson.String || (vb.Str != "low" && vb.Str != "medium" && vb.Str != "high")) {
		return f, nil, dialectkit.BadParam("text.verbosity", "text.verbosity must be \"low\", \"medium\" or \"high\"")
	}
	fv := v.Get("format")
	if !dialectkit.Present(fv) {
		return f, compact(v.Raw), nil
	}
	if !fv.IsObject() {
		return f, nil, dialectkit.BadParam("text.format", "text.format must be an object")
	}
	typ := fv.Get("type")
	if typ.Type != gjson.String {
		return f, nil, dialectkit.BadParam("text.format.type", "text.format.type must be a string")
	}
	f.kind = typ.Str
	switch f.kind {
	case formatText, formatJSONObject:
	case formatJSONSchema:
		if err := f.decodeSchema(fv); err != nil {
			return f, nil, err
		}
	default:
		return f, nil, unsupportedParam("text.format.type", "text.format.type %q is not supported; use \"text\", \"json_object\" or \"json_schema\"", f.kind)
	}
	return f, compact(v.Raw), nil
}

// decodeSchema decodes and compiles the schema of a json_schema format. The schema may not
// refer to other documents.
func (f *textFormat) decodeSchema(fv gjson.Result) *plugin.Error {
	n := fv.Get("name")
	if dialectkit.Present(n) && n.Type != gjson.String {
		return dialectkit.BadParam("text.format.name", "text.format.name must be a string")
	}
	f.name = n.Str
	if s := fv.Get("strict"); dialectkit.Present(s) && s.Type != gjson.True && s.Type != gjson.False {
		return dialectkit.BadParam("text.format.strict", "text.format.strict must be a boolean")
	}
	s, param := fv.Get("schema"), "text.format.schema"
	if !dialectkit.Present(s) {
		s, param = fv.Get("json_schema.schema"), "text.format.json_schema.schema"
	}
	if !s.IsObject() {
		return dialectkit.BadParam("text.format.schema", "text.format.schema must be a JSON schema object")
	}
	f.schema = compact(s.Raw)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(s.Raw))
	if err == nil {
		c := jsonschema.NewCompiler()
		c.UseLoader(noLoader{})
		if err = c.AddResource(schemaURL, doc); err == nil {
			f.sch, err = c.Compile(schemaURL)
		}
	}
	if err != nil {
		e := dialectkit.BadParam(param, "%s is not a valid JSON schema: %v", param, err)
		e.Err = err
		return e
	}
	return nil
}

// noLoader refuses to load referenced documents: a schema must be self-contained.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("the schema refers to %q; only references inside the schema are allowed", url)
}

// json reports whether the format asks for a JSON answer.
func (f *textFormat) json() bool { return f.kind == formatJSONObject || f.kind == formatJSONSchema }

// instruction returns the system instruction that asks the model for the format.
func (f *textFormat) instruction() string {
	switch f.kind {
	case formatJSONObject:
		return "Answer with a single JSON object and nothing else: no explanation, no Markdown code fence."
	case formatJSONSchema:
		var b strings.Builder
		b.WriteString("Answer with a single JSON value and nothing else: no explanation, no Markdown code fence. The value must be valid against this JSON schema")
		if f.name != "" {
			b.WriteString(" (\"" + f.name + "\")")
		}
		b.WriteString(": ")
		b.Write(f.schema)
		return b.String()
	}
	return ""
}

// clean returns the JSON value in an answer: the text without a surrounding ``` fence, or the
// span from the first '{' or '[' to the last '}' or ']', whichever is valid JSON first. When
// neither is, the text is returned unchanged.
func clean(text string) string {
	t := strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(t, "```"); ok {
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[i+1:] // the fence's info string, such as "json"
		} else {
			rest = ""
		}
		t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "```"))
	}
	if json.Valid([]byte(t)) {
		return t
	}
	i, j := strings.IndexAny(t, "{["), strings.LastIndexAny(t, "}]")
	if i >= 0 && j > i && json.Valid([]byte(t[i:j+1])) {
		return t[i : j+1]
	}
	return text
}

// errNotJSON reports an answer that is not valid JSON.
var errNotJSON = errors.New("the answer is not valid JSON")

// errNotObject reports a json_object answer that is valid JSON but not an object.
var errNotObject = errors.New("the answer is not a JSON object")

// check validates an answer against the format; nil for formats that are not JSON.
func (f *textFormat) check(text string) error {
	if !f.json() {
		return nil
	}
	if !json.Valid([]byte(text)) {
		return errNotJSON
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return fmt.Errorf("the answer is not valid JSON: %w", err)
	}
	if f.kind == formatJSONObject {
		if _, ok := v.(map[string]any); !ok {
			return errNotObject
		}
		return nil
	}
	if f.sch == nil {
		return nil
	}
	return f.sch.Validate(v)
}
