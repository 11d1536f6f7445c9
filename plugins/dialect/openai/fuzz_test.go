package openai

import (
	"testing"
)

// FuzzDecode checks that the decoder never panics and either accepts a request with a model and
// at least one message or rejects it with a 400 error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"model":"m"}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,aGk="}},{"type":"file","file":{"file_data":"aGk=","filename":"a.txt"}},{"type":"input_audio","input_audio":{"data":"aGk=","format":"wav"}}]}]}`,
		`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":5,"temperature":1,"top_p":0.5,"stop":["a"],"reasoning_effort":"low","user":"u","n":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decode(body)
		if err != nil {
			if req != nil || err.Status != 400 || err.Message == "" {
				t.Fatalf("decode(%q) = %+v, %v", body, req, err)
			}
			return
		}
		if req == nil || req.Model == "" || len(req.Messages) == 0 {
			t.Fatalf("decode(%q) accepted %+v", body, req)
		}
	})
}
