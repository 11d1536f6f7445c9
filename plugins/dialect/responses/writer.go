package responses

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/sse"
	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// WriteStream writes the response events: as typed Responses events when the client asked for
// streaming, otherwise as one response object. An error of s before anything was written (and
// always when not streaming) becomes an error response; after the stream started it becomes a
// response.failed event. WriteStream returns the first write error, or else the error of s.
func (d *Responses) WriteStream(w http.ResponseWriter, ex *plugin.Exchange, s plugin.Stream) error {
	c, ok := callKey.Get(ex)
	if !ok {
		req := ex.Request
		if req == nil {
			req = &plugin.Request{ParallelToolCalls: true}
		}
		c = &call{req: req}
	}
	r := d.newWriter(ex, c)
	r.w = w
	for ev, err := range s {
		if err != nil {
			return r.fail(err)
		}
		if r.stream && r.enc == nil {
			r.start()
		}
		r.add(ev)
		if r.werr != nil {
			return r.werr
		}
	}
	return r.complete()
}

// newWriter returns a writer for the response of c.
func (d *Responses) newWriter(ex *plugin.Exchange, c *call) *writer {
	r := &writer{d: d, ex: ex, c: c, stream: c.req.Stream}
	r.snap.id = d.id("resp_")
	r.snap.createdAt = d.unix()
	r.snap.status = statusInProgress
	return r
}

// writer renders one response. The same state machine serves both modes; when streaming, every
// transition also writes its events, so that the streamed items and the final object agree.
type writer struct {
	d      *Responses
	w      http.ResponseWriter
	ex     *plugin.Exchange
	c      *call
	stream bool
	enc    *sse.Encoder // set once the event stream started
	seq    int
	buf    []byte
	werr   error // the first write error

	snap     snapshot
	open     *item // the item receiving deltas, or nil
	usage    plugin.Usage
	finish   plugin.FinishReason
	finished bool
	calls    int
}

// add applies one canonical event.
func (r *writer) add(ev plugin.Event) {
	switch ev.Kind {
	case plugin.EventText:
		if !r.finished && ev.Text != "" {
			r.delta(itemMessage, ev.Text)
		}
	case plugin.EventReasoning:
		if !r.finished && ev.Text != "" {
			r.delta(itemReasoning, ev.Text)
		}
	case plugin.EventToolCall:
		if !r.finished && ev.Call != nil {
			r.call(ev.Call)
		}
	case plugin.EventUsage:
		if ev.Usage != nil {
			r.usage = *ev.Usage
		}
	case plugin.EventHeartbeat:
		if r.enc != nil && r.werr == nil {
			r.werr = r.enc.Comment("keep-alive")
		}
	case plugin.EventFinish:
		if !r.finished {
			r.finished, r.finish = true, ev.Finish
		}
	}
}

// delta adds text to the open item of kind, opening one (and closing another) as needed.
func (r *writer) delta(kind, text string) {
	if r.open == nil || r.open.kind != kind {
		r.closeItem()
		r.openItem(kind)
	}
	it := r.open
	it.text.WriteString(text)
	if r.enc == nil {
		return
	}
	if kind == itemReasoning {
		r.begin("response.reasoning_summary_text.delta")
		r.itemRef(it)
		r.buf = append(r.buf, `,"summary_index":0,"delta":`...)
		r.buf = dialectkit.AppendString(r.buf, text)
	} else {
		r.begin("response.output_text.delta")
		r.itemRef(it)
		r.buf = append(r.buf, `,"content_index":0,"delta":`...)
		r.buf = dialectkit.AppendString(r.buf, text)
		r.buf = append(r.buf, `,"logprobs":[]`...)
	}
	r.send()
}

// openItem starts a reasoning or message item.
func (r *writer) openItem(kind string) {
	prefix := "msg_"
	if kind == itemReasoning {
		prefix = "rs_"
	}
	it := &item{kind: kind, id: r.d.id(prefix)}
	r.snap.items = append(r.snap.items, it)
	r.open = it
	if r.enc == nil {
		return
	}
	r.itemEvent("response.output_item.added", it)
	if kind == itemReasoning {
		r.begin("response.reasoning_summary_part.added")
		r.itemRef(it)
		r.buf = append(r.buf, `,"summary_index":0,"part":`...)
		r.buf = appendSummaryPart(r.buf, "")
	} else {
		r.begin("response.content_part.added")
		r.itemRef(it)
		r.buf = append(r.buf, `,"content_index":0,"part":`...)
		r.buf = appendTextPart(r.buf, "")
	}
	r.send()
}

// closeItem completes the open item, if any. A message of a JSON format keeps only its JSON.
func (r *writer) closeItem() {
	it := r.open
	if it == nil {
		return
	}
	r.open, it.done = nil, true
	if it.kind == itemMessage && r.c.format.json() {
		if t := clean(it.text.String()); t != it.text.String() {
			it.text.Reset()
			it.text.WriteString(t)
		}
	}
	if r.enc == nil {
		return
	}
	text := it.text.String()
	if it.kind == itemReasoning {
		r.begin("response.reasoning_summary_text.done")
		r.itemRef(it)
		r.buf = append(r.buf, `,"summary_index":0,"text":`...)
		r.buf = dialectkit.AppendString(r.buf, text)
		r.send()
		r.begin("response.reasoning_summary_part.done")
		r.itemRef(it)
		r.buf = append(r.buf, `,"summary_index":0,"part":`...)
		r.buf = appendSummaryPart(r.buf, text)
		r.send()
	} else {
		r.begin("response.output_text.done")
		r.itemRef(it)
		r.buf = append(r.buf, `,"content_index":0,"text":`...)
		r.buf = dialectkit.AppendString(r.buf, text)
		r.buf = append(r.buf, `,"logprobs":[]`...)
		r.send()
		r.begin("response.content_part.done")
		r.itemRef(it)
		r.buf = append(r.buf, `,"content_index":0,"part":`...)
		r.buf = appendTextPart(r.buf, text)
		r.send()
	}
	r.itemEvent("response.output_item.done", it)
}

// call adds a complete function_call item.
func (r *writer) call(tc *plugin.ToolCall) {
	r.closeItem()
	it := &item{kind: itemCall, id: r.d.id("fc_"), callID: tc.ID, name: tc.Name, args: tc.Arguments}
	if it.callID == "" {
		it.callID = r.d.id("call_")
	}
	if it.args == "" {
		it.args = "{}"
	}
	if ns, local := r.c.toolIndex.qualify(tc.Name); ns != "" {
		it.ns, it.local = ns, local
	}
	r.calls++
	r.snap.items = append(r.snap.items, it)
	if r.enc == nil {
		it.done = true
		return
	}
	r.itemEvent("response.output_item.added", it)
	r.begin("response.function_call_arguments.delta")
	r.itemRef(it)
	r.buf = append(r.buf, `,"delta":`...)
	r.buf = dialectkit.AppendString(r.buf, it.args)
	r.send()
	r.begin("response.function_call_arguments.done")
	r.itemRef(it)
	r.buf = append(r.buf, `,"arguments":`...)
	r.buf = dialectkit.AppendString(r.buf, it.args)
	r.send()
	it.done = true
	r.itemEvent("response.output_item.done", it)
}

// outputIndex returns the position of it in the output.
func (r *writer) outputIndex(it *item) int {
	for i := len(r.snap.items) - 1; i >= 0; i-- {
		if r.snap.items[i] == it {
			return i
		}
	}
	return -1
}

// begin starts the payload of an event of type typ.
func (r *writer) begin(typ string) {
	r.buf = append(r.buf[:0], `{"type":`...)
	r.buf = dialectkit.AppendString(r.buf, typ)
	r.buf = append(r.buf, `,"sequence_number":`...)
	r.buf = strconv.AppendInt(r.buf, int64(r.seq), 10)
}

// itemRef appends the item_id and output_index members.
func (r *writer) itemRef(it *item) {
	r.buf = append(r.buf, `,"item_id":`...)
	r.buf = dialectkit.AppendString(r.buf, it.id)
	r.buf = append(r.buf, `,"output_index":`...)
	r.buf = appendInt(r.buf, r.outputIndex(it))
}

// itemEvent sends an output_item.added or .done event.
func (r *writer) itemEvent(typ string, it *item) {
	r.begin(typ)
	r.buf = append(r.buf, `,"output_index":`...)
	r.buf = appendInt(r.buf, r.outputIndex(it))
	r.buf = append(r.buf, `,"item":`...)
	r.buf = appendItem(r.buf, it)
	r.send()
}

// responseEvent sends a lifecycle event that carries the response object.
func (r *writer) responseEvent(typ string) {
	r.begin(typ)
	r.buf = append(r.buf, `,"response":`...)
	r.buf = appendResponse(r.buf, r.c, &r.snap)
	r.send()
}

// send writes the event begun by begin; its name is the payload's type.
func (r *writer) send() {
	r.buf = append(r.buf, '}')
	if r.werr != nil {
		return
	}
	typ := eventType(r.buf)
	r.werr = r.enc.Encode(sse.Event{Event: typ, Data: r.buf})
	r.seq++
}

// eventType returns the type of a payload written by begin.
func eventType(payload []byte) string {
	const head = len(`{"type":"`)
	for i := head; i < len(payload); i++ {
		if payload[i] == '"' {
			return string(payload[head:i])
		}
	}
	return ""
}

// start commits the response as an event stream and announces the response.
func (r *writer) start() {
	h := r.w.Header()
	copyHeader(h, r.ex.Response.Header)
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	r.w.WriteHeader(http.StatusOK)
	r.enc = sse.NewEncoder(r.w)
	r.snap.stored = r.c.st != nil
	r.responseEvent("response.created")
	r.responseEvent("response.in_progress")
}

// fail ends the response with err: an error response when nothing was written, otherwise a
// response.failed event.
func (r *writer) fail(err error) error {
	perr := plugin.AsError(err)
	if r.enc == nil {
		r.d.WriteError(r.w, r.ex, perr)
		return err
	}
	if perr.Code == plugin.CodeClientClosed {
		return err
	}
	r.snap.status, r.snap.err = statusFailed, perr
	r.responseEvent("response.failed")
	if r.werr != nil {
		return r.werr
	}
	return err
}

// complete closes the open item and writes the final response: the response.completed (or
// response.incomplete) event, or the response object.
func (r *writer) complete() error {
	if r.stream && r.enc == nil {
		r.start()
	}
	body := r.finalize()
	if r.enc != nil {
		typ := "response.completed"
		if r.snap.status == statusIncomplete {
			typ = "response.incomplete"
		}
		r.begin(typ)
		r.buf = append(r.buf, `,"response":`...)
		r.buf = append(r.buf, body...)
		r.send()
		if r.werr != nil {
			return r.werr
		}
	} else {
		h := r.w.Header()
		copyHeader(h, r.ex.Response.Header)
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)+1))
		r.w.WriteHeader(http.StatusOK)
		if _, err := r.w.Write(append(body, '\n')); err != nil {
			return err
		}
	}
	r.save(body)
	return nil
}

// finalize closes the open item, sets the final status and returns the final response object.
func (r *writer) finalize() []byte {
	r.closeItem()
	if r.calls == 0 && !r.hasMessage() {
		// Clients read the answer from a message item: always give them one.
		r.openItem(itemMessage)
		r.closeItem()
	}
	r.snap.status = statusCompleted
	if r.finish == plugin.FinishLength {
		r.snap.status = statusIncomplete
	}
	r.snap.completedAt = r.d.unix()
	r.snap.usage = &r.usage
	r.snap.stored = r.c.st != nil
	r.checkFormat()
	return appendResponse(make([]byte, 0, 1024), r.c, &r.snap)
}

func (r *writer) hasMessage() bool {
	for _, it := range r.snap.items {
		if it.kind == itemMessage {
			return true
		}
	}
	return false
}

// checkFormat validates the answer of a JSON format; a mismatch is recorded, not an error.
func (r *writer) checkFormat() {
	f := &r.c.format
	if !f.json() || r.calls > 0 {
		return
	}
	err := f.check(outputText(r.snap.items))
	if err == nil {
		return
	}
	if r.ex.HTTP != nil {
		trace.SpanFromContext(r.ex.HTTP.Context()).AddEvent("response_format_mismatch", trace.WithAttributes(
			attribute.String("format", f.kind), attribute.String("error", err.Error())))
	}
	if r.d.log != nil {
		r.d.log.Debug("answer does not match the requested format", "response", r.snap.id, "format", f.kind, "error", err)
	}
}

// copyHeader sets the extra response headers a stage asked for.
func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}
