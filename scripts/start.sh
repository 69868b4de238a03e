#!/usr/bin/env bash
# `npm start`: installs the tools if needed, builds, then runs the local stack supervisor
# (ops/stack.ts) in place of this shell. package.json's start script is `exec bash ...` for the
# same reason: npm forwards SIGINT and SIGTERM only to its direct child, so that child must be
# the supervisor, not a shell waiting on it (a shell in between ignored SIGINT and died of
# SIGTERM, leaving the stack running).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup-tools.sh
if [[ -n "${HOTSWAP_DIST_DIR:-}" && "$(cd "$HOTSWAP_DIST_DIR" 2>/dev/null && pwd)" != "$ROOT/dist" ]]; then
  echo "[start] using the build in HOTSWAP_DIST_DIR=$HOTSWAP_DIST_DIR (not building dist/)"
else
  echo "[start] npm run build"
  npm run --silent build || { echo "[start] FAILED: npm run build" >&2; exit 1; }
fi
exec node --enable-source-maps "${HOTSWAP_DIST_DIR:-dist}/ops/stack.js" "$@"
