package responses

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `{"a":1}`, `{"a":1}`},
		{"spaces", " \n{\"a\":1}\n ", `{"a":1}`},
		{"json fence", "```json\n{\"a\":1}\n```", `{"a":1}`},
		{"bare fence", "```\n[1,2]\n```", `[1,2]`},
		{"prose around", "Here you go:\n```json\n{\"a\":{\"b\":[1]}}\n```\nDone.", `{"a":{"b":[1]}}`},
		{"not JSON kept", "no json here", "no json here"},
		{"broken kept", "```json\n{\"a\":\n```", "```json\n{\"a\":\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.in); got != tt.want {
				t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	schema := `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}}}}`
	object := `{"model":"m","input":"x","text":{"format":{"type":"json_object"}}}`
	tests := []struct {
		name, body, answer string
		ok                 bool
	}{
		{"schema match", schema, `{"n":3}`, true},
		{"schema big integer", schema, `{"n":12345678901234567890}`, true},
		{"schema mismatch", schema, `{"n":"3"}`, false},
		{"schema missing", schema, `{}`, false},
		{"not JSON", schema, `n=3`, false},
		{"object", object, `{"x":[]}`, true},
		{"object array", object, `[1]`, false},
		{"text format", `{"model":"m","input":"x"}`, `anything`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, perr := decode([]byte(tt.body), options{})
			if perr != nil {
				t.Fatal(perr)
			}
			if err := c.format.check(tt.answer); (err == nil) != tt.ok {
				t.Errorf("check(%s) = %v, want ok %v", tt.answer, err, tt.ok)
			}
		})
	}
}

// TestFormatMismatchKeepsAnswer checks the policy: an answer that does not match the schema is
// returned unchanged and the response still completes.
func TestFormatMismatchKeepsAnswer(t *testing.T) {
	d := newDialect(t)
	body := `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object","required":["n"]}}}}`
	_, out := run(t, d, body, plugin.Events(text("```json\n{\"m\":1}\n```")))
	if gjson.Get(out, "status").Str != "completed" || gjson.Get(out, "output_text").Str != `{"m":1}` {
		t.Errorf("response %s", out)
	}
}
