#!/usr/bin/env bash
# A throw-away Redis Sentinel deployment for one test command: one primary, one replica and three
# sentinels (quorum 2), all on 127.0.0.1 and free ports, without persistence, with short failure
# detection (down-after-milliseconds 400, failover-timeout 1500) so that a failover takes about a
# second.
#
#   tests/servers/redis_sentinel.sh run -- <command...>
#
# runs <command...> with
#   SESSIONS_TEST_REDIS_URL           redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/sessions-test?db=0
#   SESSIONS_TEST_REDIS_SENTINEL_CTL  a script taking
#       primary        print the current primary's port (as the first sentinel that answers says)
#       kill-primary   SIGKILL the current primary; prints its port
#       restart <port> start a server on <port> again, as a replica of the current primary (what
#                      the configuration a sentinel rewrites would say), and wait until it is in sync
#       wait-replica   wait until the current primary has a replica in sync and every sentinel
#                      sees it (a second failover needs one)
# and stops everything at the end (also when the command fails or the harness is killed).
# The sentinels are `redis-server --sentinel` (what Debian's redis-sentinel runs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

readonly SERVICE=sessions-test

usage() {
  echo "usage: $0 run -- <command...>" >&2
  exit 2
}

# start_data <dir> <port> [<primary port>]: a data node (a replica of <primary port> when given).
# No diskless-sync delay: a replica that comes back is in sync at once, not after Redis's 5 s.
start_data() {
  local dir=$1 port=$2 primary=${3:-}
  local args=(--bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir"
    --logfile "$dir/redis-$port.log" --daemonize no --dbfilename "dump-$port.rdb" --repl-diskless-sync-delay 0)
  if [[ -n $primary ]]; then args+=(--replicaof 127.0.0.1 "$primary"); fi
  redis-server "${args[@]}" </dev/null >>"$dir/redis-$port.out" 2>&1 &
  echo $! >"$dir/redis-$port.pid"
  wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping || return 1
  if [[ -n $primary ]]; then
    wait_until 10 bash -c "redis-cli -h 127.0.0.1 -p $port info replication | grep -q master_link_status:up" || return 1
  fi
}

# start_sentinel <dir> <port> <primary port>
start_sentinel() {
  local dir=$1 port=$2 primary=$3
  cat >"$dir/sentinel-$port.conf" <<EOF
bind 127.0.0.1
port $port
protected-mode no
dir $dir
logfile $dir/sentinel-$port.log
sentinel monitor $SERVICE 127.0.0.1 $primary 2
sentinel down-after-milliseconds $SERVICE 400
sentinel failover-timeout $SERVICE 1500
sentinel parallel-syncs $SERVICE 1
EOF
  redis-server "$dir/sentinel-$port.conf" --sentinel </dev/null >>"$dir/sentinel-$port.out" 2>&1 &
  echo $! >"$dir/sentinel-$port.pid"
  wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping
}

# The primary's port, as the first sentinel that answers says.
primary_port() {
  local dir=$1 s
  for s in $(<"$dir/sentinels"); do
    if redis-cli -h 127.0.0.1 -p "$s" sentinel get-master-addr-by-name "$SERVICE" 2>/dev/null | sed -n 2p | grep -E '^[0-9]+$'; then
      return 0
    fi
  done
  return 1
}

# Every sentinel knows the two others and sees a replica of the current primary that is up.
sentinels_ready() {
  local dir=$1 s primary
  primary=$(primary_port "$dir") || return 1
  redis-cli -h 127.0.0.1 -p "$primary" info replication | grep -q 'slave0:.*state=online' || return 1
  for s in $(<"$dir/sentinels"); do
    [[ $(redis-cli -h 127.0.0.1 -p "$s" sentinel get-master-addr-by-name "$SERVICE" | sed -n 2p) == "$primary" ]] || return 1
    [[ $(redis-cli -h 127.0.0.1 -p "$s" sentinel sentinels "$SERVICE" | grep -c '^name$') -ge 2 ]] || return 1
    redis-cli -h 127.0.0.1 -p "$s" sentinel replicas "$SERVICE" | grep -A1 '^flags$' | grep -qx 'slave' || return 1
  done
}

ctl() {
  local dir=$1 action=${2:-} port primary
  case $action in
    kill-primary)
      port=$(primary_port "$dir") || { echo "no sentinel names a primary" >&2; return 1; }
      kill -KILL "$(<"$dir/redis-$port.pid")"
      rm -f "$dir/redis-$port.pid"
      echo "$port"
      ;;
    restart)
      port=${3:?port}
      primary=$(primary_port "$dir") || return 1
      start_data "$dir" "$port" "$primary"
      ;;
    primary) primary_port "$dir" ;;
    wait-replica) wait_until 20 sentinels_ready "$dir" ;;
    *) echo "usage: SESSIONS_TEST_REDIS_SENTINEL_CTL primary | kill-primary | restart <port> | wait-replica" >&2; return 2 ;;
  esac
}

main() {
  [[ $# -ge 1 ]] || usage
  case $1 in
    ctl) shift; ctl "$@"; return ;;
    run) ;;
    *) usage ;;
  esac
  [[ $# -ge 3 && $2 == -- ]] || usage
  shift 2
  command -v redis-server >/dev/null || { echo "redis_sentinel.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sessions-sentinel.XXXXXX")
  trap "finish '$dir'" EXIT
  start_watchdog "$dir" $$

  local primary replica s sentinels=() attempt
  for attempt in 1 2 3 4 5; do
    primary=$(free_port)
    start_data "$dir" "$primary" && break
    stop_all "$dir"
  done
  for attempt in 1 2 3 4 5; do
    replica=$(free_port)
    start_data "$dir" "$replica" "$primary" && break
    stop_pid "$dir/redis-$replica.pid"
  done
  while [[ ${#sentinels[@]} -lt 3 ]]; do
    s=$(free_port)
    if start_sentinel "$dir" "$s" "$primary"; then sentinels+=("$s"); else stop_pid "$dir/sentinel-$s.pid"; fi
  done
  echo "${sentinels[*]}" >"$dir/sentinels"
  # The sentinels find each other through the primary every 2 s; a failover needs them to.
  if ! wait_until 30 sentinels_ready "$dir"; then
    echo "redis_sentinel.sh: the sentinels did not see each other and the replica; their logs:" >&2
    tail -n 20 "$dir"/*.log >&2 || true
    exit 1
  fi

  printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$here/redis_sentinel.sh" "$dir" >"$dir/ctl"
  chmod +x "$dir/ctl"
  local hosts
  hosts=$(printf '127.0.0.1:%s,' "${sentinels[@]}")
  export SESSIONS_TEST_REDIS_URL="redis+sentinel://${hosts%,}/$SERVICE?db=0"
  export SESSIONS_TEST_REDIS_SENTINEL_CTL="$dir/ctl"
  run_command "$@"
}

main "$@"
