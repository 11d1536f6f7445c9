package mimoml

import (
	"encoding/json"
	"strings"
)

// protected parameters hold raw text (file contents, code, commands, paths);
// their values are never reinterpreted unless the schema says otherwise.
var protected = map[string]bool{
	"content": true, "file_content": true, "text": true, "prompt": true, "query": true,
	"command": true, "cmd": true, "script": true, "code": true, "old_string": true,
	"new_string": true, "pattern": true, "path": true, "file_path": true, "result": true,
	"input": true,
}

func isProtected(key string) bool {
	return protected[strings.ToLower(strings.TrimSpace(key))]
}

const cdataOpen = "<![CDATA["

// unwrapCDATA returns the text of a value that starts with a CDATA section.
// Consecutive sections (the ]]]]><![CDATA[> idiom) are joined; an
// unterminated section runs to the end; text after the last section is kept.
func unwrapCDATA(v string) (body string, ok bool) {
	if m, _ := prefixFold(v, "<![cdata["); !m {
		return "", false
	}
	if strings.HasSuffix(v, "]]>") && len(v) >= len(cdataOpen)+3 {
		inner := v[len(cdataOpen) : len(v)-3]
		if strings.Contains(inner, "]]><![CDATA[") {
			inner = strings.ReplaceAll(inner, "]]><![CDATA[", "")
		}
		return inner, true
	}
	end, st := cdataEnd(v, 0, true)
	if st != statOK {
		return v[len(cdataOpen):], true
	}
	return v[len(cdataOpen):end-3] + v[end:], true
}

// cdataEnd finds the end (just past "]]>") of the CDATA section opened at
// s[i]. A "]]>" on a line inside a ``` or ~~~ fence within the section does
// not close it. When final is false and no end is certain yet, it returns
// statMore; when final is true and the fenced search fails, the first "]]>"
// wins, and statNo means the section is unterminated.
func cdataEnd(s string, i int, final bool) (int, status) {
	b := i + len(cdataOpen)
	var fence string
	for q := b; q < len(s); {
		e := lineEnd(s, q)
		line := s[q:e]
		t := strings.TrimLeft(line, " \t")
		if len(t) >= 3 && (t[:3] == "```" || t[:3] == "~~~") {
			switch {
			case fence == "":
				fence = t[:3]
				q = e + 1
				continue
			case t[:3] == fence:
				fence = ""
			}
		}
		if fence == "" {
			if k := strings.Index(line, "]]>"); k >= 0 {
				return q + k + 3, statOK
			}
		}
		q = e + 1
	}
	if !final {
		return 0, statMore
	}
	if k := strings.Index(s[b:], "]]>"); k >= 0 {
		return b + k + 3, statOK
	}
	return 0, statNo
}

// value types one parameter value of a tool (the text between the
// parameter tags) following protocol B.5, then coerces it to the property's
// schema type. raw (string="true") keeps the text as a string.
func (ts *Toolset) value(tool, key, v string, raw bool) any {
	pt := ts.propType(tool, key)
	v = strings.TrimSpace(v)
	body, isCDATA := unwrapCDATA(v)
	switch {
	case raw:
		if isCDATA {
			return body
		}
		return decodeEntities(v)
	case isProtected(key) && (pt == "" || pt == "string"):
		switch {
		case isCDATA:
			return body
		case v == "null": // only the bare JSON literal
			return nil
		}
		return decodeEntities(v)
	case isCDATA:
		b := normalizeBreaks(body)
		if pt == "" || pt == "object" || pt == "array" {
			if t := strings.TrimSpace(b); strings.HasPrefix(t, "<") && strings.Contains(t, ">") {
				if x, ok := parseXML(t); ok {
					return coerce(x, pt)
				}
			}
		}
		if pt == "" {
			return b // CDATA text is never typed without a schema
		}
		return coerce(b, pt)
	}
	if pt == "string" {
		if isNull(v) {
			return nil
		}
		return decodeEntities(v)
	}
	return coerce(typeText(v, pt == "" || pt == "object" || pt == "array"), pt)
}

// typeText types bare (non-CDATA) text: nested XML, JSON, repaired JSON,
// then literals; anything else is an entity-decoded string.
func typeText(v string, xml bool) any {
	if v == "" {
		return ""
	}
	if xml && strings.HasPrefix(v, "<") && strings.Contains(v, ">") {
		if x, ok := parseXML(v); ok {
			return x
		}
	}
	if j, ok := decodeJSON(v); ok {
		return j
	}
	if c := v[0]; c == '{' || c == '[' {
		if j, ok := decodeLoose(v); ok {
			return j
		}
	}
	switch {
	case equalWord(v, "true"):
		return true
	case equalWord(v, "false"):
		return false
	case isNull(v):
		return nil
	}
	return decodeEntities(v)
}

func isNull(v string) bool { return equalWord(v, "null") || equalWord(v, "none") }

// coerce converts v to the schema type pt ("" leaves it alone). A
// non-string value of a string property becomes its JSON text (number
// literals are kept as written).
func coerce(v any, pt string) any {
	switch pt {
	case "string":
		switch v.(type) {
		case string, nil:
			return v
		}
		return string(appendJSON(nil, v))
	case "integer", "number":
		if s, ok := v.(string); ok {
			if n, ok := numberLiteral(strings.TrimSpace(s)); ok {
				return n
			}
		}
	case "boolean":
		if s, ok := v.(string); ok {
			switch t := strings.TrimSpace(s); {
			case equalWord(t, "true"):
				return true
			case equalWord(t, "false"):
				return false
			}
		}
	case "object", "array":
		if s, ok := v.(string); ok {
			if j, ok := decodeLoose(strings.TrimSpace(s)); ok && kindOf(j) == pt {
				return j
			}
		}
	}
	return v
}

// numberLiteral accepts exactly the JSON number syntax.
func numberLiteral(s string) (json.Number, bool) {
	if s == "" || len(s) > 64 {
		return "", false
	}
	i := 0
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return "", false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", false
		}
	}
	if i != len(s) {
		return "", false
	}
	return json.Number(s), true
}

// normalizeBreaks turns <br>, <br/>, <br /> (any case) and CRLF into "\n".
func normalizeBreaks(s string) string {
	if !strings.Contains(s, "\r") && indexFold(s, "<br") < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for {
		k := indexFold(s, "<br")
		if k < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := k + 3
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] == '/' {
			j++
		}
		if j < len(s) && s[j] == '>' {
			b.WriteString(s[:k])
			b.WriteByte('\n')
			s = s[j+1:]
			continue
		}
		b.WriteString(s[:k+3])
		s = s[k+3:]
	}
}

// decodeEntities decodes the XML entities models use (&lt; &gt; &amp; &quot;
// &apos; and numeric references) in one pass, so &amp;lt; becomes &lt;.
func decodeEntities(s string) string {
	i := strings.IndexByte(s, '&')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		n, r := entity(s)
		if n == 0 {
			b.WriteByte('&')
			s = s[1:]
		} else {
			b.WriteString(r)
			s = s[n:]
		}
		i = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}

func entity(s string) (int, string) {
	for _, e := range [...]struct{ k, v string }{
		{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", `"`}, {"&apos;", "'"},
	} {
		if strings.HasPrefix(s, e.k) {
			return len(e.k), e.v
		}
	}
	if len(s) < 4 || s[1] != '#' {
		return 0, ""
	}
	end := strings.IndexByte(s, ';')
	if end < 3 || end > 10 {
		return 0, ""
	}
	num, base := s[2:end], 10
	if num[0] == 'x' || num[0] == 'X' {
		num, base = num[1:], 16
	}
	r := 0
	for i := 0; i < len(num); i++ {
		d := hexVal(num[i])
		if d < 0 || d >= base {
			return 0, ""
		}
		r = r*base + d
	}
	if num == "" || r == 0 || r > 0x10FFFF || 0xD800 <= r && r < 0xE000 {
		return 0, ""
	}
	return end + 1, string(rune(r))
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
