#!/usr/bin/env bash
# Does the async path block? Builds bench/async_server.cpp, runs it in each mode (blocking, pool,
# native: see the top of that file) with one I/O thread and a store whose every call takes 5 ms,
# loads each with wrk (64 connections, one wrk thread) and prints one Markdown table: requests per
# second, latency percentiles, and the store calls per request the server counted.
#
#   tools/async_bench.sh [--duration 10s] [--write] [--no-build]
#
# --write: each request also counts the visit (load + update: two store calls, 10 ms at the least)
# instead of only reading it (one call, 5 ms).
# Environment: SESSIONS_BENCH_BUILD (build directory, default build-bench), SERVER_CPU and WRK_CPU
# (the CPUs the server and wrk are pinned to with taskset; default 0 and 1), POOL_THREADS (64).
# Needs: cmake, ninja, g++, libboost-dev, libbenchmark-dev (bench/ is built as a whole), wrk,
# util-linux (taskset).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SESSIONS_BENCH_BUILD:-$root/build-bench}
duration=10s
write=()
do_build=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --write) write=(--write); shift ;;
    --no-build) do_build=0; shift ;;
    *) echo "usage: $0 [--duration 10s] [--write] [--no-build]" >&2; exit 2 ;;
  esac
done
server_cpu=${SERVER_CPU:-0}
wrk_cpu=${WRK_CPU:-1}
pool_threads=${POOL_THREADS:-64}

if [[ $do_build == 1 ]]; then
  echo "== build (Release, -O2) in $build" >&2
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DSESSIONS_BUILD_BENCHMARKS=ON -DSESSIONS_BUILD_TESTS=OFF -DSESSIONS_BUILD_EXAMPLES=OFF -DSESSIONS_INSTALL=OFF >/dev/null
  cmake --build "$build" --target sessions_bench_async_server -j2 >&2
fi
server=$build/bench/sessions_bench_async_server

work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# run MODE: one server, one wrk run; prints a table row.
run() {
  local mode=$1 out=$work/$1.server port cookie i
  taskset -c "$server_cpu" "$server" --mode "$mode" --pool-threads "$pool_threads" "${write[@]}" >"$out" &
  pid=$!
  for i in $(seq 100); do
    grep -q '^cookie: ' "$out" 2>/dev/null && break
    sleep 0.05
  done
  port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$out")
  cookie=$(sed -n 's/^cookie: //p' "$out")
  [[ -n $port && -n $cookie ]] || { echo "the $mode server did not start" >&2; exit 1; }
  taskset -c "$wrk_cpu" wrk -t1 -c64 -d"$duration" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port/" \
    >"$work/$mode.wrk"
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  echo "== $mode" >&2
  cat "$work/$mode.wrk" "$out" >&2
  python3 - "$mode" "$work/$mode.wrk" "$out" <<'EOF'
import re, sys
mode, wrk, server = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
def ms(text):  # wrk's 123.45us / 1.23ms / 1.23s, in ms
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", wrk, re.M)}
errors = re.search(r"Socket errors: (.*)", wrk)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
requests = int(re.search(r"^requests: (\d+)", server, re.M).group(1))
calls = int(re.search(r"^store calls: (\d+)", server, re.M).group(1))
most = int(re.search(r"^store calls at once, at most: (\d+)", server, re.M).group(1))
notes = []
if errors: notes.append("socket errors: " + errors.group(1))
if non2xx: notes.append(non2xx.group(1) + " non-2xx")
print(f"{mode}\t{rps:.0f}\t{pct['50']:.2f}\t{pct['90']:.2f}\t{pct['99']:.2f}\t{calls / max(requests, 1):.2f}\t{most}\t{'; '.join(notes)}")
EOF
}

rows=$work/rows
for mode in blocking pool native; do run "$mode" >>"$rows"; done

printf '| server (one I/O thread, 5 ms per store call) | requests/s | vs blocking | p50 | p90 | p99 | store calls per request | most store calls at once | notes |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
awk -F'\t' -v pool="$pool_threads" '
  NR == 1 { base = $2 }
  {
    name = $1 == "blocking" ? "blocking adapter, DelayingStore" : $1 == "pool" ? "async adapter, BlockingPool(" pool ") over DelayingStore" : "async adapter, native (TimerDelayedStore)"
    printf "| %s | %d | %.1fx | %.2f ms | %.2f ms | %.2f ms | %.2f | %d | %s |\n", name, $2, $2 / base, $3, $4, $5, $6, $7, $8
  }' "$rows"
echo
echo "wrk -t1 -c64 -d$duration --latency (pinned to CPU $wrk_cpu; the server to CPU $server_cpu); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
