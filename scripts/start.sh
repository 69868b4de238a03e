#!/usr/bin/env bash
# `npm start`: installs the tools if needed, builds, then runs the local stack supervisor
# (ops/stack.ts) in place of this shell, so Ctrl-C reaches it directly.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup-tools.sh
echo "[start] npm run build"
npm run --silent build || { echo "[start] FAILED: npm run build" >&2; exit 1; }
exec node --enable-source-maps dist/ops/stack.js "$@"
