package prompt

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Texts of the history rules.
const (
	// noResult is the content of the result inserted for an orphan call.
	noResult = "(no result: this call was never answered)"
	// unknownID stands for the missing id of a tool result.
	unknownID = "unknown"
	// errorPrefix marks the content of a tool result that reports a failure.
	errorPrefix = "ERROR: "
)

// loop is a run of identical calls at the end of the history.
type loop struct {
	name  string
	count int
}

// history is the rewritten conversation.
type history struct {
	msgs []plugin.Message
	loop *loop // set when the history ends in a loop
}

// historyWriter rewrites a conversation; see the package comment for its rules.
type historyWriter struct {
	out     []plugin.Message
	called  map[string]bool   // ids of every call so far
	pending []plugin.ToolCall // calls since the last user turn, not answered yet
	runKey  string            // name and arguments of the current run of identical calls
	runName string
	runLen  int
	span    trace.Span
}

// rewriteHistory returns msgs with tool calls and results rendered as MiMoML text, orphan calls
// answered, and the trailing loop, if it is at least threshold calls long (threshold < 2: never).
// msgs is not modified.
func rewriteHistory(msgs []plugin.Message, threshold int, span trace.Span) history {
	w := historyWriter{out: make([]plugin.Message, 0, len(msgs)+2), span: span}
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case plugin.RoleUser:
			w.answerPending()
			w.runLen = 0
			w.out = append(w.out, *m)
		case plugin.RoleAssistant:
			w.assistant(m)
		case plugin.RoleTool:
			w.result(m)
		default:
			w.out = append(w.out, *m)
		}
	}
	w.answerPending()
	h := history{msgs: w.out}
	if threshold >= 2 && w.runLen >= threshold {
		h.loop = &loop{name: w.runName, count: w.runLen}
		w.event("tool call loop", attribute.String("tool", w.runName), attribute.Int("count", w.runLen))
	}
	return h
}

// assistant renders an assistant message's calls after its text.
func (w *historyWriter) assistant(m *plugin.Message) {
	if len(m.ToolCalls) == 0 {
		w.runLen = 0
		w.out = append(w.out, *m)
		return
	}
	calls := make([]mimoml.Call, len(m.ToolCalls))
	for i, c := range m.ToolCalls {
		calls[i] = mimoml.Call{Name: c.Name, Arguments: c.Arguments}
		if c.ID != "" {
			if w.called == nil {
				w.called = make(map[string]bool)
			}
			w.called[c.ID] = true
			w.pending = append(w.pending, c)
		}
		w.track(c)
	}
	text := m.Text(" ")
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += mimoml.RenderCalls(calls)
	nm := *m
	nm.Parts = withText(m.Parts, text)
	nm.ToolCalls = nil
	w.out = append(w.out, nm)
}

// track extends or restarts the run of identical calls.
func (w *historyWriter) track(c plugin.ToolCall) {
	key := c.Name + "\x00" + compactJSON(c.Arguments)
	if w.runLen > 0 && key == w.runKey {
		w.runLen++
		return
	}
	w.runKey, w.runName, w.runLen = key, c.Name, 1
}

// result renders a tool result with the id of the call it answers.
func (w *historyWriter) result(m *plugin.Message) {
	id := m.ToolCallID
	if id == "" || !w.called[id] {
		w.event("orphan tool result", attribute.String("call_id", id))
		if id == "" {
			id = unknownID
		}
	} else {
		for i, c := range w.pending {
			if c.ID == id {
				w.pending = append(w.pending[:i], w.pending[i+1:]...)
				break
			}
		}
	}
	content := m.Text(" ")
	if m.IsError {
		content = errorPrefix + content
	}
	nm := *m
	nm.Parts = withText(m.Parts, mimoml.RenderResult(id, content))
	nm.ToolCallID = ""
	w.out = append(w.out, nm)
}

// answerPending inserts a "no result" tool result for every call still waiting for one.
func (w *historyWriter) answerPending() {
	for _, c := range w.pending {
		w.event("orphan tool call", attribute.String("call_id", c.ID), attribute.String("tool", c.Name))
		w.out = append(w.out, plugin.TextMessage(plugin.RoleTool, mimoml.RenderResult(c.ID, noResult)))
	}
	w.pending = w.pending[:0]
}

func (w *historyWriter) event(name string, attrs ...attribute.KeyValue) {
	if w.span != nil && w.span.IsRecording() {
		w.span.AddEvent(name, trace.WithAttributes(attrs...))
	}
}

// withText returns parts with all text parts replaced by one leading text part holding text;
// the other parts keep their order.
func withText(parts []plugin.Part, text string) []plugin.Part {
	out := make([]plugin.Part, 1, len(parts)+1)
	out[0] = plugin.Part{Kind: plugin.PartText, Text: text}
	for _, p := range parts {
		if p.Kind != plugin.PartText {
			out = append(out, p)
		}
	}
	return out
}

// compactJSON returns s compacted when it is JSON, else s trimmed, so that equal arguments
// compare equal whatever their spacing.
func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return strings.TrimSpace(s)
	}
	return b.String()
}

// loopNote is the warning appended to the tool prompt when the history ends in a loop.
func loopNote(l *loop) string {
	return "\nNote: your last " + strconv.Itoa(l.count) + " calls were all " + l.name +
		" with the same arguments. Do not repeat that call: use the results you already have, " +
		"try a different approach, or answer the user.\n"
}
