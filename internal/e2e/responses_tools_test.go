package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/mimo2api/mimo2api/internal/sim"
)

// codexTools is the shape of the Codex CLI's default tools: a function tool, the sub-agent
// tools as a namespace tool, and hosted web search.
var codexTools = []any{
	map[string]any{"type": "function", "name": "exec_command", "parameters": map[string]any{"type": "object", "properties": map[string]any{"cmd": map[string]any{"type": "string"}}}},
	map[string]any{"type": "namespace", "name": "multi_agent_v1", "description": "Tools for spawning and managing sub-agents.", "tools": []any{
		map[string]any{"type": "function", "name": "spawn_agent", "parameters": map[string]any{"type": "object", "properties": map[string]any{"message": map[string]any{"type": "string"}}}},
		map[string]any{"type": "function", "name": "close_agent", "parameters": map[string]any{"type": "object", "properties": map[string]any{"target": map[string]any{"type": "string"}}}},
	}},
	map[string]any{"type": "web_search", "external_web_access": false},
}

// spawnScenario calls spawn_agent, by the canonical name the tool prompt lists, until a tool
// result follows; then it quotes the result.
func spawnScenario(req *sim.Received) sim.Reply {
	if i := strings.LastIndex(req.Query, "tool: "); i > strings.LastIndex(req.Query, "\nuser: ") {
		return sim.Reply{Frames: sim.Text("done")}
	}
	call := "<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"spawn_agent\">\n" +
		"<|MiMoML|parameter name=\"message\"><![CDATA[list files]]></|MiMoML|parameter>\n</|MiMoML|invoke>\n</|MiMoML|tool_calls>"
	return sim.Reply{Frames: []sim.Frame{sim.DialogID("1"), sim.Message(call), sim.Usage(10, 10), sim.Finish()}}
}

// TestResponsesCodexTools sends the Codex CLI's default tools through the gateway: the
// namespace's tools reach the model under their own names, web_search is dropped, a call of a
// namespaced tool comes back with "namespace" in the response and in the stream, and the
// call in the next turn's history maps back to the canonical name.
func TestResponsesCodexTools(t *testing.T) {
	e := start(t, setup{sim: sim.Options{Scenarios: map[string]sim.Scenario{"spawn": spawnScenario}}})
	c := e.client()
	tools := option.WithJSONSet("tools", codexTools)

	resp, err := c.Responses.New(t.Context(), responseParams("[sim:spawn] help me"), tools)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Output) != 1 {
		t.Fatalf("output = %+v", resp.Output)
	}
	fc := resp.Output[0].AsFunctionCall()
	if fc.Type != "function_call" || fc.Namespace != "multi_agent_v1" || fc.Name != "spawn_agent" || fc.Arguments != `{"message":"list files"}` {
		t.Errorf("call = %s", resp.Output[0].RawJSON())
	}
	if len(resp.Tools) != 2 || resp.Tools[1].Type != "namespace" || len(resp.Tools[1].AsNamespace().Tools) != 2 {
		t.Errorf("tools echo = %s", resp.RawJSON())
	}
	q := e.sim.Requests()[0].Query
	for _, want := range []string{"- exec_command", "- spawn_agent", "- close_agent", "multi_agent_v1"} {
		if !strings.Contains(q, want) {
			t.Errorf("the tool prompt lacks %q", want)
		}
	}
	if strings.Contains(q, "web_search") {
		t.Error("the hosted web_search tool reached the model")
	}

	stream := c.Responses.NewStreaming(t.Context(), responseParams("[sim:spawn] again"), tools)
	var items []responses.ResponseOutputItemUnion
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.output_item.added" || ev.Type == "response.output_item.done" {
			items = append(items, ev.Item)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("streamed items = %+v", items)
	}
	for _, it := range items {
		if it.Namespace != "multi_agent_v1" || it.Name != "spawn_agent" {
			t.Errorf("streamed item %s", it.RawJSON())
		}
	}

	// The next turn, as Codex sends it: the call with its namespace, then its output.
	var call map[string]any
	if err := json.Unmarshal([]byte(resp.Output[0].RawJSON()), &call); err != nil {
		t.Fatal(err)
	}
	input := []any{
		map[string]any{"role": "user", "content": "[sim:spawn] help me"},
		call,
		map[string]any{"type": "function_call_output", "call_id": fc.CallID, "output": "agent_7 started"},
	}
	next, err := c.Responses.New(t.Context(), responseParams("x"), tools, option.WithJSONSet("input", input))
	if err != nil {
		t.Fatal(err)
	}
	if next.OutputText() != "done" {
		t.Errorf("answer = %q", next.OutputText())
	}
	reqs := e.sim.Requests()
	if q := reqs[len(reqs)-1].Query; !strings.Contains(q, `invoke name="spawn_agent"`) || !strings.Contains(q, "agent_7 started") {
		t.Errorf("history sent upstream:\n%s", q)
	}
}

// TestResponsesHostedToolsOnly checks a request whose only tool is hosted: the tool is dropped
// and tool_choice "required" becomes "auto", so the model answers in text.
func TestResponsesHostedToolsOnly(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	resp, err := c.Responses.New(t.Context(), responseParams("Hello"),
		option.WithJSONSet("tools", []any{map[string]any{"type": "web_search_preview"}}), option.WithJSONSet("tool_choice", "required"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() != "Hello there!" || len(resp.Tools) != 0 || resp.ToolChoice.OfToolChoiceMode != "auto" {
		t.Errorf("response = %s", resp.RawJSON())
	}
}
