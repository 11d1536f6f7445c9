package anthropicstore

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func TestParseBatch(t *testing.T) {
	d := plugintest.Load[*anthropic.Messages](t, plugintest.NewHost(t), anthropic.ID, "")
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct {
		name   string
		body   string
		model  string
		ids    []string
		params []string // per request: "model max_tokens"
	}{
		{"anthropic", `{"requests":[{"custom_id":"a","params":{"model":"claude-opus-4-1","max_tokens":5,` + msgs + `}}]}`,
			"", []string{"a"}, []string{"claude-opus-4-1 5"}},
		{"top-level model", `{"model":"mimo-v2.5-pro","requests":[{"custom_id":"a","params":{"max_tokens":5,` + msgs + `}}]}`,
			"mimo-v2.5-pro", []string{"a"}, []string{"mimo-v2.5-pro 5"}},
		{"body", `{"requests":[{"custom_id":"a","body":{` + msgs + `}}]}`,
			"", []string{"a"}, []string{"mimo-v2.5-pro 4096"}},
		{"tasks", `{"model":"mimo-v2.5","tasks":[{"custom_id":"x",` + msgs + `},{"max_tokens":7,` + msgs + `}]}`,
			"mimo-v2.5", []string{"x", "task-1"}, []string{"mimo-v2.5 4096", "mimo-v2.5 7"}},
		{"unknown model left to the run", `{"requests":[{"custom_id":"a","params":{"model":"gpt-4o","max_tokens":5,` + msgs + `}}]}`,
			"", []string{"a"}, []string{"gpt-4o 5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model, reqs, err := parseBatch([]byte(tc.body), d.Decode, "mimo-v2.5-pro")
			if err != nil {
				t.Fatal(err)
			}
			var ids, params []string
			for _, r := range reqs {
				ids = append(ids, r.CustomID)
				p := gjson.ParseBytes(r.Params)
				params = append(params, p.Get("model").Str+" "+p.Get("max_tokens").Raw)
				if p.Get("custom_id").Exists() {
					t.Errorf("params keep the custom_id: %s", r.Params)
				}
			}
			if model != tc.model || !cmp.Equal(ids, tc.ids) || !cmp.Equal(params, tc.params) {
				t.Errorf("model %q ids %v params %v", model, ids, params)
			}
		})
	}
}

func TestParseBatchErrors(t *testing.T) {
	d := plugintest.Load[*anthropic.Messages](t, plugintest.NewHost(t), anthropic.ID, "")
	for _, tc := range []struct{ name, body, param string }{
		{"array body", `[]`, ""},
		{"model type", `{"model":1,"requests":[]}`, "model"},
		{"tasks not array", `{"tasks":{}}`, "tasks"},
		{"item not object", `{"requests":[1]}`, "requests[0]"},
		{"custom_id missing", `{"requests":[{"params":{}}]}`, "requests[0].custom_id"},
		{"custom_id too long", `{"requests":[{"custom_id":"` + strings.Repeat("a", 65) + `","params":{}}]}`, "requests[0].custom_id"},
		{"params not object", `{"requests":[{"custom_id":"a","params":[]}]}`, "requests[0].params"},
		{"bad role", `{"requests":[{"custom_id":"a","params":{"model":"claude-x","max_tokens":1,"messages":[{"role":"bot","content":"x"}]}}]}`,
			"requests[0].params.messages.0.role"},
		{"task stream", `{"tasks":[{"stream":true,"messages":[{"role":"user","content":"x"}]}]}`, "tasks[0].stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseBatch([]byte(tc.body), d.Decode, "")
			pe := plugin.AsError(err)
			if err == nil || pe.Status != 400 || pe.Param != tc.param || (tc.param != "" && !strings.HasPrefix(pe.Message, tc.param)) {
				t.Errorf("got %v (param %q), want a 400 for %q", err, pe.Param, tc.param)
			}
		})
	}
}
