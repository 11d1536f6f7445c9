package anthropic

import (
	"net/http"
	"strconv"

	"github.com/mimo2api/mimo2api/internal/sse"
	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// WriteStream writes the response events: as the Anthropic event stream (message_start, ping,
// content blocks, message_delta, message_stop) when the client asked for streaming, otherwise as
// one Message object. An error of s after the stream started closes the open block and is sent
// as an error event; before that, and always when not streaming, it becomes an error response.
// When a stop sequence matches, WriteStream stops reading s. It returns the first write error,
// or else the error of s.
func (m *Messages) WriteStream(w http.ResponseWriter, ex *plugin.Exchange, s plugin.Stream) error {
	req := ex.Request
	if req == nil {
		req = new(plugin.Request)
	}
	a := m.newAnswer(req)
	for ev, err := range s {
		if err != nil {
			return a.fail(w, ex, err)
		}
		if req.Stream && a.enc == nil {
			if err := a.begin(w, ex); err != nil {
				return err
			}
		}
		done, err := a.add(ev)
		if err != nil {
			return err
		}
		if done {
			break // stop consuming: the upstream call is abandoned
		}
	}
	if !req.Stream {
		return a.writeMessage(w, ex)
	}
	if a.enc == nil {
		if err := a.begin(w, ex); err != nil {
			return err
		}
	}
	if err := a.end(); err != nil {
		return err
	}
	a.buf = append(a.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...)
	a.buf = dialectkit.AppendString(a.buf, a.stopReason())
	a.buf = append(a.buf, `,"stop_sequence":`...)
	a.buf = dialectkit.AppendStringOrNull(a.buf, a.stopSeq)
	a.buf = append(a.buf, `},"usage":`...)
	a.buf = a.appendUsage(a.buf)
	a.buf = append(a.buf, '}')
	if err := a.emit("message_delta"); err != nil {
		return err
	}
	a.buf = append(a.buf[:0], `{"type":"message_stop"}`...)
	if err := a.emit("message_stop"); err != nil {
		return err
	}
	a.hook(ex, nil)
	return nil
}

// begin commits the response as an event stream and writes message_start and a ping.
func (a *answer) begin(w http.ResponseWriter, ex *plugin.Exchange) error {
	h := w.Header()
	for k, v := range ex.Response.Header {
		h[k] = v
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Request-Id", "req_"+a.hex)
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	a.enc = sse.NewEncoder(w)

	a.buf = append(a.buf[:0], `{"type":"message_start","message":`...)
	a.buf = a.appendHead(a.buf)
	a.buf = append(a.buf, `"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	a.buf = strconv.AppendInt(a.buf, int64(a.inputTokens()), 10)
	a.buf = append(a.buf, `,"output_tokens":0}}}`...)
	if err := a.emit("message_start"); err != nil {
		return err
	}
	return a.ping()
}

// ping writes a ping event (after message_start, and as the keep-alive of a silent stream).
func (a *answer) ping() error {
	a.buf = append(a.buf[:0], `{"type":"ping"}`...)
	return a.emit("ping")
}

// fail renders an error of the event stream.
func (a *answer) fail(w http.ResponseWriter, ex *plugin.Exchange, err error) error {
	perr := plugin.AsError(err)
	if a.enc == nil {
		a.m.WriteError(w, ex, perr)
		return err
	}
	if perr.Code == plugin.CodeClientClosed {
		return err
	}
	if werr := a.closeBlock(); werr != nil {
		return werr
	}
	a.buf = AppendError(a.buf[:0], perr, "req_"+a.hex)
	if werr := a.emit("error"); werr != nil {
		return werr
	}
	return err
}
