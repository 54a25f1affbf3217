#!/usr/bin/env bash
# Soak test: the example site (examples/visit_counter, Release build) on loopback, driven by wrk with
# many concurrent sessions for a bounded time on each store. Not part of CI (it takes minutes).
#
#   tools/soak.sh [--duration 20s] [--warmup 5s] [--threads 2] [--connections 64] [--sessions 256]
#                 [--build-dir DIR] [--no-build] [--report docs/soak.md] [STORE...]
#
# STORE is one of: sqlite file memory signed-cookies encrypted-cookies redis memcached postgresql
# (default: all but encrypted-cookies). Server stores run inside tests/servers/<server>.sh, which
# starts a throw-away server on a free port.
#
# Per store: start the site on a free port (--port 0), warm it up with wrk for --warmup (this creates
# the sessions: --sessions per wrk thread, tests/soak/sessions.lua), read the server's VmRSS, run
# `wrk -t<threads> -c<connections> -d<duration> --latency -s tests/soak/sessions.lua` (every request
# after the first round carries a live session cookie: reads of /, /about, /session.json and an
# update of num_visits on every GET /), read VmRSS again, stop the site with SIGTERM (it must print
# `stopped` and exit 0). The table (requests served, non-2xx and socket errors, p50/p99 latency, RSS
# before and after) goes to stdout and to the report file. Exit status 1 when any store had a failed
# request, a site that did not stop cleanly, or RSS growth beyond max(4 MiB, 10 %).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
lua="$repo/tests/soak/sessions.lua"

duration=20s
warmup=5s
threads=2
connections=64
sessions_per_thread=256
build_dir="$repo/build-soak"
build=1
report="$repo/docs/soak.md"
all_stores=(sqlite file memory signed-cookies redis memcached postgresql)

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# One store, inside its server harness when it needs one: `soak.sh _measure NAME RESULTS_FILE`.
# ---------------------------------------------------------------------------------------------
vmrss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

store_url() {
  local name=$1 dir=$2
  case $name in
    sqlite) echo "sqlite:$dir/sessions.db" ;;
    file) echo "file:$dir/sessions" ;;
    memory) echo "memory:" ;;
    signed-cookies) echo "signed-cookies:" ;;
    encrypted-cookies) echo "encrypted-cookies:" ;;
    redis) echo "$SESSIONS_TEST_REDIS_URL" ;;
    memcached) echo "memcached://$SESSIONS_TEST_MEMCACHED_SERVERS" ;;
    postgresql) echo "$SESSIONS_TEST_POSTGRES_URL" ;;
    *) echo "soak.sh: unknown store $name" >&2; return 2 ;;
  esac
}

# wrk's SOAK line -> "key=value ..." fields as shell variables prefixed with w_.
parse_soak_line() {
  local line field
  line=$(grep '^SOAK ' "$1" | tail -1)
  [[ -n $line ]] || { echo "soak.sh: no SOAK line in wrk's output:" >&2; cat "$1" >&2; return 1; }
  for field in ${line#SOAK }; do
    printf -v "w_${field%%=*}" '%s' "${field#*=}"
  done
}

measure() {
  local name=$1 results=$2
  local dir pid url line i
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sessions-soak.XXXXXX")
  # shellcheck disable=SC2064
  trap "[[ -n \${pid:-} ]] && kill -KILL \$pid 2>/dev/null; rm -rf '$dir'" EXIT
  head -c 48 /dev/urandom | base64 >"$dir/secret"
  url=$(store_url "$name" "$dir")

  # The per-request log goes to a file in memory (/dev/shm when there is one).
  local logdir=$dir
  [[ -d /dev/shm && -w /dev/shm ]] && logdir=$(mktemp -d /dev/shm/sessions-soak.XXXXXX)
  "$bin" --host 127.0.0.1 --port 0 --store "$url" --secret-key-file "$dir/secret" \
    >"$logdir/site.out" 2>"$dir/site.err" &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    line=$(head -n 1 "$logdir/site.out" 2>/dev/null || true)
    [[ $line == "listening on http://"* ]] && break
    kill -0 "$pid" 2>/dev/null || { echo "soak.sh: $name: the site exited:" >&2; cat "$dir/site.err" >&2; return 1; }
    sleep 0.05
  done
  [[ $line == "listening on http://"* ]] || { echo "soak.sh: $name: the site did not start" >&2; return 1; }
  local base=${line#listening on }
  base=${base%/}

  # The warm-up creates the sessions and writes their cookies to $dir/jar.<thread>; the measured run
  # starts with them, so it creates no session and RSS before/after compare the same working set.
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$lua" "$base" -- "$sessions_per_thread" "$dir/jar" \
    >"$dir/warmup.out" 2>&1
  local rss_before rss_after
  rss_before=$(vmrss_kib "$pid")
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "$base" -- "$sessions_per_thread" "$dir/jar" \
    >"$dir/wrk.out" 2>&1
  rss_after=$(vmrss_kib "$pid")
  local w_requests w_errors_connect w_errors_read w_errors_write w_errors_status w_errors_timeout
  local w_p50_us w_p99_us w_max_us w_cookieless
  # shellcheck disable=SC2034 # set by parse_soak_line, not shown in the table
  local w_mean_us
  parse_soak_line "$dir/wrk.out"
  local rps
  rps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$dir/wrk.out")

  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  pid=""
  local stopped=no
  if [[ $status -eq 0 ]] && tail -n 5 "$logdir/site.out" | grep -qx stopped; then stopped=yes; fi
  if [[ $stopped != yes ]]; then
    echo "soak.sh: $name: the site did not stop cleanly (exit $status); its stderr:" >&2
    tail -n 20 "$dir/site.err" >&2
  fi
  if [[ -s $dir/site.err ]] && grep -qiv 'insecure development key' "$dir/site.err"; then
    echo "soak.sh: $name: the site wrote to stderr (last lines):" >&2
    tail -n 5 "$dir/site.err" >&2
  fi
  [[ $logdir != "$dir" ]] && rm -rf "$logdir"
  local socket_errors=$((w_errors_connect + w_errors_read + w_errors_write + w_errors_timeout))
  echo "$name $w_requests $rps $w_errors_status $socket_errors $w_p50_us $w_p99_us $w_max_us $rss_before $rss_after $stopped $w_cookieless" >>"$results"
}

# ---------------------------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------------------------
fmt_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
fmt_mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }

main() {
  local stores=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --duration) duration=$2; shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      --threads) threads=$2; shift 2 ;;
      --connections) connections=$2; shift 2 ;;
      --sessions) sessions_per_thread=$2; shift 2 ;;
      --build-dir) build_dir=$2; shift 2 ;;
      --no-build) build=0; shift ;;
      --report) report=$2; shift 2 ;;
      -h | --help) usage ;;
      -*) usage ;;
      *) stores+=("$1"); shift ;;
    esac
  done
  [[ ${#stores[@]} -gt 0 ]] || stores=("${all_stores[@]}")
  command -v wrk >/dev/null || { echo "soak.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }

  if [[ $build -eq 1 ]]; then
    cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONS_BUILD_TESTS=OFF \
      -DSESSIONS_BUILD_EXAMPLES=ON -DSESSIONS_INSTALL=OFF -DSESSIONS_WITH_SQLITE=ON -DSESSIONS_WITH_POSTGRES=ON \
      -DSESSIONS_WITH_REDIS=ON -DSESSIONS_WITH_MEMCACHED=ON >/dev/null
    cmake --build "$build_dir" --target visit_counter -j2 >/dev/null
  fi
  bin=$(find "$build_dir" -name visit_counter -type f -perm -u+x | head -n 1)
  [[ -n $bin ]] || { echo "soak.sh: no visit_counter binary under $build_dir" >&2; exit 1; }
  export SOAK_BIN=$bin SOAK_DURATION=$duration SOAK_WARMUP=$warmup SOAK_THREADS=$threads
  export SOAK_CONNECTIONS=$connections SOAK_SESSIONS=$sessions_per_thread

  local results
  results=$(mktemp "${TMPDIR:-/tmp}/sessions-soak-results.XXXXXX")
  local name harness
  for name in "${stores[@]}"; do
    echo "soak: $name ($warmup warm-up, $duration measured, -t$threads -c$connections)..." >&2
    harness=()
    case $name in
      redis) harness=(bash "$repo/tests/servers/redis.sh" run --) ;;
      memcached) harness=(bash "$repo/tests/servers/memcached.sh" run --) ;;
      postgresql) harness=(bash "$repo/tests/servers/postgres.sh" run --) ;;
    esac
    "${harness[@]}" bash "$0" _measure "$name" "$results" ||
      echo "$name - - - - - - - - - failed -" >>"$results"
  done

  local failed=0 table
  table=$(
    echo "| store | requests | req/s | non-2xx | socket errors | p50 ms | p99 ms | max ms | RSS before MiB | RSS after MiB | clean stop | requests without cookie |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
    while read -r n req rps status sock p50 p99 max before after stopped cookieless; do
      if [[ $req == - ]]; then
        echo "| $n | failed to run | | | | | | | | | no | |"
        continue
      fi
      echo "| $n | $req | $rps | $status | $sock | $(fmt_ms "$p50") | $(fmt_ms "$p99") | $(fmt_ms "$max") | $(fmt_mib "$before") | $(fmt_mib "$after") | $stopped | $cookieless |"
    done <"$results"
  )
  while read -r n req rps status sock p50 p99 max before after stopped _; do
    if [[ $req == - || $status != 0 || $sock != 0 || $stopped != yes ]]; then
      echo "soak.sh: $n FAILED (requests=$req non-2xx=$status socket errors=$sock clean stop=$stopped)" >&2
      failed=1
    elif ((after - before > 4096 && (after - before) * 10 > before)); then
      echo "soak.sh: $n: RSS grew from $before KiB to $after KiB" >&2
      failed=1
    fi
  done <"$results"
  rm -f "$results"

  echo "$table"
  if [[ -n $report ]]; then
    {
      echo "# Soak under load"
      echo
      echo "Produced by \`tools/soak.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPUs"
      echo "($(uname -sr); the machine was shared with other work, so absolute numbers are indicative)."
      echo "The example site \`visit_counter\` (Release) on loopback, driven by"
      echo "\`wrk -t$threads -c$connections -d$duration --latency -s tests/soak/sessions.lua\` after a $warmup"
      echo "warm-up that creates $((sessions_per_thread * threads)) sessions ($sessions_per_thread per wrk thread); every"
      echo "measured request carries one of those session cookies (mostly \`GET /\`, which updates the"
      echo "session, plus \`/about\` and \`/session.json\`). RSS is the site's VmRSS after the warm-up and"
      echo "at the end of the run. Server stores run against throw-away servers from \`tests/servers/\`."
      echo
      echo "$table"
      echo
      echo "Pass criteria: no non-2xx answer, no socket error, a clean SIGTERM stop (\`stopped\`, exit 0),"
      echo "RSS growth within max(4 MiB, 10 %)."
    } >"$report"
  fi
  exit "$failed"
}

if [[ ${1:-} == _measure ]]; then
  bin=$SOAK_BIN duration=$SOAK_DURATION warmup=$SOAK_WARMUP threads=$SOAK_THREADS
  connections=$SOAK_CONNECTIONS sessions_per_thread=$SOAK_SESSIONS
  measure "$2" "$3"
  exit
fi
main "$@"
