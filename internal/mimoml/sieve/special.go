package sieve

import "strings"

// specialTable marks the bytes that can begin a tool-block marker ('<', '{') or a code fence.
// The only other marker, "TOOL_CALL:", counts only at the start of a line.
var specialTable = func() (t [256]bool) {
	for _, c := range []byte("<{`~") {
		t[c] = true
	}
	return t
}()

// special reports whether s needs the full scan; lineStart tells whether s begins a line. A
// chunk for which it is false cannot change what the sieve captures, so it is released as is.
func special(s string, lineStart bool) bool {
	for i := range len(s) {
		if specialTable[s[i]] {
			return true
		}
	}
	if lineStart && startsWithT(s) {
		return true
	}
	for i := strings.IndexByte(s, '\n'); i >= 0; {
		if startsWithT(s[i+1:]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '\n')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// startsWithT reports whether s, after blanks, is empty or starts with 't' or 'T': a line
// starting there could be a TOOL_CALL: line.
func startsWithT(s string) bool {
	for i := range len(s) {
		switch s[i] {
		case ' ', '\t':
		case 't', 'T':
			return true
		default:
			return false
		}
	}
	return true
}
