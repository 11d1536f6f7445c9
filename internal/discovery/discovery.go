// Package discovery keeps the catalog of models the MiMo upstream serves. It reads the public
// bot/config endpoint, classifies each model as chat, tts or asr, keeps the newest version series
// of each class, fills in context limits and caches the result with a TTL; a stale catalog is
// refreshed in the background, one refresh at a time, and a failed refresh keeps the last good
// list. A static model list overrides discovery. The catalog also resolves model aliases.
package discovery

import (
	"strconv"
	"strings"
)

// Kind is the class of a model.
type Kind string

// Model classes.
const (
	KindChat Kind = "chat"
	KindTTS  Kind = "tts"
	KindASR  Kind = "asr"
)

// Model is one served model.
type Model struct {
	// ID is the upstream model id, such as "mimo-v2.5-pro".
	ID string
	// Name is the display name, when the upstream gave one.
	Name string
	// Kind is the model's class.
	Kind Kind
	// ContextWindow is the context length in tokens, 0 when unknown.
	ContextWindow int
	// MaxOutput is the output limit in tokens, 0 when unknown.
	MaxOutput int
	// Default marks the upstream's default model.
	Default bool
}

// Alias maps a client-facing model name to an upstream model id.
type Alias struct {
	// From is the name clients send; it is matched case-insensitively.
	From string `json:"from"`
	// To is the upstream model id.
	To string `json:"to"`
}

// Classify returns the class of a model id: asr if it contains "asr", tts if it contains "tts",
// otherwise chat.
func Classify(id string) Kind {
	l := strings.ToLower(id)
	switch {
	case strings.Contains(l, "asr"):
		return KindASR
	case strings.Contains(l, "tts"):
		return KindTTS
	}
	return KindChat
}

// Limits returns the known context window and output limit of a chat model id, by substring
// in this order: "v2.5-pro", "v2-pro" or "v2.5" → 1,048,576 / 131,072; "v2-flash" →
// 262,144 / 65,536; "v2-omni" → 262,144 / 131,072; otherwise 0, 0.
func Limits(id string) (contextWindow, maxOutput int) {
	l := strings.ToLower(id)
	switch {
	case strings.Contains(l, "v2.5-pro"), strings.Contains(l, "v2-pro"), strings.Contains(l, "v2.5"):
		return 1048576, 131072
	case strings.Contains(l, "v2-flash"):
		return 262144, 65536
	case strings.Contains(l, "v2-omni"):
		return 262144, 131072
	}
	return 0, 0
}

// version returns the components of the first "v<digits>(.<digits>)*" in id, or nil.
func version(id string) []int {
	l := strings.ToLower(id)
	for i := 0; i < len(l); i++ {
		if l[i] != 'v' || i+1 >= len(l) || !isDigit(l[i+1]) || (i > 0 && isAlnum(l[i-1])) {
			continue
		}
		var parts []int
		j := i + 1
		for {
			k := j
			for k < len(l) && isDigit(l[k]) {
				k++
			}
			n, err := strconv.Atoi(l[j:k])
			if err != nil {
				return parts
			}
			parts = append(parts, n)
			if k+1 < len(l) && l[k] == '.' && isDigit(l[k+1]) {
				j = k + 1
				continue
			}
			return parts
		}
	}
	return nil
}

// compareVersions compares two versions component by component; missing components are 0.
func compareVersions(a, b []int) int {
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// newest keeps, per class, only the models of the highest version series. Models without a
// version are kept. Order is preserved.
func newest(ms []Model) []Model {
	best := map[Kind][]int{}
	for _, m := range ms {
		v := version(m.ID)
		if v == nil {
			continue
		}
		if b, ok := best[m.Kind]; !ok || compareVersions(v, b) > 0 {
			best[m.Kind] = v
		}
	}
	out := ms[:0:0]
	for _, m := range ms {
		if v := version(m.ID); v != nil && compareVersions(v, best[m.Kind]) != 0 {
			continue
		}
		out = append(out, m)
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' }
