package mimoml

import "strings"

// MaxMarkerLen is the length in bytes of the longest marker StartIndex
// recognises (a tag opener with the most noise the scanner accepts, its word
// and the byte after it). A suffix held back for PartialMarkerLen is never
// longer.
const MaxMarkerLen = maxMarkerNoise + maxWordLen + 1

// maxWordLen bounds a tag word.
const maxWordLen = 16

// maxJSONBlanks bounds the blanks inside a JSON call marker ({ "name" :).
const maxJSONBlanks = 8

// markerWords are the tag words that open a tool-call block.
var markerWords = [...]string{"tool_calls", "function_calls", "invoke", "invokename", "tool_call", "function_call", "function"}

// StartIndex returns the index of the earliest tool-call marker in s outside
// fenced code blocks, inline code spans and <think> sections, or -1. Markers
// are: an opening wrapper, <invoke, <tool_call, <function_call or <function=
// in any spelling variant (MiMoML/DSML keywords, fullwidth, doubled or
// missing pipes, any case); TOOL_CALL: at a line start; and a JSON object
// starting with a "name" or "function" key.
//
// Fence context comes from s itself: pass text that includes the opening
// fence line of any fence still open, or a fenced example looks like a call.
// An unclosed fence runs to the end of s.
func StartIndex(s string) int {
	for i := nextCandidate(s, 0); i >= 0; i = nextCandidate(s, i+1) {
		if _, st := markerAt(s, i); st == statOK {
			return i
		}
	}
	return -1
}

// PartialMarkerLen returns the length of the longest suffix of s that could
// still become a marker as more text arrives (0 if none). It never exceeds
// MaxMarkerLen.
func PartialMarkerLen(s string) int {
	n := min(len(s), MaxMarkerLen)
	for k := n; k > 0; k-- {
		if _, st := markerAt(s, len(s)-k); st == statMore {
			return k
		}
	}
	return 0
}

// BlockEnd reports where the tool-call block that s starts with ends: the
// index just past its closing wrapper (or past the closing ")" of a
// TOOL_CALL: line, the closing brace of a JSON call, </tool_call>,
// </function_call>, </function>). ok is false while the block is still
// incomplete, and when s does not start with a marker. When the marker turns
// out not to start a block (prose mentioning a tag, a bare plain <invoke>),
// it reports the end of the marker's tag so the caller can release it as
// text; Parse of s[:end] then finds no call there.
//
// Once BlockEnd reports (end, true) for s, it reports the same for every
// extension of s.
func BlockEnd(s string) (end int, ok bool) {
	if s == "" {
		return 0, false
	}
	n, st := markerAt(s, 0)
	if st != statOK {
		return 0, false
	}
	switch s[0] {
	case '{':
		e, st := jsonEnd(s, 0, false)
		return e, st == statOK
	case '<':
		t, st := scanTag(s, 0)
		switch st {
		case statMore:
			return 0, false
		case statNo:
			return n, true
		}
		return tagBlockEnd(s, t)
	}
	_, _, e, st := toolCallLine(s, 0, false)
	switch st {
	case statOK:
		return e, true
	case statMore:
		return 0, false
	}
	return n, true
}

func tagBlockEnd(s string, t tag) (int, bool) {
	var st status
	var end int
	switch t.kind {
	case kindWrapper, kindInvoke:
		var b block
		b, st = matchBlock(s, t, false)
		end = b.end
	case kindToolCall:
		var b block
		if b, st = matchBlock(s, t, false); st == statNo {
			end, st = legacyBlockEnd(s, t, false)
		} else {
			end = b.end
		}
	default:
		end, st = legacyBlockEnd(s, t, false)
	}
	switch st {
	case statOK:
		return end, true
	case statMore:
		return 0, false
	}
	return t.end, true
}

// legacyBlockEnd finds the end of a <tool_call>, <function_call> or
// <function=NAME> element. The body of the first two must start (after
// blanks) with a tag or a JSON object, otherwise the opener is prose.
func legacyBlockEnd(s string, t tag, final bool) (int, status) {
	if t.closing || t.selfClose {
		return 0, statNo
	}
	switch t.kind {
	case kindFunction:
		if !t.hasName {
			return 0, statNo
		}
	case kindToolCall, kindFunctionCall:
		j := skipBlank(s, t.end)
		if j == len(s) {
			if final {
				return 0, statNo
			}
			return 0, statMore
		}
		if s[j] != '<' && s[j] != '{' {
			return 0, statNo
		}
	default:
		return 0, statNo
	}
	_, e, st := closeTag(s, t.end, t.kind, final)
	return e, st
}

// closeTag finds the closing tag of the given kind from s[i], skipping CDATA
// sections. It returns the closing tag's start and end.
func closeTag(s string, i int, kind tagKind, final bool) (int, int, status) {
	for i < len(s) {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			break
		}
		p := i + k
		if m, partial := prefixFold(s[p:], "<![cdata["); m || partial {
			if partial && !final {
				return 0, 0, statMore
			}
			if m {
				e, st := cdataEnd(s, p, final)
				if st == statMore {
					return 0, 0, statMore
				}
				if st == statOK {
					i = e
					continue
				}
			}
			i = p + 1
			continue
		}
		t, st := scanTag(s, p)
		if st == statMore && !final {
			return 0, 0, statMore
		}
		if st == statOK && t.closing && t.kind == kind {
			return p, t.end, statOK
		}
		i = p + 1
	}
	if final {
		return 0, 0, statNo
	}
	return 0, 0, statMore
}

// markerAt recognises a marker at s[i]: statOK with its length, statMore if
// s ends inside something that could still become one, statNo otherwise.
func markerAt(s string, i int) (int, status) {
	switch c := s[i]; c {
	case '<':
		return tagMarker(s, i)
	case '{':
		return jsonMarker(s, i)
	case 't', 'T':
		if !lineStart(s, i) {
			return 0, statNo
		}
		switch m, p := prefixFold(s[i:], "tool_call:"); {
		case m:
			return len("tool_call:"), statOK
		case p:
			return 0, statMore
		}
	}
	return 0, statNo
}

func tagMarker(s string, i int) (int, status) {
	closing, _, w0, w1, st := scanHead(s, i)
	if st == statNo || closing {
		return 0, statNo
	}
	if st == statMore {
		if w1 > w0 && !isWordPrefix(s[w0:w1]) {
			return 0, statNo
		}
		return 0, statMore
	}
	kind, ok := classify(s[w0:w1])
	if !ok {
		return 0, statNo
	}
	switch d := s[w1]; {
	case kind == kindParam:
		return 0, statNo
	case kind == kindFunction:
		if d != '=' {
			return 0, statNo
		}
	case equalWord(s[w0:w1], "invokename"):
		if d != '=' && !isSpace(d) {
			return 0, statNo
		}
	case !(d == '>' || isSpace(d) || d == '|' || d == '/' || d == fullPipe[0] || kind == kindInvoke && d == '='):
		return 0, statNo
	}
	return w1 - i + 1, statOK
}

// isWordPrefix reports whether w could still grow into a marker word.
func isWordPrefix(w string) bool {
	for _, m := range markerWords {
		if len(w) <= len(m) && equalWord(w, m[:len(w)]) {
			return true
		}
	}
	return false
}

func jsonMarker(s string, i int) (int, status) {
	j := i + 1
	for j < len(s) && isSpace(s[j]) {
		if j-i > maxJSONBlanks {
			return 0, statNo
		}
		j++
	}
	if j == len(s) {
		return 0, statMore
	}
	if s[j] != '"' {
		return 0, statNo
	}
	j++
	for _, key := range [...]string{`name"`, `function"`} {
		rest := s[j:]
		if len(rest) < len(key) {
			if strings.HasPrefix(key, rest) {
				return 0, statMore
			}
			continue
		}
		if !strings.HasPrefix(rest, key) {
			continue
		}
		k := j + len(key)
		for k < len(s) && isSpace(s[k]) {
			if k-j-len(key) >= maxJSONBlanks {
				return 0, statNo
			}
			k++
		}
		switch {
		case k == len(s):
			return 0, statMore
		case s[k] == ':':
			return k + 1 - i, statOK
		}
		return 0, statNo
	}
	return 0, statNo
}

// nextCandidate returns the first index ≥ i, outside fences, inline code and
// <think> sections, where a marker may start ('<', '{', or a line start
// followed by 't'), or -1. Scanning must begin at 0 or at a position the
// scanner itself produced, so that fence openers are seen.
func nextCandidate(s string, i int) int {
	if i == 0 {
		if k := skipLineBlanks(s, 0); k < len(s) && (s[k] == 't' || s[k] == 'T') {
			return k
		}
	}
	for i < len(s) {
		c := s[i]
		if !special[c] {
			i++
			continue
		}
		switch c {
		case '\n':
			if k := skipLineBlanks(s, i+1); k < len(s) && (s[k] == 't' || s[k] == 'T') {
				return k
			}
			i++
		case '{':
			return i
		case '<':
			if e, ok := skipProtected(s, i); ok {
				i = e
				continue
			}
			return i
		default: // '`', '~'
			if e, ok := skipProtected(s, i); ok {
				i = e
				continue
			}
			i += run(s, i, c)
		}
	}
	return -1
}

func skipLineBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// jsonEnd returns the index past the JSON value (object or array) opening at
// s[i], matching brackets outside strings.
func jsonEnd(s string, i int, final bool) (int, status) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '"':
			for j++; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, statOK
			}
		}
	}
	if final {
		return 0, statNo
	}
	return 0, statMore
}
