package sim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/mimoml"
)

// Tool schemas as the agent CLIs declare them (trimmed).
const (
	bashSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"description":{"type":"string"}},"required":["command"]}`
	shellArgv  = `{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}},"workdir":{"type":"string"}},"required":["command"]}`
	execCmd    = `{"type":"object","properties":{"cmd":{"type":"string"},"workdir":{"type":"string"},"yield_time_ms":{"type":"number"}},"required":["cmd"]}`
	readSchema = `{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}`
)

// agentQuery is a query as the gateway flattens it: the system line ending in
// the MiMoML tool prompt of tools, then the given turns.
func agentQuery(tools []mimoml.Tool, turns ...string) string {
	q := "system: You are a coding agent.\n\n" + mimoml.BuildPrompt(tools, mimoml.Choice{Mode: "auto"}, true)
	for _, t := range turns {
		q += "\n" + t
	}
	return q
}

// replyText joins the text of a reply's message frames.
func replyText(t *testing.T, rep Reply) string {
	t.Helper()
	var b strings.Builder
	for _, f := range rep.Frames {
		if f.Event != "message" {
			continue
		}
		var m struct{ Content string }
		if err := json.Unmarshal([]byte(f.Data), &m); err != nil {
			t.Fatalf("message frame %q: %v", f.Data, err)
		}
		b.WriteString(m.Content)
	}
	return b.String()
}

func TestAgentCallsTheShellTool(t *testing.T) {
	tests := []struct {
		name     string
		tools    []mimoml.Tool
		wantName string
		wantArgs string
	}{
		{
			name: "claude code Bash among others",
			tools: []mimoml.Tool{
				{Name: "Read", Description: "Reads a file.", Parameters: json.RawMessage(readSchema)},
				{Name: "Bash", Description: "Executes a bash command.\n\nUsage:\n- Always quote paths\n  parameters: are described below", Parameters: json.RawMessage(bashSchema)},
			},
			wantName: "Bash",
			wantArgs: `{"command":"echo mimo-e2e-ok","description":"Print the end-to-end marker"}`,
		},
		{
			name:     "codex shell with an argv array",
			tools:    []mimoml.Tool{{Name: "shell", Description: "Runs a command.", Parameters: json.RawMessage(shellArgv)}},
			wantName: "shell",
			wantArgs: `{"command":["bash","-lc","echo mimo-e2e-ok"]}`,
		},
		{
			name: "codex exec_command with cmd",
			tools: []mimoml.Tool{
				{Name: "exec_command", Description: "Runs a command in a PTY.", Parameters: json.RawMessage(execCmd)},
				{Name: "write_stdin", Parameters: json.RawMessage(`{"type":"object","properties":{"chars":{"type":"string"}}}`)},
			},
			wantName: "exec_command",
			wantArgs: `{"cmd":"echo mimo-e2e-ok"}`,
		},
		{
			name: "Bash preferred over shell",
			tools: []mimoml.Tool{
				{Name: "shell", Parameters: json.RawMessage(shellArgv)},
				{Name: "Bash", Parameters: json.RawMessage(bashSchema)},
			},
			wantName: "Bash",
			wantArgs: `{"command":"echo mimo-e2e-ok","description":"Print the end-to-end marker"}`,
		},
		{
			name: "codex exec_command beside its namespaced sub-agent tools",
			tools: []mimoml.Tool{
				{Name: "exec_command", Description: "Runs a command in a PTY.", Parameters: json.RawMessage(execCmd)},
				{Name: "spawn_agent", Description: "Spawns a sub-agent that can run shell commands.\n(In the multi_agent_v1 namespace: Tools for spawning and managing sub-agents.)",
					Parameters: json.RawMessage(`{"type":"object","properties":{"message":{"type":"string"}}}`)},
				{Name: "close_agent", Description: "(In the multi_agent_v1 namespace: Tools for spawning and managing sub-agents.)",
					Parameters: json.RawMessage(`{"type":"object","properties":{"target":{"type":"string"}}}`)},
			},
			wantName: "exec_command",
			wantArgs: `{"cmd":"echo mimo-e2e-ok"}`,
		},
		{
			name:     "tool without a schema",
			tools:    []mimoml.Tool{{Name: "shell_command"}},
			wantName: "shell_command",
			wantArgs: `{"command":"echo mimo-e2e-ok"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := replyText(t, agent(&Received{Query: agentQuery(tt.tools, "user: Run echo mimo-e2e-ok")}))
			calls, visible := mimoml.Parse(text, mimoml.NewToolset(tt.tools))
			if len(calls) != 1 {
				t.Fatalf("got %d calls from %q, want 1", len(calls), text)
			}
			if strings.TrimSpace(visible) != "" {
				t.Errorf("text besides the call: %q", visible)
			}
			got := mimoml.Call{Name: calls[0].Name, Arguments: calls[0].Arguments}
			want := mimoml.Call{Name: tt.wantName, Arguments: tt.wantArgs}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("call (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAgentPlainAnswers(t *testing.T) {
	bash := []mimoml.Tool{{Name: "Bash", Parameters: json.RawMessage(bashSchema)}}
	call := mimoml.RenderCalls([]mimoml.Call{{Name: "Bash", Arguments: `{"command":"echo mimo-e2e-ok"}`}})
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{
			name:  "tool result after the call",
			query: agentQuery(bash, "user: Run it", "assistant: "+call, "tool: "+mimoml.RenderResult("call_1", "mimo-e2e-ok")),
			want:  "The command printed: mimo-e2e-ok",
		},
		{
			name:  "continued conversation: only the result is sent",
			query: "tool: " + mimoml.RenderResult("call_1", "line one\nmimo-e2e-ok"),
			want:  "The command printed: line one\nmimo-e2e-ok",
		},
		{
			name:  "no tools at all",
			query: "system: Summarise the conversation in five words.\nuser: hi",
			want:  agentNoTool,
		},
		{
			name: "no shell tool; a description mentions Bash",
			query: agentQuery([]mimoml.Tool{{
				Name:        "Agent",
				Description: "Launches a sub-agent. Agent types:\n- Bash: runs commands\n- Explore: reads code",
				Parameters:  json.RawMessage(`{"type":"object","properties":{"prompt":{"type":"string"}}}`),
			}}, "user: Run it"),
			want: agentNoTool,
		},
		{
			name:  "a new user turn after an earlier result calls again",
			query: agentQuery(bash, "user: Run it", "assistant: "+call, "tool: "+mimoml.RenderResult("call_1", "mimo-e2e-ok"), "assistant: Done.", "user: Once more"),
			want:  "<|MiMoML|tool_calls>", // checked as a prefix
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := replyText(t, agent(&Received{Query: tt.query}))
			if strings.HasPrefix(tt.want, "<|MiMoML|") {
				if !strings.HasPrefix(got, tt.want) {
					t.Errorf("answer %q, want a call", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("answer %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAgentScenarioRegistered(t *testing.T) {
	s, ts := start(t, Options{DefaultScenario: "agent"})
	status, _, body := chatCall{query: agentQuery([]mimoml.Tool{{Name: "Bash", Parameters: json.RawMessage(bashSchema)}}, "user: go")}.do(t, ts.URL)
	if status != 200 || !strings.Contains(string(body), "tool_calls") {
		t.Fatalf("status %d, body %q: want a tool call", status, body)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Scenario != "agent" {
		t.Errorf("requests %+v: want one answered by the agent scenario", reqs)
	}
}

func TestAgentNamespace(t *testing.T) {
	tools := []mimoml.Tool{
		{Name: "exec_command", Parameters: json.RawMessage(execCmd)},
		{Name: "close_agent", Description: "Closes an agent.\n(In the multi_agent_v1 namespace: Sub-agents.)",
			Parameters: json.RawMessage(`{"type":"object","properties":{"target":{"type":"string"}}}`)},
	}
	text := replyText(t, agentNamespace(&Received{Query: agentQuery(tools, "user: Close it")}))
	calls, _ := mimoml.Parse(text, mimoml.NewToolset(tools))
	want := []mimoml.Call{{Name: "close_agent", Arguments: `{"target":"mimo-e2e-none"}`}}
	if len(calls) != 1 || cmp.Diff(want[0], mimoml.Call{Name: calls[0].Name, Arguments: calls[0].Arguments}) != "" {
		t.Errorf("calls %+v from %q, want %+v", calls, text, want)
	}

	call := mimoml.RenderCalls(want)
	done := agentQuery(tools, "user: Close it", "assistant: "+call, "tool: "+mimoml.RenderResult("call_1", "agent not found"))
	if got := replyText(t, agentNamespace(&Received{Query: done})); got != AgentNamespacePrefix+"agent not found" {
		t.Errorf("answer after the result = %q", got)
	}
	if got := replyText(t, agentNamespace(&Received{Query: agentQuery(tools[:1], "user: Close it")})); got != agentNoNamespaceTool {
		t.Errorf("answer without the tool = %q", got)
	}
}
