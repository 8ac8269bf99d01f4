# shellcheck shell=bash
# Shared by scripts/chaos.sh and scripts/chaos-cluster.sh (sourced, not run): the inputs,
# the workers, the resumed backfill CLI and the verdict, so both runs check the same things
# the same way. The caller sets ROOT, N, DEADLINE, BIN, TENANT, WORK, STACK and
# CHAOS_NAME (the log prefix), and for the workers OPS_PORT_BASE and WORKER_LOG_LEVEL,
# for the CLI BACKFILL_ENV and BACKFILL_ARGS (arrays) and BACKFILL_RESUME_DELAY.

log() { printf '%s: %s\n' "$CHAOS_NAME" "$*" >&2; }
psql_value() { "$STACK" psql -qtAc "$1" 2>/dev/null || echo "?"; }
stored() { psql_value "SELECT count(*) FROM documents WHERE tenant_id = '$TENANT'"; }

# chaos_check_binaries MAKE_TARGET: exit 1 unless both binaries are built.
chaos_check_binaries() {
    local binary
    for binary in memgrid memgrid-embedding-worker; do
        [[ -x "$BIN/$binary" ]] || { log "missing $BIN/$binary: run swift build -c release ($1 does)"; exit 1; }
    done
}

# The schema, the tenant's key, and N unique texts in $WORK/inputs.jsonl.
chaos_prepare() {
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
}

declare -A WORKER_PID
start_worker() {
    MEMGRID_OPS_PORT=$((OPS_PORT_BASE + $1)) MEMGRID_LOG_LEVEL=$WORKER_LOG_LEVEL \
        "$BIN/memgrid-embedding-worker" >>"$WORK/worker-$1.log" 2>&1 &
    # shellcheck disable=SC2034  # read by the caller
    WORKER_PID[$1]=$!
}

# The backfill CLI is re-run with the same id whenever a fault makes it exit with an
# error: a re-run resumes from its checkpoints.
BACKFILL_RUNS=0
BACKFILL_PID=
BACKFILL_STATUS=
start_backfill() {
    BACKFILL_RUNS=$((BACKFILL_RUNS + 1))
    env "${BACKFILL_ENV[@]}" "$BIN/memgrid" backfill --tenant "$TENANT" --id chaos --jsonl "$WORK/inputs.jsonl" \
        "${BACKFILL_ARGS[@]}" >"$WORK/summary.txt" 2>>"$WORK/backfill.log" &
    BACKFILL_PID=$!
}
# 0 once the CLI ended for good (BACKFILL_STATUS then holds its exit status); runs the
# caller's backfill_hook first (chaos-cluster.sh restarts exited workers there).
backfill_finished() {
    [[ -n $BACKFILL_STATUS ]] && return 0   # its pid was reaped: a second wait would say 127
    backfill_hook
    kill -0 "$BACKFILL_PID" 2>/dev/null && return 1
    local status=0
    wait "$BACKFILL_PID" || status=$?
    if [[ $status -eq 1 ]]; then
        log "backfill exited with an error (run $BACKFILL_RUNS); resuming it"
        sleep "$BACKFILL_RESUME_DELAY"
        start_backfill
        return 1
    fi
    BACKFILL_STATUS=$status
}
backfill_hook() { :; }

# Seconds since START, which the caller sets when the faults begin.
elapsed() { echo $(($(date +%s) - START)); }

# 0 (and the CLI stopped) once DEADLINE seconds have passed.
chaos_past_deadline() {
    (($(elapsed) > DEADLINE)) || return 1
    log "deadline of ${DEADLINE}s passed; stopping"
    kill "$BACKFILL_PID" 2>/dev/null || true
    BACKFILL_STATUS=deadline
}

# The counts of the verdict, from the database, not from the backfill's own account. Rows
# are keyed by (tenant, input id), so a duplicate would show as a second vector per
# document or a row under an id no input has.
chaos_count() {
    rows=$(psql_value "SELECT count(*) FROM documents WHERE tenant_id = '$TENANT'")
    distinct=$(psql_value "SELECT count(DISTINCT external_id) FROM documents WHERE tenant_id = '$TENANT'")
    strays=$(psql_value "SELECT count(*) FROM documents WHERE tenant_id = '$TENANT' AND NOT (external_id ~ '^doc-[0-9]+$' AND substring(external_id FROM 5)::bigint < $N)")
    vectors=$(psql_value "SELECT count(*) FROM embeddings WHERE tenant_id = '$TENANT' AND target_kind = 'document'")
    vector_targets=$(psql_value "SELECT count(DISTINCT target_id) FROM embeddings WHERE tenant_id = '$TENANT' AND target_kind = 'document'")
    dead_items=$(psql_value "SELECT coalesce(sum(c.items), 0) FROM backfill_chunks c JOIN jobs j ON j.id = c.job_id WHERE c.tenant_id = '$TENANT' AND j.status = 'dead_lettered'")
    dead_reasons=$(psql_value "SELECT count(*) FROM jobs j JOIN backfill_chunks c ON c.job_id = j.id WHERE c.tenant_id = '$TENANT' AND j.status = 'dead_lettered' AND coalesce(j.error, '') = ''")
}

# duplicates, lost and the backfill summary's own counts, after chaos_count.
chaos_tally() {
    duplicates=$((rows - distinct + vectors - vector_targets + strays))
    lost=$((N - distinct - dead_items))
    summary=$(tail -n 1 "$WORK/summary.txt" 2>/dev/null || true)
    summary_done=$(sed -n 's/.*done \([0-9]*\),.*/\1/p' <<<"$summary")
    summary_dead=$(sed -n 's/.*dead-lettered \([0-9]*\),.*/\1/p' <<<"$summary")
}

chaos_print_backfill() {
    printf '\nbackfill runs %s (exit %s): %s\n' "$BACKFILL_RUNS" "$BACKFILL_STATUS" "${summary:-no summary}"
}

# Why the CLI had to be resumed, and the counts (DLQ messages: $dlq_messages).
chaos_print_counts() {
    if ((BACKFILL_RUNS > 1)); then
        echo "why the backfill CLI stopped before it was resumed:"
        grep -i 'error' "$WORK/backfill.log" | sort | uniq -c | head -5 || true
    fi
    printf 'documents %s (distinct ids %s), vectors %s (distinct %s), dead-lettered items %s in %s DLQ messages, without a reason %s\n' \
        "$rows" "$distinct" "$vectors" "$vector_targets" "$dead_items" "${dlq_messages:-?}" "$dead_reasons"
}

# verdict=0 iff the backfill finished, nothing was lost or duplicated, every dead letter
# has a reason, the summary agrees with the database and every document has a vector.
# shellcheck disable=SC2034  # verdict is read by the caller
chaos_verdict() {
    verdict=0
    [[ $BACKFILL_STATUS == 0 || $BACKFILL_STATUS == 2 ]] || { log "the backfill did not finish ($BACKFILL_STATUS)"; verdict=1; }
    ((lost == 0 && duplicates == 0)) || verdict=1
    [[ $dead_reasons == 0 ]] || { log "dead letters without a reason"; verdict=1; }
    [[ $summary_done == "$distinct" && $summary_dead == "$dead_items" ]] || { log "the backfill summary disagrees with the database"; verdict=1; }
    [[ $vector_targets == "$distinct" ]] || { log "documents without a vector"; verdict=1; }
}
