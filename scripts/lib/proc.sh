# shellcheck shell=bash
# Process and port helpers shared by scripts/stack.sh and scripts/rabbit-cluster.sh
# (sourced, not run).

# Print the last lines of the given log files (those that exist) to stderr.
show_logs() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        printf -- '----- tail of %s -----\n' "$f" >&2
        tail -n 25 "$f" >&2
    done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A zombie (exited, not yet reaped: some container inits reap late) counts as dead.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]]
}

pidfile_pid() { if [[ -s "$1" ]]; then tr -dc '0-9' <"$1"; fi; }

# A script's usage: its header comment (line 2 up to `set -euo`) on stderr; exit 2.
usage_from_header() {
    sed -n '2,/^set -euo/p' "$1" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
