#!/usr/bin/env bash
# make chaos: a backfill of N unique texts (100 000) through two embedding workers while
# faults hit every part: kill -9 of embedding workers, RabbitMQ and PostgreSQL restarts,
# Redis stopped for a while. Then the inputs are checked against the database, the
# dead-letter queue and the backfill's own summary: nothing lost, no duplicate rows, every
# input stored or dead-lettered with a reason.
#
# It runs on a private stack (.stack-chaos, its own ports) so the development servers
# and their tests are never touched, and gives up after CHAOS_DEADLINE seconds (1800).
#   N=20000 scripts/chaos.sh        smaller run
#   CHAOS_BIN=.build/debug          binaries to use (default .build/release)
# shellcheck disable=SC2317  # the fault functions are called through SCHEDULE
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-100000}
DEADLINE=${CHAOS_DEADLINE:-1800}
BIN=${CHAOS_BIN:-$ROOT/.build/release}
TENANT=chaos
WORK=$(mktemp -d /tmp/memgrid-chaos.XXXXXX)

export MEMGRID_STACK_DIR="$ROOT/.stack-chaos"
export MEMGRID_STACK_AMQP_PORT=45672 MEMGRID_STACK_REDIS_PORT=46379 MEMGRID_STACK_PG_PORT=45432
export MEMGRID_STACK_DIST_PORT=45673 MEMGRID_STACK_EPMD_PORT=44369 MEMGRID_STACK_NODENAME=chaos@localhost
STACK="$ROOT/scripts/stack.sh"

CHAOS_NAME=chaos
OPS_PORT_BASE=47000 WORKER_LOG_LEVEL=warning   # worker-N serves /metrics on 47000+N
BACKFILL_ENV=()
BACKFILL_ARGS=(--progress-interval 10)
BACKFILL_RESUME_DELAY=2
# Inputs, workers, the resumed backfill CLI and the verdict, as chaos-cluster.sh has them.
# shellcheck source=scripts/lib/chaos.sh
source "$ROOT/scripts/lib/chaos.sh"
chaos_check_binaries "make chaos"

# A clean private stack every run: the counts below are this run's alone.
"$STACK" reset >/dev/null 2>&1 || true
eval "$("$STACK" up)"
chaos_prepare

kill_worker() { kill -9 "${WORKER_PID[$1]}" 2>/dev/null || true; wait "${WORKER_PID[$1]}" 2>/dev/null || true; }

START=$(date +%s)
FAULTS=()
# A fault, then how long after it until the stored count moves again (recovered).
inject() {
    local name=$1
    shift
    local before at
    at=$(elapsed)
    log "fault at ${at}s: $name"
    "$@"
    before=$(stored)
    local waited=0 now
    while ((waited < 120)); do
        backfill_finished && break
        now=$(stored)
        if [[ $now =~ ^[0-9]+$ && $before =~ ^[0-9]+$ && $now -gt $before ]]; then break; fi
        sleep 1
        waited=$((waited + 1))
    done
    FAULTS+=("$(printf '%-28s %6ss   %s' "$name" "$at" "progress again ${waited}s later")")
}

# The faults, run through SCHEDULE below.
restart_rabbitmq() { "$STACK" stop rabbitmq >/dev/null 2>&1; sleep 3; "$STACK" start rabbitmq >/dev/null 2>&1; }
restart_postgres() { "$STACK" stop postgres >/dev/null 2>&1; sleep 3; "$STACK" start postgres >/dev/null 2>&1; }
pause_redis() { "$STACK" stop redis >/dev/null 2>&1; sleep 15; "$STACK" start redis >/dev/null 2>&1; }
kill_restart() { kill_worker "$1"; sleep 1; start_worker "$1"; }
kill_both() { kill_worker 1; kill_worker 2; sleep 1; start_worker 1; start_worker 2; }

start_worker 1
start_worker 2
start_backfill

SCHEDULE=(
    "kill -9 embedding worker 1|kill_restart 1"
    "restart RabbitMQ|restart_rabbitmq"
    "kill -9 embedding worker 2|kill_restart 2"
    "restart PostgreSQL|restart_postgres"
    "stop Redis for 15 s|pause_redis"
    "kill -9 both workers|kill_both"
)
next=0
while ! backfill_finished; do
    chaos_past_deadline && break
    sleep 8
    if ((next < ${#SCHEDULE[@]})); then
        IFS='|' read -r name action <<<"${SCHEDULE[$next]}"
        # shellcheck disable=SC2086
        inject "$name" $action
        next=$((next + 1))
    fi
done
kill_worker 1
kill_worker 2

# The verdict, from the database and the broker, not from the backfill's own account.
chaos_count
dlq_messages=$("$STACK" rabbitmqctl -q list_queues name messages 2>/dev/null | awk '$1 == "memgrid.embed.dlq" { print $2 }')
chaos_tally

printf '\n%-28s %7s   %s\n' "fault" "at" "outcome"
printf '%s\n' "${FAULTS[@]}"
chaos_print_backfill
chaos_print_counts
chaos_verdict

"$STACK" down >/dev/null 2>&1 || true
if [[ $verdict == 0 ]]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
echo "chaos: $N inputs, lost $lost, duplicates $duplicates, dead-lettered $dead_items, faults ${#FAULTS[@]}"
exit "$verdict"
