package openai

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeMessages decodes the required, non-empty messages array.
func decodeMessages(v gjson.Result) ([]plugin.Message, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, dialectkit.BadParam("messages", "you must provide a messages parameter")
	}
	if !v.IsArray() {
		return nil, dialectkit.BadParam("messages", "messages must be an array")
	}
	var (
		msgs []plugin.Message
		err  *plugin.Error
	)
	v.ForEach(func(_, m gjson.Result) bool {
		var msg plugin.Message
		msg, err = decodeMessage(m, "messages["+strconv.Itoa(len(msgs))+"]")
		if err != nil {
			return false
		}
		msgs = append(msgs, msg)
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, dialectkit.BadParam("messages", "messages must contain at least one message")
	}
	return msgs, nil
}

func decodeMessage(m gjson.Result, param string) (plugin.Message, *plugin.Error) {
	var msg plugin.Message
	if !m.IsObject() {
		return msg, dialectkit.BadParam(param, "%s must be an object", param)
	}
	var role, content, toolCalls, reasoningContent, reasoning, toolCallID gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v
		case "content":
			content = v
		case "tool_calls":
			toolCalls = v
		case "reasoning_content":
			reasoningContent = v
		case "reasoning":
			reasoning = v
		case "tool_call_id":
			toolCallID = v
		}
		return true
	})
	if role.Type != gjson.String {
		return msg, dialectkit.BadParam(param+".role", "%s.role must be a string", param)
	}
	switch role.Str {
	case "system", "developer":
		msg.Role = plugin.RoleSystem
	case "user":
		msg.Role = plugin.RoleUser
	case "assistant":
		msg.Role = plugin.RoleAssistant
	case "tool", "function":
		msg.Role = plugin.RoleTool
	default:
		return msg, dialectkit.BadParam(param+".role", "%s.role %q is not one of system, developer, user, assistant, tool or function", param, role.Str)
	}
	var err *plugin.Error
	if msg.Parts, err = decodeContent(content, param+".content"); err != nil {
		return msg, err
	}
	switch role.Str {
	case "assistant":
		if msg.ToolCalls, err = decodeToolCalls(toolCalls, param+".tool_calls"); err != nil {
			return msg, err
		}
		r, field := reasoningContent, "reasoning_content"
		if !dialectkit.Present(r) {
			r, field = reasoning, "reasoning"
		}
		if dialectkit.Present(r) {
			if r.Type != gjson.String {
				return msg, dialectkit.BadParam(param+"."+field, "%s.%s must be a string", param, field)
			}
			msg.Reasoning = r.Str
		}
	case "tool":
		if toolCallID.Type != gjson.String || toolCallID.Str == "" {
			return msg, dialectkit.BadParam(param+".tool_call_id", "%s.tool_call_id must be a non-empty string", param)
		}
		msg.ToolCallID = toolCallID.Str
	}
	return msg, nil
}

// decodeToolCalls decodes an assistant message's tool_calls.
func decodeToolCalls(v gjson.Result, param string) ([]plugin.ToolCall, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, dialectkit.BadParam(param, "%s must be an array", param)
	}
	var (
		calls []plugin.ToolCall
		err   *plugin.Error
	)
	v.ForEach(func(_, c gjson.Result) bool {
		p := param + "[" + strconv.Itoa(len(calls)) + "]"
		if !c.IsObject() {
			err = dialectkit.BadParam(p, "%s must be an object", p)
			return false
		}
		if typ := c.Get("type"); dialectkit.Present(typ) && (typ.Type != gjson.String || typ.Str != "function") {
			err = dialectkit.BadParam(p+".type", "only tool calls of type \"function\" are supported")
			return false
		}
		call := plugin.ToolCall{Index: len(calls)}
		if id := c.Get("id"); dialectkit.Present(id) {
			if id.Type != gjson.String {
				err = dialectkit.BadParam(p+".id", "%s.id must be a string", p)
				return false
			}
			call.ID = id.Str
		}
		fn := c.Get("function")
		if !fn.IsObject() {
			err = dialectkit.BadParam(p+".function", "%s.function must be an object", p)
			return false
		}
		if call.Name, err = dialectkit.Name(fn.Get("name"), p+".function.name"); err != nil {
			return false
		}
		switch args := fn.Get("arguments"); {
		case !dialectkit.Present(args):
			call.Arguments = "{}"
		case args.Type == gjson.String:
			call.Arguments = args.Str
		case args.IsObject():
			// Some clients send the arguments object itself instead of its encoding.
			call.Arguments = args.Raw
		default:
			err = dialectkit.BadParam(p+".function.arguments", "%s.function.arguments must be a string", p)
			return false
		}
		calls = append(calls, call)
		return true
	})
	return calls, err
}
