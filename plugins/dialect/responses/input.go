package responses

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeInput decodes the input: a string (one user message) or a list of input items. It
// returns the conversation and the items as given, for storage. The input may be absent only
// when a previous response supplies the conversation. idx names the namespaced tools of calls.
func decodeInput(v gjson.Result, hasPrevious bool, idx *toolIndex) ([]plugin.Message, []json.RawMessage, *plugin.Error) {
	switch {
	case !dialectkit.Present(v):
		if hasPrevious {
			return nil, nil, nil
		}
		return nil, nil, dialectkit.BadParam("input", "you must provide an input parameter")
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil, dialectkit.BadParam("input", "input must not be empty")
		}
		return []plugin.Message{plugin.TextMessage(plugin.RoleUser, v.Str)}, []json.RawMessage{compact(v.Raw)}, nil
	case !v.IsArray():
		return nil, nil, dialectkit.BadParam("input", "input must be a string or an array of input items")
	}
	msgs, raws, err := decodeItems(v, "input", idx)
	if err != nil {
		return nil, nil, err
	}
	if len(msgs) == 0 && !hasPrevious {
		return nil, nil, dialectkit.BadParam("input", "input must contain at least one message")
	}
	return msgs, raws, nil
}

// items accumulates the conversation made of a list of input items.
type items struct {
	// idx gives the canonical names of namespaced tools.
	idx  *toolIndex
	msgs []plugin.Message
	// reasoning is the text of reasoning items waiting for the next assistant message.
	reasoning string
}

// decodeItems decodes a list of input items into canonical messages. Consecutive function
// calls, and calls that follow an assistant message, form one assistant message; reasoning
// items go to the next assistant message, or are dropped when another message comes first.
// A function call of a namespaced tool ("namespace" and "name") gets its canonical name from idx.
func decodeItems(v gjson.Result, param string, idx *toolIndex) ([]plugin.Message, []json.RawMessage, *plugin.Error) {
	var (
		st   = items{idx: idx}
		raws []json.RawMessage
		err  *plugin.Error
		i    int
	)
	v.ForEach(func(_, it gjson.Result) bool {
		p := index(param, i)
		i++
		if err = st.add(it, p); err != nil {
			return false
		}
		raws = append(raws, compact(it.Raw))
		return true
	})
	return st.msgs, raws, err
}

func (st *items) add(it gjson.Result, p string) *plugin.Error {
	if !it.IsObject() {
		return dialectkit.BadParam(p, "%s must be an object", p)
	}
	typ := it.Get("type")
	kind := typ.Str
	switch {
	case !dialectkit.Present(typ) && dialectkit.Present(it.Get("role")):
		kind = "message"
	case typ.Type != gjson.String:
		return dialectkit.BadParam(p+".type", "%s.type must be a string", p)
	}
	switch kind {
	case "message":
		return st.message(it, p)
	case "input_text":
		t := it.Get("text")
		if t.Type != gjson.String {
			return dialectkit.BadParam(p+".text", "%s.text must be a string", p)
		}
		st.push(plugin.TextMessage(plugin.RoleUser, t.Str))
	case "function_call":
		return st.functionCall(it, p)
	case "function_call_output":
		return st.functionOutput(it, p)
	case "reasoning":
		return st.reasoningItem(it, p)
	case "item_reference":
		return unsupportedParam(p+".type", "input items of type \"item_reference\" are not supported; send the referenced item itself")
	default:
		return unsupportedParam(p+".type", "input items of type %q are not supported", kind)
	}
	return nil
}

// push appends a message that is not the assistant's; pending reasoning is dropped.
func (st *items) push(m plugin.Message) {
	st.reasoning = ""
	st.msgs = append(st.msgs, m)
}

// assistant appends an assistant message that takes the pending reasoning.
func (st *items) assistant(m plugin.Message) {
	m.Reasoning, st.reasoning = st.reasoning, ""
	st.msgs = append(st.msgs, m)
}

func (st *items) message(it gjson.Result, p string) *plugin.Error {
	role := it.Get("role")
	if role.Type != gjson.String {
		return dialectkit.BadParam(p+".role", "%s.role must be a string", p)
	}
	var r plugin.Role
	switch role.Str {
	case "user":
		r = plugin.RoleUser
	case "assistant":
		r = plugin.RoleAssistant
	case "system", "developer":
		r = plugin.RoleSystem
	default:
		return dialectkit.BadParam(p+".role", "%s.role %q is not one of user, assistant, system or developer", p, role.Str)
	}
	parts, err := decodeContent(it.Get("content"), p+".content")
	if err != nil {
		return err
	}
	m := plugin.Message{Role: r, Parts: parts}
	if r == plugin.RoleAssistant {
		st.assistant(m)
	} else {
		st.push(m)
	}
	return nil
}

func (st *items) functionCall(it gjson.Result, p string) *plugin.Error {
	id, err := name(it.Get("call_id"), p+".call_id")
	if err != nil {
		return err
	}
	fn, err := name(it.Get("name"), p+".name")
	if err != nil {
		return err
	}
	ns := it.Get("namespace")
	if dialectkit.Present(ns) && ns.Type != gjson.String {
		return dialectkit.BadParam(p+".namespace", "%s.namespace must be a string", p)
	}
	call := plugin.ToolCall{ID: id, Name: st.idx.canonical(ns.Str, fn)}
	switch args := it.Get("arguments"); {
	case !dialectkit.Present(args):
		call.Arguments = "{}"
	case args.Type == gjson.String:
		call.Arguments = args.Str
	case args.IsObject():
		// Some clients send the arguments object itself instead of its encoding.
		call.Arguments = string(compact(args.Raw))
	default:
		return dialectkit.BadParam(p+".arguments", "%s.arguments must be a string", p)
	}
	if n := len(st.msgs); n > 0 && st.msgs[n-1].Role == plugin.RoleAssistant && st.reasoning == "" {
		last := &st.msgs[n-1]
		call.Index = len(last.ToolCalls)
		last.ToolCalls = append(last.ToolCalls, call)
		return nil
	}
	st.assistant(plugin.Message{Role: plugin.RoleAssistant, ToolCalls: []plugin.ToolCall{call}})
	return nil
}

func (st *items) functionOutput(it gjson.Result, p string) *plugin.Error {
	id, err := name(it.Get("call_id"), p+".call_id")
	if err != nil {
		return err
	}
	m := plugin.Message{Role: plugin.RoleTool, ToolCallID: id}
	switch out := it.Get("output"); {
	case !dialectkit.Present(out):
		return dialectkit.BadParam(p+".output", "%s.output is required", p)
	case out.Type == gjson.String:
		if out.Str != "" {
			m.Parts = []plugin.Part{{Kind: plugin.PartText, Text: out.Str}}
		}
	case out.IsArray():
		if m.Parts, err = decodeContent(out, p+".output"); err != nil {
			return err
		}
	default:
		m.Parts = []plugin.Part{{Kind: plugin.PartText, Text: string(compact(out.Raw))}}
	}
	st.push(m)
	return nil
}

// reasoningItem keeps the text of a reasoning item (its content, else its summary) for the
// next assistant message.
func (st *items) reasoningItem(it gjson.Result, p string) *plugin.Error {
	var b strings.Builder
	for _, field := range [...]string{"content", "summary"} {
		list := it.Get(field)
		if !dialectkit.Present(list) {
			continue
		}
		if !list.IsArray() {
			return dialectkit.BadParam(p+"."+field, "%s.%s must be an array", p, field)
		}
		for _, part := range list.Array() {
			if t := part.Get("text"); t.Type == gjson.String && t.Str != "" {
				if b.Len() > 0 {
					b.WriteString("\n\n")
				}
				b.WriteString(t.Str)
			}
		}
		if b.Len() > 0 {
			break
		}
	}
	if b.Len() > 0 {
		if st.reasoning != "" {
			st.reasoning += "\n\n"
		}
		st.reasoning += b.String()
	}
	return nil
}
