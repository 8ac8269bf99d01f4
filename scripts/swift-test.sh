#!/usr/bin/env bash
# `swift test` with the given arguments; when it fails, the failing tests' lines are repeated
# at the end, because a parallel run scrolls them far above the tail a CI log keeps.
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"${SWIFT:-swift}" test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    echo "---- what failed (repeated from above) ----"
    grep -E -A4 'recorded an issue|^✘ Test .* failed|error:|Fatal error' "$log" | grep -v '^✘ Test run' | head -80
fi
exit "$status"
