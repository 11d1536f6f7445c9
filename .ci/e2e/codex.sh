#!/usr/bin/env bash
# e2e-codex: the Codex CLI (`codex exec`), with its default tools (the hosted web_search tool and
# the "multi_agent_v1" namespace of sub-agent tools included), against the gateway's Responses
# route on the demo simulator. Two runs:
#   1. the "agent" scenario: passes when the CLI executed exactly one shell command, got the
#      marker as its output and ended with a final answer quoting it;
#   2. the "agent_namespace" scenario (chosen by a [sim:agent_namespace] directive in the
#      prompt): the model calls the namespaced close_agent tool; passes when the gateway streamed
#      the call with "namespace":"multi_agent_v1", Codex dispatched it to its sub-agent handler
#      (its output is not "unsupported call"), sent it back with its namespace, and ended with a
#      final answer quoting the result.
# Not part of `make test`: it downloads the CLI from npm. See docs/agents.md.
#
# CODEX_VERSION overrides the pinned version (an exact version, never "latest");
# CODEX_SANDBOX the sandbox mode (default workspace-write; danger-full-access where the
# kernel offers no sandbox, inside a disposable container only).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CODEX_VERSION=${CODEX_VERSION:-0.171.0}
CODEX_SANDBOX=${CODEX_SANDBOX:-workspace-write}
PKG=@openai/codex

e2e_init codex
e2e_start_gateway
e2e_npm_install "$PKG" "$CODEX_VERSION"
CODEX="$E2E_PREFIX/node_modules/.bin/codex"

# A provider for the gateway (the Responses API is the only wire_api Codex speaks), no
# approvals, and everything that phones home turned off (the curated plugin sync reaches
# github.com and chatgpt.com). Web search and the sub-agent tools keep Codex's defaults: the
# gateway drops the hosted web_search tool and serves the "namespace" of sub-agent tools as
# function tools (docs/agents.md).
mkdir -p "$E2E_WORK/codex-home"
cat >"$E2E_WORK/codex-home/config.toml" <<EOF
model = "mimo-v2.5-pro"
model_provider = "mimo2api"
approval_policy = "never"
sandbox_mode = "$CODEX_SANDBOX"
check_for_update_on_startup = false

[features]
plugins = false

[model_providers.mimo2api]
name = "MiMo2API"
base_url = "$E2E_TAP/v1"
env_key = "MIMO2API_KEY"
wire_api = "responses"

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
trace_exporter = "none"
metrics_exporter = "none"
EOF

# codex_exec PROMPT runs `codex exec` once; its --json transcript goes to cli.stdout.
codex_exec() {
	local rc
	set +e
	env -i PATH="$PATH" HOME="$E2E_WORK/home" TERM=dumb $(e2e_offline_env) \
		CODEX_HOME="$E2E_WORK/codex-home" MIMO2API_KEY="$E2E_KEY" \
		timeout "$E2E_TIMEOUT" "$CODEX" exec --strict-config --skip-git-repo-check --ephemeral --json \
		--cd "$E2E_WORK/project" -o "$E2E_WORK/last-message.txt" "$1" \
		</dev/null >"$E2E_WORK/cli.stdout" 2>"$E2E_WORK/cli.stderr"
	rc=$?
	set -e
	[[ $rc == 0 ]] || e2e_fail "codex exited with status $rc"
	jq -e 'select(.type == "turn.completed")' "$E2E_WORK/cli.stdout" >/dev/null || e2e_fail "no turn.completed event"
}

# tools_summary prints the tools of the request body on stdin: function names,
# NAMESPACE{names} and the types of other tools.
tools_summary() {
	jq -r '[.tools[] | if .type == "function" then .name
		elif .type == "namespace" then "\(.name){\([.tools[].name] | join(","))}"
		else .type end] | join(", ")'
}

# agent_messages prints the text of the agent_message items of the transcript $1.
agent_messages() {
	jq -r 'select(.type == "item.completed") | .item | select(.type == "agent_message") | .text' "$1"
}

# streamed_calls prints the function_call items the gateway announced in the tap log $1.
streamed_calls() {
	grep '^data: {"type":"response.output_item.added".*"item":{[^}]*"type":"function_call"' "$1" | sed 's/^data: //' | jq -c .item || true
}

out=$E2E_WORK/cli.stdout

# Run 1: the shell command. In the --json transcript, command_execution items are the commands
# the CLI ran, agent_message items the model's text, turn.completed ends the turn.
echo "running codex $CODEX_VERSION: shell command" >&2
codex_exec "Run the shell command \`echo $E2E_MARKER\` and tell me what it printed."
runs=$(jq -c 'select(.type == "item.completed") | .item | select(.type == "command_execution")' "$out")
final=$(agent_messages "$out")
calls=$(streamed_calls "$E2E_WORK/tap.log")
[[ $(grep -c . <<<"$runs") == 1 && -n $runs ]] || e2e_fail "want exactly one command_execution, got: ${runs:-none}"
[[ $(grep -c . <<<"$calls") == 1 && -n $calls ]] || e2e_fail "want exactly one streamed function call, got: ${calls:-none}"
[[ $(jq -r .exit_code <<<"$runs") == 0 ]] || e2e_fail "the command failed: $runs"
jq -r .aggregated_output <<<"$runs" | grep -qx "$E2E_MARKER" || e2e_fail "the command did not print the marker: $runs"
grep -v "echo $E2E_MARKER" <<<"$final" | grep -q "$E2E_MARKER" || e2e_fail "the final answer lacks the marker: '$final'"
body1=$(e2e_request_body 1)
jq -e '[.tools[].type] | index("namespace") and index("web_search")' <<<"$body1" >/dev/null ||
	e2e_fail "Codex did not send its default namespace and web_search tools: $(tools_summary <<<"$body1")"
exchanges1=$(e2e_exchanges)
call1=$(grep -m1 '^data: {"type":"response.output_item.done".*"type":"function_call"' "$E2E_WORK/tap.log" | sed 's/^data: //' | jq -c '.item | {name, arguments}')
cp "$out" "$E2E_WORK/run1-shell.jsonl"

# Run 2: a call of a namespaced tool (internal/sim/agent.go, agentNamespace). Its part of the
# tap log starts after line $mark.
NS=multi_agent_v1 NS_TOOL=close_agent NS_TARGET=mimo-e2e-none NS_PREFIX="The sub-agent tool answered: "
mark=$(wc -l <"$E2E_WORK/tap.log")
echo "running codex $CODEX_VERSION: namespaced tool" >&2
codex_exec "[sim:agent_namespace] Close the sub-agent $NS_TARGET."
nslog=$E2E_WORK/tap-run2.log
tail -n +"$((mark + 1))" "$E2E_WORK/tap.log" >"$nslog"
final2=$(agent_messages "$out")
calls2=$(streamed_calls "$nslog")
[[ $(grep -c . <<<"$calls2") == 1 && -n $calls2 ]] || e2e_fail "want exactly one streamed function call in run 2, got: ${calls2:-none}"
jq -e --arg ns "$NS" --arg n "$NS_TOOL" '.namespace == $ns and .name == $n' <<<"$calls2" >/dev/null ||
	e2e_fail "the streamed call is not $NS/$NS_TOOL: $calls2"
call_id=$(jq -r .call_id <<<"$calls2")
body2=$(awk '/^>>> #/ {k++; next} k == 2 && /^[{[]/ {print; exit}' "$nslog")
[[ -n $body2 ]] || e2e_fail "Codex sent no request after the namespaced call"
jq -e --arg ns "$NS" --arg n "$NS_TOOL" --arg id "$call_id" \
	'any(.input[]; .type == "function_call" and .namespace == $ns and .name == $n and .call_id == $id)' <<<"$body2" >/dev/null ||
	e2e_fail "Codex's next request lacks the call with its namespace"
result=$(jq -r --arg id "$call_id" '.input[] | select(.type == "function_call_output" and .call_id == $id) | .output | if type == "string" then . else tojson end' <<<"$body2")
[[ -n $result ]] || e2e_fail "Codex's next request lacks the output of the namespaced call"
! grep -qi 'unsupported call' <<<"$result" || e2e_fail "Codex did not dispatch the namespaced call: $result"
! jq -e 'select(.type == "item.completed") | .item | select(.type == "command_execution")' "$out" >/dev/null ||
	e2e_fail "run 2 executed a command"
[[ $final2 == "$NS_PREFIX"* ]] || e2e_fail "the final answer does not quote the tool result: '$final2'"
cp "$out" "$E2E_WORK/run2-namespace.jsonl"

! grep -qF "$E2E_KEY" "$E2E_WORK/gateway.log" || e2e_fail "the API key appears in the gateway log"

cat <<EOF

== e2e-codex: Codex CLI $CODEX_VERSION -> mimo2api (demo simulator), Codex's default tools
tools sent: $(tools_summary <<<"$body1")
-- run 1 (scenario agent): requests through the gateway:
$exchanges1
tool call   $call1
command run $(jq -c '{command, exit_code, aggregated_output}' <<<"$runs")
final       $(tr '\n' ' ' <<<"$final")
-- run 2 (scenario agent_namespace): $(grep -c '^>>> #' "$nslog") requests through the gateway
tool call   $(jq -c '{namespace, name, call_id}' <<<"$calls2")
history     $(jq -c --arg id "$call_id" '[.input[] | select(.call_id == $id) | {type, namespace, name, arguments, output} | with_entries(select(.value != null))]' <<<"$body2")
final       $(tr '\n' ' ' <<<"$final2")
CLI warnings: $(cat "$E2E_WORK/run1-shell.jsonl" "$out" | jq -r 'select(.type == "item.completed") | .item | select(.type == "error") | .message' | sort -u | paste -sd';' - | sed 's/^$/none/')
blocked outbound attempts: $(e2e_blocked_summary)
EOF
e2e_pass
