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

log() { printf 'chaos: %s\n' "$*" >&2; }
psql_value() { "$STACK" psql -qtAc "$1" 2>/dev/null || echo "?"; }

for binary in memgrid memgrid-embedding-worker; do
    [[ -x "$BIN/$binary" ]] || { log "missing $BIN/$binary: run swift build -c release (make chaos does)"; exit 1; }
done

# A clean private stack every run: the counts below are this run's alone.
"$STACK" reset >/dev/null 2>&1 || true
eval "$("$STACK" up)"
"$BIN/memgrid" migrate >/dev/null
"$BIN/memgrid" keys create --tenant "$TENANT" >/dev/null

log "writing $N inputs"
python3 - "$N" >"$WORK/inputs.jsonl" <<'EOF'
import json, sys
words = "amber basil cedar delta ember fjord garnet harbor indigo juniper kestrel lagoon".split()
for i in range(int(sys.argv[1])):
    text = f"chaos input {i}: {words[i % 12]} {words[(i // 12) % 12]} near the {words[(i // 144) % 12]} shore"
    print(json.dumps({"id": f"doc-{i}", "text": text}))
EOF

declare -A WORKER_PID
start_worker() {
    MEMGRID_OPS_PORT=$((47000 + $1)) MEMGRID_LOG_LEVEL=warning \
        "$BIN/memgrid-embedding-worker" >>"$WORK/worker-$1.log" 2>&1 &
    WORKER_PID[$1]=$!
}
kill_worker() { kill -9 "${WORKER_PID[$1]}" 2>/dev/null || true; wait "${WORKER_PID[$1]}" 2>/dev/null || true; }

# The backfill CLI is re-run with the same id whenever a fault makes it exit with an
# error: a re-run resumes from its checkpoints.
BACKFILL_RUNS=0
BACKFILL_PID=
start_backfill() {
    BACKFILL_RUNS=$((BACKFILL_RUNS + 1))
    "$BIN/memgrid" backfill --tenant "$TENANT" --id chaos --jsonl "$WORK/inputs.jsonl" --progress-interval 10 \
        >"$WORK/summary.txt" 2>>"$WORK/backfill.log" &
    BACKFILL_PID=$!
}
BACKFILL_STATUS=
backfill_finished() {
    kill -0 "$BACKFILL_PID" 2>/dev/null && return 1
    local status=0
    wait "$BACKFILL_PID" || status=$?
    if [[ $status -eq 1 ]]; then
        log "backfill exited with an error (run $BACKFILL_RUNS); resuming it"
        sleep 2
        start_backfill
        return 1
    fi
    BACKFILL_STATUS=$status
}

stored() { psql_value "SELECT count(*) FROM documents WHERE tenant_id = '$TENANT'"; }

START=$(date +%s)
elapsed() { echo $(($(date +%s) - START)); }
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
    if (($(elapsed) > DEADLINE)); then
        log "deadline of ${DEADLINE}s passed; stopping"
        kill "$BACKFILL_PID" 2>/dev/null || true
        BACKFILL_STATUS=deadline
        break
    fi
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
rows=$(psql_value "SELECT count(*) FROM documents WHERE tenant_id = '$TENANT'")
distinct=$(psql_value "SELECT count(DISTINCT external_id) FROM documents WHERE tenant_id = '$TENANT'")
strays=$(psql_value "SELECT count(*) FROM documents WHERE tenant_id = '$TENANT' AND NOT (external_id ~ '^doc-[0-9]+$' AND substring(external_id FROM 5)::bigint < $N)")
vectors=$(psql_value "SELECT count(*) FROM embeddings WHERE tenant_id = '$TENANT' AND target_kind = 'document'")
vector_targets=$(psql_value "SELECT count(DISTINCT target_id) FROM embeddings WHERE tenant_id = '$TENANT' AND target_kind = 'document'")
dead_items=$(psql_value "SELECT coalesce(sum(c.items), 0) FROM backfill_chunks c JOIN jobs j ON j.id = c.job_id WHERE c.tenant_id = '$TENANT' AND j.status = 'dead_lettered'")
dead_reasons=$(psql_value "SELECT count(*) FROM jobs j JOIN backfill_chunks c ON c.job_id = j.id WHERE c.tenant_id = '$TENANT' AND j.status = 'dead_lettered' AND coalesce(j.error, '') = ''")
dlq_messages=$("$STACK" rabbitmqctl -q list_queues name messages 2>/dev/null | awk '$1 == "memgrid.embed.dlq" { print $2 }')

# Rows are keyed by (tenant, input id), so a duplicate would show as a second vector per
# document or a row under an id no input has.
duplicates=$((rows - distinct + vectors - vector_targets + strays))
lost=$((N - distinct - dead_items))
summary=$(tail -n 1 "$WORK/summary.txt" 2>/dev/null || true)
summary_done=$(sed -n 's/.*done \([0-9]*\),.*/\1/p' <<<"$summary")
summary_dead=$(sed -n 's/.*dead-lettered \([0-9]*\),.*/\1/p' <<<"$summary")

printf '\n%-28s %7s   %s\n' "fault" "at" "outcome"
printf '%s\n' "${FAULTS[@]}"
printf '\nbackfill runs %s (exit %s): %s\n' "$BACKFILL_RUNS" "$BACKFILL_STATUS" "${summary:-no summary}"
if ((BACKFILL_RUNS > 1)); then
    echo "why the backfill CLI stopped before it was resumed:"
    grep -i 'error' "$WORK/backfill.log" | sort | uniq -c | head -5 || true
fi
printf 'documents %s (distinct ids %s), vectors %s (distinct %s), dead-lettered items %s in %s DLQ messages, without a reason %s\n' \
    "$rows" "$distinct" "$vectors" "$vector_targets" "$dead_items" "${dlq_messages:-?}" "$dead_reasons"

verdict=0
[[ $BACKFILL_STATUS == 0 || $BACKFILL_STATUS == 2 ]] || { log "the backfill did not finish ($BACKFILL_STATUS)"; verdict=1; }
((lost == 0 && duplicates == 0)) || verdict=1
[[ $dead_reasons == 0 ]] || { log "dead letters without a reason"; verdict=1; }
[[ $summary_done == "$distinct" && $summary_dead == "$dead_items" ]] || { log "the backfill summary disagrees with the database"; verdict=1; }
[[ $vector_targets == "$distinct" ]] || { log "documents without a vector"; verdict=1; }

"$STACK" down >/dev/null 2>&1 || true
if [[ $verdict == 0 ]]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
echo "chaos: $N inputs, lost $lost, duplicates $duplicates, dead-lettered $dead_items, faults ${#FAULTS[@]}"
exit "$verdict"
