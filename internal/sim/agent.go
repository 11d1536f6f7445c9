package sim

import (
	"encoding/json"
	"strings"
)

// The "agent" scenario asks a client to run AgentCommand; AgentMarker, its
// output, in the final answer proves that the client ran it.
const (
	AgentMarker  = "mimo-e2e-ok"
	AgentCommand = "echo " + AgentMarker
)

// AgentAnswerPrefix starts the "agent" scenario's final answer, which quotes
// the tool result after it.
const AgentAnswerPrefix = "The command printed: "

// agentNoTool is the "agent" scenario's answer when no shell tool is declared
// (helper calls of an agent CLI, such as title generation).
const agentNoTool = "No shell tool is available."

// The "agent_namespace" scenario calls AgentNamespaceTool, one of the Codex
// CLI's sub-agent tools (which Codex declares in its "multi_agent_v1"
// namespace), for the agent AgentNamespaceTarget, which does not exist: the
// client's handler answers with an error, which proves that the client
// dispatched the namespaced call to it.
const (
	AgentNamespaceTool   = "close_agent"
	AgentNamespaceTarget = "mimo-e2e-none"
	// AgentNamespacePrefix starts the final answer, which quotes the tool
	// result after it.
	AgentNamespacePrefix = "The sub-agent tool answered: "
)

// agentNoNamespaceTool is the "agent_namespace" scenario's answer when
// AgentNamespaceTool is not declared.
const agentNoNamespaceTool = "No " + AgentNamespaceTool + " tool is available."

// shellTools are the names of shell tools the "agent" scenario looks for,
// most preferred first: Claude Code's Bash, then the Codex CLI's variants.
var shellTools = []string{"Bash", "shell", "shell_command", "exec_command", "local_shell", "bash"}

// agentTool is one tool read back from the MiMoML tool prompt.
type agentTool struct {
	Name   string
	Params struct {
		Properties map[string]struct {
			Type json.RawMessage `json:"type"`
		} `json:"properties"`
	}
}

// agent behaves like a model driving a coding agent: when no tool result
// follows the last user turn, it calls the shell tool declared in the tool
// prompt of the query (picked by name from shellTools) to run AgentCommand;
// once a result is there, it answers "The command printed: <result>".
// Without a shell tool it answers plain text.
func agent(req *Received) Reply {
	if text, ok := lastToolResult(req.Query); ok {
		return Reply{Frames: Text(chunkRunes(AgentAnswerPrefix+text, 16)...)}
	}
	t, ok := pickShellTool(promptTools(req.Query))
	if !ok {
		return Reply{Frames: Text(chunkRunes(agentNoTool, 16)...)}
	}
	call := agentCall(t)
	frames := []Frame{DialogID("8170798"), Message("")}
	for _, d := range chunkRunes(call, 40) {
		frames = append(frames, Message(d))
	}
	return Reply{Frames: append(frames, Usage(900, 40), Finish())}
}

// agentNamespace is the "agent_namespace" scenario: like agent, but it calls
// AgentNamespaceTool with {"target": AgentNamespaceTarget} instead of a shell
// tool, and quotes the result after AgentNamespacePrefix.
func agentNamespace(req *Received) Reply {
	if text, ok := lastToolResult(req.Query); ok {
		return Reply{Frames: Text(chunkRunes(AgentNamespacePrefix+text, 16)...)}
	}
	for _, t := range promptTools(req.Query) {
		if t.Name != AgentNamespaceTool {
			continue
		}
		call := "<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"" + AgentNamespaceTool + "\">\n" +
			"<|MiMoML|parameter name=\"target\"><![CDATA[" + AgentNamespaceTarget + "]]></|MiMoML|parameter>\n" +
			"</|MiMoML|invoke>\n</|MiMoML|tool_calls>"
		return Reply{Frames: []Frame{DialogID("8170799"), Message(call), Usage(900, 30), Finish()}}
	}
	return Reply{Frames: Text(chunkRunes(agentNoNamespaceTool, 16)...)}
}

// promptTools reads the tools of the gateway's MiMoML tool prompt
// (mimoml.BuildPrompt) from a query: after the "Tools:" line that follows the
// prompt heading, each tool is a "- NAME[: description]" line, possibly a
// multi-line description, then one "  parameters: SCHEMA" line (a JSON
// object or "none"). The line after a parameters line starts the next tool.
func promptTools(query string) []agentTool {
	const heading, list, params = "# Tool configuration (set by the application)", "\nTools:\n", "  parameters: "
	i := strings.LastIndex(query, heading)
	if i < 0 {
		return nil
	}
	j := strings.Index(query[i:], list)
	if j < 0 {
		return nil
	}
	var (
		tools  []agentTool
		header = true
	)
	for line := range strings.SplitSeq(query[i+j+len(list):], "\n") {
		switch {
		case header:
			rest, ok := strings.CutPrefix(line, "- ")
			if !ok {
				return tools
			}
			name, _, _ := strings.Cut(rest, ": ")
			tools = append(tools, agentTool{Name: strings.TrimSpace(name)})
			header = false
		case strings.HasPrefix(line, params):
			schema := strings.TrimPrefix(line, params)
			if schema != "none" && !strings.HasPrefix(schema, "{") {
				continue // a description line that happens to look alike
			}
			_ = json.Unmarshal([]byte(schema), &tools[len(tools)-1].Params) // "none" leaves it empty
			header = true
		}
	}
	return tools
}

// pickShellTool returns the declared tool whose name comes first in shellTools.
func pickShellTool(tools []agentTool) (agentTool, bool) {
	for _, name := range shellTools {
		for _, t := range tools {
			if t.Name == name {
				return t, true
			}
		}
	}
	return agentTool{}, false
}

// agentCall renders the MiMoML call of t that runs AgentCommand, shaping the
// arguments after the tool's schema: "command" as an argv array
// (["bash","-lc",cmd]) when the schema says array, else as a string; "cmd"
// when there is no "command"; "description" when the schema has one.
func agentCall(t agentTool) string {
	var b strings.Builder
	b.WriteString("<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"" + t.Name + "\">\n")
	param := func(name, inner string) {
		b.WriteString("<|MiMoML|parameter name=\"" + name + "\">" + inner + "</|MiMoML|parameter>\n")
	}
	cdata := func(s string) string { return "<![CDATA[" + s + "]]>" }
	props := t.Params.Properties
	command, hasCommand := props["command"]
	_, hasCmd := props["cmd"]
	switch {
	case hasCommand && strings.Contains(string(command.Type), `"array"`):
		param("command", "<item>"+cdata("bash")+"</item><item>"+cdata("-lc")+"</item><item>"+cdata(AgentCommand)+"</item>")
	case hasCmd && !hasCommand:
		param("cmd", cdata(AgentCommand))
	default:
		param("command", cdata(AgentCommand))
	}
	if _, ok := props["description"]; ok {
		param("description", cdata("Print the end-to-end marker"))
	}
	b.WriteString("</|MiMoML|invoke>\n</|MiMoML|tool_calls>")
	return b.String()
}
