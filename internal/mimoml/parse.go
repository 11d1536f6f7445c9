package mimoml

import (
	"slices"
	"strings"
)

// Parse extracts tool calls from a complete assistant text (think text
// already removed). Strategies run in the order of protocol B.3 and stop at
// the first that yields a call: MiMoML/DSML/plain XML blocks; TOOL_CALL:
// lines; JSON call objects; <tool_call> (Qwen/Hermes) blocks and bare
// <function=NAME>; <function_call> JSON.
//
// visible is text with the recognised call markup cut out; everything else,
// whitespace included, is kept byte for byte. A MiMoML block whose invokes
// name only undeclared tools is still markup and is cut; a wrapper without
// any named invoke, prose mentioning tag names, fenced or inline code and
// <think> sections stay text. With no declared tools, Parse returns no calls
// and text unchanged.
func Parse(text string, ts *Toolset) (calls []Call, visible string) {
	if ts.Len() == 0 || !mayHoldCall(text) {
		return nil, text
	}
	s := text
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	// Every strategy starts at a marker; text without one is done.
	first := StartIndex(s)
	if first < 0 {
		return nil, text
	}
	p := parser{s: s, ts: ts, first: first}
	p.mimoml()
	for _, strategy := range [...]func(*parser){
		(*parser).toolCallLines, (*parser).jsonObjects, (*parser).toolCallBlocks, (*parser).functionCalls,
	} {
		if len(p.calls) > 0 {
			break
		}
		strategy(&p)
	}
	return p.calls, p.visible()
}

// mayHoldCall is the allocation-free pre-check: every strategy needs a '<',
// a '{' or a "TOOL_CALL:".
func mayHoldCall(s string) bool {
	if strings.IndexByte(s, '<') >= 0 || strings.IndexByte(s, '{') >= 0 {
		return true
	}
	for i := 0; ; i++ {
		k := strings.IndexByte(s[i:], ':')
		if k < 0 {
			return false
		}
		i += k
		if i >= 9 && equalWord(s[i-9:i], "tool_call") {
			return true
		}
	}
}

type parser struct {
	s     string
	ts    *Toolset
	first int // the first marker, where every strategy starts
	calls []Call
	cuts  [][2]int // spans removed from the visible text
}

// add records a call unless an identical one was already recorded.
func (p *parser) add(name string, args *object) {
	finishArgs(p.ts, name, args)
	c := Call{Name: name, Arguments: string(appendJSON(nil, args))}
	if !slices.Contains(p.calls, c) {
		p.calls = append(p.calls, c)
	}
}

func (p *parser) cut(a, b int) { p.cuts = append(p.cuts, [2]int{a, b}) }

// cutAt returns the end of the cut containing i.
func (p *parser) cutAt(i int) (int, bool) {
	for _, c := range p.cuts {
		if c[0] <= i && i < c[1] {
			return c[1], true
		}
	}
	return 0, false
}

func (p *parser) visible() string {
	if len(p.cuts) == 0 {
		return p.s
	}
	slices.SortFunc(p.cuts, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	b.Grow(len(p.s))
	at := 0
	for _, c := range p.cuts {
		if c[0] > at {
			b.WriteString(p.s[at:c[0]])
		}
		at = max(at, c[1])
	}
	b.WriteString(p.s[at:])
	return b.String()
}

// mimoml is strategy 0: MiMoML, DSML and plain XML blocks.
func (p *parser) mimoml() {
	s := p.s
	for i := p.first; i >= 0; {
		if s[i] == '<' {
			t, st := scanTag(s, i)
			if st == statOK && !t.closing && (t.kind == kindWrapper || t.kind == kindToolCall || t.kind == kindInvoke) {
				if b, st := matchBlock(s, t, true); st == statOK && b.form != formLegacyS4 {
					if p.takeBlock(b) {
						p.cut(b.start, b.end)
					}
					i = nextCandidate(s, b.end)
					continue
				}
			}
		}
		i = nextCandidate(s, i+1)
	}
}

// takeBlock turns the block's invokes into calls. It reports whether the
// block was tool markup (at least one invoke carried a name).
func (p *parser) takeBlock(b block) bool {
	markup := false
	for _, inv := range b.invokes {
		if inv.open.name == "" {
			continue
		}
		markup = true
		name, ok := p.ts.Resolve(inv.open.name)
		if !ok {
			continue
		}
		p.add(name, p.invokeArgs(name, p.s[inv.bodyStart:inv.bodyEnd]))
	}
	return markup
}

// invokeArgs reads the parameters of an invoke (or Qwen <function=…>) body.
// A body without parameter tags may hold a JSON arguments object.
func (p *parser) invokeArgs(tool, body string) *object {
	args := &object{}
	for i := 0; i < len(body); {
		k := strings.IndexByte(body[i:], '<')
		if k < 0 {
			break
		}
		q := i + k
		if m, _ := prefixFold(body[q:], "<![cdata["); m {
			if e, st := cdataEnd(body, q, true); st == statOK {
				i = e
				continue
			}
			i = q + len(cdataOpen)
			continue
		}
		t, st := scanTag(body, q)
		if st != statOK || t.kind != kindParam || t.closing {
			i = q + 1
			continue
		}
		key := strings.TrimSpace(t.name)
		if t.selfClose {
			if key != "" {
				args.add(key, p.ts.value(tool, key, "", t.raw))
			}
			i = t.end
			continue
		}
		vEnd, next := paramEnd(body, t.end)
		if key != "" {
			args.add(key, p.ts.value(tool, key, body[t.end:vEnd], t.raw))
		}
		i = next
	}
	if len(args.keys) == 0 {
		if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") {
			if v, ok := decodeLoose(t); ok {
				if o, ok := v.(*object); ok {
					return o
				}
			}
		}
	}
	return args
}

// paramEnd finds the end of a parameter value starting at body[i]: its
// closing tag, or (closer missing) the next parameter opener or the end.
func paramEnd(body string, i int) (vEnd, next int) {
	for j := i; j < len(body); {
		k := strings.IndexByte(body[j:], '<')
		if k < 0 {
			break
		}
		q := j + k
		if m, _ := prefixFold(body[q:], "<![cdata["); m {
			if e, st := cdataEnd(body, q, true); st == statOK {
				j = e
				continue
			}
			j = q + len(cdataOpen)
			continue
		}
		if t, st := scanTag(body, q); st == statOK && t.kind == kindParam {
			if t.closing {
				return q, t.end
			}
			return q, q
		}
		j = q + 1
	}
	return len(body), len(body)
}

// skillTools take a "name" argument that models tend to call "skill_name".
var skillTools = map[string]bool{"skill_view": true, "skill_manage": true, "use_skill": true}

// finishArgs merges repeated parameters into arrays, coerces every
// top-level value to its schema type and applies the skill_name fix-up.
func finishArgs(ts *Toolset, tool string, args *object) {
	for i, k := range args.keys {
		pt := ts.propType(tool, k)
		v := args.vals[i]
		if m, ok := v.(multi); ok {
			if pt == "array" {
				var flat []any
				for _, e := range m {
					if arr, ok := e.([]any); ok {
						flat = append(flat, arr...)
					} else {
						flat = append(flat, e)
					}
				}
				v = flat
			} else {
				v = []any(m)
			}
		}
		v = coerce(v, pt)
		if _, isArr := v.([]any); pt == "array" && !isArr && v != nil {
			v = []any{v}
		}
		args.vals[i] = v
	}
	if skillTools[tool] {
		if _, ok := ts.props[tool]["skill_name"]; !ok {
			args.rename("skill_name", "name")
		}
	}
}
