#!/usr/bin/env bash
# The project's test command: everything CI checks, runnable on any Debian 12 machine.
#
#   tools/test.sh                 install what is missing (apt-get), then run every stage
#   tools/test.sh gcc meson       run only these stages (in the order given)
#   tools/test.sh --list          list the stages
#   tools/test.sh --no-install    do not call apt-get (the tools must be there already)
#   tools/test.sh --clean         delete each stage's build directory before building
#
# Environment: SESSIONS_JOBS (parallel jobs, default 2), SESSIONS_BUILD_ROOT (where the build
# directories go, default build/: build/ci-<stage>), SESSIONS_TEST_TIMEOUT (seconds per test, 600).
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
BUILD_ROOT=${SESSIONS_BUILD_ROOT:-$ROOT/build}
TEST_TIMEOUT=${SESSIONS_TEST_TIMEOUT:-600}

PACKAGES=(build-essential cmake ninja-build pkgconf meson clang-14 libclang-rt-14-dev catch2
          nlohmann-json3-dev libxxhash-dev libssl-dev zlib1g-dev python3 python3-django
          libcpp-httplib-dev
          libsqlite3-dev libpq-dev postgresql python3-psycopg2
          libhiredis-dev redis-server libmemcached-dev memcached)

# Cheapest first, so that the most common mistake (a stale single header) fails in a second.
STAGES=(amalgamate gcc clang sanitize meson)
declare -A HINTS=(
  [amalgamate]="run python3 tools/amalgamate.py and commit single_include/"
  [gcc]="g++ build with -Werror (SESSIONS_WERROR=ON), tests and examples, then ctest"
  [clang]="clang++-14 build with -Werror, tests and examples, then ctest"
  [sanitize]="clang++-14 build with ASan+UBSan (SESSIONS_SANITIZE=address,undefined), then ctest"
  [meson]="meson build of the unit tests with -Dwerror=true, then meson test"
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
    -DSESSIONS_WITH_SQLITE=ON -DSESSIONS_WITH_POSTGRES=ON -DSESSIONS_WITH_REDIS=ON -DSESSIONS_WITH_MEMCACHED=ON "$@"
  cmake --build "$dir" --parallel "$JOBS"
  ctest --test-dir "$dir" --output-on-failure --parallel "$JOBS" --timeout "$TEST_TIMEOUT" "${CTEST_ARGS[@]}"
}

stage_amalgamate() {
  python3 tools/amalgamate.py --check
}

# -O0 -g0: every test part is one heavy program; optimizing it buys nothing for a warnings build.
stage_gcc() {
  cmake_stage "$BUILD_ROOT/ci-gcc" -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O0 -g0" -DSESSIONS_WERROR=ON
}

stage_clang() {
  local CTEST_ARGS=(--label-exclude interop --exclude-regex '^packaging_')  # run by the gcc stage
  cmake_stage "$BUILD_ROOT/ci-clang" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O0 -g0" -DSESSIONS_WERROR=ON
}

# -O1 keeps the sanitizers fast enough; -g1 gives line numbers in their reports. Warnings are
# checked by the stages above (optimization makes gcc's flow warnings noisy), so no -Werror here.
# The compile-fail tests only run the compiler, which the clang stage has done already.
# The Django interop tests start thousands of processes; under the sanitizers that alone takes
# minutes, and the code they drive is covered by the unit tests here. They run in the gcc stage,
# as do the packaging consumers (packaging_*: each builds its own project; the sanitizers are ours).
stage_sanitize() {
  local CTEST_ARGS=(--label-exclude 'compile_fail|interop' --exclude-regex '^packaging_')
  local -x ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
  local -x UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  cmake_stage "$BUILD_ROOT/ci-sanitize" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O1 -g1" -DSESSIONS_SANITIZE=address,undefined
}

stage_meson() {
  local dir=$BUILD_ROOT/ci-meson
  local options=(-Dtests=enabled -Dwerror=true --buildtype=plain)
  if [[ -d $dir/meson-private ]]; then
    meson setup --reconfigure "${options[@]}" "$dir"
  else
    CXX=${CXX:-g++} meson setup "${options[@]}" "$dir"
  fi
  meson compile -C "$dir" -j "$JOBS"
  meson test -C "$dir" --print-errorlogs --num-processes "$JOBS"
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
RESULTS=()

report() {
  local rc=$?
  if [[ -n $CURRENT_STAGE ]]; then
    RESULTS+=("FAILED  $CURRENT_STAGE ($((SECONDS - STAGE_START)) s, exit code $rc)")
  fi
  if [[ ${#RESULTS[@]} -gt 0 ]]; then
    say "summary"
    printf '    %s\n' "${RESULTS[@]}"
  fi
  if [[ -n $CURRENT_STAGE ]]; then
    printf '==> FAILED: stage %s (%s); its output is above\n' "$CURRENT_STAGE" "${HINTS[$CURRENT_STAGE]}" >&2
  elif [[ $rc -eq 0 && ${#RESULTS[@]} -gt 0 ]]; then
    say "all stages passed in $SECONDS s"
  fi
}

run_stage() {
  local name=$1
  CURRENT_STAGE=$name
  STAGE_START=$SECONDS
  say "stage $name: ${HINTS[$name]}"
  "stage_$name"
  local line
  line="ok      $name ($((SECONDS - STAGE_START)) s)"
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
