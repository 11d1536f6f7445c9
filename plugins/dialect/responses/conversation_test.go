package responses

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestConversationRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		msgs []plugin.Message
	}{
		{"empty", nil},
		{"text", []plugin.Message{plugin.TextMessage(plugin.RoleUser, "hi 你好 \u2028 \"quoted\"")}},
		{"every field", []plugin.Message{
			plugin.TextMessage(plugin.RoleSystem, "be brief"),
			{Role: plugin.RoleUser, Parts: []plugin.Part{
				{Kind: plugin.PartText, Text: "look"},
				{Kind: plugin.PartImage, MIME: "image/png", Data: []byte{0x89, 'P', 'N', 'G', 0, 0xff, 0xfe}},
				{Kind: plugin.PartImage, URL: "https://example.com/a.jpg"},
				{Kind: plugin.PartFile, MIME: "application/pdf", Data: []byte("%PDF-1.7\x00"), Name: "a.pdf"},
				{Kind: plugin.PartAudio, MIME: "audio/wav", Data: []byte{1, 2, 3}},
			}},
			{Role: plugin.RoleAssistant, Parts: []plugin.Part{{Text: "calling"}}, Reasoning: "think\nmore",
				ToolCalls: []plugin.ToolCall{
					{ID: "call_1", Index: 0, Name: "f", Arguments: `{"a":1}`},
					{ID: "call_2", Index: 1, Name: "g", Arguments: `{}`},
				}},
			{Role: plugin.RoleTool, ToolCallID: "call_1", Parts: []plugin.Part{{Text: "ok"}}},
			{Role: plugin.RoleTool, ToolCallID: "call_2", IsError: true, Parts: []plugin.Part{{Text: "boom"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeConversation(tt.msgs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeConversation(b)
			if err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
			if d := cmp.Diff(tt.msgs, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("round trip (-want +got):\n%s\nstored: %s", d, b)
			}
		})
	}
}

func TestConversationErrors(t *testing.T) {
	if _, err := encodeConversation([]plugin.Message{{Role: plugin.RoleUser, Parts: []plugin.Part{{Kind: 99}}}}); err == nil {
		t.Error("encoded an unknown part kind")
	}
	for _, b := range []string{`[]`, `{"v":2,"messages":[]}`, `{"v":1,"messages":[{"role":"user","parts":[{"kind":"video"}]}]}`} {
		if _, err := decodeConversation([]byte(b)); err == nil {
			t.Errorf("decoded %s", b)
		}
	}
	if msgs, err := decodeConversation(nil); err != nil || msgs != nil {
		t.Errorf("empty conversation: %v %v", msgs, err)
	}
}
