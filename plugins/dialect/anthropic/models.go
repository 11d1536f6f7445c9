package anthropic

import (
	"net/http"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Upstream models of the built-in claude-* rules.
const (
	opusModel    = "mimo-v2.5-pro"
	defaultModel = "mimo-v2.5"
)

// resolve returns the upstream model for the client's model name, or a 404 not_found_error.
func (m *Messages) resolve(name string) (string, *plugin.Error) {
	if to, ok := m.alias(name); ok {
		return to, nil
	}
	base := strings.ToLower(name)
	base = strings.TrimSuffix(base, "-latest")
	base = stripDate(base)
	if to, ok := m.alias(base); ok {
		return to, nil
	}
	switch {
	case strings.HasPrefix(base, "mimo-"):
		if m.catalog != nil {
			if id, ok := m.catalog.Resolve(base); ok {
				return id, nil
			}
			break
		}
		for _, id := range m.models {
			if strings.EqualFold(id, base) {
				return id, nil
			}
		}
	case strings.HasPrefix(base, "claude-"):
		if strings.Contains(base, "opus") {
			return opusModel, nil
		}
		return defaultModel, nil
	}
	return "", &plugin.Error{Status: http.StatusNotFound, Code: plugin.CodeNotFound, Param: "model",
		Message: "model: " + name}
}

func (m *Messages) alias(name string) (string, bool) {
	for _, a := range m.Aliases {
		if strings.EqualFold(a.From, name) {
			return a.To, true
		}
	}
	return "", false
}

// stripDate removes a trailing -YYYYMMDD snapshot date.
func stripDate(s string) string {
	const n = len("-20060102")
	if len(s) <= n || s[len(s)-n] != '-' {
		return s
	}
	for _, c := range s[len(s)-n+1:] {
		if c < '0' || c > '9' {
			return s
		}
	}
	return s[:len(s)-n]
}
