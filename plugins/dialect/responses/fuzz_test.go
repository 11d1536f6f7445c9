package responses

import "testing"

// FuzzDecode checks that the decoder never panics and either accepts a request with a model and
// at least one message or rejects it with a 400 error that names a message.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"model":"m"}`, `{"model":"m","input":"hi"}`,
		`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"data:image/png;base64,aGk="},{"type":"input_file","filename":"a.txt","file_data":"aGk="}]}]}`,
		`{"model":"m","input":[{"type":"reasoning","summary":[{"type":"summary_text","text":"r"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"ok"}],"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":{"type":"function","name":"f"}}`,
		`{"model":"m","input":"x","instructions":"i","stream":true,"max_output_tokens":5,"temperature":1,"top_p":0.5,"reasoning":{"effort":"low","summary":"auto"},"user":"u","metadata":{"a":"b"},"store":false,"truncation":"auto"}`,
		`{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"string"}}}}}}`,
		`{"model":"m","input":"x","previous_response_id":"resp_1"}`,
		`{"model":"m","input":[{"type":"function_call","call_id":"c","namespace":"n","name":"f","arguments":"{}"}],"tools":[{"type":"namespace","name":"n","description":"d","tools":[{"type":"function","name":"f"}]},{"type":"function","name":"f"},{"type":"web_search"}],"tool_choice":{"type":"function","name":"f","namespace":"n"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decode(body, options{})
		if err != nil {
			if c != nil || err.Status != 400 || err.Message == "" {
				t.Fatalf("decode(%q) = %+v, %v", body, c, err)
			}
			return
		}
		c.finish()
		if c.req.Model == "" || (len(c.req.Messages) == 0 && c.previousID == "") {
			t.Fatalf("decode(%q) accepted %+v", body, c.req)
		}
	})
}
