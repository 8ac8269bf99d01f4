#!/usr/bin/env bash
# Runs the gateway and the three workers in the foreground against the local stack,
# each log line prefixed with its service. Ctrl-C (or SIGTERM) stops them gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/stack.sh env)"
BIN=${MEMGRID_BIN:-.build/debug}

"$BIN/memgrid" migrate

pids=()
start() {
  local name=$1; shift
  # Process substitution keeps $! the service's own pid, so signals reach it directly.
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=("$!")
}

start gateway env MEMGRID_OPS_PORT="${MEMGRID_GATEWAY_OPS_PORT:-9100}" "$BIN/memgrid-gateway"
start embedding env MEMGRID_OPS_PORT="${MEMGRID_EMBEDDING_OPS_PORT:-9101}" "$BIN/memgrid-embedding-worker"
start llm env MEMGRID_OPS_PORT="${MEMGRID_LLM_OPS_PORT:-9102}" "$BIN/memgrid-llm-worker"
start proactive env MEMGRID_OPS_PORT="${MEMGRID_PROACTIVE_OPS_PORT:-9103}" "$BIN/memgrid-proactive-worker"

stop() {
  echo "stopping memgrid (graceful)…"
  kill -TERM "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM

echo "memgrid gateway: http://${MEMGRID_GATEWAY_HOST:-127.0.0.1}:${MEMGRID_GATEWAY_PORT:-8080}, /readyz and /metrics on :${MEMGRID_GATEWAY_OPS_PORT:-9100}  (Ctrl-C stops everything)"
status=0
for pid in "${pids[@]}"; do
  while true; do
    rc=0
    wait "$pid" || rc=$?
    # A trapped signal interrupts wait (128+n) while the service is still draining.
    if (( rc > 128 )) && kill -0 "$pid" 2>/dev/null; then continue; fi
    break
  done
  (( rc == 0 )) || status=$rc
done
exit "$status"
