package plugin

import "iter"

// EventKind says what an Event carries.
type EventKind uint8

// Kinds of canonical events.
const (
	// EventText is a delta of answer text.
	EventText EventKind = iota + 1
	// EventReasoning is a delta of reasoning ("thinking") text.
	EventReasoning
	// EventToolCall is one complete tool call.
	EventToolCall
	// EventUsage reports token usage; the last one wins.
	EventUsage
	// EventFinish ends the answer with a reason.
	EventFinish
	// EventHeartbeat carries nothing: the runtime inserts it into a committed stream during a
	// long upstream silence (route timeouts.heartbeat). A streaming dialect writes its keep-alive
	// form (an SSE comment, Anthropic's ping event); everything else ignores it.
	EventHeartbeat
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventText:
		return "text"
	case EventReasoning:
		return "reasoning"
	case EventToolCall:
		return "tool_call"
	case EventUsage:
		return "usage"
	case EventFinish:
		return "finish"
	case EventHeartbeat:
		return "heartbeat"
	}
	return "unknown"
}

// FinishReason says why an answer ended.
type FinishReason string

// Finish reasons.
const (
	FinishStop         FinishReason = "stop"
	FinishToolCalls    FinishReason = "tool_calls"
	FinishLength       FinishReason = "length"
	FinishStopSequence FinishReason = "stop_sequence"
)

// Usage counts tokens of one exchange.
type Usage struct {
	// PromptTokens counts the input; the upstream reports the whole conversation.
	PromptTokens int
	// CompletionTokens counts the output, reasoning included.
	CompletionTokens int
	// TotalTokens is PromptTokens + CompletionTokens.
	TotalTokens int
	// ReasoningTokens is the part of CompletionTokens spent reasoning, when known.
	ReasoningTokens int
	// Estimated is true when the gateway computed the numbers itself.
	Estimated bool
}

// Event is one canonical response event.
type Event struct {
	// Kind says which of the other fields is set.
	Kind EventKind
	// Text is the delta of an EventText or EventReasoning.
	Text string
	// Call is the call of an EventToolCall.
	Call *ToolCall
	// Usage is the report of an EventUsage.
	Usage *Usage
	// Finish is the reason of an EventFinish.
	Finish FinishReason
}

// Stream is a single-use pull-able sequence of events. An error ends the stream: it is the last
// value yielded. Stopping the range early releases the stream's resources (the upstream
// connection); ranging over a stream twice is a bug.
type Stream = iter.Seq2[Event, error]

// Events returns a stream that yields the given events.
func Events(evs ...Event) Stream {
	return func(yield func(Event, error) bool) {
		for _, ev := range evs {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// ErrorStream returns a stream that yields only err.
func ErrorStream(err error) Stream {
	return func(yield func(Event, error) bool) { yield(Event{}, err) }
}
