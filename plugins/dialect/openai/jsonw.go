package openai

import (
	"strconv"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// appendUsage appends an OpenAI usage object. A missing total is the sum of the parts.
func appendUsage(dst []byte, u plugin.Usage) []byte {
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(total), 10)
	dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.ReasoningTokens), 10)
	return append(dst, "}}"...)
}

// appendToolCall appends one tool call object; index < 0 omits the index (non-stream form).
func appendToolCall(dst []byte, index int, id, name, args string) []byte {
	dst = append(dst, '{')
	if index >= 0 {
		dst = append(dst, `"index":`...)
		dst = strconv.AppendInt(dst, int64(index), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"id":`...)
	dst = dialectkit.AppendString(dst, id)
	dst = append(dst, `,"type":"function","function":{"name":`...)
	dst = dialectkit.AppendString(dst, name)
	dst = append(dst, `,"arguments":`...)
	if args == "" {
		args = "{}"
	}
	dst = dialectkit.AppendString(dst, args)
	return append(dst, "}}"...)
}
