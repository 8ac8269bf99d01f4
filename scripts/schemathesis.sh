#!/usr/bin/env bash
# Schemathesis against a running memgrid gateway: does the gateway answer what its
# OpenAPI document (Sources/Gateway/Resources/openapi.yaml) says, and does the document
# describe what the gateway accepts? Needs a gateway that is already up, with the stack
# and all three workers behind it.
#
#   MEMGRID_SCHEMATHESIS_URL=http://127.0.0.1:18480 MEMGRID_SCHEMATHESIS_KEY=mg_… \
#       scripts/schemathesis.sh [extra `st run` options]
#
# Environment:
#   MEMGRID_SCHEMATHESIS_URL      (required) the gateway's API base URL
#   MEMGRID_SCHEMATHESIS_KEY      (required) an API key with the `admin` scope, of a tenant
#                                 kept for this test: the run adds, edits and erases its data
#   MEMGRID_SCHEMATHESIS_OPS_URL  the gateway's operations port (http://127.0.0.1:9100):
#                                 also checks /healthz, /readyz and /metrics there
#   MEMGRID_SCHEMATHESIS_SCHEMA   the document to check (default: the repository's file;
#                                 `$MEMGRID_SCHEMATHESIS_URL/openapi.yaml` = the served one)
#   MEMGRID_SCHEMATHESIS_MAX_EXAMPLES  (25) test cases per operation and phase
#   MEMGRID_SCHEMATHESIS_REPORT_DIR    where the full output and JUnit reports go
#                                      (default: a new directory under $TMPDIR)
#   MEMGRID_SCHEMATHESIS_EMBED_MODEL, MEMGRID_SCHEMATHESIS_EMBED_DIMENSIONS
#                                 the served embedding model (all-MiniLM-L6-v2, 384)
#
# The gateway under test should run with MEMGRID_GATEWAY_RATE_LIMIT_PER_MINUTE=0 (a run
# sends a few thousand requests; 429s are documented, so they pass, but test nothing),
# and, with the proactive worker, MEMGRID_WEBHOOK_ALLOW_HTTP=true and
# MEMGRID_WEBHOOK_ALLOWED_HOSTS=127.0.0.1: scripts/schemathesis_hooks.py points every
# generated webhook URL at 127.0.0.1:9 so no event ever leaves the machine. With no LLM
# provider configured, chat answers its documented 503 no_llm_provider.
#
# Deterministic: the same document and gateway give the same requests (schemathesis's
# deterministic generation, no example database, no crash cache). About a minute with
# the defaults. Schemathesis comes from PyPI into .venv-schemathesis
# (scripts/schemathesis-requirements.txt), reinstalled when that file changes. Checks:
# no 5xx other than documented ones, status codes, content types, headers and bodies as
# documented, schema-invalid requests rejected, schema-valid requests accepted; settings
# in scripts/schemathesis.toml, request repairs in scripts/schemathesis_hooks.py.
#
# Prints the failures (if any) and where the full output is on stderr, then one summary
# line on stdout, counting API operations:
#   schemathesis: N passed, M failed
# and exits non-zero when any operation failed or schemathesis itself failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-schemathesis"
REQUIREMENTS="$ROOT/scripts/schemathesis-requirements.txt"
STAMP="$VENV/.requirements.sha256"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance

die() { printf 'schemathesis: %s\n' "$*" >&2; exit 2; }

URL=${MEMGRID_SCHEMATHESIS_URL:-}
KEY=${MEMGRID_SCHEMATHESIS_KEY:-}
[[ -n "$URL" ]] || die "set MEMGRID_SCHEMATHESIS_URL to the gateway's base URL (e.g. http://127.0.0.1:18480)"
[[ -n "$KEY" ]] || die "set MEMGRID_SCHEMATHESIS_KEY to an API key with the admin scope"
URL=${URL%/}
OPS_URL=${MEMGRID_SCHEMATHESIS_OPS_URL:-}
OPS_URL=${OPS_URL%/}
SCHEMA=${MEMGRID_SCHEMATHESIS_SCHEMA:-$ROOT/Sources/Gateway/Resources/openapi.yaml}
MAX_EXAMPLES=${MEMGRID_SCHEMATHESIS_MAX_EXAMPLES:-25}
[[ "$MAX_EXAMPLES" =~ ^[1-9][0-9]*$ ]] || die "MEMGRID_SCHEMATHESIS_MAX_EXAMPLES must be a positive integer"

want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [[ ! -x "$VENV/bin/python" || "$(cat "$STAMP" 2>/dev/null)" != "$want" ]]; then
    echo "schemathesis: installing into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$want" >"$STAMP"
fi

"$VENV/bin/python" - "$URL" <<'EOF' || die "no gateway answers at $URL/healthz"
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=10).read()
except Exception as error:
    sys.exit(f"schemathesis: {error}")
EOF

REPORT_DIR=${MEMGRID_SCHEMATHESIS_REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/memgrid-schemathesis.XXXXXX")}
mkdir -p "$REPORT_DIR"
# Hypothesis keeps a directory of its own (in the working directory by default).
export HYPOTHESIS_STORAGE_DIRECTORY="$REPORT_DIR/hypothesis"
export SCHEMATHESIS_HOOKS="$ROOT/scripts/schemathesis_hooks.py"

# st run NAME BASE_URL PHASES [options]: full output in $REPORT_DIR/NAME.txt, JUnit in NAME.xml.
run() {
    local name=$1 base=$2 phases=$3
    shift 3
    local status=0
    "$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run "$SCHEMA" \
        --url "$base" --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" \
        --phases "$phases" --continue-on-failure \
        --request-timeout 30 --no-color --output-truncate true \
        --report junit --report-junit-path "$REPORT_DIR/$name.xml" \
        "$@" >"$REPORT_DIR/$name.txt" 2>&1 || status=$?
    return "$status"
}

started=$(date +%s)
status=0
# /readyz and /metrics are served on the operations port only. /mcp speaks the Model
# Context Protocol, whose errors are the protocol's: the official MCP client tests it
# (Tests/Clients/mcp_client.py).
run api "$URL" examples,coverage,fuzzing,stateful -H "Authorization: Bearer $KEY" \
    --exclude-path /readyz --exclude-path /metrics --exclude-path /mcp "$@" || status=$?
reports=("$REPORT_DIR/api.xml")
outputs=("$REPORT_DIR/api.txt")
if [[ -n "$OPS_URL" ]]; then
    # No links among these three: no stateful phase.
    run ops "$OPS_URL" examples,coverage,fuzzing \
        --include-path /healthz --include-path /readyz --include-path /metrics "$@" || status=$?
    reports+=("$REPORT_DIR/ops.xml")
    outputs+=("$REPORT_DIR/ops.txt")
fi
elapsed=$(( $(date +%s) - started ))

# Failures (if any) on stderr, then one summary line, from the JUnit reports.
"$VENV/bin/python" - "$status" "$elapsed" "$REPORT_DIR" "${#reports[@]}" "${reports[@]}" "${outputs[@]}" <<'EOF'
import os, re, sys
import xml.etree.ElementTree as ET
from collections import Counter

status, elapsed, report_dir, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
reports, outputs = sys.argv[5:5 + count], sys.argv[5 + count:]
passed = failed = skipped = 0
codes = Counter()
missing = []
for path in reports:
    if not os.path.exists(path):
        missing.append(path)
        continue
    for case in ET.parse(path).getroot().iter("testcase"):
        problems = case.findall("failure") + case.findall("error")
        if problems:
            failed += 1
            for problem in problems:
                text = (problem.text or "") + " " + (problem.get("message") or "")
                codes.update(set(re.findall(r"\bST\d{3}\b", text)) or {problem.tag})
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
if failed or status or missing:
    for path in outputs:
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        start = text.find("=== FAILURES ===")
        start = text.rfind("\n", 0, start) + 1 if start >= 0 else 0
        # The failures, or the whole output when schemathesis failed before testing.
        sys.stderr.write(text[start:] if start else text)
detail = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
note = f"; failures: {detail}" if detail else ""
sys.stderr.write(f"schemathesis: {elapsed}s, exit {status}{note}; full output in {report_dir}\n")
if missing:
    sys.stderr.write(f"schemathesis: no report in {', '.join(missing)}\n")
# A run that failed without a failing operation (schemathesis could not start, the
# gateway went away) still counts as one failure.
if (status or missing) and not failed:
    failed = 1
sys.stderr.flush()
print(f"schemathesis: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
EOF
