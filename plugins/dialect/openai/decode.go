package openai

import (
	"math"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// maxStop is the number of stop sequences OpenAI accepts.
const maxStop = 4

// decode parses a Chat Completions request body. Every failure is a 400 *plugin.Error whose
// Param names the offending field.
func decode(body []byte) (*plugin.Request, *plugin.Error) {
	if !gjson.ValidBytes(body) {
		return nil, plugin.BadRequest("request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, plugin.BadRequest("request body must be a JSON object")
	}
	var f struct {
		model, messages, tools, toolChoice, parallel, stream, streamOptions, effort,
		maxTokens, maxCompletionTokens, temperature, topP, stop, n, user gjson.Result
	}
	// One pass over the members; a repeated member's last value wins, as with encoding/json.
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "messages":
			f.messages = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "parallel_tool_calls":
			f.parallel = v
		case "stream":
			f.stream = v
		case "stream_options":
			f.streamOptions = v
		case "reasoning_effort":
			f.effort = v
		case "max_tokens":
			f.maxTokens = v
		case "max_completion_tokens":
			f.maxCompletionTokens = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "stop":
			f.stop = v
		case "n":
			f.n = v
		case "user":
			f.user = v
		}
		return true
	})

	req := &plugin.Request{ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}
	if !dialectkit.Present(f.model) {
		return nil, dialectkit.BadParam("model", "you must provide a model parameter")
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return nil, dialectkit.BadParam("model", "model must be a non-empty string")
	}
	req.Model = f.model.Str

	var err *plugin.Error
	if req.Messages, err = decodeMessages(f.messages); err != nil {
		return nil, err
	}
	if req.Tools, err = decodeTools(f.tools); err != nil {
		return nil, err
	}
	if req.ToolChoice, err = decodeToolChoice(f.toolChoice, req.Tools); err != nil {
		return nil, err
	}
	if dialectkit.Present(f.parallel) {
		if req.ParallelToolCalls, err = dialectkit.Bool(f.parallel, "parallel_tool_calls"); err != nil {
			return nil, err
		}
	}
	if dialectkit.Present(f.stream) {
		if req.Stream, err = dialectkit.Bool(f.stream, "stream"); err != nil {
			return nil, err
		}
	}
	if v := f.streamOptions; dialectkit.Present(v) {
		if !v.IsObject() {
			return nil, dialectkit.BadParam("stream_options", "stream_options must be an object")
		}
		if u := v.Get("include_usage"); dialectkit.Present(u) {
			if req.IncludeUsage, err = dialectkit.Bool(u, "stream_options.include_usage"); err != nil {
				return nil, err
			}
		}
	}
	if v := f.effort; dialectkit.Present(v) {
		if v.Type != gjson.String {
			return nil, dialectkit.BadParam("reasoning_effort", "reasoning_effort must be a string")
		}
		if v.Str != "" && v.Str != "none" {
			req.Thinking, req.ReasoningEffort = true, v.Str
		}
	}
	switch {
	case dialectkit.Present(f.maxCompletionTokens):
		req.MaxTokens, err = dialectkit.Int(f.maxCompletionTokens, "max_completion_tokens", 0, math.MaxInt32)
	case dialectkit.Present(f.maxTokens):
		req.MaxTokens, err = dialectkit.Int(f.maxTokens, "max_tokens", 0, math.MaxInt32)
	}
	if err != nil {
		return nil, err
	}
	if req.Temperature, err = dialectkit.Number(f.temperature, "temperature", 0, 2); err != nil {
		return nil, err
	}
	if req.TopP, err = dialectkit.Number(f.topP, "top_p", 0, 1); err != nil {
		return nil, err
	}
	if req.Stop, err = decodeStop(f.stop); err != nil {
		return nil, err
	}
	if v := f.n; dialectkit.Present(v) && (v.Type != gjson.Number || v.Num != 1) {
		return nil, &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Param: "n", Message: "only n=1 is supported"}
	}
	if v := f.user; dialectkit.Present(v) {
		if v.Type != gjson.String {
			return nil, dialectkit.BadParam("user", "user must be a string")
		}
		req.User = v.Str
	}
	return req, nil
}

func decodeStop(v gjson.Result) ([]string, *plugin.Error) {
	return dialectkit.Strings(v, "stop", maxStop, true)
}
