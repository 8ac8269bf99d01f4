#!/usr/bin/env bash
# Creates the reference venv (.venv-ref, git-ignored) with sentence-transformers
# and torch from PyPI (torch brings several GB of CUDA wheels; only the CPU is used).
# Used only to regenerate the Embeddings fixtures and Unicode tables; see README.md.
# Idempotent: does nothing when the venv can already import both packages.
#
# Versions are pinned to the ones the committed fixtures were made with; override
# with MEMGRID_REF_PACKAGES="sentence-transformers torch" to take the latest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${MEMGRID_REF_VENV:-$ROOT/.venv-ref}"
PYTHON="${PYTHON:-python3}"
PACKAGES="${MEMGRID_REF_PACKAGES:-sentence-transformers==6.2.0 transformers==5.23.0 tokenizers==0.23.3 torch==2.15.0}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sentence_transformers, torch' >/dev/null 2>&1; then
    echo "reference venv ready: $VENV"
    exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
# shellcheck disable=SC2086 # PACKAGES is a list of requirement specifiers
"$VENV/bin/python" -m pip install $PACKAGES

"$VENV/bin/python" - <<'PY'
import sentence_transformers, torch, transformers
print("sentence-transformers", sentence_transformers.__version__)
print("transformers", transformers.__version__)
import tokenizers
print("tokenizers", tokenizers.__version__)
print("torch", torch.__version__)
PY
