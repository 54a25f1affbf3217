#!/usr/bin/env bash
# The project's test command: everything CI checks, runnable on any Debian 12 machine.
#
#   tools/test.sh                 install what is missing (apt-get), then run every stage
#   tools/test.sh gcc meson       run only these stages (in the order given)
#   tools/test.sh --list          list the stages
#   tools/test.sh --no-install    do not call apt-get (the tools must be there already)
#   tools/test.sh --clean         delete each stage's build directory before building
#
# Environment: SESSIONS_JOBS (parallel jobs, default 2), SESSIONS_TEST_JOBS (tests ctest runs at
# once, default SESSIONS_JOBS: many tests wait on servers, sockets and timeouts, so one more than the
# cores can overlap those waits with the CPU-bound tests, at the price of slower CPU-bound tests
# beside them), SESSIONS_BUILD_ROOT (where the build
# directories go, default build/: build/ci-<stage>), SESSIONS_TEST_TIMEOUT (seconds per test, 600),
# SESSIONS_FUZZ_SECONDS (how long the fuzz stage runs each target, 20), SESSIONS_MUTATION_CXX (the
# compiler of the mutation stage, clang++-14).
#
# Each stage is a function stage_<name> below; to add one, write the function, add the name to
# STAGES and a line to HINTS. Packages the new stage needs go into PACKAGES. Servers that tests
# need (redis, postgres, ...) are started on free ports by the test harness (CTest fixtures), not
# here, so that `ctest` alone works the same way.
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

JOBS=${SESSIONS_JOBS:-2}
TEST_JOBS=${SESSIONS_TEST_JOBS:-$JOBS}
BUILD_ROOT=${SESSIONS_BUILD_ROOT:-$ROOT/build}
TEST_TIMEOUT=${SESSIONS_TEST_TIMEOUT:-600}
FUZZ_SECONDS=${SESSIONS_FUZZ_SECONDS:-20}

PACKAGES=(build-essential cmake ninja-build pkgconf meson clang-14 clang-format-14 libclang-rt-14-dev libfuzzer-14-dev catch2
          nlohmann-json3-dev libxxhash-dev libssl-dev zlib1g-dev python3 python3-django python3-prometheus-client
          libcpp-httplib-dev libboost-dev libpoco-dev libpistache-dev
          libsqlite3-dev libpq-dev postgresql python3-psycopg2
          libhiredis-dev redis-server libmemcached-dev memcached
          chromium chromium-driver python3-selenium wrk doxygen gnuplot-nox libbenchmark-dev libdeflate-dev)

# Cheapest first, so that the most common mistake (a stale single header) fails in a second.
# `clang` (a plain clang++-14 -Werror build) is not in the default list: the sanitize stage
# builds everything with clang++-14 -Werror too, so it would only repeat that build.
STAGES=(amalgamate format optimised gcc sanitize tsan fuzz meson mutation)
declare -A HINTS=(
  [amalgamate]="run python3 tools/amalgamate.py and commit single_include/"
  [format]="C++ files follow .clang-format: run tools/check_format.sh --fix, then python3 tools/amalgamate.py"
  [optimised]="headers at -O2 -Werror (sessions_header_check): every Session instantiated, with g++ and clang++-14; each header alone (-fsyntax-only) with clang++-14"
  [gcc]="g++ build with -Werror (SESSIONS_WERROR=ON), tests and examples, then ctest"
  [clang]="clang++-14 build with -Werror, tests and examples, then ctest"
  [sanitize]="clang++-14 -Werror build with ASan+UBSan (SESSIONS_SANITIZE=address,undefined), then ctest"
  [tsan]="clang++-14 -Werror build with ThreadSanitizer (SESSIONS_SANITIZE=thread), then ctest"
  [fuzz]="libFuzzer targets of tests/fuzz, each run for SESSIONS_FUZZ_SECONDS (20) over a copy of its seed corpus"
  [meson]="meson build of the unit tests with -Dwerror=true, then meson test"
  [mutation]="mutants of tools/mutation/mutants.toml, each applied to a scratch copy of include/ and run against its test files; every one must be killed (tools/mutation/run.py --only <id> to retry one)"
)

say() { printf '==> %s\n' "$*"; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------------------------- stages

# Configure, build and test one CMake build directory: cmake_stage <dir> <cmake arguments...>
# A stage may narrow the tests with `local CTEST_ARGS=(...)` (e.g. --label-exclude <label>).
CTEST_ARGS=()
cmake_stage() {
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DSESSIONS_BUILD_TESTS=ON -DSESSIONS_BUILD_EXAMPLES=ON \
    -DSESSIONS_WITH_SQLITE=ON -DSESSIONS_WITH_POSTGRES=ON -DSESSIONS_WITH_REDIS=ON -DSESSIONS_WITH_MEMCACHED=ON \
    -DSESSIONS_WITH_POCO=ON -DSESSIONS_WITH_PISTACHE=ON "$@"
  cmake --build "$dir" --parallel "$JOBS"
  ctest --test-dir "$dir" --output-on-failure --parallel "$TEST_JOBS" --timeout "$TEST_TIMEOUT" "${CTEST_ARGS[@]}"
}

stage_amalgamate() {
  python3 tools/amalgamate.py --check
}

# clang-format-14 over every C++ file (tools/check_format.sh): a second or two.
stage_format() {
  tools/check_format.sh
}

# The optimisers' flow warnings (-Wmaybe-uninitialized, -Wrestrict, -Wstringop-*, ...) appear only
# at -O2 and above, which no other stage compiles at (tests at -O0/-O1 for speed). This stage
# compiles, at -O2 -Werror with both compilers (cmake/sessionsHeaderCheck.cmake), one TU of all
# headers that also instantiates every Session and Middleware the library has policies for (in
# which g++ compiles every inline function, -fkeep-inline-functions); with clang++ also each header
# in a TU of its own, -fsyntax-only (it must stand alone: a front-end question, asked once, of the
# compiler that answers it in less CPU time). Nothing linked or run: minutes, not a third build.
stage_optimised() {
  local cxx dir each
  for cxx in g++ clang++-14; do
    dir=$BUILD_ROOT/ci-optimised/$cxx
    each=OFF
    if [[ $cxx == clang++-14 ]]; then each=ON; fi
    say "optimised: configure $cxx -O2 (each header alone: $each)"
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-O2 -g0" \
      -DSESSIONS_WERROR=ON -DSESSIONS_HEADER_CHECK=ON -DSESSIONS_BUILD_TESTS=OFF -DSESSIONS_BUILD_EXAMPLES=OFF \
      -DSESSIONS_INSTALL=OFF -DSESSIONS_WITH_SQLITE=ON -DSESSIONS_WITH_POSTGRES=ON -DSESSIONS_WITH_REDIS=ON \
      -DSESSIONS_WITH_MEMCACHED=ON -DSESSIONS_WITH_POCO=ON -DSESSIONS_WITH_PISTACHE=ON -DSESSIONS_HEADER_CHECK_EACH=$each
  done
  # g++ has one (long) TU to compile, clang++ many short ones: g++'s runs beside clang++'s, so that
  # no core waits for the other build to end.
  say "optimised: building with g++ (1 job) and clang++-14 ($JOBS jobs) at once"
  cmake --build "$BUILD_ROOT/ci-optimised/g++" --target sessions_header_check --parallel 1 &
  local gxx=$! rc=0
  cmake --build "$BUILD_ROOT/ci-optimised/clang++-14" --target sessions_header_check --parallel "$JOBS" || rc=$?
  wait "$gxx" || die "optimised: the g++ build failed (its output is above)"
  ((rc == 0)) || die "optimised: the clang++-14 build failed (its output is above)"
}

# -O0 -g0: every test part is one heavy program; optimizing it buys nothing for a warnings build.
stage_gcc() {
  cmake_stage "$BUILD_ROOT/ci-gcc" -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O0 -g0" -DSESSIONS_WERROR=ON
}

# Tests that drive whole programs from outside (a browser, a Django site, the documentation build)
# or that start thousands of processes (the Django interop tests): they check what the library
# does, not how the compiler saw it, so they run once, in the gcc stage. The packaging consumers
# (packaging_*) each build their own project and run there too. The compile-fail tests only run
# the compiler, which every build stage does anyway; they run in gcc and sanitize (clang). The
# instruction-count budget (instruction_count) is g++ 12's at -O2: it runs in the gcc stage only.
# So does the soak (soak_cluster_failover: the example site under wrk on a Redis Cluster that loses
# a primary, 30 s beside the other tests).
EXTERNAL_LABELS='interop|browser|django_site|docs|instruction_count|soak'

stage_clang() {
  local CTEST_ARGS=(--label-exclude "$EXTERNAL_LABELS" --exclude-regex '^packaging_')
  cmake_stage "$BUILD_ROOT/ci-clang" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O0 -g0" -DSESSIONS_WERROR=ON
}

# clang++-14 with -Werror under ASan+UBSan: this is also the project's clang warnings build (the
# separate clang stage would compile everything once more for nothing). -O0: an instrumented test
# file compiles in about half the CPU time of -O1 (the optimiser's passes over the sanitizers'
# checks were most of it); the tests run slower (a CPU-bound program 3 to 4 times), but most of
# them wait on servers, sockets and subprocesses, so the stage as a whole costs less. ASan and UBSan
# check every access and operation at -O0 as at -O1 (at -O1 the optimiser may even remove a faulty
# access before it is checked). -g1 gives line numbers in their reports. clang's warnings do not depend on the
# optimization level the way gcc's flow warnings do, so -Werror holds here. As the warnings build
# it compiles the programs of the tests it does not run (documentation snippets, interop tools),
# but for the instruction-count program: that one is built at -O2 without the project's warnings
# and only measured with g++ (SESSIONS_SKIP_TEST_LABELS, tests/CMakeLists.txt).
stage_sanitize() {
  local CTEST_ARGS=(--label-exclude "$EXTERNAL_LABELS" --exclude-regex '^packaging_')
  local -x ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
  local -x UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  cmake_stage "$BUILD_ROOT/ci-sanitize" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O0 -g1" -DSESSIONS_WERROR=ON -DSESSIONS_SANITIZE=address,undefined \
    -DSESSIONS_WITH_LIBDEFLATE=ON \
    -DSESSIONS_SKIP_TEST_LABELS=instruction_count  # libdeflate: the optional inflate path (gcc and meson test the zlib fallback)
}

# The suite under ThreadSanitizer, with the sanitize stage's exclusions (and the compile-fail
# tests, already run by both compilers). tests/tsan.supp holds suppressions for third-party code
# only, each with its reason; a race in our code is fixed, never suppressed. The programs of the
# tests it does not run are not built either (the sanitize stage compiles them with clang++-14).
# Of the unit tests it builds only the files that can show TSan anything
# (SESSIONS_THREADED_TESTS_ONLY, tests/CMakeLists.txt): TSan reports races between threads and
# lock-order inversions, so a file qualifies when it, or a test helper it includes, starts a thread
# (std::thread, std::jthread, std::async, pthread_create), and every file of a part whose store
# holds two locks at once (sqlite: the writer lock, then the pool's) is kept. The other files run
# the library on one thread, taking one library lock at a time (the test loggers' locks are leaves:
# nothing is locked under them, so they close no cycle): no race and no inversion to find there.
# They still run in gcc, sanitize and meson. For the same reason the single-header test (one
# thread, and already run by gcc and sanitize) is left out, with amalgamate_check (a Python check
# the amalgamate stage runs first), and sessionctl, whose tests are interop tests, is not built.
stage_tsan() {
  local CTEST_ARGS=(--label-exclude "compile_fail|single_header|$EXTERNAL_LABELS" --exclude-regex '^packaging_')
  local -x TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$ROOT/tests/tsan.supp}
  cmake_stage "$BUILD_ROOT/ci-tsan" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O1 -g1" -DSESSIONS_WERROR=ON -DSESSIONS_SANITIZE=thread \
    -DSESSIONS_SKIP_TEST_LABELS="$EXTERNAL_LABELS|single_header" -DSESSIONS_THREADED_TESTS_ONLY=ON
}

# Builds the libFuzzer targets (tests/fuzz/<name>.cpp -> fuzz_<name>, with ASan+UBSan) and runs
# each for FUZZ_SECONDS over a copy of its seed corpus (tests/fuzz/corpus/<name>), JOBS at a time.
# A crash, a failed invariant, a leak, a timeout (10 s for one input) or more than 2 GiB of memory
# fails the stage; the reproducer is kept in the target's run directory and printed in base64.
stage_fuzz() {
  local dir=$BUILD_ROOT/ci-fuzz
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O1 -g1" -DSESSIONS_WERROR=ON -DSESSIONS_BUILD_FUZZERS=ON \
    -DSESSIONS_BUILD_TESTS=OFF -DSESSIONS_BUILD_EXAMPLES=OFF
  cmake --build "$dir" --parallel "$JOBS"

  local targets=() source name
  for source in "$ROOT"/tests/fuzz/*.cpp; do
    name=$(basename "$source" .cpp)
    [[ -d $ROOT/tests/fuzz/corpus/$name ]] || die "fuzz target $name has no seed corpus (tests/fuzz/corpus/$name)"
    targets+=("$name")
  done
  say "fuzz: ${#targets[@]} targets, ${FUZZ_SECONDS} s each, $JOBS at a time"

  local failed=() running=0
  for name in "${targets[@]}"; do
    if ((running >= JOBS)); then
      wait -n || true
      running=$((running - 1))
    fi
    fuzz_one "$dir" "$name" &
    running=$((running + 1))
  done
  wait
  for name in "${targets[@]}"; do
    [[ $(cat "$dir/run/$name/rc" 2>/dev/null) == 0 ]] || failed+=("$name")
  done

  say "fuzz: executions per target (${FUZZ_SECONDS} s each)"
  printf '    %-26s %12s %9s %14s  %s\n' target executions 'exec/s' 'corpus before' result
  local work execs rate seeds corpus result
  for name in "${targets[@]}"; do
    work=$dir/run/$name
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
    seeds=$(find "$ROOT/tests/fuzz/corpus/$name" -type f | wc -l)
    corpus=$(find "$work/corpus" -type f | wc -l)
    result=ok
    if [[ " ${failed[*]} " == *" $name "* ]]; then result=FAILED; fi
    printf '    %-26s %12s %9s %14s  %s (corpus after: %s)\n' "$name" "${execs:-?}" "${rate:-?}" "$seeds" "$result" "$corpus"
  done
  if [[ ${#failed[@]} -gt 0 ]]; then
    for name in "${failed[@]}"; do
      work=$dir/run/$name
      printf '==> fuzz target %s failed; the end of its log (%s/log, exit code %s):\n' "$name" "$work" "$(cat "$work/rc" 2>/dev/null)"
      tail -n 60 "$work/log"
      local artifact
      for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [[ -e $artifact ]] || continue
        printf '==> reproducer %s (base64): %s\n' "$artifact" "$(base64 -w0 "$artifact")"
        printf '    replay: %s %s\n' "$dir/tests/fuzz/fuzz_$name" "$artifact"
      done
    done
    die "fuzz targets failed: ${failed[*]}"
  fi
}

# One target: a fresh copy of its seed corpus (libFuzzer adds what it finds to it), its own
# TMPDIR (fuzz_file_store_path makes a directory there), the log and any reproducer in $work.
fuzz_one() {
  local dir=$1 name=$2
  local work=$dir/run/$name
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/tmp"
  cp -R "$ROOT/tests/fuzz/corpus/$name/." "$work/corpus/"
  local rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    TMPDIR=$work/tmp "$dir/tests/fuzz/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  echo "$rc" >"$work/rc"
}

# The meson build files work, and build and pass the unit tests. Each program is one translation
# unit (-Dunity=on, as in CMake: a third of the time of one compilation per file). That every test
# file compiles on its own, which a unity build or a precompiled header can hide, is checked by
# reading the files (tools/check_test_includes.py: Catch2, nlohmann_json and the library included
# where they are used), in a second instead of minutes of compiling.
stage_meson() {
  local dir=$BUILD_ROOT/ci-meson
  python3 tools/check_test_includes.py
  local options=(-Dtests=enabled -Dwerror=true --buildtype=plain -Dunity=on -Dunity_size=1000)
  if [[ -d $dir/meson-private ]]; then
    meson setup --reconfigure "${options[@]}" "$dir"
  else
    CXX=${CXX:-g++} meson setup "${options[@]}" "$dir"
  fi
  meson compile -C "$dir" -j "$JOBS"
  meson test -C "$dir" --print-errorlogs --num-processes "$JOBS"
}

# Breaks the library on purpose, one mutant of tools/mutation/mutants.toml at a time (a snippet of
# a header replaced in a scratch copy of include/), compiles only the test files listed for it and
# runs them; the stage fails when a mutant survives, or does not apply or compile (re-anchor or fix
# it). The server stores' tests run against throw-away servers started here for the whole stage.
# The mutants are compiled with clang++-14 (SESSIONS_MUTATION_CXX): a test file with the library
# compiles at -O0 in about three quarters of g++ 12's CPU time, and which compiler builds a mutant
# does not change whether its tests catch it (both build the tests in the other stages).
stage_mutation() {
  local servers=(bash "$ROOT/tests/servers/redis.sh" run -- bash "$ROOT/tests/servers/memcached.sh" run --
                 bash "$ROOT/tests/servers/postgres.sh" run --)
  CXX=${SESSIONS_MUTATION_CXX:-clang++-14} SESSIONS_MUTATION_DIR=$BUILD_ROOT/ci-mutation "${servers[@]}" \
    python3 "$ROOT/tools/mutation/run.py" --jobs "$JOBS"
}

# ------------------------------------------------------------------------------------ plumbing

install_missing() {
  if ! command -v dpkg-query >/dev/null; then
    say "packages: no dpkg-query (not Debian); assuming the tools are installed"
    return
  fi
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true) != "install ok installed" ]]; then
      missing+=("$package")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "packages: all ${#PACKAGES[@]} present"
    return
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages: ${missing[*]}; as root: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  say "packages: installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

print_tools() {
  local tool
  for tool in g++ clang++-14 cmake ninja meson python3; do
    if command -v "$tool" >/dev/null; then
      printf '    %-11s %s\n' "$tool" "$("$tool" --version 2>&1 | head -n 1)"
    else
      printf '    %-11s (not found)\n' "$tool"
    fi
  done
}

CURRENT_STAGE=""
STAGE_START=0
STAGE_CPU_START=0
RESULTS=()

# CPU seconds (user + sys) of the finished child processes of this shell so far, their own children
# included (cutime + cstime of /proc/<pid>/stat): a stage's CPU time is the difference, which, unlike
# its wall time, hardly depends on what else the machine is doing.
CLOCK_TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_seconds() {
  if [[ -r /proc/$$/stat ]]; then
    sed 's/^.*) //' "/proc/$$/stat" | awk -v hz="$CLOCK_TICKS" '{ printf "%d", ($14 + $15) / hz }'
  else
    echo 0
  fi
}

# "<wall> s, CPU <user+sys> s" of the current stage.
stage_times() {
  printf '%s s, CPU %s s' "$((SECONDS - STAGE_START))" "$(($(cpu_seconds) - STAGE_CPU_START))"
}

report() {
  local rc=$?
  if [[ -n $CURRENT_STAGE ]]; then
    RESULTS+=("FAILED  $CURRENT_STAGE ($(stage_times), exit code $rc)")
  fi
  if [[ ${#RESULTS[@]} -gt 0 ]]; then
    say "summary"
    printf '    %s\n' "${RESULTS[@]}"
  fi
  if [[ -n $CURRENT_STAGE ]]; then
    printf '==> FAILED: stage %s (%s); its output is above\n' "$CURRENT_STAGE" "${HINTS[$CURRENT_STAGE]}" >&2
  elif [[ $rc -eq 0 && ${#RESULTS[@]} -gt 0 ]]; then
    say "all stages passed in $SECONDS s (CPU $(cpu_seconds) s)"
  fi
}

run_stage() {
  local name=$1
  CURRENT_STAGE=$name
  STAGE_START=$SECONDS
  STAGE_CPU_START=$(cpu_seconds)
  say "stage $name: ${HINTS[$name]}"
  "stage_$name"
  local line
  line="ok      $name ($(stage_times))"
  RESULTS+=("$line")
  say "$line"
  CURRENT_STAGE=""
}

main() {
  local install=1 clean=0 selected=() arg
  for arg in "$@"; do
    case $arg in
      --list) printf '%s\n' "${STAGES[@]}"; return 0 ;;
      --no-install) install=0 ;;
      --clean) clean=1 ;;
      -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; return 0 ;;
      -*) die "unknown option $arg (see --help)" ;;
      *)
        [[ -n ${HINTS[$arg]:-} ]] || die "unknown stage '$arg'; stages: ${STAGES[*]}"
        selected+=("$arg")
        ;;
    esac
  done
  [[ ${#selected[@]} -gt 0 ]] || selected=("${STAGES[@]}")

  if [[ $install -eq 1 ]]; then install_missing; fi
  say "tools"
  print_tools
  say "stages: ${selected[*]} (jobs: $JOBS, build directories: $BUILD_ROOT/ci-<stage>)"

  trap report EXIT
  local stage
  for stage in "${selected[@]}"; do
    if [[ $clean -eq 1 ]]; then rm -rf "${BUILD_ROOT:?}/ci-$stage"; fi
    run_stage "$stage"
  done
}

main "$@"
