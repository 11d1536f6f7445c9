package mimoml

// Clean removes tool-call markup residue (protocol B.7) from text that
// reaches a client: TOOL_CALL: lines (up to the newline), <invoke>,
// <parameter>, <tool_call> and <function=…> elements with their content,
// CDATA sections, and stray wrapper, function_call and MiMoML/DSML-spelled
// tags. Fenced and inline code and <think> sections are left alone, and the
// text is never trimmed, so it is safe on streamed fragments.
func Clean(text string) string {
	if !mayHoldCall(text) {
		return text
	}
	var cuts [][2]int
	s := text
	for i := nextCandidate(s, 0); i >= 0; {
		if e := residueEnd(s, i); e > i {
			cuts = append(cuts, [2]int{i, e})
			i = nextCandidate(s, e)
			continue
		}
		i = nextCandidate(s, i+1)
	}
	if len(cuts) == 0 {
		return text
	}
	p := parser{s: s, cuts: cuts}
	return p.visible()
}

// residueEnd returns the end of the residue starting at s[i], or i.
func residueEnd(s string, i int) int {
	switch s[i] {
	case 't', 'T':
		if n, st := markerAt(s, i); st == statOK && n == len("tool_call:") {
			return lineEnd(s, i)
		}
		return i
	case '<':
	default:
		return i
	}
	if m, _ := prefixFold(s[i:], "<![cdata["); m {
		if e, st := cdataEnd(s, i, true); st == statOK {
			return e
		}
		return i + len(cdataOpen)
	}
	t, st := scanTag(s, i)
	if st != statOK {
		return i
	}
	if !t.closing && !t.selfClose {
		switch {
		case t.kind == kindInvoke, t.kind == kindParam, t.kind == kindToolCall, t.kind == kindFunction && t.hasName:
			if _, e, st := closeTag(s, t.end, t.kind, true); st == statOK {
				return e
			}
		}
	}
	switch t.kind {
	case kindOther:
		if !t.keyword {
			return i
		}
	case kindFunction:
		if !t.closing && !t.hasName {
			return i
		}
	}
	return t.end
}
