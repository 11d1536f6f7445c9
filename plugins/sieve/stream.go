package sieve

import (
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	msieve "github.com/mimo2api/mimo2api/internal/mimoml/sieve"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// filter is the state of one filtered stream.
type filter struct {
	cfg    *Tools
	req    *plugin.Request
	span   trace.Span
	text   *msieve.Sieve // answer text
	reason *msieve.Sieve // reasoning text
	outs   []msieve.Out  // reused output buffer of the sieves
	last   plugin.EventKind
	yield  func(plugin.Event, error) bool

	calls   int                           // calls emitted
	dropped int                           // calls dropped by the extra_calls policy
	schemas map[string]*jsonschema.Schema // compiled on first use; nil: not enforced
}

// run returns the filtered stream.
func (f *filter) run(s plugin.Stream) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		f.yield = yield
		finished := false
		for ev, err := range s {
			if err != nil {
				// Release what the sieves hold, then pass the error on.
				if f.flush() {
					yield(ev, err)
				}
				return
			}
			if !f.event(ev) {
				return
			}
			// Keep ranging after the finish event: the upstream then ends its body itself.
			finished = finished || ev.Kind == plugin.EventFinish
		}
		if !finished && f.flush() {
			f.end()
		}
	}
}

// event handles one upstream event, reporting whether the stream goes on.
func (f *filter) event(ev plugin.Event) bool {
	switch ev.Kind {
	case plugin.EventText:
		if f.last == plugin.EventReasoning && !f.release(f.reason, plugin.EventReasoning) {
			return false
		}
		f.last = plugin.EventText
		f.outs = f.text.Feed(f.outs[:0], ev.Text)
		return f.emit(plugin.EventText)
	case plugin.EventReasoning:
		if f.last == plugin.EventText && !f.release(f.text, plugin.EventText) {
			return false
		}
		f.last = plugin.EventReasoning
		f.outs = f.reason.Feed(f.outs[:0], ev.Text)
		return f.emit(plugin.EventReasoning)
	case plugin.EventToolCall:
		if !f.flush() {
			return false
		}
		if ev.Call == nil {
			return true
		}
		return f.call(ev.Call.Name, ev.Call.Arguments, ev.Call.ID)
	case plugin.EventFinish:
		if !f.flush() || !f.end() {
			return false
		}
		if f.calls > 0 {
			ev.Finish = plugin.FinishToolCalls
		}
		return f.yield(ev, nil)
	}
	return f.flush() && f.yield(ev, nil)
}

// emit yields the sieve outputs in f.outs; text as events of kind k.
func (f *filter) emit(k plugin.EventKind) bool {
	for i := range f.outs {
		o := &f.outs[i]
		if o.Kind == msieve.Call {
			if !f.call(o.Call.Name, o.Call.Arguments, "") {
				return false
			}
			continue
		}
		if !f.yield(plugin.Event{Kind: k, Text: o.Text}, nil) {
			return false
		}
	}
	return true
}

// release flushes one sieve and yields what it held.
func (f *filter) release(s *msieve.Sieve, k plugin.EventKind) bool {
	f.outs = s.Flush(f.outs[:0])
	return f.emit(k)
}

// flush releases what both sieves hold, reasoning first.
func (f *filter) flush() bool {
	f.last = 0
	return f.release(f.reason, plugin.EventReasoning) && f.release(f.text, plugin.EventText)
}

// end applies the end-of-answer policies, reporting whether the answer stands.
func (f *filter) end() bool {
	if f.span.IsRecording() {
		f.span.SetAttributes(attribute.Int("mimoml.tool_calls", f.calls), attribute.Int("mimoml.tool_calls_dropped", f.dropped))
	}
	if f.calls == 0 && f.cfg.Choice == ChoiceEnforce {
		switch f.req.ToolChoice.Mode {
		case plugin.ToolChoiceRequired, plugin.ToolChoiceFunction:
			return f.fail(errNoCall())
		}
	}
	return true
}

// fail ends the stream with err.
func (f *filter) fail(err error) bool {
	f.yield(plugin.Event{}, err)
	return false
}
