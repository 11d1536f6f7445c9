package mimoml

import "strings"

// toolCallBlocks is strategy 3: <tool_call> blocks (Qwen <function=NAME>,
// <function>NAME</function>, Roo-style <tool_name>, or a JSON body) and bare
// <function=NAME>…</function> elements.
func (p *parser) toolCallBlocks() {
	s := p.s
	for i := p.first; i >= 0; {
		if e, in := p.cutAt(i); in {
			i = nextCandidate(s, e)
			continue
		}
		if s[i] == '<' {
			if t, st := scanTag(s, i); st == statOK && !t.closing && (t.kind == kindToolCall || t.kind == kindFunction && t.hasName) {
				c0, c1, st := closeTag(s, t.end, t.kind, true)
				if st != statOK && t.kind == kindToolCall {
					c0, c1, st = len(s), len(s), statOK // unclosed at the end of the text
				}
				if st == statOK {
					var ok bool
					if t.kind == kindFunction {
						ok = p.functionElement(t, s[t.end:c0])
					} else {
						ok = p.toolCallBody(s[t.end:c0])
					}
					if ok {
						p.cut(i, c1)
						i = nextCandidate(s, c1)
						continue
					}
				}
			}
		}
		i = nextCandidate(s, i+1)
	}
}

func (p *parser) functionElement(t tag, body string) bool {
	tool, ok := p.ts.Resolve(t.name)
	if ok {
		p.add(tool, p.invokeArgs(tool, body))
	}
	return ok
}

func (p *parser) toolCallBody(body string) bool {
	t := strings.TrimSpace(body)
	if strings.HasPrefix(t, "{") {
		if e, st := jsonEnd(t, 0, true); st == statOK {
			return p.jsonCall(t[:e])
		}
		return false
	}
	for i := 0; i < len(body); {
		k := strings.IndexByte(body[i:], '<')
		if k < 0 {
			break
		}
		q := i + k
		ft, st := scanTag(body, q)
		if st != statOK || ft.kind != kindFunction || ft.closing {
			i = q + 1
			continue
		}
		if ft.hasName { // <function=NAME>…</function>
			c0, _, st := closeTag(body, ft.end, kindFunction, true)
			if st != statOK {
				c0 = len(body)
			}
			return p.functionElement(ft, body[ft.end:c0])
		}
		// <function>NAME</function>, or the unterminated <function>NAME>
		rest := body[ft.end:]
		e := strings.IndexByte(rest, '<')
		if g := strings.IndexByte(rest, '>'); g >= 0 && (e < 0 || g < e) {
			e = g
		}
		if e < 0 {
			e = len(rest)
		}
		ft.name = strings.TrimSpace(rest[:e])
		return p.functionElement(ft, rest[e:])
	}
	return p.rooBody(body)
}

// rooBody reads <tool_name>NAME</tool_name> followed by one element per
// argument.
func (p *parser) rooBody(body string) bool {
	var name string
	type kv struct{ k, v string }
	var params []kv
	for i := skipBlank(body, 0); i < len(body); i = skipBlank(body, i) {
		el, open, self, ok := elementOpen(body, i)
		if !ok {
			return false
		}
		inner := ""
		if self {
			i = open
		} else {
			c0, c1, ok := elementClose(body, open, el)
			if !ok {
				return false
			}
			inner, i = body[open:c0], c1
		}
		if equalWord(el, "tool_name") {
			name = strings.TrimSpace(inner)
			continue
		}
		params = append(params, kv{strings.ToLower(el), inner})
	}
	tool, ok := p.ts.Resolve(name)
	if !ok {
		return false
	}
	args := &object{}
	for _, e := range params {
		args.add(e.k, p.ts.value(tool, e.k, e.v, false))
	}
	p.add(tool, args)
	return true
}

// functionCalls is strategy 4: <function_call>{json}</function_call>,
// optionally inside a <function_calls> wrapper (cut whole).
func (p *parser) functionCalls() {
	s := p.s
	for i := p.first; i >= 0; {
		if e, in := p.cutAt(i); in {
			i = nextCandidate(s, e)
			continue
		}
		if s[i] == '<' {
			t, st := scanTag(s, i)
			if st == statOK && !t.closing && t.kind == kindWrapper {
				if b, st := matchBlock(s, t, true); st == statOK && b.form == formLegacyS4 {
					if p.functionCallsIn(s, t.end, b.end) {
						p.cut(b.start, b.end)
					}
					i = nextCandidate(s, b.end)
					continue
				}
			}
			if st == statOK && !t.closing && t.kind == kindFunctionCall {
				if c0, c1, st := closeTag(s, t.end, kindFunctionCall, true); st == statOK {
					if p.functionCallJSON(s[t.end:c0]) {
						p.cut(i, c1)
					}
					i = nextCandidate(s, c1)
					continue
				}
			}
		}
		i = nextCandidate(s, i+1)
	}
}

// functionCallsIn handles every <function_call> in s[from:to].
func (p *parser) functionCallsIn(s string, from, to int) bool {
	found := false
	seg := s[:to]
	for i := from; i < to; {
		k := strings.IndexByte(seg[i:], '<')
		if k < 0 {
			break
		}
		q := i + k
		t, st := scanTag(seg, q)
		if st == statOK && !t.closing && t.kind == kindFunctionCall {
			c0, c1, st := closeTag(seg, t.end, kindFunctionCall, true)
			if st != statOK {
				break
			}
			found = p.functionCallJSON(seg[t.end:c0]) || found
			i = c1
			continue
		}
		i = q + 1
	}
	return found
}

func (p *parser) functionCallJSON(body string) bool {
	k := strings.IndexByte(body, '{')
	if k < 0 {
		return false
	}
	e, st := jsonEnd(body, k, true)
	return st == statOK && p.jsonCall(body[k:e])
}
