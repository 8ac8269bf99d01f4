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

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A zombie (exited, not yet reaped) counts as dead.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]]
}

pidfile_pid() { if [[ -s "$1" ]]; then tr -dc '0-9' <"$1"; fi; }

show_logs() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        printf -- '----- tail of %s -----\n' "$f" >&2
        tail -n 25 "$f" >&2
    done
}

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

# Environment of node N for the server and the CLI alike (as stack.sh's rmq_env), so
# both agree on node name, cookie and epmd port.
node_env() {
    local n=$1 dir
    dir=$(node_dir "$n")
    export HOME="$HOME_DIR"
    export RABBITMQ_NODENAME
    RABBITMQ_NODENAME=$(node_name "$n")
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT
    RABBITMQ_NODE_PORT=$(node_port "$n")
    export RABBITMQ_DIST_PORT=$((DIST_PORT + n - 1))
    # The CLI's own distribution ports: away from the nodes' AMQP and distribution ports.
    export RABBITMQ_CTL_DIST_PORT_MIN=$((DIST_PORT + 10))
    export RABBITMQ_CTL_DIST_PORT_MAX=$((DIST_PORT + 29))
    export ERL_EPMD_PORT="$EPMD_PORT"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export RABBITMQ_MNESIA_BASE="$dir/mnesia"
    export RABBITMQ_LOG_BASE="$dir/log"
    export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
    export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"   # not /etc/rabbitmq/...
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    unset RABBITMQ_USE_LONGNAME
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

write_config() {
    local n=$1 dir
    dir=$(node_dir "$n")
    mkdir -p "$dir/mnesia" "$dir/log"
    printf '[].\n' >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"
    cat >"$dir/rabbitmq.conf" <<EOF
# generated by scripts/rabbit-cluster.sh
listeners.tcp.default = 127.0.0.1:$(node_port "$n")
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
}

# Start node N and wait until it booted. Its data folder decides whether it is a fresh
# node or a cluster member coming back (then it finds its peers through its mnesia data).
start_node() {
    local n=$1 port out pid
    port=$(node_port "$n")
    if node_running "$n"; then
        log "node $n: already up on 127.0.0.1:$port"
        return 0
    fi
    port_open "$port" && die "node $n: port $port is in use by another process (set MEMGRID_CLUSTER_AMQP_PORT)"
    write_config "$n"
    out="$(node_dir "$n")/log/stdout.log"
    log "node $n: starting $(node_name "$n") on 127.0.0.1:$port"
    (
        node_env "$n"
        cd "$(node_dir "$n")"
        exec 9>&-   # don't hand the lock to the daemon
        exec setsid nohup "$RMQ_SBIN/rabbitmq-server" </dev/null >>"$out" 2>&1
    ) &
    pid=$!
    # SECONDS, not a loop count: on busy cores one rabbitmqctl call alone can take seconds.
    local since=$SECONDS
    while ((SECONDS - since < TIMEOUT)); do
        if port_open "$port" && ctl "$n" -q await_startup --timeout 30 >/dev/null 2>&1; then
            log "node $n: up after $((SECONDS - since))s"
            return 0
        fi
        if ! pid_alive "$pid"; then
            show_logs "$out" "$(node_log "$n")"
            die "node $n: server exited during startup (logs above)"
        fi
        sleep 1
    done
    show_logs "$out" "$(node_log "$n")"
    die "node $n: not up after ${TIMEOUT}s (logs above)"
}

stop_node() {
    local n=$1 pid i
    pid=$(pidfile_pid "$(node_pidfile "$n")")
    if ! pid_alive "$pid"; then
        log "node $n: not running"
        return 0
    fi
    log "node $n: stopping"
    ctl "$n" -q stop "$(node_pidfile "$n")" >/dev/null 2>&1 && return 0
    log "node $n: rabbitmqctl stop failed, sending SIGTERM to $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < TIMEOUT; i++)); do
        pid_alive "$pid" || return 0
        sleep 1
    done
    log "node $n: still alive after ${TIMEOUT}s, SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

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
    # The private epmd goes too, once no node is registered with it.
    local names
    if names=$(node_env 1 && epmd -names 2>/dev/null); then
        if grep -q '^name ' <<<"$names"; then
            log "epmd on port $EPMD_PORT still has nodes registered; leaving it"
        else
            (node_env 1 && epmd -kill >/dev/null 2>&1) || log "could not stop epmd on port $EPMD_PORT"
        fi
    fi
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

usage() {
    sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

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
