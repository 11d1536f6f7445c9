package responses

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Limits of the metadata object, as the API documents them.
const (
	maxMetadataKeys     = 16
	maxMetadataKeyLen   = 64
	maxMetadataValueLen = 512
)

// call is what the dialect keeps of one request, from decoding to rendering the response.
type call struct {
	req *plugin.Request
	// instructions are the leading system messages made of the instructions parameter.
	instructions []plugin.Message
	// convo is the conversation without instructions: the previous response's conversation,
	// when there is one, then the input.
	convo []plugin.Message
	// inputItems are the input items as given (compact JSON); a string input is one string.
	inputItems []json.RawMessage
	// items are the input items as stored, each with an id; see storedItems.
	items []json.RawMessage
	// Echoes of request parameters in the response object, as compact JSON.
	instructionsEcho, metadata, tools, toolChoice, text, reasoning []byte
	format                                                         textFormat
	truncation                                                     string
	maxOutputTokens                                                int
	previousID                                                     string
	// store is the client's store flag; st is the store used, nil when not storing.
	store bool
	st    Store
	// background asks to run the response detached from the request; see background.go.
	background bool
	// toolIndex maps the canonical names of namespaced tools to their namespaces and back.
	toolIndex toolIndex
	// dropped are the types of the hosted tools left out; ignoredChoice is the tool_choice
	// replaced by "auto" (a hosted tool type, or "required" with only hosted tools), if any.
	dropped       []string
	ignoredChoice string
}

// options are the dialect settings that shape decoding.
type options struct {
	// rejectHosted refuses hosted tools instead of dropping them.
	rejectHosted bool
}

// decode parses a Responses request body. Every failure is a 400 *plugin.Error (or an
// unsupported error) whose Param names the offending field.
func decode(body []byte, o options) (*call, *plugin.Error) {
	if !gjson.ValidBytes(body) {
		return nil, plugin.BadRequest("request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, plugin.BadRequest("request body must be a JSON object")
	}
	var f struct {
		model, input, instructions, tools, toolChoice, parallel, reasoning, text, maxOutput,
		metadata, store, previous, stream, user, temperature, topP, background, truncation gjson.Result
	}
	unsupported := ""
	// One pass over the members; a repeated member's last value wins, as with encoding/json.
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "input":
			f.input = v
		case "instructions":
			f.instructions = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "parallel_tool_calls":
			f.parallel = v
		case "reasoning":
			f.reasoning = v
		case "text":
			f.text = v
		case "max_output_tokens":
			f.maxOutput = v
		case "metadata":
			f.metadata = v
		case "store":
			f.store = v
		case "previous_response_id":
			f.previous = v
		case "stream":
			f.stream = v
		case "user", "safety_identifier":
			if k.Str == "user" || !dialectkit.Present(f.user) {
				f.user = v
			}
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "background":
			f.background = v
		case "truncation":
			f.truncation = v
		case "prompt", "conversation":
			if dialectkit.Present(v) {
				unsupported = k.Str
			}
		}
		return true
	})
	if unsupported != "" {
		return nil, unsupportedParam(unsupported, "%s is not supported by this gateway", unsupported)
	}

	req := &plugin.Request{ParallelToolCalls: true, ToolChoice: plugin.ToolChoice{Mode: plugin.ToolChoiceAuto}}
	c := &call{req: req, store: true}
	if !dialectkit.Present(f.model) {
		return nil, dialectkit.BadParam("model", "you must provide a model parameter")
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return nil, dialectkit.BadParam("model", "model must be a non-empty string")
	}
	req.Model = f.model.Str

	if v := f.previous; dialectkit.Present(v) {
		if v.Type != gjson.String || v.Str == "" {
			return nil, dialectkit.BadParam("previous_response_id", "previous_response_id must be a non-empty string")
		}
		c.previousID = v.Str
	}
	// The tools come first: function_call items name namespaced tools by namespace and name.
	decl, err := decodeTools(f.tools, o.rejectHosted)
	if err != nil {
		return nil, err
	}
	req.Tools, c.tools, c.toolIndex, c.dropped = decl.tools, decl.echo, decl.index, decl.dropped
	if err = c.decodeToolChoice(f.toolChoice, &decl, o.rejectHosted); err != nil {
		return nil, err
	}
	if c.convo, c.inputItems, err = decodeInput(f.input, c.previousID != "", &c.toolIndex); err != nil {
		return nil, err
	}
	if c.instructions, c.instructionsEcho, err = decodeInstructions(f.instructions, &c.toolIndex); err != nil {
		return nil, err
	}
	if dialectkit.Present(f.parallel) {
		if req.ParallelToolCalls, err = dialectkit.Bool(f.parallel, "parallel_tool_calls"); err != nil {
			return nil, err
		}
	}
	if err = c.decodeReasoning(f.reasoning); err != nil {
		return nil, err
	}
	if c.format, c.text, err = decodeText(f.text); err != nil {
		return nil, err
	}
	if dialectkit.Present(f.maxOutput) {
		if c.maxOutputTokens, err = count(f.maxOutput, "max_output_tokens"); err != nil {
			return nil, err
		}
		if c.maxOutputTokens < 1 {
			return nil, dialectkit.BadParam("max_output_tokens", "max_output_tokens must be at least 1")
		}
		req.MaxTokens = c.maxOutputTokens
	}
	if c.metadata, err = decodeMetadata(f.metadata); err != nil {
		return nil, err
	}
	if dialectkit.Present(f.store) {
		if c.store, err = dialectkit.Bool(f.store, "store"); err != nil {
			return nil, err
		}
	}
	if dialectkit.Present(f.stream) {
		if req.Stream, err = dialectkit.Bool(f.stream, "stream"); err != nil {
			return nil, err
		}
	}
	if dialectkit.Present(f.background) {
		if c.background, err = dialectkit.Bool(f.background, "background"); err != nil {
			return nil, err
		}
		switch {
		case c.background && !c.store:
			return nil, dialectkit.BadParam("background", "background responses must be stored: store must not be false")
		case c.background && req.Stream:
			return nil, unsupportedParam("background", "background responses cannot be streamed by this gateway; poll GET /v1/responses/{id} instead")
		}
	}
	if v := f.truncation; dialectkit.Present(v) && (v.Type != gjson.String || (v.Str != "auto" && v.Str != "disabled")) {
		return nil, dialectkit.BadParam("truncation", "truncation must be \"auto\" or \"disabled\"")
	}
	c.truncation = f.truncation.Str
	if req.Temperature, err = dialectkit.Number(f.temperature, "temperature", 0, 2); err != nil {
		return nil, err
	}
	if req.TopP, err = dialectkit.Number(f.topP, "top_p", 0, 1); err != nil {
		return nil, err
	}
	if v := f.user; dialectkit.Present(v) {
		if v.Type != gjson.String {
			return nil, dialectkit.BadParam("user", "user must be a string")
		}
		req.User = v.Str
	}
	return c, nil
}

// finish builds the canonical messages: the instructions, then the conversation, with the
// output format's instruction after the last system message (or first when there is none).
func (c *call) finish() {
	msgs := make([]plugin.Message, 0, len(c.instructions)+len(c.convo)+1)
	msgs = append(msgs, c.instructions...)
	msgs = append(msgs, c.convo...)
	if text := c.format.instruction(); text != "" {
		at := 0
		for i, m := range msgs {
			if m.Role == plugin.RoleSystem {
				at = i + 1
			}
		}
		msgs = append(msgs, plugin.Message{})
		copy(msgs[at+1:], msgs[at:])
		msgs[at] = plugin.TextMessage(plugin.RoleSystem, text)
	}
	c.req.Messages = msgs
}

// decodeInstructions decodes the instructions: a string or a list of message items.
func decodeInstructions(v gjson.Result, idx *toolIndex) ([]plugin.Message, []byte, *plugin.Error) {
	switch {
	case !dialectkit.Present(v):
		return nil, nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil, nil
		}
		return []plugin.Message{plugin.TextMessage(plugin.RoleSystem, v.Str)}, compact(v.Raw), nil
	case v.IsArray():
		msgs, _, err := decodeItems(v, "instructions", idx)
		return msgs, compact(v.Raw), err
	}
	return nil, nil, dialectkit.BadParam("instructions", "instructions must be a string or an array of input items")
}

// decodeReasoning decodes the reasoning configuration into the request's thinking settings.
func (c *call) decodeReasoning(v gjson.Result) *plugin.Error {
	if !dialectkit.Present(v) {
		return nil
	}
	if !v.IsObject() {
		return dialectkit.BadParam("reasoning", "reasoning must be an object")
	}
	if s := v.Get("summary"); dialectkit.Present(s) {
		if s.Type != gjson.String {
			return dialectkit.BadParam("reasoning.summary", "reasoning.summary must be a string")
		}
		switch s.Str {
		case "auto", "concise", "detailed":
		default:
			return dialectkit.BadParam("reasoning.summary", "reasoning.summary must be \"auto\", \"concise\" or \"detailed\"")
		}
	}
	c.reasoning = compact(v.Raw)
	e := v.Get("effort")
	if !dialectkit.Present(e) {
		return nil
	}
	if e.Type != gjson.String {
		return dialectkit.BadParam("reasoning.effort", "reasoning.effort must be a string")
	}
	switch e.Str {
	case "none", "minimal":
	case "low", "medium", "high":
		c.req.Thinking, c.req.ReasoningEffort = true, e.Str
	case "xhigh":
		c.req.Thinking, c.req.ReasoningEffort = true, "high"
	default:
		return dialectkit.BadParam("reasoning.effort", "reasoning.effort must be one of none, minimal, low, medium, high or xhigh")
	}
	return nil
}

// decodeMetadata checks the metadata map and returns its compact form.
func decodeMetadata(v gjson.Result) ([]byte, *plugin.Error) {
	if !dialectkit.Present(v) {
		return nil, nil
	}
	if !v.IsObject() {
		return nil, dialectkit.BadParam("metadata", "metadata must be an object of strings")
	}
	var (
		n   int
		err *plugin.Error
	)
	v.ForEach(func(k, val gjson.Result) bool {
		switch n++; {
		case n > maxMetadataKeys:
			err = dialectkit.BadParam("metadata", "metadata may have at most %d keys", maxMetadataKeys)
		case utf8.RuneCountInString(k.Str) > maxMetadataKeyLen:
			err = dialectkit.BadParam("metadata", "metadata keys may have at most %d characters", maxMetadataKeyLen)
		case val.Type != gjson.String:
			err = dialectkit.BadParam("metadata."+k.Str, "metadata values must be strings")
		case utf8.RuneCountInString(val.Str) > maxMetadataValueLen:
			err = dialectkit.BadParam("metadata."+k.Str, "metadata values may have at most %d characters", maxMetadataValueLen)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return compact(v.Raw), nil
}

// compact returns raw, which is valid JSON, without insignificant white space.
func compact(raw string) []byte {
	var b bytes.Buffer
	if json.Compact(&b, []byte(raw)) != nil {
		return []byte(raw)
	}
	return b.Bytes()
}

// name returns a required, non-empty string field.
func name(v gjson.Result, param string) (string, *plugin.Error) {
	if v.Type != gjson.String || v.Str == "" {
		return "", dialectkit.BadParam(param, "%s must be a non-empty string", param)
	}
	return v.Str, nil
}

// count returns a non-negative integer field.
func count(v gjson.Result, param string) (int, *plugin.Error) {
	if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) {
		return 0, dialectkit.BadParam(param, "%s must be an integer", param)
	}
	if v.Num < 0 || v.Num > math.MaxInt32 {
		return 0, dialectkit.BadParam(param, "%s must be between 0 and %d", param, math.MaxInt32)
	}
	return int(v.Num), nil
}

// index returns param[i].
func index(param string, i int) string { return param + "[" + strconv.Itoa(i) + "]" }

// unsupportedParam returns a 400 unsupported error naming param.
func unsupportedParam(param, format string, args ...any) *plugin.Error {
	e := plugin.Errorf(400, plugin.CodeUnsupported, format, args...)
	e.Param = param
	return e
}
