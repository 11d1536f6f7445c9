package dialectkit

import (
	"math"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// BadParam returns a 400 invalid_request error naming param.
func BadParam(param, format string, args ...any) *plugin.Error {
	e := plugin.BadRequest(format, args...)
	e.Param = param
	return e
}

// Present reports whether a field was given with a non-null value.
func Present(v gjson.Result) bool { return v.Exists() && v.Type != gjson.Null }

// Bool returns a boolean field.
func Bool(v gjson.Result, param string) (bool, *plugin.Error) {
	if v.Type != gjson.True && v.Type != gjson.False {
		return false, BadParam(param, "%s must be a boolean", param)
	}
	return v.Type == gjson.True, nil
}

// Name returns a required, non-empty string field.
func Name(v gjson.Result, param string) (string, *plugin.Error) {
	if v.Type != gjson.String || v.Str == "" {
		return "", BadParam(param, "%s must be a non-empty string", param)
	}
	return v.Str, nil
}

// Int returns an integer field within [lo, hi].
func Int(v gjson.Result, param string, lo, hi int) (int, *plugin.Error) {
	if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) {
		return 0, BadParam(param, "%s must be an integer", param)
	}
	if v.Num < float64(lo) || v.Num > float64(hi) {
		return 0, BadParam(param, "%s must be between %d and %d", param, lo, hi)
	}
	return int(v.Num), nil
}

// Number returns an optional number field within [lo, hi]; nil when absent or null.
func Number(v gjson.Result, param string, lo, hi float64) (*float64, *plugin.Error) {
	if !Present(v) {
		return nil, nil
	}
	if v.Type != gjson.Number {
		return nil, BadParam(param, "%s must be a number", param)
	}
	if v.Num < lo || v.Num > hi {
		return nil, BadParam(param, "%s must be between %g and %g", param, lo, hi)
	}
	f := v.Num
	return &f, nil
}

// Strings reads a list of at most max strings (stop sequences); empty entries are skipped. With
// single set, a lone string is accepted as a one-entry list.
func Strings(v gjson.Result, param string, max int, single bool) ([]string, *plugin.Error) {
	want := "an array of strings"
	if single {
		want = "a string or an array of strings"
	}
	switch {
	case !Present(v):
		return nil, nil
	case single && v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []string{v.Str}, nil
	case !v.IsArray():
		return nil, BadParam(param, "%s must be %s", param, want)
	}
	var (
		out []string
		err *plugin.Error
		n   int
	)
	v.ForEach(func(_, s gjson.Result) bool {
		if n++; n > max {
			err = BadParam(param, "%s accepts at most %d entries", param, max)
			return false
		}
		if s.Type != gjson.String {
			err = BadParam(param, "%s must be %s", param, want)
			return false
		}
		if s.Str != "" {
			out = append(out, s.Str)
		}
		return true
	})
	return out, err
}
