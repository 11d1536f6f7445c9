package mimoml

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Argument values are built as a small tree: string, json.Number, bool, nil,
// []any and *object. object keeps insertion order so arguments come out in
// the order the model wrote them.
type object struct {
	keys []string
	vals []any
}

func (o *object) index(k string) int {
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// set stores v under k, replacing an earlier value.
func (o *object) set(k string, v any) {
	if i := o.index(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// add stores v under k; a repeated key collects its values into an array.
func (o *object) add(k string, v any) {
	i := o.index(k)
	if i < 0 {
		o.keys = append(o.keys, k)
		o.vals = append(o.vals, v)
		return
	}
	if arr, ok := o.vals[i].(multi); ok {
		o.vals[i] = append(arr, v)
		return
	}
	o.vals[i] = multi{o.vals[i], v}
}

// multi is an array formed by repeated keys (distinct from a value that was
// already an array, so that a repeated array parameter nests correctly).
type multi []any

func (o *object) get(k string) (any, bool) {
	if i := o.index(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

func (o *object) rename(from, to string) {
	if i := o.index(from); i >= 0 && o.index(to) < 0 {
		o.keys[i] = to
	}
}

// decodeJSON parses strict JSON into the value tree.
func decodeJSON(s string) (any, bool) {
	if !json.Valid([]byte(s)) {
		return nil, false
	}
	return fromResult(gjson.Parse(s)), true
}

// decodeLoose parses JSON, retrying once after repairJSON.
func decodeLoose(s string) (any, bool) {
	if v, ok := decodeJSON(s); ok {
		return v, true
	}
	if r, changed := repairJSON(s); changed {
		return decodeJSON(r)
	}
	return nil, false
}

func fromResult(r gjson.Result) any {
	switch r.Type {
	case gjson.False:
		return false
	case gjson.True:
		return true
	case gjson.Number:
		return json.Number(r.Raw)
	case gjson.String:
		return r.Str
	case gjson.JSON:
		if r.IsArray() {
			arr := []any{}
			r.ForEach(func(_, v gjson.Result) bool {
				arr = append(arr, fromResult(v))
				return true
			})
			return arr
		}
		o := &object{}
		r.ForEach(func(k, v gjson.Result) bool {
			o.set(k.Str, fromResult(v))
			return true
		})
		return o
	}
	return nil
}

// appendJSON encodes v compactly, leaving non-ASCII and HTML characters
// unescaped; invalid UTF-8 becomes U+FFFD.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		return appendArray(b, v)
	case multi:
		return appendArray(b, v)
	case *object:
		b = append(b, '{')
		for i, k := range v.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendJSON(b, v.vals[i])
		}
		return append(b, '}')
	}
	panic("mimoml: unexpected value type")
}

func appendArray(b []byte, arr []any) []byte {
	b = append(b, '[')
	for i, e := range arr {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, e)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// kindOf names the JSON type of a value tree node like a JSON schema does.
func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any, multi:
		return "array"
	case *object:
		return "object"
	}
	return ""
}
