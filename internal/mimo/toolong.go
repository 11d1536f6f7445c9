package mimo

import (
	"net/http"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// TooLongReply is how the upstream's answer begins when the query exceeds its length limit;
// the upstream sends it as ordinary answer text ("the text you sent is too long…").
const TooLongReply = "您发送的文本过长"

// TooLong turns the upstream's "text too long" answer into a non-retryable 400
// context_length_exceeded error: an answer whose text starts with [TooLongReply] (after
// leading whitespace), however the deltas split it. Only the start of the answer is held back,
// until len(TooLongReply) bytes of text decide it; an answer that quotes the sentence later on
// stays text. Reasoning decides at once (the reply never has any), so thinking streams live;
// other events before the decision (usage) are held, so their order is kept.
func TooLong(s plugin.Stream) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		var (
			held    []plugin.Event
			text    strings.Builder
			decided bool
		)
		release := func() bool {
			decided = true
			for _, ev := range held {
				if !yield(ev, nil) {
					return false
				}
			}
			held = nil
			return true
		}
		for ev, err := range s {
			if decided {
				if !yield(ev, err) || err != nil {
					return
				}
				continue
			}
			if err != nil {
				if release() {
					yield(ev, err)
				}
				return
			}
			held = append(held, ev)
			if ev.Kind == plugin.EventReasoning || ev.Kind == plugin.EventToolCall {
				// The "too long" reply is a bare answer: reasoning means the upstream took the
				// query. Streaming it must not wait for the first answer text.
				if !release() {
					return
				}
				continue
			}
			if ev.Kind != plugin.EventText {
				continue
			}
			text.WriteString(ev.Text)
			t := strings.TrimLeft(text.String(), " \t\r\n")
			switch {
			case len(t) >= len(TooLongReply) && strings.HasPrefix(t, TooLongReply):
				yield(plugin.Event{}, &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeContextLength,
					Message: "the conversation is longer than the upstream accepts; shorten it or start a new one"})
				return
			case len(t) >= len(TooLongReply) || !strings.HasPrefix(TooLongReply, t):
				if !release() {
					return
				}
			}
		}
		if !decided {
			release()
		}
	}
}
