package anthropic

import (
	"net/http"
	"strconv"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Collect aggregates s into the JSON of one Message object for req, as a non-streaming
// response would carry it, applying req's stop sequences. It is for stages that run requests
// outside an HTTP response, such as message batches. An error of s is returned as is.
func (m *Messages) Collect(req *plugin.Request, s plugin.Stream) ([]byte, error) {
	a := m.newAnswer(req)
	for ev, err := range s {
		if err != nil {
			return nil, err
		}
		done, _ := a.add(ev) // without an encoder add cannot fail
		if done {
			break
		}
	}
	a.end()
	return a.appendMessage(make([]byte, 0, 256)), nil
}

// writeMessage writes the answer as one Message object.
func (a *answer) writeMessage(w http.ResponseWriter, ex *plugin.Exchange) error {
	a.end() // without an encoder end cannot fail
	size := 256
	for i := range a.blocks {
		size += len(a.blocks[i].text) + len(a.blocks[i].input) + 64
	}
	b := a.appendMessage(make([]byte, 0, size))
	a.hook(ex, b)
	b = append(b, '\n')
	h := w.Header()
	for k, v := range ex.Response.Header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", "req_"+a.hex)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// hook hands the final Message to the exchange's MessageHook, if any; msg is the Message when
// it is already rendered, or nil.
func (a *answer) hook(ex *plugin.Exchange, msg []byte) {
	fn, ok := MessageHook.Get(ex)
	if !ok || fn == nil {
		return
	}
	if msg == nil {
		msg = a.appendMessage(nil)
	}
	fn(msg)
}

// appendHead appends the opening of a Message object up to and including the comma after
// "role".
func (a *answer) appendHead(dst []byte) []byte {
	dst = append(dst, `{"id":"msg_`...)
	dst = append(dst, a.hex...)
	dst = append(dst, `","type":"message","role":"assistant","model":`...)
	dst = dialectkit.AppendString(dst, a.req.Model)
	return append(dst, ',')
}

// appendMessage appends the complete Message object.
func (a *answer) appendMessage(dst []byte) []byte {
	dst = a.appendHead(dst)
	dst = append(dst, `"content":[`...)
	for i := range a.blocks {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendBlock(dst, &a.blocks[i])
	}
	dst = append(dst, `],"stop_reason":`...)
	dst = dialectkit.AppendString(dst, a.stopReason())
	dst = append(dst, `,"stop_sequence":`...)
	dst = dialectkit.AppendStringOrNull(dst, a.stopSeq)
	dst = append(dst, `,"usage":`...)
	dst = a.appendUsage(dst)
	return append(dst, '}')
}

// appendUsage appends {"input_tokens":N,"output_tokens":M}.
func (a *answer) appendUsage(dst []byte) []byte {
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(a.inputTokens()), 10)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(a.outputTokens()), 10)
	return append(dst, '}')
}

// appendBlock appends one complete content block.
func appendBlock(dst []byte, b *block) []byte {
	switch b.kind {
	case blockThinking:
		dst = append(dst, `{"type":"thinking","thinking":`...)
		dst = dialectkit.AppendString(dst, string(b.text))
		dst = append(dst, `,"signature":`...)
		dst = dialectkit.AppendString(dst, signature(b.text))
	case blockToolUse:
		dst = append(dst, `{"type":"tool_use","id":`...)
		dst = dialectkit.AppendString(dst, b.id)
		dst = append(dst, `,"name":`...)
		dst = dialectkit.AppendString(dst, b.name)
		dst = append(dst, `,"input":`...)
		dst = append(dst, b.input...)
	default:
		dst = append(dst, `{"type":"text","text":`...)
		dst = dialectkit.AppendString(dst, string(b.text))
	}
	return append(dst, '}')
}
