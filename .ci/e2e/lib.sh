# Shared helpers of the agent end-to-end runs (claude.sh, codex.sh). Source it; do not run it.
#
# A run builds the gateway, starts it in demo mode (the in-process MiMo simulator) with the
# simulator's "agent" scenario, puts the recording proxy .ci/e2e/tap in front of it, installs one
# pinned agent CLI from npm into a temporary prefix and runs it with a temporary HOME. The CLI
# reaches nothing but the tap on loopback: the tap is also its HTTP(S) proxy and refuses
# everything else. Every process started here is stopped on exit.
#
# Environment:
#   E2E_KEEP=1        keep the work directory (logs, transcripts) even when the run passes
#   E2E_CACHE_DIR=d   install the CLI under d/<package>@<version> and reuse it on later runs
#   E2E_TIMEOUT=s     seconds the CLI may run (default 180)

set -euo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_MARKER=mimo-e2e-ok
E2E_KEY=sk-e2e-not-a-secret
E2E_TIMEOUT=${E2E_TIMEOUT:-180}
E2E_PIDS=()
E2E_OK=0

# e2e_init NAME creates the work directory and the exit trap.
e2e_init() {
	E2E_NAME=$1
	local c
	for c in go npm node jq curl timeout; do
		command -v "$c" >/dev/null || { echo "e2e-$1: $c is required" >&2; exit 1; }
	done
	E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/mimo2api-e2e-$1.XXXXXX")
	mkdir -p "$E2E_WORK/home" "$E2E_WORK/project" "$E2E_WORK/conf" "$E2E_WORK/data"
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
}

e2e_cleanup() {
	local pid
	for pid in "${E2E_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${E2E_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ $E2E_OK == 1 && ${E2E_KEEP:-} != 1 ]]; then
		rm -rf "$E2E_WORK"
	else
		rm -rf "$E2E_WORK/npm" # the CLI install is large; the logs stay
		echo "e2e-$E2E_NAME: logs kept in $E2E_WORK" >&2
	fi
}

# e2e_fail MESSAGE prints the message and the end of every log, then exits 1.
e2e_fail() {
	echo "FAIL e2e-$E2E_NAME: $*" >&2
	local f
	for f in "$E2E_WORK"/gateway.log "$E2E_WORK"/cli.stderr "$E2E_WORK"/cli.stdout; do
		[[ -s $f ]] || continue
		echo "--- tail of $f" >&2
		tail -n 30 "$f" | cut -c1-400 >&2
	done
	exit 1
}

# e2e_wait_for DEADLINE_SECONDS COMMAND... polls COMMAND every 0.1s until it succeeds.
e2e_wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# e2e_start_gateway builds the gateway and the tap and starts both. It sets E2E_GATEWAY (the
# gateway's base URL) and E2E_TAP (the tap's base URL, what the CLI is pointed at).
e2e_start_gateway() {
	echo "building the gateway and the tap" >&2
	(cd "$E2E_ROOT" && go build -o "$E2E_WORK/mimo2api" ./cmd/mimo2api && go build -o "$E2E_WORK/tap" ./.ci/e2e/tap/main.go) ||
		e2e_fail "go build"

	# The shipped configuration plus an overlay file (files of a configuration folder merge in
	# name order).
	cp "$E2E_ROOT/configs/config.yaml" "$E2E_WORK/conf/"
	cat >"$E2E_WORK/conf/zz-e2e.yaml" <<-'EOF'
		upstream:
		  demo_scenario: agent
	EOF

	MIMO_DEMO=1 MIMO_HTTP_ADDR=127.0.0.1:0 MIMO_API_KEYS=$E2E_KEY MIMO_DATA_DIR="$E2E_WORK/data" \
		"$E2E_WORK/mimo2api" -conf "$E2E_WORK/conf" >"$E2E_WORK/gateway.log" 2>&1 &
	E2E_PIDS+=($!)
	e2e_wait_for 30 grep -q 'msg="mimo2api listening"' "$E2E_WORK/gateway.log" || e2e_fail "the gateway did not start"
	E2E_GATEWAY=$(sed -n 's/.*msg="mimo2api listening" url=\([^ ]*\).*/\1/p' "$E2E_WORK/gateway.log" | head -n1)
	e2e_wait_for 30 curl -fsS -o /dev/null "$E2E_GATEWAY/healthz" || e2e_fail "$E2E_GATEWAY/healthz did not answer"

	"$E2E_WORK/tap" -target "$E2E_GATEWAY" -log "$E2E_WORK/tap.log" -addr-file "$E2E_WORK/tap.addr" \
		>"$E2E_WORK/tap.stderr" 2>&1 &
	E2E_PIDS+=($!)
	e2e_wait_for 10 test -s "$E2E_WORK/tap.addr" || e2e_fail "the tap did not start"
	E2E_TAP=$(cat "$E2E_WORK/tap.addr")
	echo "gateway $E2E_GATEWAY (demo mode, scenario agent), tap $E2E_TAP" >&2
}

# e2e_npm_install PACKAGE VERSION installs PACKAGE@VERSION (an exact version) and sets
# E2E_PREFIX to the npm prefix it is installed in.
e2e_npm_install() {
	local pkg=$1 version=$2
	[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || e2e_fail "$pkg: want an exact version, got '$version'"
	if [[ -n ${E2E_CACHE_DIR:-} ]]; then
		E2E_PREFIX="$E2E_CACHE_DIR/${pkg//\//_}@$version"
	else
		E2E_PREFIX="$E2E_WORK/npm"
	fi
	if [[ ! -f "$E2E_PREFIX/node_modules/$pkg/package.json" ]]; then
		echo "installing $pkg@$version" >&2
		npm install --prefix "$E2E_PREFIX" --no-fund --no-audit --loglevel=error "$pkg@$version" >&2 ||
			e2e_fail "npm install $pkg@$version"
	fi
}

# e2e_offline_env prints env assignments that keep a CLI off the internet: the tap is the proxy
# for everything but loopback, and it refuses proxy requests.
e2e_offline_env() {
	local p=$E2E_TAP
	echo "HTTPS_PROXY=$p" "HTTP_PROXY=$p" "ALL_PROXY=$p" "https_proxy=$p" "http_proxy=$p" "all_proxy=$p" \
		"NO_PROXY=127.0.0.1,localhost" "no_proxy=127.0.0.1,localhost"
}

# e2e_blocked prints the outbound attempts the tap refused, one per line.
e2e_blocked() {
	grep '^!!! ' "$E2E_WORK/tap.log" 2>/dev/null | sed 's/^!!! #[0-9]* BLOCKED //' || true
}

# e2e_blocked_summary prints the refused outbound attempts on one line, or "none".
e2e_blocked_summary() {
	local b
	b=$(e2e_blocked | sort | uniq -c | awk '{print $3 " x" $1}' | paste -sd, -)
	echo "${b:-none}"
}

# e2e_exchanges prints "METHOD PATH -> STATUS" for every request the gateway answered.
e2e_exchanges() {
	awk '/^>>> #/ {req[$2] = $3 " " $4} /^<<< #[0-9]+ / && $2 != "end" {print "  " req[$2] " -> " $3 " " $4}' "$E2E_WORK/tap.log"
}

# e2e_request_body N prints the JSON body of the Nth request the gateway received (1-based).
e2e_request_body() {
	awk -v n="$1" '/^>>> #/ {k++; next} k == n && /^[{[]/ {print; exit}' "$E2E_WORK/tap.log"
}

# e2e_pass prints the verdict and marks the run as passed.
e2e_pass() {
	E2E_OK=1
	echo "PASS e2e-$E2E_NAME"
}
