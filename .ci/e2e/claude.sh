#!/usr/bin/env bash
# e2e-claude: Claude Code (`claude -p`) against the gateway's Anthropic Messages route, on the
# demo simulator's "agent" scenario. Passes when the CLI ran exactly one Bash call, got the
# marker back as its result and ended with a final answer quoting it. Not part of `make test`:
# it downloads the CLI from npm. See docs/agents.md.
#
# CLAUDE_CODE_VERSION overrides the pinned version (an exact version, never "latest").
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION:-2.1.332}
PKG=@anthropic-ai/claude-code

e2e_init claude
e2e_start_gateway
e2e_npm_install "$PKG" "$CLAUDE_CODE_VERSION"
CLAUDE="$E2E_PREFIX/node_modules/.bin/claude"
if ! "$CLAUDE" --version >/dev/null 2>&1; then
	# npm may have skipped the postinstall that puts the native binary in place.
	(cd "$E2E_PREFIX/node_modules/$PKG" && node install.cjs >&2) || e2e_fail "claude: postinstall"
fi

PROMPT="Run the shell command \`echo $E2E_MARKER\` and tell me what it printed."
echo "running claude $CLAUDE_CODE_VERSION" >&2
set +e
(
	cd "$E2E_WORK/project" &&
		env -i PATH="$PATH" HOME="$E2E_WORK/home" TERM=dumb $(e2e_offline_env) \
			ANTHROPIC_BASE_URL="$E2E_TAP" ANTHROPIC_API_KEY="$E2E_KEY" \
			DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 DISABLE_BUG_COMMAND=1 \
			CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1 \
			timeout "$E2E_TIMEOUT" "$CLAUDE" -p "$PROMPT" \
			--output-format stream-json --verbose \
			--allowedTools "Bash(echo $E2E_MARKER)" \
			</dev/null >"$E2E_WORK/cli.stdout" 2>"$E2E_WORK/cli.stderr"
)
rc=$?
set -e
[[ $rc == 0 ]] || e2e_fail "claude exited with status $rc"

# The stream-json transcript: assistant messages carry tool_use blocks, the following user
# message the tool_result the CLI produced, and the last line is the result.
out=$E2E_WORK/cli.stdout
uses=$(jq -c 'select(.type == "assistant") | .message.content[] | select(.type == "tool_use")' "$out")
results=$(jq -c 'select(.type == "user") | .message.content[]? | select(.type? == "tool_result")' "$out")
final=$(jq -r 'select(.type == "result") | .result // empty' "$out")
subtype=$(jq -r 'select(.type == "result") | .subtype' "$out")
streamed_uses=$(grep -c '"content_block":{"type":"tool_use"' "$E2E_WORK/tap.log" || true)

[[ $(grep -c . <<<"$uses") == 1 && -n $uses ]] || e2e_fail "want exactly one tool_use, got: ${uses:-none}"
[[ $(jq -r .name <<<"$uses") == Bash ]] || e2e_fail "the tool call is not Bash: $uses"
[[ $streamed_uses == 1 ]] || e2e_fail "the gateway streamed $streamed_uses tool_use blocks, want 1"
[[ $(grep -c . <<<"$results") == 1 && -n $results ]] || e2e_fail "want exactly one tool_result, got: ${results:-none}"
[[ $(jq -r '.is_error // false' <<<"$results") == false ]] || e2e_fail "the command failed: $results"
jq -r '.content | if type == "string" then . else map(.text? // "") | join("") end' <<<"$results" |
	grep -qx "$E2E_MARKER" || e2e_fail "the tool result is not the command's output: $results"
[[ $subtype == success ]] || e2e_fail "result subtype '$subtype'"
grep -v "echo $E2E_MARKER" <<<"$final" | grep -q "$E2E_MARKER" || e2e_fail "the final answer lacks the marker: '$final'"
! grep -qF "$E2E_KEY" "$E2E_WORK/gateway.log" || e2e_fail "the API key appears in the gateway log"

cat <<EOF

== e2e-claude: Claude Code $CLAUDE_CODE_VERSION -> mimo2api (demo simulator, scenario agent)
requests through the gateway:
$(e2e_exchanges)
model $(e2e_request_body 1 | jq -r .model); tools sent: $(e2e_request_body 1 | jq -r '[.tools[].name] | join(", ")')
tool call   $(jq -c '{name, input}' <<<"$uses")
tool result $(jq -c '{content, is_error}' <<<"$results")
final       $final
blocked outbound attempts: $(e2e_blocked_summary)
EOF
e2e_pass
