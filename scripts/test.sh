#!/usr/bin/env bash
# The one test command (`npm test`): tools + node_modules, lint, typecheck, then every jest
# test with coverage. Real services start once, in jest's global setup. Extra arguments go
# to jest (e.g. `npm test -- test/unit`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n[test] %s\n' "$*"; }
fail() { printf '\n[test] FAILED: %s\n' "$*" >&2; exit 1; }

step "setup tools"
bash scripts/setup-tools.sh || fail "scripts/setup-tools.sh"

if compgen -G "eslint.config.*" >/dev/null; then
  step "lint"
  npm run --silent lint || fail "npm run lint"
else
  printf '\n[test] WARNING: no eslint.config.* yet, skipping lint\n' >&2
fi

step "typecheck"
npm run --silent typecheck || fail "npm run typecheck"

step "jest --coverage $*"
npx jest --coverage "$@" || fail "jest"
