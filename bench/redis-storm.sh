#!/usr/bin/env bash
# Redis scale-out benchmark (issue 7): a reconnect storm — N desktops (default 10 000) on 3 `lifeline serve` nodes
# sharing one private redis-server drop at once and resume with resumeFrom on the NEXT node — and per-notification
# latency through Redis vs the memory store (1 node, and 3 nodes with the publish on another node). Prints Markdown
# tables on stdout (progress on stderr) and writes every number to bench/results/redis-storm-<time>.json.
#
# Usage: bench/redis-storm.sh [--desktops 10000] [--loadgens 2] [--before 1] [--during 5]
#                             [--policy desktop|retry-after] [--pool 0] [--publish-concurrency 64] [--nice=0]
#                             [--latency-desktops 1000] [--latency-rate 500] [--latency-s 10]
#                             [--phases storm,latency] [--resume-shift 1] [--nodes 3] [--storm-store redis|memory]
#                             [--fault none|flush] [--json FILE] [--max-run-s 900]
# About 1.5–2 minutes with the defaults. Needs the Debian package redis-server. See docs/bench-redis.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every socket is a file descriptor (a node holds ~N/3 sockets, a load generator N/2).
ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), node $(node --version), $(redis-server --version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)" >&2
exec node --import tsx bench/redis-storm/run.ts "$@"
