package sim

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", `""`},
		{"nul", "<think>\x00x", `"<think>\u0000x"`},
		{"html kept", "a<b>&c", `"a<b>&c"`},
		{"escapes", "q\"b\\n\nr\rt\t", `"q\"b\\n\nr\rt\t"`},
		{"control", "\x01\x1f", `"\u0001\u001f"`},
		{"unicode", "北京 é", `"北京 é"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quote(tt.in)
			if got != tt.want {
				t.Fatalf("quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
			var back string
			if err := json.Unmarshal([]byte(got), &back); err != nil || back != tt.in {
				t.Errorf("round trip gave %q, %v", back, err)
			}
		})
	}
}

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want string
	}{
		{"message", Message("hi"), "id:X\nevent:message\ndata:{\"type\":\"text\",\"content\":\"hi\"}\n\n"},
		{"no event", Frame{Data: "{}"}, "id:X\ndata:{}\n\n"},
		{"multi-line data", Frame{Event: "e", Data: "a\nb"}, "id:X\nevent:e\ndata:a\ndata:b\n\n"},
		{"raw", Frame{Raw: "data: x\n"}, "data: x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendFrame(nil, "X", tt.f)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTextShape(t *testing.T) {
	frames := Text("a", "b")
	var events []string
	for _, f := range frames {
		events = append(events, f.Event)
		if !json.Valid([]byte(f.Data)) {
			t.Errorf("invalid JSON in %+v", f)
		}
	}
	want := "dialogId message message message usage finish"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}
