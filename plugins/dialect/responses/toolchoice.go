package responses

import (
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeToolChoice decodes tool_choice into c: "auto", "none", "required", {"type":"function",
// "name"} (with an optional "namespace" for a namespaced tool) or, unless rejectHosted, a hosted
// tool type, which becomes "auto" and is recorded in c.ignoredChoice. So is "required" when
// every declared tool was a dropped hosted tool. The echo is the choice applied.
func (c *call) decodeToolChoice(v gjson.Result, decl *toolDecl, rejectHosted bool) *plugin.Error {
	auto := plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}
	c.req.ToolChoice = auto
	if !dialectkit.Present(v) {
		return nil
	}
	var tc plugin.ToolChoice
	switch {
	case v.Type == gjson.String:
		switch m := plugin.ToolChoiceMode(v.Str); m {
		case plugin.ToolChoiceAuto, plugin.ToolChoiceNone, plugin.ToolChoiceRequired:
			tc.Mode = m
		default:
			return dialectkit.BadParam("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\" or a function object")
		}
	case v.IsObject():
		typ := v.Get("type")
		if typ.Type != gjson.String {
			return dialectkit.BadParam("tool_choice.type", "tool_choice.type must be a string")
		}
		switch {
		case typ.Str == "function":
		case hostedTools[typ.Str] && !rejectHosted:
			c.ignoredChoice = typ.Str
			c.toolChoice = dialectkit.AppendString(nil, string(plugin.ToolChoiceAuto))
			return nil
		default:
			return unsupportedParam("tool_choice.type", "tool_choice of type %q is not supported; use \"auto\", \"none\", \"required\" or a function", typ.Str)
		}
		n, param := v.Get("name"), "tool_choice.name"
		if !dialectkit.Present(n) {
			n, param = v.Get("function.name"), "tool_choice.function.name"
		}
		fn, err := name(n, param)
		if err != nil {
			return err
		}
		ns := v.Get("namespace")
		if dialectkit.Present(ns) && ns.Type != gjson.String {
			return dialectkit.BadParam("tool_choice.namespace", "tool_choice.namespace must be a string")
		}
		canon := decl.index.canonical(ns.Str, fn)
		found := false
		for _, t := range decl.tools {
			found = found || t.Name == canon
		}
		if !found {
			return dialectkit.BadParam("tool_choice", "tool_choice names function %q, which is not in tools", canon)
		}
		c.req.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: canon}
		echo := dialectkit.AppendString([]byte(`{"type":"function","name":`), fn)
		if ns.Str != "" {
			echo = append(echo, `,"namespace":`...)
			echo = dialectkit.AppendString(echo, ns.Str)
		}
		c.toolChoice = append(echo, '}')
		return nil
	default:
		return dialectkit.BadParam("tool_choice", "tool_choice must be a string or an object")
	}
	if tc.Mode == plugin.ToolChoiceRequired && len(decl.tools) == 0 {
		if len(decl.dropped) == 0 {
			return dialectkit.BadParam("tool_choice", "tool_choice \"required\" needs tools")
		}
		c.ignoredChoice, tc = string(tc.Mode), auto
	}
	c.req.ToolChoice = tc
	c.toolChoice = dialectkit.AppendString(nil, string(tc.Mode))
	return nil
}
