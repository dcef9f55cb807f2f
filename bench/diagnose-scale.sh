#!/usr/bin/env bash
# diagnose scaling (issue 16): `lifeline diagnose` vs `lifeline capture inspect` on real-shaped captures of many
# desktops (bench/desktops-gen.ts) at 1×, 2×, 4× a base size: CPU (user+sys), wall and peak RSS per run
# (/usr/bin/time), the diagnose/inspect CPU ratio per pair, and the growth exponent log(cost 4×/cost 1×)/log 4.
# Files go to $BENCH_DIR (default /tmp), never into the repo.
# Usage: bench/diagnose-scale.sh [BASE_MIB=256]  — results: a Markdown table on stdout.
# Env: PAIRS (default 1) inspect/diagnose pairs per size, run A B A B; TIMEOUT (default 1800) seconds per run;
#      LIFELINE (default this checkout's bin/lifeline.js) to measure another checkout (e.g. main before a change);
#      DESKTOPS (default 500); SIZES to override the list (MiB, space-separated).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
base="${1:-256}"
dir="${BENCH_DIR:-/tmp}/lifeline-diagnose-bench"
mkdir -p "$dir"
pairs="${PAIRS:-1}"
limit="${TIMEOUT:-1800}"
lifeline="${LIFELINE:-$here/bin/lifeline.js}"
desktops="${DESKTOPS:-500}"
sizes="${SIZES:-$base $((base * 2)) $((base * 4))}"
[ -x /usr/bin/time ] || { echo "GNU time is required: apt-get install time" >&2; exit 5; }
# Per-invocation scratch (two invocations may share $dir: one measuring main, one this branch).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# measure FILE CMD… → "cpu_s wall_s rss_mib status" (status: ok, timeout, or the exit code)
measure() {
  local file="$1"
  shift
  cat "$file" >/dev/null # page cache warm for both commands alike
  local rc=0
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time.out" timeout "$limit" "$@" >/dev/null 2>"$tmp/stderr.out" || rc=$?
  local wall user sys rss
  read -r wall user sys rss < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$tmp/time.out" | tail -1)
  local status=ok
  [ "$rc" -eq 124 ] && status="timeout ${limit}s"
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && status="exit $rc"
  printf '%s %s %s %s\n' "$(echo "$user + $sys" | bc)" "$wall" "$((rss / 1024))" "$status"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node --version)"
echo "lifeline: $lifeline ($(git -C "$(dirname "$lifeline")" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $sizes; do
  f="$dir/desktops-${s}m.pcap"
  [ -s "$f" ] || node --import tsx "$here/bench/desktops-gen.ts" "$f" "$s" "$desktops" >&2
done
echo
echo "| file | pair | inspect CPU s | inspect peak RSS MiB | diagnose CPU s | diagnose wall s | diagnose peak RSS MiB | diagnose/inspect CPU | diagnose status |"
echo "|---|---|---|---|---|---|---|---|---|"
declare -A dcpu icpu drss
for s in $sizes; do
  f="$dir/desktops-${s}m.pcap"
  for p in $(seq 1 "$pairs"); do
    read -r ic _iw ir _is < <(measure "$f" node "$lifeline" capture inspect "$f" --json)
    read -r dc dw dr ds < <(measure "$f" node "$lifeline" diagnose "$f" --json)
    ratio=$(echo "scale=2; $dc / $ic" | bc)
    echo "| $(basename "$f") ($(stat -L -c %s "$f") B) | $p | $ic | $ir | $dc | $dw | $dr | $ratio | $ds |"
    # The last pair's figures stand for the size in the exponent (medians need PAIRS ≥ 3; see BENCHMARKS.md).
    dcpu[$s]=$dc
    icpu[$s]=$ic
    drss[$s]=$dr
  done
done
first=$(echo "$sizes" | awk '{print $1}')
last=$(echo "$sizes" | awk '{print $NF}')
exp() { echo "scale=2; l($2 / $1) / l($last / $first)" | bc -l; }
echo
echo "growth exponent ${first}→${last} MiB: diagnose CPU $(exp "${dcpu[$first]}" "${dcpu[$last]}"), inspect CPU $(exp "${icpu[$first]}" "${icpu[$last]}"), diagnose peak RSS $(exp "${drss[$first]}" "${drss[$last]}")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
