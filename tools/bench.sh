#!/usr/bin/env bash
# Builds and runs the benchmark suite (bench/), runs the same operations in Django 3.2, and prints
# one table of medians and ratios from this run; writes docs/benchmarks.md and docs/benchmarks.png.
#
#   tools/bench.sh [--quick]
#
# Environment: SESSIONS_BENCH_BUILD (build directory, default build-bench), CXX.
# Needs: cmake, ninja, g++, libbenchmark-dev, the store client libraries (hiredis, libmemcached,
# sqlite3), redis-server, memcached, python3-django (/usr/bin/python3), gnuplot, util-linux (taskset),
# libdeflate-dev (the suite measures the optional libdeflate inflate; docs/DESIGN.md says why).
# --quick: shorter runs (for checking the command, not for numbers).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SESSIONS_BENCH_BUILD:-$root/build-bench}
mkdir -p "$build"
build=$(cd "$build" && pwd)
out=$build/bench-results
mkdir -p "$out"
min_time=0.2
reps=5
if [[ ${1:-} == --quick ]]; then
  min_time=0.02
  reps=3
fi
started=$(date +%s)

echo "== build (Release, -O2) in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DSESSIONS_BUILD_BENCHMARKS=ON -DSESSIONS_BUILD_TESTS=OFF -DSESSIONS_BUILD_EXAMPLES=OFF -DSESSIONS_INSTALL=OFF \
  -DSESSIONS_WITH_SQLITE=ON -DSESSIONS_WITH_REDIS=ON -DSESSIONS_WITH_MEMCACHED=ON -DSESSIONS_WITH_LIBDEFLATE=ON >/dev/null
cmake --build "$build" --target sessions_bench sessions_bench_rss -j"$(nproc)"

echo "== compile time of one file: umbrella header vs nlohmann/json.hpp alone" >&2
cxx=${CXX:-c++}
compile_seconds() {  # median of 3 compilations (-O2, as the suite)
  local file=$1 i t0 t1
  for i in 1 2 3; do
    t0=$(date +%s.%N)
    "$cxx" -std=c++20 -O2 -I "$root/include" -c "$file" -o /dev/null
    t1=$(date +%s.%N)
    awk "BEGIN { print $t1 - $t0 }"
  done | sort -n | sed -n 2p
}
umbrella=$(compile_seconds "$root/bench/compile_time/umbrella.cpp")
json_only=$(compile_seconds "$root/bench/compile_time/json_only.cpp")
printf '{"umbrella_s": %s, "json_only_s": %s}\n' "$umbrella" "$json_only" >"$out/compile_time.json"

export SESSIONS_BENCH_DIR=$build
gb_args=(--benchmark_min_time="$min_time" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true
  --benchmark_out_format=json)

echo "== C++ suite (in-process benchmarks)" >&2
"$build/bench/sessions_bench" "${gb_args[@]}" --benchmark_filter='-(redis|memcached|hiredis)' \
  --benchmark_out="$out/cpp.json" >&2

echo "== C++ suite (Redis, memcached, raw hiredis; client and servers pinned to CPU 0)" >&2
taskset -c 0 "$root/tests/servers/redis.sh" run -- "$root/tests/servers/memcached.sh" run -- \
  taskset -c 0 "$build/bench/sessions_bench" "${gb_args[@]}" --benchmark_filter='redis|memcached|hiredis' \
  --benchmark_out="$out/cpp_servers.json" >&2

echo "== resident memory per session (1M typical sessions)" >&2
"$build/bench/sessions_bench_rss" bytes >"$out/rss.json"
"$build/bench/sessions_bench_rss" values >>"$out/rss.json"
cat "$out/rss.json" >&2

echo "== Django $(/usr/bin/python3 -c 'import django; print(django.get_version())')" >&2
/usr/bin/python3 "$root/bench/django_bench.py" --db-dir "$build" --min-time "$min_time" --repetitions "$reps" \
  >"$out/django.json"

echo "== report" >&2
/usr/bin/python3 "$root/bench/report.py" --results "$out" --markdown "$root/docs/benchmarks.md" \
  --chart "$root/docs/benchmarks.png"
echo "(tools/bench.sh took $(( $(date +%s) - started )) s)" >&2
