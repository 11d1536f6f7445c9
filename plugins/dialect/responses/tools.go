package responses

import (
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// toolDecl is the decoded tools parameter.
type toolDecl struct {
	// tools are the canonical function tools: the top-level ones and those of namespaces.
	tools []plugin.Tool
	// echo is the tools list of the response object (compact JSON), nil without tools.
	echo []byte
	// index maps the canonical names of namespaced tools to their namespaces and back.
	index toolIndex
	// dropped are the types of the hosted tools left out, in request order.
	dropped []string
}

// toolEntry is one function tool being decoded, before its canonical name is chosen.
type toolEntry struct {
	tool  plugin.Tool
	ns    string // "" for a top-level tool
	param string // the parameter path of its name
}

// decodeTools decodes the tools parameter: function tools ({"type":"function","name",
// "description","parameters","strict"}, or the Chat Completions shape {"type":"function",
// "function":{…}}), namespace tools ({"type":"namespace","name","description","tools":[function
// tools]}), whose function tools join the canonical list (see toolIndex), and hosted tools
// (hostedTools), dropped unless rejectHosted. Other types are unsupported.
func decodeTools(v gjson.Result, rejectHosted bool) (toolDecl, *plugin.Error) {
	var d toolDecl
	if !dialectkit.Present(v) {
		return d, nil
	}
	if !v.IsArray() {
		return d, dialectkit.BadParam("tools", "tools must be an array")
	}
	var (
		entries    []toolEntry
		namespaces = map[string]bool{}
		echo       = []byte{'['}
		n          int
		err        *plugin.Error
	)
	v.ForEach(func(_, t gjson.Result) bool {
		param := index("tools", n)
		n++
		if !t.IsObject() {
			err = dialectkit.BadParam(param, "%s must be an object", param)
			return false
		}
		typ := t.Get("type")
		if typ.Type != gjson.String {
			err = dialectkit.BadParam(param+".type", "%s.type must be a string", param)
			return false
		}
		mark := len(echo)
		if mark > 1 {
			echo = append(echo, ',')
		}
		switch {
		case typ.Str == "function":
			var e toolEntry
			var strict gjson.Result
			if e, strict, err = decodeFunction(t, param); err != nil {
				return false
			}
			for _, prev := range entries {
				if prev.ns == "" && prev.tool.Name == e.tool.Name {
					err = dialectkit.BadParam(e.param, "duplicate tool name %q", e.tool.Name)
					return false
				}
			}
			entries = append(entries, e)
			echo = appendToolEcho(echo, e.tool, strict)
		case typ.Str == "namespace":
			if entries, echo, err = decodeNamespace(t, param, namespaces, entries, echo); err != nil {
				return false
			}
		case hostedTools[typ.Str]:
			if rejectHosted {
				err = unsupportedParam(param+".type", "tool type %q is a hosted tool, which this gateway cannot run; only function and namespace tools are supported", typ.Str)
				return false
			}
			d.dropped = append(d.dropped, typ.Str)
			echo = echo[:mark]
		default:
			err = unsupportedParam(param+".type", "tool type %q is not supported; only function and namespace tools are", typ.Str)
			return false
		}
		return true
	})
	if err != nil {
		return toolDecl{}, err
	}
	if d.tools, d.index, err = canonicalTools(entries); err != nil {
		return toolDecl{}, err
	}
	d.echo = append(echo, ']')
	return d, nil
}

// decodeFunction decodes a function tool at param and returns it with its strict member.
func decodeFunction(t gjson.Result, param string) (toolEntry, gjson.Result, *plugin.Error) {
	fn, fp := t, param
	if f := t.Get("function"); f.IsObject() {
		fn, fp = f, param+".function"
	}
	e := toolEntry{param: fp + ".name"}
	var err *plugin.Error
	if e.tool.Name, err = name(fn.Get("name"), fp+".name"); err != nil {
		return e, gjson.Result{}, err
	}
	if d := fn.Get("description"); dialectkit.Present(d) {
		if d.Type != gjson.String {
			return e, gjson.Result{}, dialectkit.BadParam(fp+".description", "%s.description must be a string", fp)
		}
		e.tool.Description = d.Str
	}
	if p := fn.Get("parameters"); dialectkit.Present(p) {
		if !p.IsObject() {
			return e, gjson.Result{}, dialectkit.BadParam(fp+".parameters", "%s.parameters must be a JSON schema object", fp)
		}
		e.tool.Parameters = compact(p.Raw)
	}
	strict := fn.Get("strict")
	if dialectkit.Present(strict) && strict.Type != gjson.True && strict.Type != gjson.False {
		return e, gjson.Result{}, dialectkit.BadParam(fp+".strict", "%s.strict must be a boolean", fp)
	}
	return e, strict, nil
}

// decodeNamespace decodes the namespace tool t at param: it appends its function tools to
// entries and its echo to echo, and adds its name to seen, the names of the namespaces so far.
func decodeNamespace(t gjson.Result, param string, seen map[string]bool, entries []toolEntry, echo []byte) ([]toolEntry, []byte, *plugin.Error) {
	ns, err := name(t.Get("name"), param+".name")
	if err != nil {
		return nil, nil, err
	}
	if seen[ns] {
		return nil, nil, dialectkit.BadParam(param+".name", "duplicate namespace %q", ns)
	}
	seen[ns] = true
	var desc string
	if d := t.Get("description"); dialectkit.Present(d) {
		if d.Type != gjson.String {
			return nil, nil, dialectkit.BadParam(param+".description", "%s.description must be a string", param)
		}
		desc = d.Str
	}
	list := t.Get("tools")
	if !list.IsArray() {
		return nil, nil, dialectkit.BadParam(param+".tools", "%s.tools must be an array of function tools", param)
	}
	echo = append(echo, `{"type":"namespace","name":`...)
	echo = dialectkit.AppendString(echo, ns)
	echo = append(echo, `,"description":`...)
	echo = dialectkit.AppendString(echo, desc)
	echo = append(echo, `,"tools":[`...)
	first := len(entries)
	for i, inner := range list.Array() {
		ip := index(param+".tools", i)
		if !inner.IsObject() {
			return nil, nil, dialectkit.BadParam(ip, "%s must be an object", ip)
		}
		if typ := inner.Get("type"); dialectkit.Present(typ) && typ.Str != "function" {
			if typ.Type != gjson.String {
				return nil, nil, dialectkit.BadParam(ip+".type", "%s.type must be a string", ip)
			}
			return nil, nil, unsupportedParam(ip+".type", "tool type %q is not supported in a namespace; only function tools are", typ.Str)
		}
		e, strict, err := decodeFunction(inner, ip)
		if err != nil {
			return nil, nil, err
		}
		for _, prev := range entries[first:] {
			if prev.tool.Name == e.tool.Name {
				return nil, nil, dialectkit.BadParam(e.param, "duplicate tool name %q in namespace %q", e.tool.Name, ns)
			}
		}
		if i > 0 {
			echo = append(echo, ',')
		}
		echo = appendToolEcho(echo, e.tool, strict)
		e.ns = ns
		if desc != "" {
			if e.tool.Description != "" {
				e.tool.Description += "\n"
			}
			e.tool.Description += "(In the " + ns + " namespace: " + desc + ")"
		}
		entries = append(entries, e)
	}
	return entries, append(echo, "]}"...), nil
}

// canonicalTools names the function tools of entries: a top-level tool keeps its name, and a
// namespaced tool is known by its own name when no other tool has that name, else as
// "<namespace>.<name>". Two tools with the same canonical name are an error.
func canonicalTools(entries []toolEntry) ([]plugin.Tool, toolIndex, *plugin.Error) {
	if len(entries) == 0 {
		return nil, toolIndex{}, nil
	}
	count := make(map[string]int, len(entries))
	for _, e := range entries {
		count[e.tool.Name]++
	}
	var (
		tools = make([]plugin.Tool, 0, len(entries))
		idx   toolIndex
		seen  = make(map[string]bool, len(entries))
	)
	for _, e := range entries {
		t := e.tool
		if e.ns != "" {
			if count[t.Name] > 1 {
				t.Name = e.ns + "." + t.Name
			}
			idx.add(e.ns, e.tool.Name, t.Name)
		}
		if seen[t.Name] {
			return nil, toolIndex{}, dialectkit.BadParam(e.param, "tool name %q is used twice", t.Name)
		}
		seen[t.Name] = true
		tools = append(tools, t)
	}
	return tools, idx, nil
}

// appendToolEcho appends a function tool as the response object lists it.
func appendToolEcho(dst []byte, t plugin.Tool, strict gjson.Result) []byte {
	dst = append(dst, `{"type":"function","name":`...)
	dst = dialectkit.AppendString(dst, t.Name)
	dst = append(dst, `,"description":`...)
	dst = dialectkit.AppendStringOrNull(dst, t.Description)
	dst = append(dst, `,"parameters":`...)
	dst = appendRawOrNull(dst, t.Parameters)
	dst = append(dst, `,"strict":`...)
	switch strict.Type {
	case gjson.True:
		dst = append(dst, "true"...)
	case gjson.False:
		dst = append(dst, "false"...)
	default:
		dst = append(dst, "null"...)
	}
	return append(dst, '}')
}

// qualName is a namespaced tool's namespace and name.
type qualName struct{ ns, name string }

// toolIndex maps the canonical names of the namespaced tools of a request to their namespace
// and name, and back. The zero value knows no namespaced tool.
type toolIndex struct {
	byCanon map[string]qualName
	byQual  map[qualName]string
}

func (x *toolIndex) add(ns, name, canon string) {
	if x.byCanon == nil {
		x.byCanon = make(map[string]qualName)
		x.byQual = make(map[qualName]string)
	}
	x.byCanon[canon] = qualName{ns, name}
	x.byQual[qualName{ns, name}] = canon
}

// qualify returns the namespace and name under which the client knows the tool with the
// canonical name canon: its namespace and own name, or "" and canon for a top-level tool.
func (x *toolIndex) qualify(canon string) (ns, name string) {
	if x == nil {
		return "", canon
	}
	if q, ok := x.byCanon[canon]; ok {
		return q.ns, q.name
	}
	return "", canon
}

// canonical returns the canonical name of the tool name in namespace ns ("" for none). A
// namespaced name the request does not declare is "<ns>.<name>".
func (x *toolIndex) canonical(ns, name string) string {
	if ns == "" {
		return name
	}
	if x == nil {
		return ns + "." + name
	}
	if canon, ok := x.byQual[qualName{ns, name}]; ok {
		return canon
	}
	return ns + "." + name
}
