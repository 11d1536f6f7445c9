package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// TestProfilesOnTheSameRequest sends one request with a tool to the default profile and to the
// no-tools profile: the default injects the tool prompt and returns a tool call; no-tools
// injects nothing and passes the model's answer through as plain text.
func TestProfilesOnTheSameRequest(t *testing.T) {
	params := func() openai.ChatCompletionNewParams {
		p := chatParams("[sim:tool_call] weather in Beijing?")
		p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
		return p
	}
	def := start(t, setup{})
	c := def.client()
	resp, err := c.Chat.Completions.New(t.Context(), params())
	if err != nil {
		t.Fatal(err)
	}
	if calls := resp.Choices[0].Message.ToolCalls; len(calls) != 1 || calls[0].Function.Name != "get_weather" || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("default profile: %+v", resp.Choices[0])
	}
	if q := def.sim.Requests()[0].Query; !strings.Contains(q, "get_weather") || !strings.Contains(q, "MiMoML") {
		t.Errorf("default profile: the tool prompt was not injected: %q", q)
	}

	nt := start(t, setup{confDir: "../../configs/profiles/no-tools"})
	c = nt.client()
	resp, err = c.Chat.Completions.New(t.Context(), params())
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if len(m.ToolCalls) != 0 || resp.Choices[0].FinishReason != "stop" || !strings.Contains(m.Content, "<|MiMoML|tool_calls>") {
		t.Fatalf("no-tools profile must pass the answer through as text: %+v", resp.Choices[0])
	}
	if q := nt.sim.Requests()[0].Query; q != "user: [sim:tool_call] weather in Beijing?" {
		t.Errorf("no-tools profile injected something: %q", q)
	}
}
