// Package sse encodes and decodes server-sent events (text/event-stream).
//
// The Decoder follows the WHATWG EventSource parsing rules, is bounded by a
// configurable maximum event size and does not allocate per event in steady
// state. It reads the MiMo upstream. The Encoder writes events for every
// client dialect and flushes each one, so that clients see every event as
// soon as it is produced.
package sse

import "errors"

// Event is one decoded or to-be-encoded server-sent event.
type Event struct {
	Event string // "event:" field ("" means the default "message")
	ID    string // "id:" field
	Data  []byte // "data:" lines joined with "\n"
}

// DefaultMaxEventSize is the default bound on one event's data (32 MiB).
const DefaultMaxEventSize = 32 << 20

// ErrEventTooLarge is returned by [Decoder.Next] when the data of one event,
// or the value of one event or id line, exceeds the decoder's bound.
var ErrEventTooLarge = errors.New("sse: event too large")

// ErrInvalidField is returned by [Encoder.Encode] when an event name or id
// contains a line break, or an id contains NUL: such values cannot be framed
// or would be dropped by the client.
var ErrInvalidField = errors.New("sse: event name or id contains a line break or NUL")
