package sieve

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL names a tool's schema inside its private compiler.
const schemaURL = "urn:mimo2api:tool-parameters"

// maxViolations bounds the violations quoted in an error message.
const maxViolations = 3

// validate checks a call's arguments against its tool's parameters schema and returns the
// violation, or "" when they match or the schema is not enforced.
func (f *filter) validate(name, args string) string {
	sch := f.schema(name)
	if sch == nil {
		return ""
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(args))
	if err != nil {
		return "the arguments are not a JSON value"
	}
	if err := sch.Validate(v); err != nil {
		return violation(err)
	}
	return ""
}

// schema returns the compiled parameters schema of the named tool, compiling it on first use;
// nil when the tool has no schema or it does not compile.
func (f *filter) schema(name string) *jsonschema.Schema {
	if sch, ok := f.schemas[name]; ok {
		return sch
	}
	var raw json.RawMessage
	for i := range f.req.Tools {
		if f.req.Tools[i].Name == name {
			raw = f.req.Tools[i].Parameters
			break
		}
	}
	sch, err := cachedSchema(raw)
	if err != nil {
		f.cfg.log.Debug("tool parameters schema not enforced", "tool", name, "error", err)
		f.spanEvent("tool schema not enforced")
	}
	if f.schemas == nil {
		f.schemas = make(map[string]*jsonschema.Schema, 2)
	}
	f.schemas[name] = sch
	return sch
}

// maxCachedSchemas bounds the process-wide cache of compiled schemas.
const maxCachedSchemas = 512

// schemaCache holds compiled schemas by their bytes: clients send the same tools with every
// request, and compiling (which checks the schema against its meta-schema) costs far more
// than validating.
var schemaCache = struct {
	sync.Mutex
	m map[string]compiled
}{m: make(map[string]compiled)}

type compiled struct {
	sch *jsonschema.Schema
	err error
}

// cachedSchema is compileSchema through schemaCache. When the cache is full an arbitrary entry
// makes room.
func cachedSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	schemaCache.Lock()
	c, ok := schemaCache.m[string(raw)]
	schemaCache.Unlock()
	if ok {
		return c.sch, c.err
	}
	c.sch, c.err = compileSchema(raw)
	schemaCache.Lock()
	defer schemaCache.Unlock()
	if len(schemaCache.m) >= maxCachedSchemas {
		for k := range schemaCache.m {
			delete(schemaCache.m, k)
			break
		}
	}
	schemaCache.m[string(raw)] = c
	return c.sch, c.err
}

// compileSchema compiles one tool's parameters schema; (nil, nil) when there is none. The
// compiler loads no other document: a schema referring to one fails to compile.
func compileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// violation condenses a validation error into one line: "at '/city': got number, want
// string; …", quoting at most maxViolations leaf violations.
func violation(err error) string {
	lines := strings.Split(err.Error(), "\n")
	var out []string
	for _, l := range lines[1:] { // the first line names the schema
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		if l == "" || strings.HasSuffix(l, "validation failed") {
			continue
		}
		out = append(out, l)
	}
	switch {
	case len(out) == 0:
		return strings.ReplaceAll(err.Error(), "\n", " ")
	case len(out) > maxViolations:
		out = append(out[:maxViolations], "…")
	}
	return strings.Join(out, "; ")
}
