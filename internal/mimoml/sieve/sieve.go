// Package sieve separates tool-call markup from streamed assistant text.
//
// A Sieve is a pure state machine: it is fed the answer text chunk by chunk, releases ordinary
// text as soon as it cannot be the start of a tool-call block, captures the markup of a block
// until the block is complete and then emits the calls the mimoml parser finds in it. Text
// inside fenced code blocks is never captured. A Sieve is not safe for concurrent use.
//
// Released text is never cut inside a UTF-8 sequence (an incomplete trailing rune is held
// back), except in pass-through mode, which returns every chunk unchanged. Text outside blocks
// is released verbatim; only captured spans go through the parser's cleaning.
//
// Known limit: markers are judged with the current line as context, so an inline code span
// opened by a backtick in already released text, or closed only after a block, does not hide
// that block from the sieve as it would from mimoml.Parse on the whole text.
package sieve

import (
	"strings"
	"unicode/utf8"

	"github.com/mimo2api/mimo2api/internal/mimoml"
)

// Kind of a sieve output.
type Kind uint8

const (
	// Text is visible answer text.
	Text Kind = iota
	// Call is one complete tool call.
	Call
)

// Out is one sieve output: visible text or one complete tool call.
type Out struct {
	Kind Kind
	Text string
	Call mimoml.Call
}

// Sieve splits a streamed answer into visible text and tool calls. The zero value is not
// usable; call New.
type Sieve struct {
	ts        *mimoml.Toolset // nil: pass-through
	f         fence           // fence state of all text released so far
	pend      string          // text held back, not yet seen by f
	capturing bool            // a block is being captured into capt
	capt      []byte
	calls     int
}

// New returns a Sieve that extracts calls to the tools in ts. With a nil or empty toolset the
// Sieve passes every chunk through unchanged.
func New(ts *mimoml.Toolset) *Sieve {
	if ts == nil || ts.Len() == 0 {
		return &Sieve{}
	}
	return &Sieve{ts: ts}
}

// Calls reports how many calls were emitted so far.
func (s *Sieve) Calls() int { return s.calls }

// Feed consumes one chunk of assistant answer text and appends what can be released now to dst.
func (s *Sieve) Feed(dst []Out, chunk string) []Out {
	switch {
	case chunk == "":
		return dst
	case s.ts == nil:
		return append(dst, Out{Kind: Text, Text: chunk})
	case s.capturing:
		s.capt = append(s.capt, chunk...)
		return s.run(dst, "", true)
	case s.pend == "" && (s.f.line == lsStart || s.f.line == lsOther) && !special(chunk, s.f.line == lsStart):
		n := fullRunes(chunk)
		s.f.plain(chunk[:n])
		s.pend = chunk[n:]
		return appendText(dst, chunk[:n])
	}
	return s.run(dst, s.pend+chunk, false)
}

// Flush ends the stream: a block still being captured is parsed if possible (a block missing only
// its closing wrapper is common), otherwise released as cleaned text — never silently dropped.
// The Sieve is ready for a new stream afterwards.
func (s *Sieve) Flush(dst []Out) []Out {
	if s.capturing {
		dst = s.emit(dst, string(s.capt))
		s.capturing, s.capt = false, s.capt[:0]
	}
	dst = appendText(dst, s.pend)
	s.pend, s.f = "", fence{}
	return dst
}

// run alternates between scanning text p and completing a capture until it needs more input.
// With captured set it starts by trying to complete the capture in progress.
func (s *Sieve) run(dst []Out, p string, captured bool) []Out {
	for {
		if !captured {
			if dst, captured = s.scan(dst, p); !captured {
				return dst
			}
		}
		end, ok := mimoml.BlockEnd(string(s.capt))
		if !ok {
			return dst
		}
		block, rest := string(s.capt[:end]), string(s.capt[end:])
		s.capturing, s.capt = false, s.capt[:0]
		dst = s.emit(dst, block)
		if block != "" {
			s.f.afterBlock(block[len(block)-1])
		}
		p, captured = rest, false
	}
}

// scan releases the text of p that cannot start a block, holds back a suffix that still might,
// and reports whether it started a capture at a block marker.
func (s *Sieve) scan(dst []Out, p string) ([]Out, bool) {
	s.pend = ""
	for p != "" {
		save := s.f
		k := s.f.advance(p)
		if save.open {
			// Inside a fence everything is text, up to and including the closing line.
			if !s.f.open {
				dst, p = appendText(dst, p[:k]), p[k:]
				continue
			}
			return s.release(dst, save, p, fullRunes(p)), false
		}
		// Outside a fence only the text before a fence line can hold a marker; a line that
		// may still open a fence is held back until its end decides.
		seg := p
		if s.f.open || s.f.pending() {
			seg = p[:max(0, s.f.runAt-save.pos)]
			for len(seg) > 0 && (seg[len(seg)-1] == ' ' || seg[len(seg)-1] == '\t') {
				seg = seg[:len(seg)-1]
			}
		}
		if i := s.startIndex(save, seg); i >= 0 {
			s.f = save
			s.f.advance(p[:i])
			s.capturing = true
			s.capt = append(s.capt[:0], p[i:]...)
			return appendText(dst, p[:i]), true
		}
		if s.f.open {
			dst, p = appendText(dst, p[:k]), p[k:]
			continue
		}
		n := len(seg) - mimoml.PartialMarkerLen(seg)
		return s.release(dst, save, p, fullRunes(p[:n])), false
	}
	return dst, false
}

// release emits p[:n] as text and holds back the rest, rewinding the fence tracker from
// state save so that it has consumed exactly the released text.
func (s *Sieve) release(dst []Out, save fence, p string, n int) []Out {
	if n < len(p) {
		s.f = save
		s.f.advance(p[:n])
	}
	s.pend = p[n:]
	return appendText(dst, p[:n])
}

// startIndex reports where the first block marker in seg starts, or -1. The fence state f
// before seg tells whether seg starts a line, which matters when its first non-blank byte
// could begin a TOOL_CALL: line or a fence.
func (s *Sieve) startIndex(f fence, seg string) int {
	if f.line == lsStart {
		return mimoml.StartIndex(seg)
	}
	k := 0
	for k < len(seg) && (seg[k] == ' ' || seg[k] == '\t') {
		k++
	}
	if k == len(seg) || !strings.ContainsRune("tT`~", rune(seg[k])) {
		return mimoml.StartIndex(seg)
	}
	// Give the parser a neutral byte in front so its line-start rules see the truth.
	i := mimoml.StartIndex(midLine + seg)
	if i < len(midLine) {
		return -1
	}
	return i - len(midLine)
}

// midLine is prefixed to a segment that does not start a line.
const midLine = "x"

// emit appends the visible text and the calls the parser finds in block.
func (s *Sieve) emit(dst []Out, block string) []Out {
	calls, visible := mimoml.Parse(block, s.ts)
	dst = appendText(dst, visible)
	for _, c := range calls {
		dst = append(dst, Out{Kind: Call, Call: c})
	}
	s.calls += len(calls)
	return dst
}

func appendText(dst []Out, text string) []Out {
	if text == "" {
		return dst
	}
	return append(dst, Out{Kind: Text, Text: text})
}

// fullRunes returns the length of s without a trailing incomplete UTF-8 sequence, so released
// text never ends in the middle of a rune.
func fullRunes(s string) int {
	n := len(s)
	if n == 0 || s[n-1] < utf8.RuneSelf {
		return n
	}
	for i := n - 1; i >= 0 && i >= n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if utf8.FullRuneInString(s[i:]) {
				return n
			}
			return i
		}
	}
	return n
}
