#!/usr/bin/env bash
# memgrid deployment checks: Dockerfile, compose, Kubernetes manifests, runtime closure.
# No Docker engine and no cluster needed: everything is rendered and checked against
# schemas and against what the code and docs say (see docs/deployment.md).
#
#   scripts/deploy/check.sh [all|image|compose|k8s|closure] [--build]
#   scripts/deploy/check.sh render [OUT_DIR]      rendered overlays (default .deploy-render/)
#
#   --build   first build the release binaries (swift build -c release
#             --static-swift-stdlib --scratch-path .build-deploy, several minutes) so the
#             runtime-closure check runs; without it that check runs only when the
#             binaries already exist (else it is reported as skipped).
#
# Tools come from PyPI into .venv-deploy (scripts/deploy/requirements.txt); kustomize is
# `kubectl kustomize` (or a `kustomize` binary) from the machine.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.venv-deploy"
REQUIREMENTS="$ROOT/scripts/deploy/requirements.txt"
STAMP="$VENV/.requirements.sha256"

want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [[ ! -x "$VENV/bin/python" || "$(cat "$STAMP" 2>/dev/null)" != "$want" ]]; then
    echo "deploy-check: installing tools into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$want" >"$STAMP"
fi
if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; then
    echo "deploy-check: needs kubectl (kubectl kustomize) or kustomize on PATH" >&2
    exit 1
fi
exec "$VENV/bin/python" "$ROOT/scripts/deploy/check.py" "$@"
