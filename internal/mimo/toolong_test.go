package mimo

import (
	"errors"
	"iter"
	"testing"

	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func textEvents(deltas ...string) []plugin.Event {
	evs := make([]plugin.Event, 0, len(deltas)+1)
	for _, d := range deltas {
		evs = append(evs, plugin.Event{Kind: plugin.EventText, Text: d})
	}
	return append(evs, plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop})
}

func isContextLength(err error) bool {
	pe, ok := errors.AsType[*plugin.Error](err)
	return ok && pe.Status == 400 && pe.Code == plugin.CodeContextLength && !pe.Retryable
}

func TestTooLongEveryBoundary(t *testing.T) {
	full := TooLongReply + "，请缩短后重试。"
	for i := 1; i < len(full); i++ {
		for j := i; j < len(full); j++ {
			r := collect(t, TooLong(plugin.Events(textEvents(full[:i], full[i:j], full[j:])...)))
			if !isContextLength(r.err) || r.text != "" {
				t.Fatalf("split %d/%d: text %q err %v", i, j, r.text, r.err)
			}
		}
	}
}

func TestTooLongPassesOtherText(t *testing.T) {
	quoted := "The upstream said " + TooLongReply + " yesterday."
	tests := []struct {
		name   string
		evs    []plugin.Event
		text   string
		reason string
	}{
		{name: "quote later in the answer", evs: textEvents(quoted[:5], quoted[5:30], quoted[30:]), text: quoted},
		{name: "plain", evs: textEvents("Hello", " there"), text: "Hello there"},
		{name: "proper prefix then end", evs: textEvents(TooLongReply[:9]), text: TooLongReply[:9]},
		{name: "same start, other words", evs: textEvents(TooLongReply[:6], "的问题很好"), text: TooLongReply[:6] + "的问题很好"},
		{name: "reasoning first keeps order",
			evs:  append([]plugin.Event{{Kind: plugin.EventReasoning, Text: "hmm"}}, textEvents("Hi")...),
			text: "Hi", reason: "hmm"},
		{name: "no text", evs: []plugin.Event{{Kind: plugin.EventFinish, Finish: plugin.FinishStop}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := collect(t, TooLong(plugin.Events(tt.evs...)))
			if r.err != nil || r.text != tt.text || r.reasoning != tt.reason {
				t.Errorf("text %q reasoning %q err %v; want %q %q", r.text, r.reasoning, r.err, tt.text, tt.reason)
			}
			if len(r.kinds) != len(tt.evs) {
				t.Errorf("%d events out of %d", len(r.kinds), len(tt.evs))
			}
			if r.kinds[0] != tt.evs[0].Kind {
				t.Errorf("first event %v, want %v", r.kinds[0], tt.evs[0].Kind)
			}
		})
	}
}

func TestTooLongErrorWhileHolding(t *testing.T) {
	boom := errors.New("boom")
	s := func(yield func(plugin.Event, error) bool) {
		if yield(plugin.Event{Kind: plugin.EventText, Text: "您"}, nil) {
			yield(plugin.Event{}, boom)
		}
	}
	r := collect(t, TooLong(s))
	if r.text != "您" || !errors.Is(r.err, boom) {
		t.Errorf("text %q err %v", r.text, r.err)
	}
}

func TestTooLongStopEarly(t *testing.T) {
	stopped := false
	s := func(yield func(plugin.Event, error) bool) {
		for _, ev := range textEvents("Hello there, a long enough answer", " more") {
			if !yield(ev, nil) {
				stopped = true
				return
			}
		}
	}
	for range TooLong(s) {
		break
	}
	if !stopped {
		t.Error("the inner stream was not stopped")
	}
}

func TestTooLongFromSimulator(t *testing.T) {
	_, srv := newSim(t, sim.Options{})
	c := Client{BaseURL: srv.URL}
	events, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "[sim:too_long]", Model: "mimo-v2.5-pro"})
	if err != nil {
		t.Fatal(err)
	}
	if r := collect(t, TooLong(events)); !isContextLength(r.err) {
		t.Errorf("err = %v, want context_length_exceeded", r.err)
	}
}

// TestTooLongReleasesReasoningAtOnce checks that reasoning is not held until answer text
// arrives: a long thinking phase must stream live.
func TestTooLongReleasesReasoningAtOnce(t *testing.T) {
	gate := make(chan struct{})
	src := func(yield func(plugin.Event, error) bool) {
		if !yield(plugin.Event{Kind: plugin.EventReasoning, Text: "thinking…"}, nil) {
			return
		}
		<-gate // the rest of the thinking takes long
		yield(plugin.Event{Kind: plugin.EventText, Text: "您发送的文本过长"}, nil)
	}
	next, stop := iter.Pull2(TooLong(src))
	defer stop()
	ev, err, ok := next()
	if !ok || err != nil || ev.Kind != plugin.EventReasoning {
		t.Fatalf("first = %v %v %v, want the reasoning before any answer text", ev, err, ok)
	}
	close(gate)
	// After reasoning the sentence is ordinary text (the upstream took the query).
	ev, err, ok = next()
	if !ok || err != nil || ev.Text != "您发送的文本过长" {
		t.Fatalf("second = %v %v %v", ev, err, ok)
	}
}
