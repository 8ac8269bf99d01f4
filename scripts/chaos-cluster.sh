#!/usr/bin/env bash
# make chaos-cluster: a backfill of N unique texts (100 000) through two embedding workers
# against a 3-node RabbitMQ cluster (scripts/rabbit-cluster.sh) while the node leading the
# embed work queue is killed (kill -9) and restarted 15 s later, then another node (the
# queue's new leader) likewise. Then, as scripts/chaos.sh does, the inputs are checked
# against the database, the dead-letter queue and the backfill's own summary: nothing
# lost, no duplicate rows, every input stored or dead-lettered with a reason.
#
# It also measures how long each process (the backfill CLI, worker-1, worker-2) took to
# resume: its progress (chunks the CLI got confirmed, jobs delivered to each worker) is sampled
# every 0.5 s, and for every kill it prints when the process moved again. Last line:
#   chaos-cluster: <n> inputs, lost <l>, duplicates <d>, node kills <k>, longest stall <s> s
#
# Everything is private (.stack-chaos-cluster, its own ports), so `make chaos`, the
# development stack and scripts/rabbit-cluster.sh's default cluster are never touched.
#   N=20000 scripts/chaos-cluster.sh     smaller run
#   CHAOS_BIN=.build/debug               binaries to use (default .build/release)
#   CHAOS_DOWN_SECONDS=15                how long a killed node stays down
#   CHAOS_CHUNK_SIZE=64                  texts per embed job: small jobs make progress
#                                        visible every second or so
#   CHAOS_DEADLINE=1800                  give up after this many seconds
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-100000}
DEADLINE=${CHAOS_DEADLINE:-1800}
BIN=${CHAOS_BIN:-$ROOT/.build/release}
DOWN_FOR=${CHAOS_DOWN_SECONDS:-15}
CHUNK=${CHAOS_CHUNK_SIZE:-64}
TENANT=chaos
QUEUE=memgrid.embed   # the embed work queue (default topology prefix, docs/contracts.md)
WORK=$(mktemp -d /tmp/memgrid-chaos-cluster.XXXXXX)

# Redis and PostgreSQL from stack.sh on ports of their own (stack.sh's RabbitMQ is never
# started here; its ports are set only so nothing defaults to the dev stack's).
export MEMGRID_STACK_DIR="$ROOT/.stack-chaos-cluster"
export MEMGRID_STACK_AMQP_PORT=45772 MEMGRID_STACK_REDIS_PORT=46389 MEMGRID_STACK_PG_PORT=45442
export MEMGRID_STACK_DIST_PORT=45773 MEMGRID_STACK_EPMD_PORT=44389 MEMGRID_STACK_NODENAME=chaos-cluster@localhost
# The cluster, inside the private stack's folder, on ports no other cluster uses.
export MEMGRID_CLUSTER_DIR="$MEMGRID_STACK_DIR/rabbitmq-cluster"
export MEMGRID_CLUSTER_AMQP_PORT=45781 MEMGRID_CLUSTER_DIST_PORT=45801 MEMGRID_CLUSTER_EPMD_PORT=44479
STACK="$ROOT/scripts/stack.sh"
CLUSTER="$ROOT/scripts/rabbit-cluster.sh"
OPS_PORT_BASE=47010   # worker-N serves /metrics on 47010+N

CHAOS_NAME=chaos-cluster
WORKER_LOG_LEVEL=info
BACKFILL_ENV=(MEMGRID_LOG_LEVEL=info)
BACKFILL_ARGS=(--chunk-size "$CHUNK" --max-in-flight 16 --progress-interval 5)
BACKFILL_RESUME_DELAY=0
# Inputs, workers, the resumed backfill CLI and the verdict, as chaos.sh has them.
# shellcheck source=scripts/lib/chaos.sh
source "$ROOT/scripts/lib/chaos.sh"
chaos_check_binaries "make chaos-cluster"

# A clean private stack and cluster every run: the counts below are this run's alone.
"$CLUSTER" down >/dev/null 2>&1 || true
"$STACK" reset >/dev/null 2>&1 || true
"$STACK" install
"$STACK" start redis
"$STACK" start postgres
eval "$("$STACK" env)"
eval "$("$CLUSTER" up)"   # sets MEMGRID_AMQP_URL to all three nodes
log "MEMGRID_AMQP_URL=$MEMGRID_AMQP_URL"
chaos_prepare

# A worker that exits is started again, and said so (not a fault this script injects: on a
# fresh database two workers starting together can race on CREATE INDEX IF NOT EXISTS).
WORKER_RESTARTS=0
backfill_hook() { check_workers; }
check_workers() {
    local n status
    for n in 1 2; do
        kill -0 "${WORKER_PID[$n]}" 2>/dev/null && continue
        status=0
        wait "${WORKER_PID[$n]}" || status=$?
        WORKER_RESTARTS=$((WORKER_RESTARTS + 1))
        log "at $(elapsed)s: worker-$n exited (status $status: $(tail -n 1 "$WORK/worker-$n.log" | cut -c1-160)); starting it again"
        start_worker "$n"
    done
}
stop_worker() { kill -TERM "${WORKER_PID[$1]}" 2>/dev/null || true; wait "${WORKER_PID[$1]}" 2>/dev/null || true; }

START=$(date +%s)
now() { date +%s.%N; }
# Sleep S seconds, 1 s at a time, restarting the backfill CLI if it fails meanwhile.
wait_for() {
    local i
    for ((i = 0; i < $1; i++)); do
        backfill_finished && return 0
        sleep 1
    done
}

# Progress of each process every 0.5 s, one line: time, jobs delivered to worker-1 and
# worker-2 (their /metrics; "?" while unreachable), chunks the backfill CLI got
# confirmed by the broker, documents stored.
# Deliveries a worker received (memgrid_jobs_consumed_total), not jobs it acked: its ack
# counter also moves for acks of deliveries whose connection just died (they go nowhere and
# the jobs are redelivered), while a delivery proves the worker consumes again.
metric() {
    curl -s -m 1 "http://127.0.0.1:$1/metrics" 2>/dev/null \
        | awk '/^memgrid_jobs_consumed_total/ { s += $NF; seen = 1 } END { if (seen) print s; else print "?" }'
}
sampler() {
    set +e   # a failed probe (a process or server down) is a sample too, not the end
    local t w1 w2 db
    while :; do
        t=$(now)
        w1=$(metric $((OPS_PORT_BASE + 1)))
        w2=$(metric $((OPS_PORT_BASE + 2)))
        db=$(psql_value "SELECT (SELECT count(published_at) FROM backfill_chunks WHERE tenant_id = '$TENANT' AND backfill_id = 'chaos') || ' ' || (SELECT count(*) FROM documents WHERE tenant_id = '$TENANT')")
        [[ $db =~ ^[0-9]+\ [0-9]+$ ]] || db="? ?"
        echo "$t $w1 $w2 $db" >>"$WORK/samples.txt"
        sleep 0.5
    done
}

# Which node each process is connected to (its TCP connection to an AMQP port).
connections() {
    local name pid port
    for name in backfill worker-1 worker-2; do
        case $name in
            backfill) pid=$BACKFILL_PID ;;
            worker-1) pid=${WORKER_PID[1]} ;;
            worker-2) pid=${WORKER_PID[2]} ;;
        esac
        port=$(ss -tnpH state established 2>/dev/null | grep "pid=$pid," \
            | awk '{ n = split($4, a, ":"); print a[n] }' \
            | awk -v lo="$MEMGRID_CLUSTER_AMQP_PORT" '$1 >= lo && $1 < lo + 3 { print $1 - lo + 1 }' | sort -u | tr '\n' ' ')
        printf '%s on node %s; ' "$name" "${port:-none}"
    done
}

KILLS=0
first=0
CHUNKS=$(((N + CHUNK - 1) / CHUNK))
# kill -9 node N, keep it down DOWN_FOR seconds, start it again.
kill_node() {
    local n=$1 why=$2 t
    log "at $(elapsed)s: kill -9 node $n ($why); $(connections)"
    t=$(now)
    "$CLUSTER" kill "$n"
    KILLS=$((KILLS + 1))
    wait_for "$DOWN_FOR"
    log "at $(elapsed)s: starting node $n again"
    "$CLUSTER" start "$n" || log "node $n did not come back"
    echo "$KILLS $t $n $(now) $why" >>"$WORK/kills.txt"
}
# Wait until each process moved past its count at the last kill (or 120 s), then 10 s more.
wait_resumed() {
    local i
    for ((i = 0; i < 120; i++)); do
        backfill_finished && return 0
        [[ -s "$WORK/samples.txt" ]] && python3 - "$WORK/samples.txt" "$WORK/kills.txt" "$CHUNKS" <<'EOF' && break
import sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]
t_kill = float(open(sys.argv[2]).read().split("\n")[-2].split()[1])
ok = True
for col in (1, 2, 3):
    before = [r[col] for r in rows if float(r[0]) <= t_kill and r[col] != "?"]
    after = [r[col] for r in rows if float(r[0]) > t_kill and r[col] != "?"]
    if col == 3 and before and int(before[-1]) >= int(sys.argv[3]):
        continue  # the CLI had published every chunk: nothing left for it to resume
    if not before or not any(int(v) > int(before[-1]) for v in after):
        ok = False
sys.exit(0 if ok else 1)
EOF
        sleep 1
    done
    log "at $(elapsed)s: every process resumed; $(connections)"
    wait_for 10
}

# On an early exit (an error, ^C): stop what this script started, servers included.
SAMPLER_PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    local status=$?
    [[ -n $SAMPLER_PID ]] && { kill "$SAMPLER_PID" 2>/dev/null || true; }
    kill "${BACKFILL_PID:-}" "${WORKER_PID[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    if [[ $status != 0 && -z ${VERDICT_DONE:-} ]]; then
        "$CLUSTER" down >/dev/null 2>&1
        "$STACK" down >/dev/null 2>&1
        log "failed (exit $status); logs kept in $WORK"
    fi
}
trap cleanup EXIT

start_worker 1
start_worker 2
start_backfill
sampler &
SAMPLER_PID=$!

# Warm up: the first kill hits a running backfill, once a tenth of the inputs are stored.
while ! backfill_finished; do
    s=$(stored)
    [[ $s =~ ^[0-9]+$ ]] && ((s >= N / 10)) && break
    (($(elapsed) > DEADLINE)) && break
    sleep 1
done

if ! backfill_finished; then
    first=$("$CLUSTER" leader "$QUEUE") || first=1
    kill_node "$first" "leader of $QUEUE"
    wait_resumed
fi
if ! backfill_finished; then
    # "Then another node": the queue's new leader, so a second failover of the work queue
    # happens too; if leadership went back to the first victim, the next node.
    second=$("$CLUSTER" leader "$QUEUE") || second=$((first % 3 + 1))
    why="new leader of $QUEUE"
    [[ $second == "$first" ]] && { second=$((first % 3 + 1)); why="another node"; }
    kill_node "$second" "$why"
    wait_resumed
fi
((KILLS == 2)) || log "the backfill finished after $KILLS node kill(s): use a larger N"

while ! backfill_finished; do
    chaos_past_deadline && break
    sleep 2
done
sleep 1   # one more sample after the end
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=
stop_worker 1
stop_worker 2

# The verdict, from the database and the broker, not from the backfill's own account
# (the same checks as scripts/chaos.sh).
chaos_count
queues=$("$CLUSTER" rabbitmqctl 1 -q list_queues name messages leader online 2>/dev/null || true)
dlq_messages=$(awk -v q="$QUEUE.dlq" '$1 == q { print $2 }' <<<"$queues")

chaos_tally

# Per process and kill: when it moved again after the kill ("resumed"), and the stall
# around the kill (from its last progress before the kill to its first after it). The
# longest gap before the first kill shows the normal rhythm.
report=$(python3 - "$WORK/samples.txt" "$WORK/kills.txt" "$START" "$CHUNKS" "$WORK" <<'EOF'
import datetime, json, math, re, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]

# When each process logged "broker connection re-established", with the stamp's
# resolution: workers log JSON with milliseconds, the CLI text with whole seconds (its
# stamp can then read up to 1 s before the moment, even before the kill).
def reconnects(path):
    out = []
    for line in open(path, errors="replace"):
        if "re-established" not in line:
            continue
        if line.startswith("{"):
            stamp, res = json.loads(line)["time"].replace("Z", "+00:00"), 0.0
        else:
            stamp, res = re.match(r"(\S+)", line).group(1), 1.0
            stamp = stamp[:-2] + ":" + stamp[-2:]
        out.append((datetime.datetime.fromisoformat(stamp).timestamp(), res))
    return out
logs = {1: "worker-1.log", 2: "worker-2.log", 3: "backfill.log"}
try:
    kills = [l.split(None, 4) for l in open(sys.argv[2]) if l.strip()]
except FileNotFoundError:
    kills = []
start, chunks = float(sys.argv[3]), int(sys.argv[4])
names = {1: "worker-1", 2: "worker-2", 3: "backfill"}
longest, unresumed = 0.0, 0

def series(col):
    return [(float(r[0]), int(r[col])) for r in rows if r[col] != "?"]

print("%-9s %-38s %11s %8s %8s" % ("process", "kill", "reconnected", "resumed", "stall"))
for col in (3, 1, 2):
    s = series(col)
    back = reconnects(sys.argv[5] + "/" + logs[col])
    first_kill = float(kills[0][1]) if kills else float("inf")
    changes = [t for (t, v), (_, p) in zip(s[1:], s) if v > p]
    normal = max((b - a for a, b in zip(changes, changes[1:]) if b < first_kill), default=0.0)
    for k, t_kill, node, t_up, why in kills:
        t_kill = float(t_kill)
        before = [(t, v) for t, v in s if t <= t_kill]
        label = "%s: node %s (%s)" % (k, node, why.strip())
        again = [(t, res) for t, res in back if t + res > t_kill]
        if not again:
            rec = "%11s" % "-"
        elif again[0][1]:  # whole seconds: the reconnect came before the next second
            rec = "%11s" % ("<%ds" % max(1, math.ceil(again[0][0] + again[0][1] - t_kill)))
        else:
            rec = "%10.1fs" % (again[0][0] - t_kill)
        if not before:
            print("%-9s %-38s %s %8s" % (names[col], label, rec, "no data")); continue
        v = before[-1][1]
        t0 = min(t for t, x in before if x == v)
        # A worker started again counts from 0: any change is progress.
        later = [t for t, x in s if t > t_kill and x != v]
        if col == 3 and v >= chunks:
            print("%-9s %-38s %s %8s" % (names[col], label, rec, "done")); continue
        if not later:
            unresumed += 1
            print("%-9s %-38s %s %8s" % (names[col], label, rec, "never")); continue
        stall = later[0] - t0
        longest = max(longest, stall)
        print("%-9s %-38s %s %7.1fs %7.1fs" % (names[col], label, rec, later[0] - t_kill, stall))
    print("%-9s %-38s %11s %8s %7.1fs" % (names[col], "(longest gap before kill 1)", "", "", normal))
for k, t_kill, node, t_up, why in kills:
    print("kill %s of node %s at %.0fs, started again at %.0fs" % (k, node, float(t_kill) - start, float(t_up) - start))
print("LONGEST %.1f %d" % (longest, unresumed))
EOF
)
longest=$(awk '$1 == "LONGEST" { print $2 }' <<<"$report")
unresumed=$(awk '$1 == "LONGEST" { print $3 }' <<<"$report")

printf '\n%s\n' "$(grep -v '^LONGEST' <<<"$report")"
chaos_print_backfill
printf 'worker restarts (a worker exited by itself): %s\n' "$WORKER_RESTARTS"
chaos_print_counts
printf 'queues at the end:\n%s\n' "$queues"

chaos_verdict
((KILLS == 2)) || { log "only $KILLS of 2 node kills happened"; verdict=1; }
[[ $unresumed == 0 ]] || { log "$unresumed process(es) never resumed after a kill"; verdict=1; }

VERDICT_DONE=1
"$CLUSTER" down >/dev/null 2>&1 || true
"$STACK" down >/dev/null 2>&1 || true
# Kept either way: the logs show each process's reconnects.
rm -f "$WORK/inputs.jsonl"
log "logs in $WORK"
echo "chaos-cluster: $N inputs, lost $lost, duplicates $duplicates, node kills $KILLS, longest stall ${longest:-?} s"
exit "$verdict"
