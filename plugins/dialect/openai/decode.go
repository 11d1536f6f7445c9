package openai

import (
	"math"

	"github.com/tidwall/gjson"

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
	if !present(f.model) {
		return nil, badParam("model", "you must provide a model parameter")
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return nil, badParam("model", "model must be a non-empty string")
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
	if present(f.parallel) {
		if req.ParallelToolCalls, err = boolean(f.parallel, "parallel_tool_calls"); err != nil {
			return nil, err
		}
	}
	if present(f.stream) {
		if req.Stream, err = boolean(f.stream, "stream"); err != nil {
			return nil, err
		}
	}
	if v := f.streamOptions; present(v) {
		if !v.IsObject() {
			return nil, badParam("stream_options", "stream_options must be an object")
		}
		if u := v.Get("include_usage"); present(u) {
			if req.IncludeUsage, err = boolean(u, "stream_options.include_usage"); err != nil {
				return nil, err
			}
		}
	}
	if v := f.effort; present(v) {
		if v.Type != gjson.String {
			return nil, badParam("reasoning_effort", "reasoning_effort must be a string")
		}
		if v.Str != "" && v.Str != "none" {
			req.Thinking, req.ReasoningEffort = true, v.Str
		}
	}
	switch {
	case present(f.maxCompletionTokens):
		req.MaxTokens, err = count(f.maxCompletionTokens, "max_completion_tokens")
	case present(f.maxTokens):
		req.MaxTokens, err = count(f.maxTokens, "max_tokens")
	}
	if err != nil {
		return nil, err
	}
	if req.Temperature, err = number(f.temperature, "temperature", 0, 2); err != nil {
		return nil, err
	}
	if req.TopP, err = number(f.topP, "top_p", 0, 1); err != nil {
		return nil, err
	}
	if req.Stop, err = decodeStop(f.stop); err != nil {
		return nil, err
	}
	if v := f.n; present(v) && (v.Type != gjson.Number || v.Num != 1) {
		return nil, &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Param: "n", Message: "only n=1 is supported"}
	}
	if v := f.user; present(v) {
		if v.Type != gjson.String {
			return nil, badParam("user", "user must be a string")
		}
		req.User = v.Str
	}
	return req, nil
}

func decodeStop(v gjson.Result) ([]string, *plugin.Error) {
	switch {
	case !present(v):
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []string{v.Str}, nil
	case !v.IsArray():
		return nil, badParam("stop", "stop must be a string or an array of strings")
	}
	var (
		stop []string
		err  *plugin.Error
		n    int
	)
	v.ForEach(func(_, s gjson.Result) bool {
		if n++; n > maxStop {
			err = badParam("stop", "stop accepts at most %d sequences", maxStop)
			return false
		}
		if s.Type != gjson.String {
			err = badParam("stop", "stop must be a string or an array of strings")
			return false
		}
		if s.Str != "" {
			stop = append(stop, s.Str)
		}
		return true
	})
	return stop, err
}

// present reports whether a field was given with a non-null value.
func present(v gjson.Result) bool { return v.Exists() && v.Type != gjson.Null }

func badParam(param, format string, args ...any) *plugin.Error {
	e := plugin.BadRequest(format, args...)
	e.Param = param
	return e
}

func boolean(v gjson.Result, param string) (bool, *plugin.Error) {
	if v.Type != gjson.True && v.Type != gjson.False {
		return false, badParam(param, "%s must be a boolean", param)
	}
	return v.Type == gjson.True, nil
}

// name returns a required, non-empty string field.
func name(v gjson.Result, param string) (string, *plugin.Error) {
	if v.Type != gjson.String || v.Str == "" {
		return "", badParam(param, "%s must be a non-empty string", param)
	}
	return v.Str, nil
}

// count returns a non-negative integer field.
func count(v gjson.Result, param string) (int, *plugin.Error) {
	if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) {
		return 0, badParam(param, "%s must be an integer", param)
	}
	if v.Num < 0 || v.Num > math.MaxInt32 {
		return 0, badParam(param, "%s must be between 0 and %d", param, math.MaxInt32)
	}
	return int(v.Num), nil
}

// number returns an optional number field within [lo, hi].
func number(v gjson.Result, param string, lo, hi float64) (*float64, *plugin.Error) {
	if !present(v) {
		return nil, nil
	}
	if v.Type != gjson.Number {
		return nil, badParam(param, "%s must be a number", param)
	}
	if v.Num < lo || v.Num > hi {
		return nil, badParam(param, "%s must be between %g and %g", param, lo, hi)
	}
	f := v.Num
	return &f, nil
}
