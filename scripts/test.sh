#!/usr/bin/env bash
# Runs every test: typecheck, lint, unit and integration tests (real sockets, Redis, tcpdump, tshark, Chromium).
# Usage: scripts/test.sh [file-or-dir…]   (default: all of test/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  echo "== typecheck" >&2
  npx tsc --noEmit -p .
  echo "== lint" >&2
  npx biome check
fi
mapfile -t files < <(find "${@:-test}" -name '*.test.ts' | sort)
echo "== ${#files[@]} test files" >&2
exec node --import tsx --test --test-concurrency="${LIFELINE_TEST_CONCURRENCY:-2}" --test-timeout=1200000 --test-force-exit \
  --test-reporter=spec "${files[@]}"
