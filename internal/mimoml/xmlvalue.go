package mimoml

import "strings"

// maxXMLDepth bounds nested-element recursion.
const maxXMLDepth = 32

// parseXML reads a value written as nested elements: <item> children form
// an array (an item that itself has child elements becomes an object), other
// children form an object (repeated names collect into arrays; bare items
// next to named children go under "item"). Leaves are typed like bare
// parameter text. Text outside child elements, unbalanced tags or an empty
// input make it fail, so prose with markup stays a string.
func parseXML(s string) (any, bool) { return parseXMLDepth(s, 0) }

func parseXMLDepth(s string, depth int) (any, bool) {
	if depth > maxXMLDepth {
		return nil, false
	}
	var items []any
	var obj *object
	n := 0
	for i := skipBlank(s, 0); i < len(s); i = skipBlank(s, i) {
		if s[i] != '<' || strings.HasPrefix(s[i:], cdataOpen) {
			return nil, false
		}
		name, open, self, ok := elementOpen(s, i)
		if !ok {
			return nil, false
		}
		var inner string
		if self {
			i = open
		} else {
			c0, c1, ok := elementClose(s, open, name)
			if !ok {
				return nil, false
			}
			inner, i = s[open:c0], c1
		}
		if equalWord(name, "parameter") {
			continue
		}
		n++
		v := leafValue(inner, depth)
		if equalWord(name, "item") {
			items = append(items, v)
			continue
		}
		if obj == nil {
			obj = &object{}
		}
		obj.add(name, v)
	}
	if n == 0 {
		return nil, false
	}
	if obj == nil {
		return items, true
	}
	switch len(items) {
	case 0:
	case 1:
		obj.add("item", items[0])
	default:
		obj.add("item", items)
	}
	return flatten(obj), true
}

// flatten turns repeated-key collections into plain arrays.
func flatten(o *object) *object {
	for i, v := range o.vals {
		if m, ok := v.(multi); ok {
			o.vals[i] = []any(m)
		}
	}
	return o
}

// leafValue types the inside of an element: nested elements recurse, a
// CDATA section is a string, anything else is typed like bare text.
func leafValue(inner string, depth int) any {
	t := strings.TrimSpace(inner)
	if body, ok := unwrapCDATA(t); ok {
		return body
	}
	if strings.HasPrefix(t, "<") {
		if v, ok := parseXMLDepth(t, depth+1); ok {
			return v
		}
	}
	return typeText(t, false)
}

// elementOpen parses "<name attrs>" or "<name/>" at s[i].
func elementOpen(s string, i int) (name string, end int, self, ok bool) {
	j := i + 1
	for j < len(s) && (isWordByte(s[j]) || s[j] == ':' || s[j] == '.') {
		j++
	}
	if j == i+1 || !isIdentStart(s[i+1]) {
		return "", 0, false, false
	}
	name = s[i+1 : j]
	k := strings.IndexByte(s[j:], '>')
	if k < 0 {
		return "", 0, false, false
	}
	attrs := s[j : j+k]
	if attrs != "" && !isSpace(attrs[0]) && attrs != "/" {
		return "", 0, false, false
	}
	if strings.ContainsAny(attrs, "<") {
		return "", 0, false, false
	}
	return name, j + k + 1, strings.HasSuffix(attrs, "/"), true
}

// elementClose finds the "</name>" matching an element whose content starts
// at s[i], counting nested same-name elements and skipping CDATA.
func elementClose(s string, i int, name string) (c0, c1 int, ok bool) {
	depth := 0
	for i < len(s) {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			return 0, 0, false
		}
		i += k
		if strings.HasPrefix(s[i:], cdataOpen) {
			e, st := cdataEnd(s, i, true)
			if st != statOK {
				return 0, 0, false
			}
			i = e
			continue
		}
		closing := i+1 < len(s) && s[i+1] == '/'
		j := i + 1
		if closing {
			j++
		}
		if m, _ := prefixFold(s[j:], strings.ToLower(name)); m && j+len(name) < len(s) {
			if c := s[j+len(name)]; c == '>' || !closing && (isSpace(c) || c == '/') {
				switch {
				case closing && depth == 0:
					return i, j + len(name) + 1, true
				case closing:
					depth--
				default:
					if e := strings.IndexByte(s[j:], '>'); e > 0 && s[j+e-1] != '/' {
						depth++
					}
				}
			}
		}
		i++
	}
	return 0, 0, false
}
