package responses

import (
	"strconv"
)

// appendRawOrNull appends raw, which must be valid JSON, or null when it is empty.
func appendRawOrNull(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// appendInt appends n in decimal.
func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// appendFloatOrNull appends *f as a JSON number, or null when f is nil.
func appendFloatOrNull(dst []byte, f *float64) []byte {
	if f == nil {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, *f, 'g', -1, 64)
}
