package anthropic

import (
	"math"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// maxStopSequences bounds the stop sequences the gateway matches against every text delta.
const maxStopSequences = 64

// Reasoning budgets (budget_tokens) at which the effort steps up.
const (
	mediumBudget = 4096
	highBudget   = 16384
)

// decode parses a Messages API request body. count is set for count_tokens requests, which
// need no max_tokens. Every failure is a 400 *plugin.Error whose Param names the field.
func decode(body []byte, count bool) (*plugin.Request, *plugin.Error) {
	if !gjson.ValidBytes(body) {
		return nil, plugin.BadRequest("request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, plugin.BadRequest("request body must be a JSON object")
	}
	var f struct {
		model, messages, system, maxTokens, stream, stop, temperature, topP, topK,
		metadata, tools, toolChoice, thinking gjson.Result
	}
	// One pass over the members; a repeated member's last value wins, as with encoding/json.
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "messages":
			f.messages = v
		case "system":
			f.system = v
		case "max_tokens":
			f.maxTokens = v
		case "stream":
			f.stream = v
		case "stop_sequences":
			f.stop = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "top_k":
			f.topK = v
		case "metadata":
			f.metadata = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "thinking":
			f.thinking = v
		}
		return true
	})

	req := &plugin.Request{ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}
	if !dialectkit.Present(f.model) {
		return nil, dialectkit.BadParam("model", "model: field required")
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return nil, dialectkit.BadParam("model", "model: must be a non-empty string")
	}
	req.Model = f.model.Str

	var err *plugin.Error
	switch {
	case dialectkit.Present(f.maxTokens):
		if req.MaxTokens, err = dialectkit.Int(f.maxTokens, "max_tokens", 1, math.MaxInt32); err != nil {
			return nil, err
		}
	case !count:
		return nil, dialectkit.BadParam("max_tokens", "max_tokens: field required")
	}
	var system []plugin.Part
	if system, err = decodeSystem(f.system); err != nil {
		return nil, err
	}
	if len(system) > 0 {
		req.Messages = append(req.Messages, plugin.Message{Role: plugin.RoleSystem, Parts: system})
	}
	if req.Messages, err = decodeMessages(req.Messages, f.messages); err != nil {
		return nil, err
	}
	if req.Tools, err = decodeTools(f.tools); err != nil {
		return nil, err
	}
	if err = decodeToolChoice(req, f.toolChoice); err != nil {
		return nil, err
	}
	if dialectkit.Present(f.stream) {
		if req.Stream, err = dialectkit.Bool(f.stream, "stream"); err != nil {
			return nil, err
		}
	}
	if req.Stop, err = decodeStop(f.stop); err != nil {
		return nil, err
	}
	if req.Temperature, err = dialectkit.Number(f.temperature, "temperature", 0, 1); err != nil {
		return nil, err
	}
	if req.TopP, err = dialectkit.Number(f.topP, "top_p", 0, 1); err != nil {
		return nil, err
	}
	if dialectkit.Present(f.topK) { // accepted and ignored: the upstream has no top_k
		if _, err = dialectkit.Int(f.topK, "top_k", 0, math.MaxInt32); err != nil {
			return nil, err
		}
	}
	if v := f.metadata; dialectkit.Present(v) {
		if !v.IsObject() {
			return nil, dialectkit.BadParam("metadata", "metadata: must be an object")
		}
		if u := v.Get("user_id"); dialectkit.Present(u) {
			if u.Type != gjson.String {
				return nil, dialectkit.BadParam("metadata.user_id", "metadata.user_id: must be a string")
			}
			req.User = u.Str
		}
	}
	if err = decodeThinking(req, f.thinking); err != nil {
		return nil, err
	}
	return req, nil
}

// decodeSystem decodes the system prompt: a string or an array of text blocks.
func decodeSystem(v gjson.Result) ([]plugin.Part, *plugin.Error) {
	switch {
	case !dialectkit.Present(v):
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []plugin.Part{{Kind: plugin.PartText, Text: v.Str}}, nil
	case !v.IsArray():
		return nil, dialectkit.BadParam("system", "system: must be a string or an array of text blocks")
	}
	return textBlocks(v, "system")
}

// textBlocks decodes an array of text blocks; empty texts are dropped.
func textBlocks(v gjson.Result, param string) ([]plugin.Part, *plugin.Error) {
	var (
		parts []plugin.Part
		err   *plugin.Error
		i     int
	)
	v.ForEach(func(_, b gjson.Result) bool {
		p := param + "." + strconv.Itoa(i)
		i++
		if !b.IsObject() || b.Get("type").Str != "text" {
			err = dialectkit.BadParam(p, "%s: must be a text block", p)
			return false
		}
		t := b.Get("text")
		if t.Type != gjson.String {
			err = dialectkit.BadParam(p+".text", "%s.text: must be a string", p)
			return false
		}
		if t.Str != "" {
			parts = append(parts, plugin.Part{Kind: plugin.PartText, Text: t.Str})
		}
		return true
	})
	return parts, err
}

func decodeTools(v gjson.Result) ([]plugin.Tool, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, dialectkit.BadParam("tools", "tools: must be an array")
	}
	var (
		tools []plugin.Tool
		err   *plugin.Error
		i     int
	)
	v.ForEach(func(_, t gjson.Result) bool {
		p := "tools." + strconv.Itoa(i)
		i++
		if !t.IsObject() {
			err = dialectkit.BadParam(p, "%s: must be an object", p)
			return false
		}
		if typ := t.Get("type"); dialectkit.Present(typ) {
			if typ.Type != gjson.String {
				err = dialectkit.BadParam(p+".type", "%s.type: must be a string", p)
				return false
			}
			if typ.Str != "custom" {
				return true // a server tool: dropped, see the package documentation
			}
		}
		var tool plugin.Tool
		if tool.Name, err = dialectkit.Name(t.Get("name"), p+".name"); err != nil {
			return false
		}
		for _, prev := range tools {
			if prev.Name == tool.Name {
				err = dialectkit.BadParam(p+".name", "%s.name: duplicate tool name %q", p, tool.Name)
				return false
			}
		}
		if d := t.Get("description"); dialectkit.Present(d) {
			if d.Type != gjson.String {
				err = dialectkit.BadParam(p+".description", "%s.description: must be a string", p)
				return false
			}
			tool.Description = d.Str
		}
		if s := t.Get("input_schema"); dialectkit.Present(s) {
			if !s.IsObject() {
				err = dialectkit.BadParam(p+".input_schema", "%s.input_schema: must be a JSON schema object", p)
				return false
			}
			tool.Parameters = []byte(s.Raw)
		}
		tools = append(tools, tool)
		return true
	})
	return tools, err
}

func decodeToolChoice(req *plugin.Request, v gjson.Result) *plugin.Error {
	if !dialectkit.Present(v) {
		return nil
	}
	if !v.IsObject() {
		return dialectkit.BadParam("tool_choice", "tool_choice: must be an object")
	}
	if d := v.Get("disable_parallel_tool_use"); dialectkit.Present(d) {
		off, err := dialectkit.Bool(d, "tool_choice.disable_parallel_tool_use")
		if err != nil {
			return err
		}
		req.ParallelToolCalls = !off
	}
	typ := v.Get("type")
	if typ.Type != gjson.String {
		return dialectkit.BadParam("tool_choice.type", "tool_choice.type: must be a string")
	}
	switch typ.Str {
	case "auto":
		req.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}
	case "none":
		req.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceNone}
	case "any":
		if len(req.Tools) == 0 {
			return dialectkit.BadParam("tool_choice", "tool_choice: type \"any\" needs tools")
		}
		req.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceRequired}
	case "tool":
		n, err := dialectkit.Name(v.Get("name"), "tool_choice.name")
		if err != nil {
			return err
		}
		for _, t := range req.Tools {
			if t.Name == n {
				req.ToolChoice = plugin.ToolChoice{Mode: plugin.ToolChoiceFunction, Name: n}
				return nil
			}
		}
		return dialectkit.BadParam("tool_choice.name", "tool_choice.name: tool %q is not in tools", n)
	default:
		return dialectkit.BadParam("tool_choice.type", "tool_choice.type: must be \"auto\", \"any\", \"tool\" or \"none\"")
	}
	return nil
}

func decodeThinking(req *plugin.Request, v gjson.Result) *plugin.Error {
	if !dialectkit.Present(v) {
		return nil
	}
	if !v.IsObject() {
		return dialectkit.BadParam("thinking", "thinking: must be an object")
	}
	typ := v.Get("type")
	if typ.Type != gjson.String {
		return dialectkit.BadParam("thinking.type", "thinking.type: must be a string")
	}
	switch typ.Str {
	case "disabled":
		return nil
	case "adaptive":
		req.Thinking = true
		return nil
	case "enabled":
	default:
		return dialectkit.BadParam("thinking.type", "thinking.type: must be \"enabled\", \"adaptive\" or \"disabled\"")
	}
	req.Thinking = true
	b := v.Get("budget_tokens")
	if !dialectkit.Present(b) {
		return nil
	}
	budget, err := dialectkit.Int(b, "thinking.budget_tokens", 1, math.MaxInt32)
	if err != nil {
		return err
	}
	switch {
	case budget < mediumBudget:
		req.ReasoningEffort = "low"
	case budget < highBudget:
		req.ReasoningEffort = "medium"
	default:
		req.ReasoningEffort = "high"
	}
	return nil
}

func decodeStop(v gjson.Result) ([]string, *plugin.Error) {
	return dialectkit.Strings(v, "stop_sequences", maxStopSequences, false)
}
