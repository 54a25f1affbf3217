#!/usr/bin/env bash
# Soak with a failover: the example site (examples/visit_counter) on a Redis Cluster
# (tests/servers/redis_cluster.sh), driven by wrk for --duration seconds (30 by default), with one
# primary killed (SIGKILL) in the middle. Prints wrk's summary (requests, non-2xx answers, socket
# errors, latency) and the answers per second around the kill, for docs/scale-out.md.
#
#   tests/soak/cluster_failover.sh [--duration 30] [--bin build/examples/visit_counter/visit_counter]
#                                  [--threads 2] [--connections 32] [--pace MS] [--check [--window 10]]
#
# --pace MS: each connection waits MS milliseconds between its requests (0: as fast as it can), so
# that the run leaves CPU to the tests that CI runs beside it (ctest's soak_cluster_failover).
# --check: exit non-zero unless the run passed: no socket error (connect, read, write, timeout);
# non-2xx answers (the site's 500 while the dead primary's slots have no server) only in the
# seconds from the kill to --window seconds after it, and some there (the kill was felt); none
# before the kill; and every second after the last non-2xx answer, at least three of them to the
# end of the run, has 2xx answers and no other.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
duration=30
bin=$root/build/examples/visit_counter/visit_counter
threads=2
connections=32
pace=0
check=0
window=10
options=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --pace) pace=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --check) check=1; shift ;;
    _run) shift; break ;;
    *) echo "usage: $0 [--duration S] [--bin PATH] [--threads N] [--connections N] [--pace MS] [--check [--window S]]" >&2
       exit 2 ;;
  esac
done

if [[ ${1:-} != inside ]]; then
  exec bash "$root/tests/servers/redis_cluster.sh" run -- bash "$0" "${options[@]}" _run inside
fi
[[ -x $bin ]] || { echo "no site program at $bin (build visit_counter, or give --bin)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sessions-cluster-soak.XXXXXX")
trap 'kill "$site" 2>/dev/null || true; rm -rf "$dir"' EXIT
head -c 32 /dev/urandom | base64 >"$dir/secret"
"$bin" --host 127.0.0.1 --port 0 --store "$SESSIONS_TEST_REDIS_URL?timeout=300&connect_timeout=200" \
  --secret-key-file "$dir/secret" >"$dir/site.out" 2>"$dir/site.err" &
site=$!
for ((i = 0; i < 200; i++)); do
  line=$(head -n 1 "$dir/site.out" 2>/dev/null || true)
  [[ $line == "listening on http://"* ]] && break
  sleep 0.05
done
[[ $line == "listening on http://"* ]] || { echo "the site did not start:" >&2; cat "$dir/site.err" >&2; exit 1; }
base=${line#listening on }
base=${base%/}

# A primary that is not the first node of the URL, killed halfway through.
first=${SESSIONS_TEST_REDIS_URL#*//}
first=${first%%,*}
victim=$(redis-cli -h 127.0.0.1 -p "${first#*:}" cluster nodes | awk '/master/ && !/myself/ {print $2; exit}')
victim=${victim%@*}
(
  sleep $((duration / 2))
  date +%s >"$dir/killed_at"  # taken before: an answer of the kill's own second is never "before"
  "$SESSIONS_TEST_REDIS_CLUSTER_CTL" kill "${victim#*:}"
  echo "killed the primary $victim at $((duration / 2)) s" >&2
) &
killer=$!
cat "$root/tests/soak/sessions.lua" "$root/tests/soak/timeline.lua" >"$dir/soak.lua"
wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 5s --latency -s "$dir/soak.lua" "$base" \
  -- 64 "$dir/jar" "$pace" | tee "$dir/wrk.out"
wait "$killer"  # not the site: it runs until the EXIT trap stops it

# The figures, and with --check the verdict, from wrk's SOAK and TIMELINE lines (timeline.lua).
killed_at=$(<"$dir/killed_at")
awk -v killed="$killed_at" -v window="$window" -v check="$check" '
  /^SOAK / {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); soak[kv[1]] = kv[2] }
  }
  /^TIMELINE / {
    for (i = 2; i <= NF; i++) { split($i, f, ":"); n++; sec[n] = f[1]; ok[n] = f[2]; bad[n] = f[3] }
  }
  END {
    socket = soak["errors_connect"] + soak["errors_read"] + soak["errors_write"] + soak["errors_timeout"]
    first = ""; last = ""; before = 0; outside = 0
    for (i = 1; i <= n; i++) {
      if (bad[i] == 0) continue
      if (first == "") first = sec[i] - killed
      last = sec[i] - killed
      if (sec[i] < killed) before += bad[i]
      else if (sec[i] > killed + window) outside += bad[i]
    }
    clean = 0; clean_ok = 0  # the seconds after the last non-2xx answer, to the end
    for (i = n; i >= 1 && bad[i] == 0 && ok[i] > 0; i--) { clean++; clean_ok += ok[i] }
    printf "soak: %d requests, %d non-2xx, %d socket errors (connect %d, read %d, write %d, timeout %d); ",
      soak["requests"], soak["errors_status"], socket, soak["errors_connect"], soak["errors_read"],
      soak["errors_write"], soak["errors_timeout"]
    if (first == "") printf "no non-2xx answer; "
    else printf "non-2xx answers from second %d to second %d after the kill; ", first, last
    printf "then %d s of 2xx answers only (%d requests); p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      clean, clean_ok, soak["p50_us"] / 1000, soak["p99_us"] / 1000, soak["max_us"] / 1000
    if (!check) exit 0
    failed = 0
    if (n == 0 || soak["requests"] == 0) { print "soak: FAILED: no answer counted"; failed = 1 }
    if (socket > 0) { print "soak: FAILED: socket errors"; failed = 1 }
    if (soak["errors_status"] == 0) { print "soak: FAILED: no non-2xx answer: the kill was not felt"; failed = 1 }
    if (before > 0) { printf "soak: FAILED: %d non-2xx answers before the kill\n", before; failed = 1 }
    if (outside > 0) {
      printf "soak: FAILED: %d non-2xx answers later than %d s after the kill\n", outside, window; failed = 1
    }
    if (clean < 3) { printf "soak: FAILED: only %d s of 2xx answers only at the end\n", clean; failed = 1 }
    exit failed
  }' "$dir/wrk.out"
