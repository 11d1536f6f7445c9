package mimo

import (
	"bytes"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const (
	thinkOpen      = "<think>"
	thinkClose     = "</think>"
	citationPrefix = "(citation:"
	// maxCitationDigits bounds the number in a citation marker, so that the hold-back stays small.
	maxCitationDigits = 9
)

// isNativeName reports whether s is the name of one of the upstream's native tools, which the
// upstream announces as a text delta of its own before using the tool.
func isNativeName(s string) bool {
	switch s {
	case "webSearch", "getTime", "getTimeInfo", "sessionSearch", "imageSearch",
		"fileSearch", "getLocation", "webExtract", "getWeather", "calculator":
		return true
	}
	return false
}

// cleanDelta drops NUL bytes from an upstream text delta and reports whether what remains is
// answer material: a delta that is only a native tool name announces a tool and is not.
func cleanDelta(s string) (string, bool) {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if s == "" || isNativeName(strings.TrimSpace(s)) {
		return "", false
	}
	return s, true
}

// splitter separates upstream text into reasoning (inside <think>…</think>) and answer text and
// removes (citation:N) markers. Tags and markers may straddle deltas: only a trailing fragment
// that can still become one is held back, everything else is emitted as it arrives, whitespace
// included.
type splitter struct {
	inThink bool
	held    []byte         // undecided tail of the text seen so far
	out     []byte         // text of the event being built
	evs     []plugin.Event // events of the last push or flush
}

// push processes one cleaned delta and returns the events it completes. The returned slice is
// reused by the next call.
func (s *splitter) push(delta string) []plugin.Event {
	s.evs = s.evs[:0]
	if len(s.held) == 0 && strings.IndexAny(delta, "<(") < 0 {
		s.add(delta)
		return s.evs
	}
	s.held = append(s.held, delta...)
	s.scan(false)
	return s.evs
}

// flush emits whatever is held back at the end of the stream.
func (s *splitter) flush() []plugin.Event {
	s.evs = s.evs[:0]
	s.scan(true)
	return s.evs
}

// scan moves the decided part of s.held into events. At the end of the stream (final) nothing
// is held back.
func (s *splitter) scan(final bool) {
	b := s.held
	for {
		i := bytes.IndexAny(b, "<(")
		if i < 0 {
			s.out = append(s.out, b...)
			b = b[len(b):]
			break
		}
		s.out = append(s.out, b[:i]...)
		b = b[i:]
		n, partial := s.match(b)
		if n > 0 {
			if b[0] == '<' {
				s.emit()
				s.inThink = !s.inThink
			}
			b = b[n:]
			continue
		}
		if partial && !final {
			break
		}
		s.out = append(s.out, b[0])
		b = b[1:]
	}
	s.emit()
	s.held = s.held[:copy(s.held, b)]
}

// match looks at b, which starts with '<' or '('. It returns the length of the complete think tag
// or citation marker b starts with, or partial when b is a proper prefix of one.
func (s *splitter) match(b []byte) (n int, partial bool) {
	if b[0] == '<' {
		tag := thinkOpen
		if s.inThink {
			tag = thinkClose
		}
		if len(b) >= len(tag) {
			if string(b[:len(tag)]) == tag {
				return len(tag), false
			}
			return 0, false
		}
		return 0, tag[:len(b)] == string(b)
	}
	p := citationPrefix
	if len(b) <= len(p) {
		return 0, p[:len(b)] == string(b)
	}
	if string(b[:len(p)]) != p {
		return 0, false
	}
	i := len(p)
	for i < len(b) && i-len(p) <= maxCitationDigits && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	digits := i - len(p)
	switch {
	case digits > maxCitationDigits:
		return 0, false
	case i == len(b):
		return 0, true
	case digits > 0 && b[i] == ')':
		return i + 1, false
	}
	return 0, false
}

// emit turns the pending output into an event.
func (s *splitter) emit() {
	if len(s.out) == 0 {
		return
	}
	s.add(string(s.out))
	s.out = s.out[:0]
}

// add appends an event with text t of the current kind.
func (s *splitter) add(t string) {
	kind := plugin.EventText
	if s.inThink {
		kind = plugin.EventReasoning
	}
	s.evs = append(s.evs, plugin.Event{Kind: kind, Text: t})
}
