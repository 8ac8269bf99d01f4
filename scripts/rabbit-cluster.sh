#!/usr/bin/env bash
# A local 3-node RabbitMQ cluster for tests (`make chaos-cluster`): three nodes on
# loopback with their own names, ports and data folders, joined into one cluster, run
# from the Debian rabbitmq-server package the same way scripts/stack.sh runs its node.
#
#   scripts/rabbit-cluster.sh up                  start the three nodes and join 2, 3 to 1
#   scripts/rabbit-cluster.sh down                stop every node (data kept)
#   scripts/rabbit-cluster.sh status              one line per node; exit 0 iff all up
#   scripts/rabbit-cluster.sh env                 export MEMGRID_AMQP_URL=… naming all nodes
#   scripts/rabbit-cluster.sh kill N              kill -9 node N (its beam process)
#   scripts/rabbit-cluster.sh start N             start node N again (it rejoins from its data)
#   scripts/rabbit-cluster.sh leader QUEUE        the number of the node leading a quorum queue
#   scripts/rabbit-cluster.sh rabbitmqctl N ARGS  rabbitmqctl against node N
#
# Node N (1..3) is memgrid-cN@localhost. Progress messages go to stderr; `env`, `leader`
# and `rabbitmqctl` print on stdout.
#
# Settings (environment; the values used by the last `up` are remembered in
# <dir>/ports.env, explicit environment variables win over them):
#   MEMGRID_CLUSTER_DIR        (<repo>/.stack-cluster)  state: one folder per node
#   MEMGRID_CLUSTER_AMQP_PORT  (45681)  AMQP port of node 1; node N listens on +N-1
#   MEMGRID_CLUSTER_DIST_PORT  (45701)  Erlang distribution port of node 1; node N: +N-1.
#                                       The CLI uses DIST_PORT+10 .. DIST_PORT+29
#   MEMGRID_CLUSTER_EPMD_PORT  (44379)  the cluster's private epmd (loopback only)
#   MEMGRID_CLUSTER_TIMEOUT    (90)     seconds to wait for a node
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/rabbit-cluster.sh"
CLUSTER_DIR=${MEMGRID_CLUSTER_DIR:-$ROOT/.stack-cluster}

if [[ -f "$CLUSTER_DIR/ports.env" ]]; then
    # shellcheck disable=SC1091
    source "$CLUSTER_DIR/ports.env"
fi
AMQP_PORT=${MEMGRID_CLUSTER_AMQP_PORT:-45681}
DIST_PORT=${MEMGRID_CLUSTER_DIST_PORT:-45701}
EPMD_PORT=${MEMGRID_CLUSTER_EPMD_PORT:-44379}
TIMEOUT=${MEMGRID_CLUSTER_TIMEOUT:-90}
NODES=(1 2 3)
RMQ_SBIN=/usr/lib/rabbitmq/bin
# Nodes of one cluster must share an Erlang cookie: they (and the CLI) all use this HOME.
HOME_DIR="$CLUSTER_DIR/home"
DLQ_MAX_LENGTH=${MEMGRID_STACK_DLQ_MAX_LENGTH:-100000}

log() { printf 'rabbit-cluster: %s\n' "$*" >&2; }
die() { printf 'rabbit-cluster: ERROR: %s\n' "$*" >&2; exit 1; }

# show_logs, port_open, pid_alive, pidfile_pid, and the node environment, config, start
# and stop that scripts/stack.sh uses for its single node.
# shellcheck source=scripts/lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"
# shellcheck source=scripts/lib/rabbitmq.sh
source "$ROOT/scripts/lib/rabbitmq.sh"

check_node() { [[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"; }

node_name() { printf 'memgrid-c%s@localhost' "$1"; }
node_port() { echo $((AMQP_PORT + $1 - 1)); }
node_dir() { printf '%s/node%s' "$CLUSTER_DIR" "$1"; }
node_pidfile() { printf '%s/rabbitmq.pid' "$(node_dir "$1")"; }
node_log() { printf '%s/log/%s.log' "$(node_dir "$1")" "$(node_name "$1")"; }

# Serialise up/down/start so parallel callers don't race; daemons get fd 9 closed.
take_lock() {
    mkdir -p "$CLUSTER_DIR"
    exec 9>"$CLUSTER_DIR/.lock"
    flock -w 300 9 || die "could not lock $CLUSTER_DIR/.lock"
}

# Environment of node N for the server and the CLI alike. The CLI's own distribution ports
# (DIST_PORT+10 .. DIST_PORT+29) are away from the nodes' AMQP and distribution ports.
node_env() {
    local n=$1
    rmq_export_env "$HOME_DIR" "$(node_name "$n")" "$(node_dir "$n")" "$(node_dir "$n")/log" "$(node_pidfile "$n")" \
        "$(node_port "$n")" $((DIST_PORT + n - 1)) $((DIST_PORT + 10)) $((DIST_PORT + 29)) "$EPMD_PORT"
}

ctl() {
    local n=$1
    shift
    (node_env "$n" && exec "$RMQ_SBIN/rabbitmqctl" "$@")
}

node_running() { pid_alive "$(pidfile_pid "$(node_pidfile "$1")")" && port_open "$(node_port "$1")"; }

write_cookie() {
    mkdir -p "$HOME_DIR"
    chmod 700 "$HOME_DIR"
    local cookie="$HOME_DIR/.erlang.cookie"
    if [[ ! -s "$cookie" ]]; then
        rm -f "$cookie"
        # 40 random hex digits (Erlang accepts any printable cookie).
        (umask 077 && od -An -tx1 -N20 /dev/urandom | tr -d ' \n' | tr a-f A-F >"$cookie")
    fi
    # Erlang refuses a cookie file others can read.
    chmod 400 "$cookie"
}

write_config() { rmq_write_node_config "$(node_dir "$1")" "$(node_dir "$1")/log" "$(node_port "$1")" scripts/rabbit-cluster.sh; }

# Start node N and wait until it booted. Its data folder decides whether it is a fresh
# node or a cluster member coming back (then it finds its peers through its mnesia data).
start_node() {
    local n=$1 port out
    port=$(node_port "$n")
    if node_running "$n"; then
        log "node $n: already up on 127.0.0.1:$port"
        return 0
    fi
    port_open "$port" && die "node $n: port $port is in use by another process (set MEMGRID_CLUSTER_AMQP_PORT)"
    write_config "$n"
    out="$(node_dir "$n")/log/stdout.log"
    log "node $n: starting $(node_name "$n") on 127.0.0.1:$port"
    rmq_spawn "$(node_dir "$n")" "$out" append node_env "$n"
    # SECONDS, not a loop count: on busy cores one rabbitmqctl call alone can take seconds.
    rmq_await_boot "node $n: " "$RMQ_SERVER_PID" "$port" "$TIMEOUT" seconds "$out" "$(node_log "$n")" ctl "$n"
}

stop_node() { rmq_stop_node "node $1: " "$(node_pidfile "$1")" "$TIMEOUT" 1 ctl "$1"; }

# Whether node N already counts node 1 as a cluster peer (a re-run of `up`).
joined() {
    ctl "$1" -q cluster_status --formatter json 2>/dev/null | grep -q "\"$(node_name 1)\""
}

join_node() {
    local n=$1
    joined "$n" && return 0
    log "node $n: joining $(node_name 1)"
    ctl "$n" -q stop_app >/dev/null
    # join_cluster logs harmless "Failed to create a tracked connection table" errors for
    # the stopped app; show its output only if it fails.
    local out
    out=$(ctl "$n" -q join_cluster "$(node_name 1)" 2>&1) || { printf '%s\n' "$out" >&2; die "node $n: join_cluster failed"; }
    ctl "$n" -q start_app >/dev/null
    ctl "$n" -q await_startup --timeout 60 >/dev/null
}

# Policies are cluster-wide; set once on node 1. A queue gets at most one policy (the
# highest-priority match), so the two patterns must not overlap: `\.dlq$` never matches
# a name ending in `.rpc` or `.retry.N`, and the other pattern never one ending in `.dlq`.
#  - memgrid-dead-letters: dead-letter queues bounded as scripts/stack.sh bounds them.
#  - memgrid-classic-ha: the classic queues (`<prefix>.<queue>.rpc`, `<prefix>.<queue>.retry.N`,
#    any prefix without dots) mirrored to every node.
#    Without it a classic durable queue lives only on the node that declared it, and while
#    that node is down every process fails to re-declare it (404 "home node ... is down
#    or inaccessible") and cannot resume. Classic mirroring is deprecated in 3.x but works
#    in 3.10 (the Debian package here) and on DMS. Quorum queues ignore ha-* keys and the
#    pattern does not match them anyway.
HA_POLICY_PATTERN='^[^.]+\.[^.]+\.(rpc|retry\.[0-9]+)$'
HA_POLICY='{"ha-mode":"all","ha-sync-mode":"automatic","ha-promote-on-shutdown":"always","ha-promote-on-failure":"always"}'
set_policies() {
    ctl 1 -q set_policy --apply-to queues --priority 1 memgrid-dead-letters '\.dlq$' \
        "{\"max-length\":$DLQ_MAX_LENGTH,\"overflow\":\"reject-publish\"}" >/dev/null \
        || log "could not set the dead-letter queue policy"
    ctl 1 -q set_policy --apply-to queues --priority 1 memgrid-classic-ha "$HA_POLICY_PATTERN" "$HA_POLICY" >/dev/null \
        || log "could not set the classic queue mirroring policy"
}

save_settings() {
    mkdir -p "$CLUSTER_DIR"
    cat >"$CLUSTER_DIR/ports.env" <<EOF
# written by scripts/rabbit-cluster.sh up; environment variables override these
: "\${MEMGRID_CLUSTER_AMQP_PORT:=$AMQP_PORT}"
: "\${MEMGRID_CLUSTER_DIST_PORT:=$DIST_PORT}"
: "\${MEMGRID_CLUSTER_EPMD_PORT:=$EPMD_PORT}"
EOF
}

# A node that is up, to ask about the cluster (any member answers for all).
live_node() {
    local n
    for n in "${NODES[@]}"; do
        node_running "$n" && { echo "$n"; return 0; }
    done
    return 1
}

cmd_up() {
    command -v "$RMQ_SBIN/rabbitmq-server" >/dev/null || die "rabbitmq-server not installed: run scripts/stack.sh install"
    take_lock
    local n all_up=1
    for n in "${NODES[@]}"; do node_running "$n" || all_up=0; done
    if ((all_up)) && joined 2 && joined 3; then
        log "already up on 127.0.0.1:$(node_port 1)-$(node_port 3)"
        set_policies   # idempotent: a cluster started by an older version gets them too
        cmd_env
        return 0
    fi
    save_settings
    write_cookie
    for n in "${NODES[@]}"; do start_node "$n"; done
    join_node 2
    join_node 3
    set_policies
    log "cluster up: $(node_name 1), $(node_name 2), $(node_name 3)"
    cmd_env
}

cmd_down() {
    take_lock
    local n
    # The joined nodes first, node 1 last: a cluster restarts cleanly from the node that
    # stopped last, and `up` starts node 1 first.
    for n in 3 2 1; do stop_node "$n"; done
    rmq_stop_epmd "" "$EPMD_PORT" node_env 1
}

cmd_status() {
    local ok=0 n state
    for n in "${NODES[@]}"; do
        if node_running "$n"; then state=up; else state=down; ok=1; fi
        printf 'node %s %-5s %-22s port %-6s %s\n' "$n" "$state" "$(node_name "$n")" "$(node_port "$n")" "$(node_dir "$n")"
    done
    return "$ok"
}

cmd_env() {
    printf "export MEMGRID_AMQP_URL='amqp://guest:guest@127.0.0.1:%s,127.0.0.1:%s,127.0.0.1:%s/'\n" \
        "$(node_port 1)" "$(node_port 2)" "$(node_port 3)"
}

# kill -9 of the node's Erlang VM: a crash, not a shutdown (no goodbye to peers or clients).
cmd_kill() {
    local n=$1 pid
    check_node "$n"
    pid=$(pidfile_pid "$(node_pidfile "$n")")
    pid_alive "$pid" || die "node $n is not running"
    log "node $n: kill -9 $pid"
    kill -KILL "$pid"
    local i
    for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    die "node $n: pid $pid still alive after kill -9"
}

cmd_leader() {
    local queue=$1 n leader
    n=$(live_node) || die "no node is up"
    leader=$(ctl "$n" -q list_queues name leader 2>/dev/null | awk -v q="$queue" '$1 == q { print $2 }')
    [[ -n "$leader" ]] || die "no quorum queue '$queue' (or it has no leader)"
    [[ "$leader" =~ ^memgrid-c([0-9]+)@ ]] || die "unexpected leader '$leader'"
    echo "${BASH_REMATCH[1]}"
}

usage() { usage_from_header "$SELF"; }

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        up) cmd_up ;;
        down) cmd_down ;;
        status) cmd_status ;;
        env) cmd_env ;;
        kill) cmd_kill "${1:-}" ;;
        start)
            check_node "${1:-}"
            take_lock
            start_node "$1"
            ;;
        leader) [[ -n "${1:-}" ]] || usage; cmd_leader "$1" ;;
        rabbitmqctl)
            check_node "${1:-}"
            [[ -d "$HOME_DIR" ]] || die "no cluster under $CLUSTER_DIR: run scripts/rabbit-cluster.sh up"
            local n=$1
            shift
            node_env "$n"
            exec "$RMQ_SBIN/rabbitmqctl" "$@"
            ;;
        *) usage ;;
    esac
}

main "$@"
