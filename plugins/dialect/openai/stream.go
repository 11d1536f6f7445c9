package openai

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/mimo2api/mimo2api/internal/sse"
	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

var doneData = []byte("[DONE]")

// WriteStream writes the response events: as chat.completion.chunk server-sent events ending
// with "data: [DONE]" when the client asked for streaming, otherwise as one chat.completion
// object. An error of s after the first chunk is sent as an in-stream {"error":{...}} event;
// before that (and always when not streaming) it becomes an error response. WriteStream returns
// the first write error, or else the error of s.
func (c *Chat) WriteStream(w http.ResponseWriter, ex *plugin.Exchange, s plugin.Stream) error {
	req := ex.Request
	if req == nil {
		req = new(plugin.Request)
	}
	if req.Stream {
		return c.writeChunks(w, ex, req, s)
	}
	return c.writeCompletion(w, ex, req, s)
}

// writeChunks renders s as a chat.completion.chunk stream.
func (c *Chat) writeChunks(w http.ResponseWriter, ex *plugin.Exchange, req *plugin.Request, s plugin.Stream) error {
	ck := c.newChunker(req)
	var (
		enc      *sse.Encoder
		calls    int
		finished bool
		usage    plugin.Usage
	)
	for ev, err := range s {
		if err != nil {
			perr := plugin.AsError(err)
			if enc == nil {
				c.WriteError(w, ex, perr)
				return err
			}
			if perr.Code == plugin.CodeClientClosed {
				return err
			}
			if werr := enc.Data(AppendErrorBody(ck.buf[:0], perr, "messages")); werr != nil {
				return werr
			}
			if werr := enc.Data(doneData); werr != nil {
				return werr
			}
			return err
		}
		if enc == nil {
			enc = startSSE(w, ex)
			if err := enc.Data(ck.role()); err != nil {
				return err
			}
		}
		var data []byte
		switch ev.Kind {
		case plugin.EventText:
			if !finished && ev.Text != "" {
				data = ck.content(ev.Text)
			}
		case plugin.EventReasoning:
			if !finished && ev.Text != "" {
				data = ck.reasoning(ev.Text)
			}
		case plugin.EventToolCall:
			if !finished && ev.Call != nil {
				data = ck.toolCall(calls, ev.Call)
				calls++
			}
		case plugin.EventUsage:
			if ev.Usage != nil {
				usage = *ev.Usage
			}
		case plugin.EventHeartbeat:
			if err := enc.Comment("ping"); err != nil {
				return err
			}
		case plugin.EventFinish:
			if !finished {
				finished = true
				data = ck.finish(finishReason(ev.Finish, calls > 0))
			}
		}
		if data != nil {
			if err := enc.Data(data); err != nil {
				return err
			}
		}
	}
	if enc == nil {
		enc = startSSE(w, ex)
		if err := enc.Data(ck.role()); err != nil {
			return err
		}
	}
	if !finished {
		if err := enc.Data(ck.finish(finishReason("", calls > 0))); err != nil {
			return err
		}
	}
	if req.IncludeUsage {
		if err := enc.Data(ck.usage(usage)); err != nil {
			return err
		}
	}
	return enc.Data(doneData)
}

// startSSE commits the response as an event stream.
func startSSE(w http.ResponseWriter, ex *plugin.Exchange) *sse.Encoder {
	h := w.Header()
	copyHeader(h, ex.Response.Header)
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	return sse.NewEncoder(w)
}

// copyHeader sets the extra response headers a stage asked for.
func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// finishReason maps a canonical finish reason to OpenAI's; any emitted call makes it
// "tool_calls".
func finishReason(r plugin.FinishReason, calls bool) string {
	if calls {
		return "tool_calls"
	}
	switch r {
	case plugin.FinishLength:
		return "length"
	case "content_filter":
		return "content_filter"
	}
	return "stop"
}

// chunker builds chat.completion.chunk payloads in one reused buffer. A returned slice is
// valid until the next call.
type chunker struct {
	buf       []byte
	head      []byte // the chunk up to and including `"choices":[`
	tail      string // closes the choices array and the chunk
	field     string // ReasoningField
	callIDs   string // prefix of generated tool call ids
	callIDBuf []byte
}

func (c *Chat) newChunker(req *plugin.Request) *chunker {
	id := c.completionID()
	head := make([]byte, 0, 128+len(req.Model))
	head = append(head, `{"id":`...)
	head = dialectkit.AppendString(head, id)
	head = append(head, `,"object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, c.created(), 10)
	head = append(head, `,"model":`...)
	head = dialectkit.AppendString(head, req.Model)
	head = append(head, `,"choices":[`...)
	tail := "]}"
	if req.IncludeUsage {
		tail = `],"usage":null}`
	}
	return &chunker{
		buf:     make([]byte, 0, 512),
		head:    head,
		tail:    tail,
		field:   c.reasoningField(),
		callIDs: "call_" + strings.TrimPrefix(id, "chatcmpl-") + "_",
	}
}

// open starts a chunk with one choice and an open delta object.
func (k *chunker) open() {
	k.buf = append(k.buf[:0], k.head...)
	k.buf = append(k.buf, `{"index":0,"delta":{`...)
}

// close ends the delta and the chunk.
func (k *chunker) close(finish string) []byte {
	k.buf = append(k.buf, `},"logprobs":null,"finish_reason":`...)
	k.buf = dialectkit.AppendStringOrNull(k.buf, finish)
	k.buf = append(k.buf, '}')
	k.buf = append(k.buf, k.tail...)
	return k.buf
}

func (k *chunker) role() []byte {
	k.open()
	k.buf = append(k.buf, `"role":"assistant","content":""`...)
	return k.close("")
}

func (k *chunker) content(text string) []byte {
	k.open()
	k.buf = append(k.buf, `"content":`...)
	k.buf = dialectkit.AppendString(k.buf, text)
	return k.close("")
}

func (k *chunker) reasoning(text string) []byte {
	k.open()
	k.buf = appendReasoning(k.buf, k.field, text)
	return k.close("")
}

func (k *chunker) toolCall(index int, call *plugin.ToolCall) []byte {
	id := call.ID
	if id == "" {
		k.callIDBuf = strconv.AppendInt(append(k.callIDBuf[:0], k.callIDs...), int64(index), 10)
		id = string(k.callIDBuf)
	}
	k.open()
	k.buf = append(k.buf, `"tool_calls":[`...)
	k.buf = appendToolCall(k.buf, index, id, call.Name, call.Arguments)
	k.buf = append(k.buf, ']')
	return k.close("")
}

func (k *chunker) finish(reason string) []byte {
	k.open()
	return k.close(reason)
}

func (k *chunker) usage(u plugin.Usage) []byte {
	k.buf = append(k.buf[:0], k.head...)
	k.buf = append(k.buf, `],"usage":`...)
	k.buf = appendUsage(k.buf, u)
	return append(k.buf, '}')
}

// appendReasoning appends the reasoning member(s) of a delta or message, without braces.
func appendReasoning(dst []byte, field, text string) []byte {
	switch field {
	case ReasoningContent, ReasoningPlain:
		dst = append(dst, '"')
		dst = append(dst, field...)
		dst = append(dst, `":`...)
		return dialectkit.AppendString(dst, text)
	}
	dst = append(dst, `"reasoning_content":`...)
	dst = dialectkit.AppendString(dst, text)
	dst = append(dst, `,"reasoning":`...)
	return dialectkit.AppendString(dst, text)
}
