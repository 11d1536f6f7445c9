package mimoml

import "strings"

// repairJSON fixes the JSON mistakes models make most often, and only those:
// bare object keys ({a: 1}), invalid backslash escapes ("C:\dir", \'), raw
// control characters inside strings, trailing commas, Python literals
// (True/False/None) and zero-width characters outside strings. It reports
// whether anything changed; the caller still validates the result.
func repairJSON(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s) + 8)
	changed := false
	prev := byte(0) // last significant byte written outside strings
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			end, fixed := repairString(&b, s, i)
			changed = changed || fixed
			i = end
			prev = '"'
			continue
		case c == ',':
			j := skipBlank(s, i+1)
			if j < len(s) && (s[j] == '}' || s[j] == ']') {
				changed = true
				i++
				continue
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '$') {
				j++
			}
			word := s[i:j]
			k := skipBlank(s, j)
			if (prev == '{' || prev == ',') && k < len(s) && s[k] == ':' {
				b.WriteByte('"')
				b.WriteString(word)
				b.WriteByte('"')
				changed = true
				prev = '"'
				i = j
				continue
			}
			lit := word
			switch word {
			case "True":
				lit = "true"
			case "False":
				lit = "false"
			case "None", "NULL", "Null":
				lit = "null"
			}
			if lit != word {
				changed = true
			}
			b.WriteString(lit)
			prev = 'a'
			i = j
			continue
		case c == 0xe2 && (strings.HasPrefix(s[i:], "\u200b") || strings.HasPrefix(s[i:], "\u200c") ||
			strings.HasPrefix(s[i:], "\u200d") || strings.HasPrefix(s[i:], "\u2060")):
			changed = true
			i += 3
			continue
		case c == 0xef && strings.HasPrefix(s[i:], "\ufeff"):
			changed = true
			i += 3
			continue
		}
		if !isSpace(c) {
			prev = c
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), changed
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// repairString copies the JSON string starting at s[i] == '"', fixing
// invalid escapes and raw control characters; it returns the index past the
// closing quote (or len(s)).
func repairString(b *strings.Builder, s string, i int) (int, bool) {
	changed := false
	b.WriteByte('"')
	for i++; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteByte('"')
			return i + 1, changed
		case c == '\\':
			if i+1 >= len(s) {
				b.WriteString(`\\`)
				changed = true
				continue
			}
			switch n := s[i+1]; n {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				b.WriteByte('\\')
				b.WriteByte(n)
				i++
			case 'u':
				if i+5 < len(s) && isHex4(s[i+2:i+6]) {
					b.WriteString(s[i : i+6])
					i += 5
				} else {
					b.WriteString(`\\`)
					changed = true
				}
			case '\'':
				b.WriteByte('\'')
				i++
				changed = true
			default:
				b.WriteString(`\\`)
				changed = true
			}
		case c == '\n':
			b.WriteString(`\n`)
			changed = true
		case c == '\r':
			b.WriteString(`\r`)
			changed = true
		case c == '\t':
			b.WriteString(`\t`)
			changed = true
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			changed = true
		default:
			b.WriteByte(c)
		}
	}
	return i, changed
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
