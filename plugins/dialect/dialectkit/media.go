package dialectkit

import (
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// IsDataURL reports whether s is a data: URL.
func IsDataURL(s string) bool {
	return len(s) >= 5 && strings.EqualFold(s[:5], "data:")
}

// ParseDataURL decodes an RFC 2397 data URL into its media type (lower case, "text/plain" when
// absent) and bytes. Errors name param.
func ParseDataURL(s, param string) (string, []byte, *plugin.Error) {
	if !IsDataURL(s) {
		return "", nil, BadParam(param, "%s is not a data URL", param)
	}
	meta, payload, ok := strings.Cut(s[5:], ",")
	if !ok {
		return "", nil, BadParam(param, "%s is a malformed data URL", param)
	}
	meta, b64 := strings.CutSuffix(meta, ";base64")
	mt, _, _ := strings.Cut(meta, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" {
		mt = "text/plain"
	}
	if !b64 {
		text, err := url.PathUnescape(payload)
		if err != nil {
			return "", nil, BadParam(param, "%s is a malformed data URL", param)
		}
		return mt, []byte(text), nil
	}
	data, ok := DecodeBase64(payload)
	if !ok {
		return "", nil, BadParam(param, "%s does not hold valid base64 data", param)
	}
	return mt, data, nil
}

// DecodeBase64 accepts standard and URL-safe base64, padded or not.
func DecodeBase64(s string) ([]byte, bool) {
	for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
