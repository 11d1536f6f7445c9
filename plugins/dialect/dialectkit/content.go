package dialectkit

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Content decodes message content given as a string, null, or an array of parts, each part
// decoded by part with its indexed param ("messages[0].content[1]"). An empty string or null
// gives no parts.
func Content(v gjson.Result, param string, part func(p gjson.Result, param string) (plugin.Part, *plugin.Error)) ([]plugin.Part, *plugin.Error) {
	switch {
	case !Present(v):
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []plugin.Part{{Kind: plugin.PartText, Text: v.Str}}, nil
	case !v.IsArray():
		return nil, BadParam(param, "%s must be a string, null or an array of content parts", param)
	}
	var (
		parts []plugin.Part
		err   *plugin.Error
		i     int
	)
	v.ForEach(func(_, p gjson.Result) bool {
		var pt plugin.Part
		pt, err = part(p, Index(param, i))
		i++
		if err != nil {
			return false
		}
		parts = append(parts, pt)
		return true
	})
	return parts, err
}

// Index returns param[i].
func Index(param string, i int) string { return param + "[" + strconv.Itoa(i) + "]" }
