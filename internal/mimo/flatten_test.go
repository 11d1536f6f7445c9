package mimo

import (
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestFlatten(t *testing.T) {
	text := plugin.TextMessage
	tests := []struct {
		name string
		msgs []plugin.Message
		want string
	}{
		{"nothing", nil, ""},
		{"one user message", []plugin.Message{text(plugin.RoleUser, "Hi")}, "user: Hi"},
		{
			name: "system first and joined",
			msgs: []plugin.Message{
				text(plugin.RoleUser, "Q1"),
				text(plugin.RoleSystem, "Be brief."),
				text(plugin.RoleAssistant, "A1"),
				text(plugin.RoleSystem, "Use English."),
				text(plugin.RoleUser, "Q2"),
			},
			want: "system: Be brief.\n\nUse English.\nuser: Q1\nassistant: A1\nuser: Q2",
		},
		{
			name: "empty system omitted",
			msgs: []plugin.Message{text(plugin.RoleSystem, ""), text(plugin.RoleUser, "Hi")},
			want: "user: Hi",
		},
		{
			name: "text parts joined with a space, other parts skipped",
			msgs: []plugin.Message{{Role: plugin.RoleUser, Parts: []plugin.Part{
				{Kind: plugin.PartText, Text: "look at"},
				{Kind: plugin.PartImage, URL: "https://example.com/a.png"},
				{Kind: plugin.PartText, Text: "this"},
			}}},
			want: "user: look at this",
		},
		{
			name: "whitespace kept",
			msgs: []plugin.Message{text(plugin.RoleSystem, "  sys  "), text(plugin.RoleUser, "  a\n\n  b  ")},
			want: "system:   sys  \nuser:   a\n\n  b  ",
		},
		{
			name: "tool result",
			msgs: []plugin.Message{
				text(plugin.RoleUser, "weather?"),
				{Role: plugin.RoleTool, ToolCallID: "call_abc123", Parts: []plugin.Part{{Text: "sunny"}}},
				{Role: plugin.RoleTool, Parts: []plugin.Part{{Text: "no id"}}},
			},
			want: "user: weather?\ntool: [tool_result id=call_abc123] sunny\ntool: no id",
		},
		{
			name: "assistant tool calls",
			msgs: []plugin.Message{
				{Role: plugin.RoleAssistant, Parts: []plugin.Part{{Text: "Checking."}}, ToolCalls: []plugin.ToolCall{
					{ID: "call_1", Name: "get_weather", Arguments: `{"city":"北京"}`},
					{Name: "now"},
				}},
				{Role: plugin.RoleAssistant, ToolCalls: []plugin.ToolCall{{ID: "c2", Name: "f", Arguments: `{}`}}},
			},
			want: "assistant: Checking. [tool_call id=call_1] get_weather({\"city\":\"北京\"}) [tool_call] now({})\n" +
				"assistant: [tool_call id=c2] f({})",
		},
		{
			name: "message without text",
			msgs: []plugin.Message{{Role: plugin.RoleUser, Parts: []plugin.Part{{Kind: plugin.PartImage}}}, text(plugin.RoleUser, "x")},
			want: "user: \nuser: x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Flatten(tt.msgs); got != tt.want {
				t.Errorf("Flatten:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	for _, id := range []string{a, b} {
		if len(id) != 32 {
			t.Fatalf("id %q: want 32 chars", id)
		}
		for _, r := range id {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				t.Fatalf("id %q: want lowercase hex", id)
			}
		}
	}
	if a == b {
		t.Errorf("two ids are equal: %s", a)
	}
}
