#!/usr/bin/env bash
# e2e-codex: the Codex CLI (`codex exec`) against the gateway's Responses route, on the demo
# simulator's "agent" scenario. Passes when the CLI executed exactly one shell command, got the
# marker as its output and ended with a final answer quoting it. Not part of `make test`: it
# downloads the CLI from npm. See docs/agents.md.
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
# github.com and chatgpt.com). Hosted web_search and the sub-agent tools (a "namespace"
# tool) are off because the gateway serves function tools only (docs/agents.md).
mkdir -p "$E2E_WORK/codex-home"
cat >"$E2E_WORK/codex-home/config.toml" <<EOF
model = "mimo-v2.5-pro"
model_provider = "mimo2api"
approval_policy = "never"
sandbox_mode = "$CODEX_SANDBOX"
web_search = "disabled"
check_for_update_on_startup = false

[agents]
enabled = false

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

PROMPT="Run the shell command \`echo $E2E_MARKER\` and tell me what it printed."
echo "running codex $CODEX_VERSION" >&2
set +e
env -i PATH="$PATH" HOME="$E2E_WORK/home" TERM=dumb $(e2e_offline_env) \
	CODEX_HOME="$E2E_WORK/codex-home" MIMO2API_KEY="$E2E_KEY" \
	timeout "$E2E_TIMEOUT" "$CODEX" exec --strict-config --skip-git-repo-check --ephemeral --json \
	--cd "$E2E_WORK/project" -o "$E2E_WORK/last-message.txt" "$PROMPT" \
	</dev/null >"$E2E_WORK/cli.stdout" 2>"$E2E_WORK/cli.stderr"
rc=$?
set -e
[[ $rc == 0 ]] || e2e_fail "codex exited with status $rc"

# The --json transcript: command_execution items are the commands the CLI ran, agent_message
# items the model's text, turn.completed ends the turn.
out=$E2E_WORK/cli.stdout
runs=$(jq -c 'select(.type == "item.completed") | .item | select(.type == "command_execution")' "$out")
final=$(jq -r 'select(.type == "item.completed") | .item | select(.type == "agent_message") | .text' "$out")
streamed_calls=$(grep -c '^data: {"type":"response.output_item.added".*"item":{[^}]*"type":"function_call"' "$E2E_WORK/tap.log" || true)

jq -e 'select(.type == "turn.completed")' "$out" >/dev/null || e2e_fail "no turn.completed event"
[[ $(grep -c . <<<"$runs") == 1 && -n $runs ]] || e2e_fail "want exactly one command_execution, got: ${runs:-none}"
[[ $streamed_calls == 1 ]] || e2e_fail "the gateway streamed $streamed_calls function calls, want 1"
[[ $(jq -r .exit_code <<<"$runs") == 0 ]] || e2e_fail "the command failed: $runs"
jq -r .aggregated_output <<<"$runs" | grep -qx "$E2E_MARKER" || e2e_fail "the command did not print the marker: $runs"
grep -v "echo $E2E_MARKER" <<<"$final" | grep -q "$E2E_MARKER" || e2e_fail "the final answer lacks the marker: '$final'"
! grep -qF "$E2E_KEY" "$E2E_WORK/gateway.log" || e2e_fail "the API key appears in the gateway log"

cat <<EOF

== e2e-codex: Codex CLI $CODEX_VERSION -> mimo2api (demo simulator, scenario agent)
requests through the gateway:
$(e2e_exchanges)
tools sent: $(e2e_request_body 1 | jq -r '[.tools[] | .name // .type] | join(", ")')
tool call   $(grep -m1 '^data: {"type":"response.output_item.done".*"type":"function_call"' "$E2E_WORK/tap.log" | sed 's/^data: //' | jq -c '.item | {name, arguments}')
command run $(jq -c '{command, exit_code, aggregated_output}' <<<"$runs")
final       $(tr '\n' ' ' <<<"$final")
CLI warnings: $(jq -r 'select(.type == "item.completed") | .item | select(.type == "error") | .message' "$out" | paste -sd';' - | sed 's/^$/none/')
blocked outbound attempts: $(e2e_blocked_summary)
EOF
e2e_pass
