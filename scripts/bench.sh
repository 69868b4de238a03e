#!/usr/bin/env bash
# `npm run bench`: installs the tools if needed (FerretDB), builds, then runs the benchmark
# driver (bench/main.ts; setup-tools also builds vegeta, the fixed-rate load generator), which starts every server as its own process, drives load at them
# and writes the tables to stdout and docs/PERFORMANCE.md. Arguments go to the driver
# (`npm run bench -- --quick`); settings are BENCH_* variables (see bench/main.ts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HOTSWAP_SETUP_BENCH=1 bash scripts/setup-tools.sh
echo "[bench] npm run build"
npm run --silent build || { echo "[bench] FAILED: npm run build" >&2; exit 1; }
exec node --enable-source-maps dist/bench/main.js "$@"
