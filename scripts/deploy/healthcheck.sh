#!/usr/bin/env bash
# HEALTHCHECK of the memgrid image (installed as /usr/local/bin/memgrid-healthcheck).
#
#   memgrid-healthcheck [--pid PID] [PATH]     PATH defaults to /healthz
#
# One image runs five executables, so the check first finds which one runs (PID 1, or
# the first memgrid process when an init such as docker-init/tini is PID 1, or --pid),
# then GETs PATH on that executable's side port (/healthz, /readyz, /metrics) from the
# same environment variables the executable reads:
#   memgrid-gateway            MEMGRID_OPS_PORT (9100; its API port has no /readyz)
#   memgrid-embedding-worker   MEMGRID_OPS_PORT (9101)
#   memgrid-llm-worker         MEMGRID_OPS_PORT (9102)
#   memgrid-proactive-worker   MEMGRID_OPS_PORT (9103)
#   memgrid (CLI one-shots)    no HTTP endpoint: healthy while it runs
# Exit 0 on an HTTP 200, 1 otherwise. Needs only bash (no curl in the image).
set -euo pipefail

pid=""
path=/healthz
while (($#)); do
    case "$1" in
        --pid) pid=${2:?--pid needs a value}; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) path=$1; shift ;;
    esac
done

program_of() {
    local argv0
    argv0=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n 1) || return 1
    [[ -n "$argv0" ]] || return 1
    basename -- "$argv0"
}

program=""
if [[ -n "$pid" ]]; then
    program=$(program_of "$pid") || { echo "healthcheck: no process $pid" >&2; exit 1; }
else
    program=$(program_of 1 || true)
    if [[ "$program" != memgrid* ]]; then
        program=""
        for dir in /proc/[0-9]*; do
            candidate=$(program_of "${dir#/proc/}" 2>/dev/null || true)
            if [[ "$candidate" == memgrid-gateway || "$candidate" == memgrid-*-worker || "$candidate" == memgrid ]]; then
                program=$candidate
                break
            fi
        done
    fi
fi

case "$program" in
    memgrid-gateway) port=${MEMGRID_OPS_PORT:-9100} ;;
    memgrid-embedding-worker) port=${MEMGRID_OPS_PORT:-9101} ;;
    memgrid-llm-worker) port=${MEMGRID_OPS_PORT:-9102} ;;
    memgrid-proactive-worker) port=${MEMGRID_OPS_PORT:-9103} ;;
    memgrid) exit 0 ;;
    *) echo "healthcheck: no memgrid executable found (saw '${program}')" >&2; exit 1 ;;
esac

if ! exec 3<>"/dev/tcp/127.0.0.1/${port}"; then
    echo "healthcheck: ${program}: nothing listens on 127.0.0.1:${port}" >&2
    exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
status_line=""
IFS= read -r -t 4 status_line <&3 || true
exec 3<&-
if [[ "$status_line" =~ ^HTTP/1\.[01]\ 200 ]]; then
    exit 0
fi
if [[ -z "$status_line" ]]; then
    echo "healthcheck: ${program} ${path} on :${port}: no answer within 4 s" >&2
else
    echo "healthcheck: ${program} ${path} on :${port} answered '${status_line%$'\r'}'" >&2
fi
exit 1
