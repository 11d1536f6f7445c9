package mimoml

import "strings"

// invokeSpan is one <invoke> element inside a block.
type invokeSpan struct {
	open      tag
	bodyStart int
	bodyEnd   int
	closed    bool // had its </invoke>
}

// blockForm tells how a block was written.
type blockForm uint8

const (
	formWrapped  blockForm = iota // opening wrapper, invokes, closing wrapper (or end of text)
	formRepaired                  // invokes and a closing wrapper, opening wrapper missing
	formBare                      // MiMoML/DSML invokes with closers, no wrapper at all
	formLegacyS4                  // <function_calls> holding <function_call> JSON (strategy 4)
)

// block is a MiMoML tool-call block found in the text.
type block struct {
	start, end int
	form       blockForm
	invokes    []invokeSpan
}

// matchBlock decides whether the opening tag t (a wrapper, <tool_call> or
// <invoke>) starts a tool-call block. A wrapper must be followed, after
// blanks only, by an <invoke name=…> (otherwise it is prose mentioning the
// tag); invokes are separated by blanks only; the block ends at the closing
// wrapper. An opener whose invokes are not followed by a closing wrapper is
// a block only when it ends the text (final) or is followed by other text;
// bare invokes (no wrapper at all) count only when spelled with the
// MiMoML/DSML keyword and closed. With final false the text may still grow
// and statMore asks for more.
func matchBlock(s string, t tag, final bool) (b block, st status) {
	more := statMore
	if final {
		more = statNo
	}
	b.start = t.start
	first := t
	switch t.kind {
	case kindWrapper, kindToolCall:
		if t.attrs || t.selfClose {
			return b, statNo
		}
		j := skipBlank(s, t.end)
		if j == len(s) {
			return b, more
		}
		if s[j] != '<' {
			return b, statNo
		}
		u, st := scanTag(s, j)
		switch {
		case st == statMore:
			return b, more
		case st == statNo || u.closing:
			return b, statNo
		case u.kind == kindFunctionCall && t.kind == kindWrapper:
			return legacyWrapped(s, t, final)
		case u.kind != kindInvoke || !u.hasName:
			return b, statNo
		}
		first = u
	case kindInvoke:
		if !t.hasName {
			return b, statNo
		}
	default:
		return b, statNo
	}
	closer, seqEnd, st := scanInvokes(s, first, final, &b.invokes)
	if st == statMore {
		return b, more
	}
	switch {
	case closer.end > 0:
		b.end = closer.end
		if t.kind == kindInvoke {
			b.form = formRepaired
		}
	case t.kind == kindWrapper:
		b.end = seqEnd // unclosed wrapper: the invokes still count
	case t.kind == kindInvoke && t.keyword && allClosed(b.invokes):
		b.end, b.form = seqEnd, formBare
	default:
		return b, statNo
	}
	return b, statOK
}

// isCloser reports a closing wrapper (</tool_calls>, </function_calls>, </tool_call>).
func isCloser(t tag) bool {
	return t.closing && (t.kind == kindWrapper || t.kind == kindToolCall)
}

func allClosed(invs []invokeSpan) bool {
	for _, v := range invs {
		if !v.closed {
			return false
		}
	}
	return true
}

// scanInvokes walks consecutive <invoke> elements starting with the opening
// tag first. It returns the closing wrapper that follows them (closer.end == 0
// when there is none) and the end of the last invoke.
func scanInvokes(s string, first tag, final bool, out *[]invokeSpan) (closer tag, seqEnd int, st status) {
	u := first
	for {
		inv := invokeSpan{open: u, bodyStart: u.end}
		next, stop, st := scanBody(s, u.end, final)
		if st == statMore {
			return closer, 0, statMore
		}
		inv.bodyEnd = next
		end := next
		switch {
		case stop.end == 0: // ran to the end of the text
		case stop.kind == kindInvoke && stop.closing:
			inv.closed = true
			end = stop.end
		}
		*out = append(*out, inv)
		seqEnd = end
		if stop.end > 0 && isCloser(stop) {
			return stop, seqEnd, statOK
		}
		if stop.end > 0 && !stop.closing && stop.kind == kindInvoke {
			u = stop
			continue
		}
		m := skipBlank(s, end)
		if m == len(s) {
			if final {
				return closer, seqEnd, statOK
			}
			return closer, 0, statMore
		}
		if s[m] != '<' {
			return closer, seqEnd, statOK
		}
		v, st := scanTag(s, m)
		switch {
		case st == statMore && !final:
			return closer, 0, statMore
		case st != statOK:
			return closer, seqEnd, statOK
		case isCloser(v):
			return v, seqEnd, statOK
		case !v.closing && v.kind == kindInvoke && v.hasName:
			u = v
		default:
			return closer, seqEnd, statOK
		}
	}
}

// scanBody scans an invoke body from s[i] to the tag that ends it: its
// </invoke>, the next named <invoke> or a closing wrapper. CDATA sections are
// skipped. stop.end == 0 means the text ended first.
func scanBody(s string, i int, final bool) (bodyEnd int, stop tag, st status) {
	for i < len(s) {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			break
		}
		p := i + k
		if m, partial := prefixFold(s[p:], "<![cdata["); m || partial {
			if partial {
				if !final {
					return 0, stop, statMore
				}
				i = p + 1
				continue
			}
			e, st := cdataEnd(s, p, final)
			switch st {
			case statMore:
				return 0, stop, statMore
			case statNo: // unterminated: the opener is text (loose CDATA)
				i = p + len(cdataOpen)
			default:
				i = e
			}
			continue
		}
		t, st := scanTag(s, p)
		if st == statMore && !final {
			return 0, stop, statMore
		}
		if st == statOK {
			switch {
			case t.kind == kindInvoke && (t.closing || t.hasName),
				isCloser(t):
				return p, t, statOK
			}
			i = t.end
			continue
		}
		i = p + 1
	}
	if !final {
		return 0, stop, statMore
	}
	return len(s), stop, statOK
}

// legacyWrapped matches <function_calls> … </function_calls> around
// <function_call> elements (strategy 4), so the sieve captures it whole.
func legacyWrapped(s string, t tag, final bool) (block, status) {
	b := block{start: t.start, form: formLegacyS4}
	for i := t.end; i < len(s); {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			break
		}
		u, st := scanTag(s, i+k)
		if st == statMore && !final {
			return b, statMore
		}
		if st == statOK && u.closing && u.kind == kindWrapper {
			b.end = u.end
			return b, statOK
		}
		i += k + 1
	}
	if final {
		return b, statNo
	}
	return b, statMore
}
