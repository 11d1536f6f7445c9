package responses

import (
	"strings"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/dialect/openai"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Kinds of output items.
const (
	itemReasoning = "reasoning"
	itemMessage   = "message"
	itemCall      = "function_call"
)

// Response statuses.
const (
	statusQueued     = "queued"
	statusInProgress = "in_progress"
	statusCompleted  = "completed"
	statusIncomplete = "incomplete"
	statusFailed     = "failed"
	statusCancelled  = "cancelled"
)

// item is one output item of a response.
type item struct {
	kind string
	id   string
	done bool
	// text is the reasoning or message text.
	text strings.Builder
	// The function call of an itemCall; name is the canonical name. The call of a namespaced
	// tool is rendered with its namespace ns and its own name local.
	callID, name, args string
	ns, local          string
}

// appendItem appends the item object in its current state: an open item has no content yet
// (an empty summary, content list or arguments) and the status in_progress.
func appendItem(dst []byte, it *item) []byte {
	dst = append(dst, `{"id":`...)
	dst = dialectkit.AppendString(dst, it.id)
	switch it.kind {
	case itemReasoning:
		dst = append(dst, `,"type":"reasoning","summary":[`...)
		if it.done {
			dst = appendSummaryPart(dst, it.text.String())
		}
		return append(dst, "]}"...)
	case itemMessage:
		dst = append(dst, `,"type":"message","status":`...)
		dst = appendStatus(dst, it.done)
		dst = append(dst, `,"content":[`...)
		if it.done {
			dst = appendTextPart(dst, it.text.String())
		}
		return append(dst, `],"role":"assistant"}`...)
	}
	dst = append(dst, `,"type":"function_call","status":`...)
	dst = appendStatus(dst, it.done)
	dst = append(dst, `,"arguments":`...)
	if it.done {
		dst = dialectkit.AppendString(dst, it.args)
	} else {
		dst = append(dst, `""`...)
	}
	dst = append(dst, `,"call_id":`...)
	dst = dialectkit.AppendString(dst, it.callID)
	dst = append(dst, `,"name":`...)
	if it.ns == "" {
		dst = dialectkit.AppendString(dst, it.name)
		return append(dst, '}')
	}
	dst = dialectkit.AppendString(dst, it.local)
	dst = append(dst, `,"namespace":`...)
	dst = dialectkit.AppendString(dst, it.ns)
	return append(dst, '}')
}

func appendStatus(dst []byte, done bool) []byte {
	if done {
		return append(dst, `"completed"`...)
	}
	return append(dst, `"in_progress"`...)
}

// appendTextPart appends an output_text content part.
func appendTextPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"output_text","annotations":[],"logprobs":[],"text":`...)
	dst = dialectkit.AppendString(dst, text)
	return append(dst, '}')
}

// appendSummaryPart appends a summary_text part of a reasoning item.
func appendSummaryPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"summary_text","text":`...)
	dst = dialectkit.AppendString(dst, text)
	return append(dst, '}')
}

// snapshot is the state of a response to render.
type snapshot struct {
	id          string
	createdAt   int64
	completedAt int64 // 0 until completed
	status      string
	err         *plugin.Error // of a failed response
	items       []*item
	usage       *plugin.Usage // nil until the end
	stored      bool
}

// appendResponse appends the response object of c in the state s.
func appendResponse(dst []byte, c *call, s *snapshot) []byte {
	req := c.req
	dst = append(dst, `{"id":`...)
	dst = dialectkit.AppendString(dst, s.id)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = appendInt(dst, int(s.createdAt))
	dst = append(dst, `,"status":`...)
	dst = dialectkit.AppendString(dst, s.status)
	dst = append(dst, `,"background":`...)
	dst = appendBool(dst, c.background)
	dst = append(dst, `,"completed_at":`...)
	if s.completedAt > 0 {
		dst = appendInt(dst, int(s.completedAt))
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"error":`...)
	if s.err != nil {
		dst = appendResponseError(dst, s.err)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"incomplete_details":`...)
	if s.status == statusIncomplete {
		dst = append(dst, `{"reason":"max_output_tokens"}`...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"instructions":`...)
	dst = appendRawOrNull(dst, c.instructionsEcho)
	dst = append(dst, `,"max_output_tokens":`...)
	if c.maxOutputTokens > 0 {
		dst = appendInt(dst, c.maxOutputTokens)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"metadata":`...)
	dst = appendRawOr(dst, c.metadata, "{}")
	dst = append(dst, `,"model":`...)
	dst = dialectkit.AppendString(dst, req.Model)
	dst = append(dst, `,"output":[`...)
	for i, it := range s.items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendItem(dst, it)
	}
	dst = append(dst, `],"output_text":`...)
	dst = dialectkit.AppendString(dst, outputText(s.items))
	dst = append(dst, `,"parallel_tool_calls":`...)
	dst = appendBool(dst, req.ParallelToolCalls)
	dst = append(dst, `,"previous_response_id":`...)
	dst = dialectkit.AppendStringOrNull(dst, c.previousID)
	dst = append(dst, `,"reasoning":`...)
	dst = appendRawOr(dst, c.reasoning, `{"effort":null,"summary":null}`)
	dst = append(dst, `,"store":`...)
	dst = appendBool(dst, s.stored)
	dst = append(dst, `,"temperature":`...)
	dst = appendFloatOrNull(dst, req.Temperature)
	dst = append(dst, `,"text":`...)
	dst = appendRawOr(dst, c.text, `{"format":{"type":"text"}}`)
	dst = append(dst, `,"tool_choice":`...)
	dst = appendRawOr(dst, c.toolChoice, `"auto"`)
	dst = append(dst, `,"tools":`...)
	dst = appendRawOr(dst, c.tools, "[]")
	dst = append(dst, `,"top_p":`...)
	dst = appendFloatOrNull(dst, req.TopP)
	dst = append(dst, `,"truncation":`...)
	if c.truncation == "" {
		dst = append(dst, `"disabled"`...)
	} else {
		dst = dialectkit.AppendString(dst, c.truncation)
	}
	dst = append(dst, `,"usage":`...)
	if s.usage != nil {
		dst = appendUsage(dst, *s.usage)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"user":`...)
	dst = dialectkit.AppendStringOrNull(dst, req.User)
	return append(dst, '}')
}

// outputText concatenates the text of the completed message items.
func outputText(items []*item) string {
	var b strings.Builder
	for _, it := range items {
		if it.kind == itemMessage && it.done {
			b.WriteString(it.text.String())
		}
	}
	return b.String()
}

// appendResponseError appends the error object of a failed response.
func appendResponseError(dst []byte, err *plugin.Error) []byte {
	typ, code := openai.ErrorKind(err, openai.ErrorStatus(err))
	if code == "" {
		code = typ
	}
	dst = append(dst, `{"code":`...)
	dst = dialectkit.AppendString(dst, code)
	dst = append(dst, `,"message":`...)
	msg := err.Message
	if msg == "" {
		msg = "error"
	}
	dst = dialectkit.AppendString(dst, msg)
	dst = append(dst, `,"param":`...)
	dst = dialectkit.AppendStringOrNull(dst, err.Param)
	dst = append(dst, `,"type":`...)
	dst = dialectkit.AppendString(dst, typ)
	return append(dst, '}')
}

// appendUsage appends a Responses usage object. A missing total is the sum of the parts.
func appendUsage(dst []byte, u plugin.Usage) []byte {
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	dst = append(dst, `{"input_tokens":`...)
	dst = appendInt(dst, u.PromptTokens)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
	dst = appendInt(dst, u.CompletionTokens)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":`...)
	dst = appendInt(dst, u.ReasoningTokens)
	dst = append(dst, `},"total_tokens":`...)
	dst = appendInt(dst, total)
	return append(dst, '}')
}

// appendRawOr appends raw, or def when raw is empty.
func appendRawOr(dst, raw []byte, def string) []byte {
	if len(raw) == 0 {
		return append(dst, def...)
	}
	return append(dst, raw...)
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}
