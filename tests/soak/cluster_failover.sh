#!/usr/bin/env bash
# Soak with a failover: the example site (examples/visit_counter) on a Redis Cluster
# (tests/servers/redis_cluster.sh), driven by wrk for --duration (30 s by default), with one
# primary killed (SIGKILL) in the middle. Prints wrk's summary (requests, non-2xx answers, socket
# errors, latency) for docs/scale-out.md. Not part of CI (it takes a minute).
#
#   tests/soak/cluster_failover.sh [--duration 30] [--bin build/examples/visit_counter/visit_counter]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
duration=30
bin=$root/build/examples/visit_counter/visit_counter
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    _run) shift; break ;;
    *) echo "usage: $0 [--duration SECONDS] [--bin PATH]" >&2; exit 2 ;;
  esac
done

if [[ ${1:-} != inside ]]; then
  exec bash "$root/tests/servers/redis_cluster.sh" run -- bash "$0" --duration "$duration" --bin "$bin" _run inside
fi

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
  "$SESSIONS_TEST_REDIS_CLUSTER_CTL" kill "${victim#*:}"
  echo "killed the primary $victim at $((duration / 2)) s" >&2
) &
killer=$!
wrk -t2 -c32 -d"${duration}s" --latency -s "$root/tests/soak/sessions.lua" "$base" -- 64 "$dir/jar"
wait "$killer"  # not the site: it runs until the EXIT trap stops it
