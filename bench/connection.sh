#!/usr/bin/env bash
# Connection benchmark: N concurrent desktops with real 4 s keepalives against `lifeline serve`, Socket.IO (same
# heartbeat: pingInterval 4000, pingTimeout 12000) and a raw `ws` baseline, in one run. Prints a Markdown table on
# stdout (progress on stderr) and writes every number to bench/connection/last-run.json.
#
# Usage: bench/connection.sh [--n 1000,10000,19500] [--targets lifeline,socketio,ws-baseline] [--window-s 30]
#                            [--settle-s 8] [--rate 1000] [--silent 200] [--workers 2] [--source-ips 0] [--nice=0]
# Then the timer micro-benchmark (bench/connection/timer-cost.ts). About 20 minutes with the defaults here. See docs/bench-connection.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every socket is a file descriptor: raise the soft limit as far as the hard limit allows (as root, try 100000
# first; in a container without CAP_SYS_RESOURCE the hard limit stays, e.g. 20000, and caps N per process).
ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open files limit: $(ulimit -n); local ports: $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)" >&2
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), node $(node --version), kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $machine" >&2
node --import tsx bench/connection/run.ts --json bench/connection/last-run.json "$@"
echo
echo "Machine: $machine; load average at the end of each window in the last column."
echo
echo "Timer cost without sockets (bench/connection/timer-cost.ts), load $(cut -d' ' -f1-3 /proc/loadavg):"
echo
node --import tsx bench/connection/timer-cost.ts --md
