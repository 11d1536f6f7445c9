package mimo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/sse"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// maxDrainEvents bounds the events read after the upstream's finish event.
const maxDrainEvents = 16

// Events decodes an upstream chat SSE body into canonical events: text and reasoning deltas,
// then one usage event (when the upstream reported usage) and a finish event. An error event of
// the upstream, an answer without any content and a body that ends before the upstream's finish
// event end the stream with a *plugin.Error; a read error caused by context cancellation ends it
// with the context's error. Events closes body when the stream ends, fails or the consumer stops
// early; a stream that is never ranged over leaves body open.
func Events(body io.ReadCloser) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		defer body.Close()
		dec := decoders.Get().(*sse.Decoder)
		dec.Reset(body)
		defer func() {
			dec.Reset(nil)
			decoders.Put(dec)
		}()
		d := decoder{dec: dec, yield: yield}
		d.run()
	}
}

// decoders reuses SSE decoders and their read buffers across upstream streams. Nothing a
// decoder returned outlives its stream: event text is copied out as it is parsed.
var decoders = sync.Pool{New: func() any { return sse.NewDecoder(nil) }}

// decoder is the state of one upstream stream.
type decoder struct {
	dec      *sse.Decoder
	yield    func(plugin.Event, error) bool
	split    splitter
	usage    plugin.Usage
	hasUsage bool
	produced bool // some text or reasoning was yielded
}

func (d *decoder) run() {
	for {
		ev, err := d.dec.Next()
		if err == io.EOF {
			d.end(false)
			return
		}
		if err != nil {
			d.yield(plugin.Event{}, d.readError(err))
			return
		}
		switch ev.Event {
		case "message", "":
			content, ok := textContent(ev.Data)
			if !ok {
				continue
			}
			if content, ok = cleanDelta(content); !ok {
				continue
			}
			if !d.emit(d.split.push(content)) {
				return
			}
		case "finish":
			d.end(true)
			return
		case "error":
			d.yield(plugin.Event{}, eventError(ev.Data))
			return
		case "dialogId":
		default: // "usage" and any other object with token counts
			d.readUsage(ev.Data)
		}
	}
}

// emit yields evs, reporting whether the consumer wants more.
func (d *decoder) emit(evs []plugin.Event) bool {
	for _, ev := range evs {
		d.produced = true
		if !d.yield(ev, nil) {
			return false
		}
	}
	return true
}

// end finishes the stream when the body ended cleanly, after the upstream's finish event
// (finished) or without it.
func (d *decoder) end(finished bool) {
	if finished && !d.emit(d.split.flush()) {
		return
	}
	switch {
	case !d.produced:
		d.yield(plugin.Event{}, &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstreamEmpty,
			Retryable: true, Message: "the upstream returned an empty answer"})
		return
	case !finished:
		d.yield(plugin.Event{}, &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
			Message: "upstream stream ended unexpectedly", Err: io.ErrUnexpectedEOF})
		return
	}
	if d.hasUsage {
		u := d.usage
		if !d.yield(plugin.Event{Kind: plugin.EventUsage, Usage: &u}, nil) {
			return
		}
	}
	if d.yield(plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop}, nil) {
		d.drain()
	}
}

// drain reads what follows the finish event (normally nothing) up to a bound, so that the
// connection goes back to the pool instead of being closed with unread data. The upstream ends
// the body right after its finish event.
func (d *decoder) drain() {
	for range maxDrainEvents {
		if _, err := d.dec.Next(); err != nil {
			return
		}
	}
}

// readError converts an error reading the body. Context errors pass through unchanged.
func (d *decoder) readError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: !d.produced,
		Message: "upstream stream ended unexpectedly", Err: err}
}

// readUsage records the token counts of a usage object; the last report wins.
func (d *decoder) readUsage(data []byte) {
	prompt := gjson.GetBytes(data, "promptTokens")
	if prompt.Type != gjson.Number || !gjson.ValidBytes(data) {
		return
	}
	u := plugin.Usage{
		PromptTokens:     int(prompt.Int()),
		CompletionTokens: int(gjson.GetBytes(data, "completionTokens").Int()),
	}
	if t := gjson.GetBytes(data, "totalTokens"); t.Type == gjson.Number {
		u.TotalTokens = int(t.Int())
	} else {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	d.usage, d.hasUsage = u, true
}

// textContent returns the content of a {"type":"text","content":…} object.
func textContent(data []byte) (string, bool) {
	if len(data) == 0 || !gjson.ValidBytes(data) {
		return "", false
	}
	// One conversion; the content aliases it unless it has escapes.
	r := gjson.Parse(string(data))
	if !r.IsObject() || r.Get("type").Str != "text" {
		return "", false
	}
	c := r.Get("content")
	if c.Type != gjson.String || c.Str == "" {
		return "", false
	}
	return c.Str, true
}

// eventError converts an upstream error event.
func eventError(data []byte) *plugin.Error {
	msg := "upstream error"
	if c := gjson.GetBytes(data, "content"); c.Type == gjson.String && c.Str != "" {
		msg += ": " + truncate(c.Str, 200)
	}
	return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true, Message: msg}
}
