#!/usr/bin/env bash
# Does the async path block? Builds bench/async_server.cpp, runs it in each mode (blocking, pool,
# native: see the top of that file) with one I/O thread and a store whose every call takes 5 ms,
# loads each with wrk (64 connections, one wrk thread) and prints one Markdown table: requests per
# second, latency percentiles, and the store calls per request the server counted.
#
#   tools/async_bench.sh [--duration 10s] [--write] [--no-build] [--doc docs/benchmarks.md]
#
# --write: each request also counts the visit (load + update: two store calls, 10 ms at the least)
# instead of only reading it (one call, 5 ms). --doc FILE: also writes the table, with how it was
# measured, as the "Async server" section of FILE (between its markers; at the end the first time).
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
doc=
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --write) write=(--write); shift ;;
    --no-build) do_build=0; shift ;;
    --doc) doc=$2; shift 2 ;;
    *) echo "usage: $0 [--duration 10s] [--write] [--no-build] [--doc FILE]" >&2; exit 2 ;;
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
cpu = float(re.search(r"^I/O thread CPU: ([\d.]+) us", server, re.M).group(1)) / max(requests, 1)
notes = []
if errors: notes.append("socket errors: " + errors.group(1))
if non2xx: notes.append(non2xx.group(1) + " non-2xx")
print(f"{mode}\t{rps:.0f}\t{pct['50']:.2f}\t{pct['90']:.2f}\t{pct['99']:.2f}\t{calls / max(requests, 1):.2f}\t{most}\t{cpu:.1f}\t{'; '.join(notes)}")
EOF
}

rows=$work/rows
for mode in blocking pool native; do run "$mode" >>"$rows"; done

args="--duration $duration${write:+ --write}"
machine="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs; $(uname -srm)"
python3 - "$rows" "$duration" "$pool_threads" "$server_cpu" "$wrk_cpu" "$machine" "${write[*]:-}" "$doc" "$args" "$root/bench" <<'EOF'
import datetime, sys
rows_file, duration, pool, server_cpu, wrk_cpu, machine, write, doc, args, bench_dir = sys.argv[1:]
sys.path.insert(0, bench_dir)
from report import ASYNC_BEGIN, ASYNC_END  # bench/report.py keeps the section when it rewrites the file
rows = [line.rstrip("\n").split("\t") for line in open(rows_file)]
names = {"blocking": "blocking adapter, DelayingStore",
         "pool": f"async adapter, BlockingPool({pool}) over DelayingStore",
         "native": "async adapter, native path (TimerDelayedStore)"}
base = float(rows[0][1])
floor = 10.0 if write else 5.0
table = ["| server (one I/O thread, 5 ms per store call) | requests/s | vs blocking | p50 | p90 | p99 | p99 over the floor | store calls per request | most calls at once | I/O thread CPU per request | notes |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
by_mode = {}
for mode, rps, p50, p90, p99, calls, most, cpu, notes in rows:
    by_mode[mode] = (float(rps), float(p99), float(cpu))
    table.append(f"| {names[mode]} | {float(rps):.0f} | {float(rps) / base:.1f}x | {float(p50):.2f} ms | {float(p90):.2f} ms "
                 f"| {float(p99):.2f} ms | +{float(p99) - floor:.2f} ms | {float(calls):.2f} | {most} | {float(cpu):.1f} µs | {notes} |")
load = open("/proc/loadavg").read().split()[:3]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
how = (f"Measured on {now}: `tools/async_bench.sh {args}` (`wrk -t1 -c64 -d{duration} --latency` pinned to CPU {wrk_cpu}, "
       f"the server to CPU {server_cpu}). Machine: {machine}; load average at the end {' '.join(load)}.")
print("\n".join(table))
print()
print(how)
if not doc:
    sys.exit(0)
what = "reads it (one store call: the load" if not write else "counts a visit (two store calls: the load and the update"
section = f"""{ASYNC_BEGIN}

## Async server

Does the async path block? One I/O thread serving a coroutine per connection (Boost.Beast,
bench/async_server.cpp), 64 concurrent keep-alive connections, and a store whose every call takes
5 ms (tests/support/delaying_store.hpp over MemoryStore). Every request sends the cookie of an
existing session and {what}; the server counts the calls: column "store calls per request"), so
{floor:.0f} ms is the least latency any server can give it: the floor of the table.

The blocking adapter (`beast_adapter::handle`) on that thread waits out each call, so the 64
connections' requests wait behind each other: at most 1000 / {floor:.0f} = {1000 / floor:.0f} requests per second,
whatever the concurrency. The async adapter (`beast_adapter::async_handle`) hands the call to a
BlockingPool of {pool} threads (the blocking store) or to the store's native path (an Asio timer on
the I/O thread itself), and the I/O thread serves the other connections meanwhile: up to 64 calls
in progress at once ("most calls at once"), 64 x 1000 / {floor:.0f} = {64 * 1000 / floor:.0f} requests per second at
the most; below that, what the one I/O thread's CPU allows (HTTP parsing, the session's JSON, and
on the pool path the thread hops of each operation).

{chr(10).join(table)}

{how}

The pool path sustains {by_mode['pool'][0] / base:.1f}x the blocking server's requests per second, the native path
{by_mode['native'][0] / base:.1f}x; their p99 is {by_mode['pool'][1]:.1f} ms and {by_mode['native'][1]:.1f} ms against the {floor:.0f} ms floor. The
machine is shared with other builds (see the load average): the time above the floor is CPU time
the I/O thread waited for, not the store. What does not depend on the neighbours is the I/O thread's
own CPU time per request (getrusage of that thread): {by_mode['pool'][2]:.0f} µs on the pool path and {by_mode['native'][2]:.0f} µs on
the native path, so on a CPU of its own the one I/O thread could serve about {1e6 / by_mode['pool'][2]:.0f} and
{1e6 / by_mode['native'][2]:.0f} requests per second: {min(1e6 / by_mode['pool'][2], 64 * 1000 / floor) / (1000 / floor):.0f}x and {min(1e6 / by_mode['native'][2], 64 * 1000 / floor) / (1000 / floor):.0f}x the blocking server's bound of {1000 / floor:.0f}, the lesser of
that and the 64 connections' {64 * 1000 / floor:.0f}.

{ASYNC_END}
"""
import report
report.replace_section(doc, section, report.ASYNC_BEGIN, report.ASYNC_END)
print(f"written: the Async server section of {doc}", file=sys.stderr)
EOF
