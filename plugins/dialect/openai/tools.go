package openai

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeTools decodes the declared function tools; names must be unique.
func decodeTools(v gjson.Result) ([]plugin.Tool, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, dialectkit.BadParam("tools", "tools must be an array")
	}
	var (
		tools []plugin.Tool
		err   *plugin.Error
	)
	v.ForEach(func(_, t gjson.Result) bool {
		param := "tools[" + strconv.Itoa(len(tools)) + "]"
		if !t.IsObject() {
			err = dialectkit.BadParam(param, "%s must be an object", param)
			return false
		}
		if typ := t.Get("type"); dialectkit.Present(typ) && (typ.Type != gjson.String || typ.Str != "function") {
			err = dialectkit.BadParam(param+".type", "only tools of type \"function\" are supported")
			return false
		}
		fn := t.Get("function")
		if !fn.IsObject() {
			err = dialectkit.BadParam(param+".function", "%s.function must be an object", param)
			return false
		}
		var tool plugin.Tool
		if tool.Name, err = dialectkit.Name(fn.Get("name"), param+".function.name"); err != nil {
			return false
		}
		for _, prev := range tools {
			if prev.Name == tool.Name {
				err = dialectkit.BadParam(param+".function.name", "duplicate tool name %q", tool.Name)
				return false
			}
		}
		if d := fn.Get("description"); dialectkit.Present(d) {
			if d.Type != gjson.String {
				err = dialectkit.BadParam(param+".function.description", "%s.function.description must be a string", param)
				return false
			}
			tool.Description = d.Str
		}
		if p := fn.Get("parameters"); dialectkit.Present(p) {
			if !p.IsObject() {
				err = dialectkit.BadParam(param+".function.parameters", "%s.function.parameters must be a JSON schema object", param)
				return false
			}
			tool.Parameters = []byte(p.Raw)
		}
		tools = append(tools, tool)
		return true
	})
	return tools, err
}

// decodeToolChoice decodes tool_choice; a forced function must be declared in tools.
func decodeToolChoice(v gjson.Result, tools []plugin.Tool) (plugin.ToolChoice, *plugin.Error) {
	auto := plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}
	if !dialectkit.Present(v) {
		return auto, nil
	}
	var tc plugin.ToolChoice
	switch {
	case v.Type == gjson.String:
		switch m := plugin.ToolChoiceMode(v.Str); m {
		case plugin.ToolChoiceAuto, plugin.ToolChoiceNone, plugin.ToolChoiceRequired:
			tc.Mode = m
		default:
			return auto, dialectkit.BadParam("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\" or a function object")
		}
	case v.IsObject():
		if typ := v.Get("type"); typ.Type != gjson.String || typ.Str != "function" {
			return auto, dialectkit.BadParam("tool_choice.type", "only tool_choice objects of type \"function\" are supported")
		}
		n, err := dialectkit.Name(v.Get("function.name"), "tool_choice.function.name")
		if err != nil {
			return auto, err
		}
		tc = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: n}
	default:
		return auto, dialectkit.BadParam("tool_choice", "tool_choice must be a string or an object")
	}
	switch tc.Mode {
	case plugin.ToolChoiceRequired:
		if len(tools) == 0 {
			return auto, dialectkit.BadParam("tool_choice", "tool_choice \"required\" needs tools")
		}
	case plugin.ToolChoiceFunction:
		for _, t := range tools {
			if t.Name == tc.Name {
				return tc, nil
			}
		}
		return auto, dialectkit.BadParam("tool_choice", "tool_choice names function %q, which is not in tools", tc.Name)
	}
	return tc, nil
}
