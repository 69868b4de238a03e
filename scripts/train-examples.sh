#!/usr/bin/env bash
# Regenerate the example ONNX models in examples/models/ (see examples/README.md).
#
# Creates (or reuses) a Python virtualenv in .tools/py-examples with the exact versions
# pinned in examples/requirements.txt, then runs examples/train.py. Tests never need
# this: the generated files are committed.
#
#   bash scripts/train-examples.sh                  # train, verify, measure node latency
#   bash scripts/train-examples.sh --skip-node      # skip the onnxruntime-node latency run
#   bash scripts/train-examples.sh --with-optional  # also install requirements-optional.txt
#
# PYTHON=/path/to/python3.11 overrides the interpreter used to create the venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/py-examples"
PYTHON="${PYTHON:-python3}"
REQ="$ROOT/examples/requirements.txt"
REQ_OPT="$ROOT/examples/requirements-optional.txt"

with_optional=0
train_args=()
for arg in "$@"; do
  case "$arg" in
    --with-optional) with_optional=1 ;;
    *) train_args+=("$arg") ;;
  esac
done

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "train-examples: $PYTHON is $("$PYTHON" --version 2>&1); Python >= 3.11 is required" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "train-examples: creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the pinned requirements change.
stamp="$VENV/.requirements.sha256"
want="$(cat "$REQ" $([ "$with_optional" = 1 ] && echo "$REQ_OPT") | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "train-examples: installing pinned requirements"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  if [ "$with_optional" = 1 ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ_OPT"
  fi
  echo "$want" > "$stamp"
fi

# Single-threaded BLAS keeps training bit-for-bit reproducible.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0

cd "$ROOT"
exec "$VENV/bin/python" "$ROOT/examples/train.py" ${train_args[@]+"${train_args[@]}"}
