package sieve

import "strings"

// lineState is where the fence tracker is within the current line.
type lineState uint8

const (
	lsStart lineState = iota // at the start of a line, possibly after blanks
	lsRun                    // inside a run of fence characters at the start of a line
	lsInfo                   // after a backtick run that opens a fence unless the line holds a '`'
	lsTail                   // after a run that can close the open fence; only blanks so far
	lsOther                  // anywhere else: the rest of the line cannot matter
)

// fence tracks, one byte at a time, whether the text seen so far ends inside a fenced code
// block, with the rules mimoml.StartIndex applies to a whole text: a fence opens at a line
// starting (after blanks) with three or more backticks whose line holds no further backtick,
// or three or more tildes; it closes at a later line starting (after at most three spaces) with
// at least as many of the same character followed only by blanks. The tracker is a small
// value so callers can snapshot it.
type fence struct {
	open   bool      // inside a fenced block
	char   byte      // fence character of the open block
	n      int       // fence length of the open block
	line   lineState // position within the current line
	indent int       // spaces before the run; 4 once a tab or a fourth space was seen
	runCh  byte      // character of the current run
	runN   int       // length of the current run
	pos    int       // bytes consumed so far
	runAt  int       // pos at which the current run started
}

// step consumes one byte and reports whether it flipped open.
func (f *fence) step(c byte) bool {
	f.pos++
	if c == '\n' {
		return f.newline()
	}
	switch f.line {
	case lsStart:
		switch c {
		case ' ':
			f.indent = min(f.indent+1, 4)
		case '\t':
			f.indent = 4
		case '`', '~':
			f.line, f.runCh, f.runN, f.runAt = lsRun, c, 1, f.pos-1
		default:
			f.line = lsOther
		}
	case lsRun:
		if c == f.runCh {
			f.runN++
			return false
		}
		f.line = lsOther
		switch {
		case !f.open && f.runN >= 3 && f.runCh == '~':
			f.open, f.char, f.n = true, f.runCh, f.runN
			return true
		case !f.open && f.runN >= 3:
			f.line = lsInfo
		case f.closes() && (c == ' ' || c == '\t' || c == '\r'):
			f.line = lsTail
		}
	case lsInfo:
		if c == '`' {
			f.line = lsOther
		}
	case lsTail:
		if c != ' ' && c != '\t' && c != '\r' {
			f.line = lsOther
		}
	}
	return false
}

// closes reports whether the current run can close the open fence.
func (f *fence) closes() bool {
	return f.open && f.runCh == f.char && f.runN >= f.n && f.indent <= 3
}

// newline ends the current line and reports whether that flipped open.
func (f *fence) newline() bool {
	flip := false
	switch f.line {
	case lsRun:
		switch {
		case !f.open && f.runN >= 3:
			f.open, f.char, f.n, flip = true, f.runCh, f.runN, true
		case f.closes():
			f.open, flip = false, true
		}
	case lsInfo:
		f.open, f.char, f.n, flip = true, '`', f.runN, true
	case lsTail:
		f.open, flip = false, true
	}
	f.line, f.indent = lsStart, 0
	return flip
}

// advance consumes s until open flips and returns how many bytes it consumed. When the fence
// opens the last byte consumed is the one after the opening run (a tilde fence) or the newline
// ending the opening line; when it closes, the newline ending the closing line.
func (f *fence) advance(s string) int {
	for i := 0; i < len(s); i++ {
		if f.line == lsOther {
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				f.pos += len(s) - i
				return len(s)
			}
			f.pos += j
			i += j
		}
		if f.step(s[i]) {
			return i + 1
		}
	}
	return len(s)
}

// pending reports whether the current line may still open a fence, which makes the text
// from the line's run onwards undecided.
func (f *fence) pending() bool {
	return !f.open && (f.line == lsRun || f.line == lsInfo)
}

// plain consumes s, which must contain no fence character, with f in lsStart or lsOther.
func (f *fence) plain(s string) {
	if j := strings.LastIndexByte(s, '\n'); j >= 0 {
		f.line, f.indent = lsStart, 0
		f.pos += j + 1
		s = s[j+1:]
	}
	if f.line != lsStart {
		f.pos += len(s)
		return
	}
	f.advance(s)
}

// afterBlock sets the line state after a captured block that ended with byte last; the
// block's own content never opens or closes a fence.
func (f *fence) afterBlock(last byte) {
	if last == '\n' {
		f.line, f.indent = lsStart, 0
	} else {
		f.line = lsOther
	}
}
