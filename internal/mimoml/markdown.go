package mimoml

import "strings"

// special marks the bytes at which the outer scanner has to look closer:
// tag and JSON openers, code-span and fence characters, and line starts
// (for TOOL_CALL: lines).
var special = func() (t [256]bool) {
	for _, c := range []byte("<{`~\n") {
		t[c] = true
	}
	return t
}()

// lineStart reports whether only blanks separate s[i] from the start of its line.
func lineStart(s string, i int) bool {
	for i > 0 {
		i--
		switch s[i] {
		case '\n':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// skipProtected reports the end of a region starting at s[i] that must never
// be parsed for calls: a fenced code block (``` or ~~~, three or more, at a
// line start; closed by a line with at least as many of the same character;
// an unclosed fence runs to the end of the text), an inline code span, or a
// <think>…</think> section. ok is false when no such region starts at i.
func skipProtected(s string, i int) (end int, ok bool) {
	switch c := s[i]; c {
	case '`', '~':
		n := run(s, i, c)
		if n >= 3 && lineStart(s, i) {
			info := s[i+n : lineEnd(s, i+n)]
			if c == '~' || !strings.Contains(info, "`") {
				return fenceEnd(s, lineEnd(s, i+n), c, n), true
			}
		}
		if c == '~' {
			return 0, false
		}
		return codeSpanEnd(s, i, n)
	case '<':
		if m, _ := prefixFold(s[i:], "<think>"); m {
			if k := indexFold(s[i+7:], "</think>"); k >= 0 {
				return i + 7 + k + 8, true
			}
		}
	}
	return 0, false
}

// run counts the repetitions of c starting at s[i].
func run(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// lineEnd returns the index of the newline ending the line holding s[i], or len(s).
func lineEnd(s string, i int) int {
	if k := strings.IndexByte(s[i:], '\n'); k >= 0 {
		return i + k
	}
	return len(s)
}

// fenceEnd finds the closing fence line for a fence of n c's whose opening
// line ends at nl; it returns the index just past that line.
func fenceEnd(s string, nl int, c byte, n int) int {
	for p := nl; p < len(s); {
		p++ // past '\n'
		q := p
		for q < len(s) && q-p < 3 && s[q] == ' ' {
			q++
		}
		if m := run(s, q, c); m >= n {
			e := lineEnd(s, q+m)
			if strings.TrimRight(s[q+m:e], " \t\r") == "" {
				if e < len(s) {
					e++
				}
				return e
			}
		}
		p = lineEnd(s, p)
	}
	return len(s)
}

// codeSpanEnd finds the end of an inline code span opened by n backticks at
// s[i]. Unlike CommonMark, a span here never crosses a line break: a block on
// a line of its own is not hidden by a backtick on an earlier line. That keeps
// whole-text parsing and the streaming sieve, which decides a line at a time,
// in agreement. An unmatched run is literal.
func codeSpanEnd(s string, i, n int) (int, bool) {
	for p := i + n; p < len(s); {
		k := strings.IndexAny(s[p:], "`\n")
		if k < 0 || s[p+k] == '\n' {
			return 0, false
		}
		p += k
		m := run(s, p, '`')
		if m == n {
			return p + m, true
		}
		p += m
	}
	return 0, false
}

// indexFold is strings.Index for a lower-case ASCII needle, ignoring ASCII case.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if lower(s[i]) == needle[0] {
			if m, _ := prefixFold(s[i:], needle); m {
				return i
			}
		}
	}
	return -1
}
