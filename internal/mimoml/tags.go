package mimoml

import "strings"

// tagKind classifies a tag by its normalised name.
type tagKind uint8

const (
	kindOther        tagKind = iota // any other tag carrying MiMoML/DSML noise
	kindWrapper                     // tool_calls, function_calls
	kindToolCall                    // tool_call (Qwen/Hermes block, or a MiMoML wrapper)
	kindInvoke                      // invoke, invokename=
	kindParam                       // parameter
	kindFunctionCall                // function_call
	kindFunction                    // function, function=NAME
)

// scan results shared by the tag, marker and block scanners.
type status uint8

const (
	statNo   status = iota // definitely not what was asked for
	statOK                 // recognised
	statMore               // the text ends while it could still match
)

// tag is one recognised tag of the tool-call vocabulary.
type tag struct {
	kind      tagKind
	closing   bool
	keyword   bool // a MiMoML/DSML keyword or a pipe was part of the spelling
	selfClose bool
	attrs     bool // attributes other than name=/string=
	raw       bool // string="true": keep the value as a literal string
	hasName   bool
	start     int
	end       int // just past '>'
	name      string
}

// maxTagLen bounds how far a tag may extend; longer "tags" are text.
const maxTagLen = 1024

const fullPipe = "｜" // U+FF5C, a common drift of '|'

// prefixFold reports whether s starts with the lower-case ASCII word w,
// ignoring ASCII case, and whether s is a proper prefix of w (more text could
// complete it).
func prefixFold(s, w string) (match, partial bool) {
	if len(s) < len(w) {
		for i := 0; i < len(s); i++ {
			if lower(s[i]) != w[i] {
				return false, false
			}
		}
		return false, true
	}
	for i := 0; i < len(w); i++ {
		if lower(s[i]) != w[i] {
			return false, false
		}
	}
	return true, false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// equalWord compares a raw tag word with a canonical lower-case name, folding
// case and treating '-' as '_'.
func equalWord(raw, w string) bool {
	if len(raw) != len(w) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		c := lower(raw[i])
		if c == '-' {
			c = '_'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// classify maps a tag word to its kind; ok is false for unknown words.
func classify(word string) (tagKind, bool) {
	switch len(word) {
	case 6:
		if equalWord(word, "invoke") {
			return kindInvoke, true
		}
	case 8:
		if equalWord(word, "function") {
			return kindFunction, true
		}
	case 9:
		if equalWord(word, "parameter") {
			return kindParam, true
		}
		if equalWord(word, "tool_call") {
			return kindToolCall, true
		}
	case 10:
		if equalWord(word, "tool_calls") {
			return kindWrapper, true
		}
		if equalWord(word, "invokename") {
			return kindInvoke, true
		}
	case 13:
		if equalWord(word, "function_call") {
			return kindFunctionCall, true
		}
	case 14:
		if equalWord(word, "function_calls") {
			return kindWrapper, true
		}
	}
	return kindOther, false
}

// scanHead consumes '<', an optional '/', the noise models put around tag
// names ('<', pipes, blanks, the MiMoML/DSML keywords with an optional '-' or
// '_') and the tag word. It returns the word bounds. st is statMore when s
// ends inside the head.
func scanHead(s string, i int) (closing, keyword bool, w0, w1 int, st status) {
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == '<' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			j++
		case c == '|':
			keyword = true
			j++
		case c == '/' && !closing:
			closing = true
			j++
		case c == fullPipe[0]:
			if len(s)-j < len(fullPipe) {
				if strings.HasPrefix(fullPipe, s[j:]) {
					return closing, keyword, 0, 0, statMore
				}
				return closing, keyword, 0, 0, statNo
			}
			if s[j:j+3] != fullPipe {
				return closing, keyword, 0, 0, statNo
			}
			keyword = true
			j += 3
		case c == 'm' || c == 'M' || c == 'd' || c == 'D':
			kw := "mimoml"
			if lower(c) == 'd' {
				kw = "dsml"
			}
			m, p := prefixFold(s[j:], kw)
			if p {
				return closing, keyword, 0, 0, statMore
			}
			if !m {
				goto word
			}
			keyword = true
			j += len(kw)
			if j < len(s) && (s[j] == '-' || s[j] == '_') {
				j++
			}
		default:
			goto word
		}
		if j-i > maxMarkerNoise {
			return closing, keyword, 0, 0, statNo
		}
	}
	return closing, keyword, 0, 0, statMore
word:
	w0 = j
	for j < len(s) && isWordByte(s[j]) {
		j++
		if j-w0 > maxWordLen {
			return closing, keyword, 0, 0, statNo
		}
	}
	if j == len(s) {
		return closing, keyword, w0, j, statMore
	}
	if j == w0 {
		return closing, keyword, 0, 0, statNo
	}
	return closing, keyword, w0, j, statOK
}

// maxMarkerNoise bounds the noise before a tag word.
const maxMarkerNoise = 32

// scanTag recognises a tool-call vocabulary tag at s[i] == '<'. Tags whose
// word is unknown are reported as kindOther only when they carry the
// MiMoML/DSML keyword or a pipe (residue for Clean); everything else is
// statNo.
func scanTag(s string, i int) (t tag, st status) {
	closing, keyword, w0, w1, st := scanHead(s, i)
	if st != statOK {
		return t, st
	}
	kind, known := classify(s[w0:w1])
	if !known && !keyword {
		return t, statNo
	}
	t = tag{kind: kind, closing: closing, keyword: keyword, start: i}
	j := w1
	n, st := pipeAt(s, j)
	if st == statMore {
		return t, statMore
	}
	j += n
	// invokename="X", parameter=K, function=NAME
	if !closing && (equalWord(s[w0:w1], "invokename") || kind == kindParam || kind == kindFunction) {
		k := skipBlank(s, j)
		if k < len(s) && s[k] == '=' {
			v, e, st := attrValue(s, skipBlank(s, k+1), true)
			if st != statOK {
				return t, st
			}
			t.name, t.hasName = v, true
			j = e
		} else if equalWord(s[w0:w1], "invokename") {
			if k == len(s) {
				return t, statMore
			}
			return t, statNo
		}
	}
	for {
		if j-i > maxTagLen {
			return t, statNo
		}
		j = skipBlank(s, j)
		switch n, st := pipeAt(s, j); {
		case st == statMore:
			return t, statMore
		case n > 0:
			j += n
			continue
		}
		if j == len(s) {
			return t, statMore
		}
		switch c := s[j]; {
		case c == '>':
			t.end = j + 1
			return t, statOK
		case c == '/':
			if j+1 == len(s) {
				return t, statMore
			}
			if s[j+1] != '>' || closing {
				return t, statNo
			}
			t.selfClose = true
			t.end = j + 2
			return t, statOK
		case closing:
			return t, statNo
		}
		a0 := j
		for j < len(s) && (isWordByte(s[j]) || s[j] == ':' || s[j] == '.') {
			j++
		}
		if j == len(s) {
			return t, statMore
		}
		if j == a0 {
			return t, statNo
		}
		attr := s[a0:j]
		k := skipBlank(s, j)
		if k == len(s) {
			return t, statMore
		}
		val, hasVal := "", false
		if s[k] == '=' {
			v, e, st := attrValue(s, skipBlank(s, k+1), false)
			if st != statOK {
				return t, st
			}
			val, hasVal, j = v, true, e
		}
		switch {
		case equalWord(attr, "name") && hasVal:
			t.name, t.hasName = val, true
		case equalWord(attr, "string") && hasVal:
			t.raw = equalWord(strings.TrimSpace(val), "true")
		default:
			t.attrs = true
		}
	}
}

// pipeAt returns the length of a '|' or fullwidth pipe at s[j]; statMore
// when s ends inside a fullwidth pipe.
func pipeAt(s string, j int) (int, status) {
	switch {
	case j >= len(s):
		return 0, statNo
	case s[j] == '|':
		return 1, statOK
	case strings.HasPrefix(s[j:], fullPipe):
		return len(fullPipe), statOK
	case len(s)-j < len(fullPipe) && strings.HasPrefix(fullPipe, s[j:]):
		return 0, statMore
	}
	return 0, statNo
}

func skipBlank(s string, j int) int {
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	return j
}

// attrValue reads a quoted (double, single or curly quotes) or bare attribute value at s[j].
// In bare mode (name=value right after the tag word) the value runs to '>'.
func attrValue(s string, j int, bare bool) (v string, end int, st status) {
	if j >= len(s) {
		return "", j, statMore
	}
	if q, n := openQuote(s[j:]); n > 0 {
		k := j + n
		for k < len(s) {
			if s[k] == '\n' && k-j > 256 {
				return "", 0, statNo
			}
			if m := closeQuote(s[k:], q); m > 0 {
				return strings.TrimSpace(s[j+n : k]), k + m, statOK
			}
			if k-j > maxTagLen {
				return "", 0, statNo
			}
			k++
		}
		return "", 0, statMore
	}
	k := j
	for k < len(s) && s[k] != '>' && (bare || !isSpace(s[k])) && !(s[k] == '/' && k+1 < len(s) && s[k+1] == '>') {
		if s[k] == '<' || k-j > 256 {
			return "", 0, statNo
		}
		k++
	}
	if k == len(s) {
		return "", 0, statMore
	}
	v = strings.TrimSpace(s[j:k])
	if v == "" {
		return "", 0, statNo
	}
	return v, k, statOK
}

// openQuote returns the quote family at the start of s and its byte length.
func openQuote(s string) (q byte, n int) {
	switch {
	case s == "":
		return 0, 0
	case s[0] == '"' || s[0] == '\'':
		return s[0], 1
	case strings.HasPrefix(s, "“"), strings.HasPrefix(s, "”"):
		return '"', 3
	case strings.HasPrefix(s, "‘"), strings.HasPrefix(s, "’"):
		return '\'', 3
	}
	return 0, 0
}

// closeQuote returns the length of a closing quote of family q at s.
func closeQuote(s string, q byte) int {
	switch {
	case s[0] == q:
		return 1
	case q == '"' && (strings.HasPrefix(s, "”") || strings.HasPrefix(s, "“")):
		return 3
	case q == '\'' && (strings.HasPrefix(s, "’") || strings.HasPrefix(s, "‘")):
		return 3
	}
	return 0
}
