package anthropic

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ignoredBlocks are content blocks of server-side tools and citations that may appear in a
// conversation's history; the gateway has nothing to do with them and drops them.
var ignoredBlocks = map[string]bool{
	"server_tool_use":            true,
	"web_search_tool_result":     true,
	"web_fetch_tool_result":      true,
	"code_execution_tool_result": true,
	"mcp_tool_use":               true,
	"mcp_tool_result":            true,
	"container_upload":           true,
}

// decodeMessages appends the decoded, non-empty messages array to msgs. A user message's
// tool_result blocks become RoleTool messages, in their order among the other blocks.
func decodeMessages(msgs []plugin.Message, v gjson.Result) ([]plugin.Message, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, dialectkit.BadParam("messages", "messages: field required")
	}
	if !v.IsArray() {
		return nil, dialectkit.BadParam("messages", "messages: must be an array")
	}
	var (
		err *plugin.Error
		i   int
	)
	v.ForEach(func(_, m gjson.Result) bool {
		msgs, err = decodeMessage(msgs, m, "messages."+strconv.Itoa(i))
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if i == 0 {
		return nil, dialectkit.BadParam("messages", "messages: at least one message is required")
	}
	return msgs, nil
}

func decodeMessage(msgs []plugin.Message, m gjson.Result, param string) ([]plugin.Message, *plugin.Error) {
	if !m.IsObject() {
		return msgs, dialectkit.BadParam(param, "%s: must be an object", param)
	}
	role, content := m.Get("role"), m.Get("content")
	if role.Type != gjson.String {
		return msgs, dialectkit.BadParam(param+".role", "%s.role: must be a string", param)
	}
	switch role.Str {
	case "user", "assistant", "system":
	default:
		return msgs, dialectkit.BadParam(param+".role", "%s.role: must be \"user\" or \"assistant\", not %q", param, role.Str)
	}
	param += ".content"
	if content.Type == gjson.String {
		return append(msgs, plugin.Message{Role: plugin.Role(role.Str), Parts: textPart(content.Str)}), nil
	}
	if !content.IsArray() {
		return msgs, dialectkit.BadParam(param, "%s: must be a string or an array of content blocks", param)
	}
	switch role.Str {
	case "system":
		parts, err := textBlocks(content, param)
		return append(msgs, plugin.Message{Role: plugin.RoleSystem, Parts: parts}), err
	case "assistant":
		msg, err := decodeAssistant(content, param)
		return append(msgs, msg), err
	}
	return decodeUser(msgs, content, param)
}

// decodeUser appends the user message of content, split around its tool_result blocks.
func decodeUser(msgs []plugin.Message, content gjson.Result, param string) ([]plugin.Message, *plugin.Error) {
	var (
		err     *plugin.Error
		parts   []plugin.Part
		pending bool // parts holds blocks of a user message not yet appended
		i       int
	)
	content.ForEach(func(_, b gjson.Result) bool {
		p := param + "." + strconv.Itoa(i)
		i++
		typ, e := blockType(b, p)
		if e != nil {
			err = e
			return false
		}
		switch typ {
		case "tool_result":
			if pending {
				msgs = append(msgs, plugin.Message{Role: plugin.RoleUser, Parts: parts})
				parts, pending = nil, false
			}
			var msg plugin.Message
			if msg, err = decodeToolResult(b, p); err != nil {
				return false
			}
			msgs = append(msgs, msg)
			return true
		case "text", "image", "document", "search_result":
			var part []plugin.Part
			if part, err = decodeBlock(typ, b, p); err != nil {
				return false
			}
			parts, pending = append(parts, part...), true
			return true
		}
		if ignoredBlocks[typ] {
			return true
		}
		err = dialectkit.BadParam(p+".type", "%s.type: content block type %q is not allowed in user messages", p, typ)
		return false
	})
	if err != nil {
		return msgs, err
	}
	if pending || i == 0 {
		msgs = append(msgs, plugin.Message{Role: plugin.RoleUser, Parts: parts})
	}
	return msgs, nil
}

// decodeAssistant decodes the blocks of an assistant message: text, thinking and tool_use.
func decodeAssistant(content gjson.Result, param string) (plugin.Message, *plugin.Error) {
	msg := plugin.Message{Role: plugin.RoleAssistant}
	var (
		err *plugin.Error
		i   int
	)
	content.ForEach(func(_, b gjson.Result) bool {
		p := param + "." + strconv.Itoa(i)
		i++
		typ, e := blockType(b, p)
		if e != nil {
			err = e
			return false
		}
		switch typ {
		case "text":
			t := b.Get("text")
			if t.Type != gjson.String {
				err = dialectkit.BadParam(p+".text", "%s.text: must be a string", p)
				return false
			}
			msg.Parts = append(msg.Parts, textPart(t.Str)...)
		case "thinking":
			t := b.Get("thinking")
			if t.Type != gjson.String {
				err = dialectkit.BadParam(p+".thinking", "%s.thinking: must be a string", p)
				return false
			}
			if msg.Reasoning != "" && t.Str != "" {
				msg.Reasoning += "\n"
			}
			msg.Reasoning += t.Str
		case "redacted_thinking":
			// Opaque, encrypted reasoning: nothing the upstream could use.
		case "tool_use":
			var call plugin.ToolCall
			if call, err = decodeToolUse(b, p); err != nil {
				return false
			}
			call.Index = len(msg.ToolCalls)
			msg.ToolCalls = append(msg.ToolCalls, call)
		default:
			if ignoredBlocks[typ] {
				return true
			}
			err = dialectkit.BadParam(p+".type", "%s.type: content block type %q is not allowed in assistant messages", p, typ)
			return false
		}
		return true
	})
	return msg, err
}

func decodeToolUse(b gjson.Result, param string) (plugin.ToolCall, *plugin.Error) {
	var (
		call plugin.ToolCall
		err  *plugin.Error
	)
	if call.ID, err = dialectkit.Name(b.Get("id"), param+".id"); err != nil {
		return call, err
	}
	if call.Name, err = dialectkit.Name(b.Get("name"), param+".name"); err != nil {
		return call, err
	}
	switch in := b.Get("input"); {
	case !dialectkit.Present(in):
		call.Arguments = "{}"
	case in.IsObject():
		call.Arguments = in.Raw
	default:
		return call, dialectkit.BadParam(param+".input", "%s.input: must be an object", param)
	}
	return call, nil
}

func decodeToolResult(b gjson.Result, param string) (plugin.Message, *plugin.Error) {
	msg := plugin.Message{Role: plugin.RoleTool}
	var err *plugin.Error
	if msg.ToolCallID, err = dialectkit.Name(b.Get("tool_use_id"), param+".tool_use_id"); err != nil {
		return msg, err
	}
	if e := b.Get("is_error"); dialectkit.Present(e) {
		if msg.IsError, err = dialectkit.Bool(e, param+".is_error"); err != nil {
			return msg, err
		}
	}
	c := b.Get("content")
	switch {
	case !dialectkit.Present(c):
		return msg, nil
	case c.Type == gjson.String:
		msg.Parts = textPart(c.Str)
		return msg, nil
	case !c.IsArray():
		return msg, dialectkit.BadParam(param+".content", "%s.content: must be a string or an array of content blocks", param)
	}
	param += ".content"
	i := 0
	c.ForEach(func(_, cb gjson.Result) bool {
		p := param + "." + strconv.Itoa(i)
		i++
		typ, e := blockType(cb, p)
		if e != nil {
			err = e
			return false
		}
		switch typ {
		case "text", "image", "document", "search_result":
			var parts []plugin.Part
			if parts, err = decodeBlock(typ, cb, p); err != nil {
				return false
			}
			msg.Parts = append(msg.Parts, parts...)
			return true
		}
		err = dialectkit.BadParam(p+".type", "%s.type: content block type %q is not allowed in a tool_result", p, typ)
		return false
	})
	return msg, err
}

// blockType returns the type of a content block.
func blockType(b gjson.Result, param string) (string, *plugin.Error) {
	if !b.IsObject() {
		return "", dialectkit.BadParam(param, "%s: must be an object", param)
	}
	t := b.Get("type")
	if t.Type != gjson.String || t.Str == "" {
		return "", dialectkit.BadParam(param+".type", "%s.type: must be a non-empty string", param)
	}
	return t.Str, nil
}

// textPart returns a text part, or none for an empty text.
func textPart(s string) []plugin.Part {
	if s == "" {
		return nil
	}
	return []plugin.Part{{Kind: plugin.PartText, Text: s}}
}
