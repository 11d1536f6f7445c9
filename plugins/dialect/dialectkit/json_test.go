package dialectkit

import (
	"encoding/json"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "hello", want: `"hello"`},
		{name: "empty", in: "", want: `""`},
		{name: "quotes and backslash", in: `a"b\c`, want: `"a\"b\\c"`},
		{name: "short escapes", in: "\n\r\t\b\f", want: `"\n\r\t\b\f"`},
		{name: "other controls", in: "\x00\x01\x1f\x7f", want: `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{name: "non-ASCII kept", in: "北京 é 🙂", want: `"北京 é 🙂"`},
		{name: "html kept", in: "<a>&", want: `"<a>&"`},
		{name: "line separators", in: "a\u2028b\u2029", want: `"a\u2028b\u2029"`},
		{name: "invalid UTF-8", in: "a\xffb\xe4\xb8", want: `"a\ufffdb\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendString(nil, tt.in)); got != tt.want {
				t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzAppendString checks that AppendString always produces valid JSON that decodes to what
// encoding/json would decode its own encoding to.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\n", "北京\xff", "\u2028", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON %q for %q", got, s)
		}
		var a, b string
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ref, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("AppendString(%q) decodes to %q, encoding/json to %q", s, a, b)
		}
	})
}

func TestParseDataURL(t *testing.T) {
	tests := []struct {
		in, mime, data string
		ok             bool
	}{
		{"data:image/png;base64,aGk=", "image/png", "hi", true},
		{"DATA:Text/Plain;charset=utf-8,a%20b", "text/plain", "a b", true},
		{"data:;base64,aGk", "text/plain", "hi", true},
		{"data:image/png;base64,***", "", "", false},
		{"data:image/png;base64", "", "", false},
		{"https://example.com/x.png", "", "", false},
	}
	for _, tt := range tests {
		mt, data, err := ParseDataURL(tt.in, "image_url")
		if (err == nil) != tt.ok || mt != tt.mime || string(data) != tt.data {
			t.Errorf("ParseDataURL(%q) = %q, %q, %v", tt.in, mt, data, err)
		}
		if err != nil && err.Param != "image_url" {
			t.Errorf("error does not name the param: %+v", err)
		}
	}
}
