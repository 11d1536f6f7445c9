package responses

import (
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeTools decodes the function tools and returns them with their echo for the response
// object: [{"type":"function","name","description","parameters","strict"}]. Tools of any other
// type (web_search, file_search, mcp…) are unsupported. The Chat Completions shape
// {"type":"function","function":{…}} is accepted too.
func decodeTools(v gjson.Result) ([]plugin.Tool, []byte, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, nil, nil
	}
	if !v.IsArray() {
		return nil, nil, dialectkit.BadParam("tools", "tools must be an array")
	}
	var (
		tools []plugin.Tool
		echo  = []byte{'['}
		err   *plugin.Error
	)
	v.ForEach(func(_, t gjson.Result) bool {
		param := index("tools", len(tools))
		if !t.IsObject() {
			err = dialectkit.BadParam(param, "%s must be an object", param)
			return false
		}
		typ := t.Get("type")
		if typ.Type != gjson.String {
			err = dialectkit.BadParam(param+".type", "%s.type must be a string", param)
			return false
		}
		if typ.Str != "function" {
			err = unsupportedParam(param+".type", "tool type %q is not supported; only function tools are", typ.Str)
			return false
		}
		fn, fp := t, param
		if f := t.Get("function"); f.IsObject() {
			fn, fp = f, param+".function"
		}
		var tool plugin.Tool
		if tool.Name, err = name(fn.Get("name"), fp+".name"); err != nil {
			return false
		}
		for _, prev := range tools {
			if prev.Name == tool.Name {
				err = dialectkit.BadParam(fp+".name", "duplicate tool name %q", tool.Name)
				return false
			}
		}
		if d := fn.Get("description"); dialectkit.Present(d) {
			if d.Type != gjson.String {
				err = dialectkit.BadParam(fp+".description", "%s.description must be a string", fp)
				return false
			}
			tool.Description = d.Str
		}
		if p := fn.Get("parameters"); dialectkit.Present(p) {
			if !p.IsObject() {
				err = dialectkit.BadParam(fp+".parameters", "%s.parameters must be a JSON schema object", fp)
				return false
			}
			tool.Parameters = compact(p.Raw)
		}
		strict := fn.Get("strict")
		if dialectkit.Present(strict) && strict.Type != gjson.True && strict.Type != gjson.False {
			err = dialectkit.BadParam(fp+".strict", "%s.strict must be a boolean", fp)
			return false
		}
		if len(tools) > 0 {
			echo = append(echo, ',')
		}
		echo = appendToolEcho(echo, tool, strict)
		tools = append(tools, tool)
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	return tools, append(echo, ']'), nil
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

// decodeToolChoice decodes tool_choice: "auto", "none", "required" or {"type":"function",
// "name"}, and returns its echo.
func decodeToolChoice(v gjson.Result, tools []plugin.Tool) (plugin.ToolChoice, []byte, *plugin.Error) {
	auto := plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}
	if !dialectkit.Present(v) {
		return auto, nil, nil
	}
	var tc plugin.ToolChoice
	switch {
	case v.Type == gjson.String:
		switch m := plugin.ToolChoiceMode(v.Str); m {
		case plugin.ToolChoiceAuto, plugin.ToolChoiceNone, plugin.ToolChoiceRequired:
			tc.Mode = m
		default:
			return auto, nil, dialectkit.BadParam("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\" or a function object")
		}
	case v.IsObject():
		typ := v.Get("type")
		if typ.Type != gjson.String {
			return auto, nil, dialectkit.BadParam("tool_choice.type", "tool_choice.type must be a string")
		}
		if typ.Str != "function" {
			return auto, nil, unsupportedParam("tool_choice.type", "tool_choice of type %q is not supported; use \"auto\", \"none\", \"required\" or a function", typ.Str)
		}
		n, param := v.Get("name"), "tool_choice.name"
		if !dialectkit.Present(n) {
			n, param = v.Get("function.name"), "tool_choice.function.name"
		}
		name, err := name(n, param)
		if err != nil {
			return auto, nil, err
		}
		tc = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: name}
	default:
		return auto, nil, dialectkit.BadParam("tool_choice", "tool_choice must be a string or an object")
	}
	switch tc.Mode {
	case plugin.ToolChoiceRequired:
		if len(tools) == 0 {
			return auto, nil, dialectkit.BadParam("tool_choice", "tool_choice \"required\" needs tools")
		}
	case plugin.ToolChoiceFunction:
		found := false
		for _, t := range tools {
			found = found || t.Name == tc.Name
		}
		if !found {
			return auto, nil, dialectkit.BadParam("tool_choice", "tool_choice names function %q, which is not in tools", tc.Name)
		}
		echo := dialectkit.AppendString([]byte(`{"type":"function","name":`), tc.Name)
		return tc, append(echo, '}'), nil
	}
	return tc, dialectkit.AppendString(nil, string(tc.Mode)), nil
}
