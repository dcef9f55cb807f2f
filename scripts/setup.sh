#!/usr/bin/env bash
# Idempotent setup: npm packages (from package-lock.json) and the Debian packages the demo and tests use.
# Fast when everything is already there (a stamp records the lock file that was installed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
stamp=node_modules/.lifeline-lock-stamp
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  echo "lifeline setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lockhash" > "$stamp"
fi
