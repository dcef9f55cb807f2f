#!/usr/bin/env bash
# Capture reader benchmark: `lifeline capture inspect` vs tshark vs cat on a generated ≥ 1 GiB pcap (and a half-size
# one to show that memory does not grow with the file). Files go to $BENCH_DIR (default /tmp), never into the repo.
# Usage: bench/capture.sh [SIZE_MIB]   (default 1100)   — results: a Markdown table on stdout.
# Only: BENCH_ONLY=lifeline|tshark|cat to run one tool. Needs tshark and /usr/bin/time (GNU time; falls back to
# reading VmHWM from /proc when it is missing).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size="${1:-1100}"
dir="${BENCH_DIR:-/tmp}/lifeline-capture-bench"
mkdir -p "$dir"
big="$dir/bench-${size}m.pcap"
half="$dir/bench-$((size / 2))m.pcap"
only="${BENCH_ONLY:-all}"
command -v tshark >/dev/null || { echo "tshark is required: apt-get install tshark" >&2; exit 5; }

[ -s "$big" ] || node --import tsx "$here/bench/capture-gen.ts" "$big" "$size" >&2
[ -s "$half" ] || node --import tsx "$here/bench/capture-gen.ts" "$half" "$((size / 2))" >&2

# measure LABEL FILE CMD… → "label<TAB>file<TAB>wall s<TAB>user+sys s<TAB>max RSS MiB"
measure() {
  local label="$1" file="$2"
  shift 2
  cat "$file" >/dev/null # page cache warm for every tool alike
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %U %S %M' -o "$dir/time.out" "$@" >/dev/null 2>"$dir/stderr.out" || true
    read -r wall user sys rss <"$dir/time.out"
  else
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$dir/stderr.out" &
    local pid=$! hwm=0
    while kill -0 "$pid" 2>/dev/null; do
      h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ "${h:-0}" -gt "$hwm" ] && hwm=$h
      sleep 0.05
    done
    wait "$pid" || true
    end=$(date +%s.%N)
    wall=$(echo "$end - $start" | bc)
    user=0 sys=0 rss=$hwm
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$(basename "$file")" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}

packets() { capinfos -c -M "$1" 2>/dev/null | awk '/Number of packets/ {print $NF}'; }

run() {
  local f="$1"
  case "$only" in all | cat) measure "cat F > /dev/null" "$f" cat "$f" ;; esac
  case "$only" in all | lifeline) measure "lifeline capture inspect F --json" "$f" node "$here/bin/lifeline.js" capture inspect "$f" --json ;; esac
  case "$only" in all | tshark)
    measure "tshark -r F -q -z conv,tcp" "$f" tshark -r "$f" -q -z conv,tcp
    measure "tshark -r F -Y 'tcp.analysis.flags || websocket'" "$f" tshark -r "$f" -d tcp.port==80,http -Y "tcp.analysis.flags || websocket"
    ;;
  esac
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node --version), $(tshark --version | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$big" "$half"; do
  echo "$(basename "$f"): $(stat -L -c %s "$f") bytes, $(packets "$f") packets"
done
echo
echo "| command | file | wall s | CPU s (user+sys) | peak RSS MiB |"
echo "|---|---|---|---|---|"
for f in "$big" "$half"; do
  run "$f" | awk -F'\t' '{gsub(/\|/, "\\|", $1); printf "| `%s` | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
done
