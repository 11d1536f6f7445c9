package mimoml

import "strings"

// toolCallLines is strategy 1: "TOOL_CALL: name(args)" at a line start,
// the form the flattened history shows prior calls in.
func (p *parser) toolCallLines() {
	s := p.s
	for i := p.first; i >= 0; {
		if e, in := p.cutAt(i); in {
			i = nextCandidate(s, e)
			continue
		}
		if n, st := markerAt(s, i); st == statOK && n == len("tool_call:") && s[i] != '<' {
			if name, raw, e, st := toolCallLine(s, i, true); st == statOK {
				if tool, ok := p.ts.Resolve(name); ok {
					p.add(tool, p.lineArgs(tool, raw))
					p.cut(i, e)
					i = nextCandidate(s, e)
					continue
				}
			}
		}
		i = nextCandidate(s, i+1)
	}
}

// toolCallLine parses "TOOL_CALL: name(args)" at s[i], returning the name,
// the raw argument text and the index past ")".
func toolCallLine(s string, i int, final bool) (name, args string, end int, st status) {
	more := statMore
	if final {
		more = statNo
	}
	j := skipLineBlanks(s, i+len("tool_call:"))
	w0 := j
	for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
		j++
	}
	if j == len(s) {
		return "", "", 0, more
	}
	if j == w0 {
		return "", "", 0, statNo
	}
	name = s[w0:j]
	j = skipLineBlanks(s, j)
	if j == len(s) {
		return "", "", 0, more
	}
	if s[j] != '(' {
		return "", "", 0, statNo
	}
	e, st := matchParen(s, j, final)
	if st != statOK {
		return "", "", 0, st
	}
	return name, s[j+1 : e-1], e, statOK
}

// matchParen returns the index past the ")" matching s[i] == '('. Brackets
// inside strings do not count: double quotes always delimit strings, single
// quotes only when they open a value (after = ( , [ { : or a blank).
func matchParen(s string, i int, final bool) (int, status) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch c := s[j]; c {
		case '"', '\'':
			if c == '\'' && !opensValue(s, j) {
				continue
			}
			for j++; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' {
					j++
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
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

func opensValue(s string, j int) bool {
	for k := j - 1; k >= 0; k-- {
		switch s[k] {
		case ' ', '\t':
			continue
		case '=', '(', ',', '[', '{', ':':
			return true
		}
		return false
	}
	return false
}

// lineArgs reads TOOL_CALL arguments: empty, a JSON object, or k=v pairs
// separated by top-level commas (quoted values are strings, others are
// typed); anything else becomes {"input": raw}.
func (p *parser) lineArgs(tool, raw string) *object {
	t := strings.TrimSpace(raw)
	if t == "" {
		return &object{}
	}
	if t[0] == '{' {
		if v, ok := decodeLoose(t); ok {
			if o, ok := v.(*object); ok {
				return o
			}
		}
	}
	args := &object{}
	for _, part := range splitTop(t) {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || !isIdent(k) {
			return &object{keys: []string{"input"}, vals: []any{t}}
		}
		v = strings.TrimSpace(v)
		pt := p.ts.propType(tool, k)
		if u, ok := unquote(v); ok {
			args.set(k, coerce(u, pt))
		} else {
			args.set(k, coerce(typeText(v, false), pt))
		}
	}
	return args
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

// splitTop splits s at commas outside brackets and strings.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for j := 0; j < len(s); j++ {
		switch c := s[j]; c {
		case '"', '\'':
			if c == '\'' && !opensValue(s, j) {
				continue
			}
			for j++; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' {
					j++
				}
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:j])
				start = j + 1
			}
		}
	}
	return append(parts, s[start:])
}

// unquote strips matching quotes and resolves simple backslash escapes.
func unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != v[len(v)-1] || v[0] != '"' && v[0] != '\'' {
		return "", false
	}
	v = v[1 : len(v)-1]
	if strings.IndexByte(v, '\\') < 0 {
		return v, true
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch v[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(v[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(v[i])
		}
	}
	return b.String(), true
}

// jsonObjects is strategy 2: a JSON object starting with a "name" or
// "function" key that names a declared tool and carries its arguments.
func (p *parser) jsonObjects() {
	s := p.s
	for i := p.first; i >= 0; {
		if e, in := p.cutAt(i); in {
			i = nextCandidate(s, e)
			continue
		}
		if s[i] == '{' {
			if _, st := jsonMarker(s, i); st == statOK {
				e, st := jsonEnd(s, i, true)
				if st != statOK {
					return
				}
				if p.jsonCall(s[i:e]) {
					a, b := enclosing(s, i, e)
					p.cut(a, b)
					e = b
				}
				i = nextCandidate(s, e)
				continue
			}
		}
		i = nextCandidate(s, i+1)
	}
}

// enclosing widens the span [a, b) of a JSON call to the <tool_call>,
// <function_call> and <function_calls> elements that hold nothing else.
func enclosing(s string, a, b int) (int, int) {
	for {
		k := a
		for k > 0 && isSpace(s[k-1]) {
			k--
		}
		o := strings.LastIndexByte(s[:k], '<')
		if o < 0 {
			return a, b
		}
		t, st := scanTag(s, o)
		if st != statOK || t.end != k || t.closing ||
			t.kind != kindToolCall && t.kind != kindFunctionCall && t.kind != kindWrapper {
			return a, b
		}
		m := skipBlank(s, b)
		if m == len(s) || s[m] != '<' {
			return a, b
		}
		c, st := scanTag(s, m)
		if st != statOK || !c.closing || c.kind != t.kind {
			return a, b
		}
		a, b = o, c.end
	}
}

// jsonCall records the call in a JSON call object ({"name", "arguments"} or
// {"function": {"name", "arguments"}}); arguments may be a JSON string.
func (p *parser) jsonCall(src string) bool {
	v, ok := decodeLoose(src)
	if !ok {
		return false
	}
	o, ok := v.(*object)
	if !ok {
		return false
	}
	if fn, ok := o.get("function"); ok {
		if f, ok := fn.(*object); ok {
			o = f
		}
	}
	n, _ := o.get("name")
	name, _ := n.(string)
	tool, ok := p.ts.Resolve(name)
	if !ok {
		return false
	}
	var args any
	found := false
	for _, k := range [...]string{"arguments", "parameters", "input", "args"} {
		if args, found = o.get(k); found {
			break
		}
	}
	if !found {
		return false
	}
	a, ok := argsObject(args)
	if !ok {
		return false
	}
	p.add(tool, a)
	return true
}

// argsObject accepts an arguments object, a JSON string holding one, or
// null/"" for none.
func argsObject(v any) (*object, bool) {
	switch v := v.(type) {
	case nil:
		return &object{}, true
	case *object:
		return v, true
	case string:
		t := strings.TrimSpace(v)
		if t == "" {
			return &object{}, true
		}
		if j, ok := decodeLoose(t); ok {
			o, ok := j.(*object)
			return o, ok
		}
	}
	return nil, false
}
