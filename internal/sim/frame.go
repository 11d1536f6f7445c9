package sim

import (
	"net/http"
	"strconv"
	"time"
)

// Frame is one server-sent event of a chat reply.
type Frame struct {
	// Event is the event name ("dialogId", "message", "usage", "finish", "error"...).
	// The event: line is omitted when it is empty.
	Event string
	// Data is the payload, normally one line of JSON. Each line of it becomes
	// its own data: line.
	Data string
	// Raw, when not empty, is written verbatim instead of an id/event/data
	// block, so tests can produce malformed or split frames.
	Raw string
}

// Reply is what a Scenario answers to one chat call.
type Reply struct {
	// Status 0 means 200 with an SSE body made of Frames; any other value is
	// written as that HTTP status with Body (and no frames).
	Status int
	// Body is the response body of a non-SSE reply.
	Body string
	// Header holds extra response headers (for example Retry-After).
	Header http.Header
	// Frames are the SSE frames, written and flushed one by one.
	Frames []Frame
	// Drip is the delay between two frames.
	Drip time.Duration
	// CutAfter, when positive, aborts the connection abruptly after that many
	// frames (or after all of them if there are fewer), without a finish frame.
	// The handler panics with http.ErrAbortHandler to do so, so it must run
	// under a net/http server (httptest.NewServer), not a ResponseRecorder.
	CutAfter int
}

// TooLongText is the sentence the upstream answers with when the query is too long.
const TooLongText = "您发送的文本过长"

// DialogID returns the dialogId frame that opens every upstream stream.
func DialogID(id string) Frame {
	return Frame{Event: "dialogId", Data: `{"content":` + quote(id) + `}`}
}

// Message returns a message frame carrying one text delta.
func Message(content string) Frame {
	return Frame{Event: "message", Data: `{"type":"text","content":` + quote(content) + `}`}
}

// ErrorEvent returns an in-stream error frame as the upstream sends it.
func ErrorEvent(content string) Frame {
	return Frame{Event: "error", Data: `{"type":"text","content":` + quote(content) + `}`}
}

// Usage returns a usage frame, with the nativeUsage object the upstream adds.
func Usage(prompt, completion int) Frame {
	p, c, t := strconv.Itoa(prompt), strconv.Itoa(completion), strconv.Itoa(prompt+completion)
	return Frame{Event: "usage", Data: `{"promptTokens":` + p + `,"completionTokens":` + c +
		`,"totalTokens":` + t + `,"nativeUsage":{"prompt_tokens":` + p + `,"completion_tokens":` + c +
		`,"total_tokens":` + t + `}}`}
}

// Finish returns the frame that ends a successful upstream stream.
func Finish() Frame {
	return Frame{Event: "finish", Data: `{"type":null,"content":"[DONE]","usage":null}`}
}

// Text returns a complete successful stream: dialogId, an empty message,
// one message per delta, usage (prompt 12 tokens, one completion token per
// delta) and finish.
func Text(deltas ...string) []Frame {
	frames := make([]Frame, 0, len(deltas)+4)
	frames = append(frames, DialogID("8170797"), Message(""))
	for _, d := range deltas {
		frames = append(frames, Message(d))
	}
	return append(frames, Usage(12, len(deltas)), Finish())
}

// quote returns s as a JSON string the way the upstream writes it: control
// characters (NUL included) as \uXXXX or short escapes, everything else,
// including <, > and non-ASCII text, verbatim.
func quote(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return string(append(b, '"'))
}
