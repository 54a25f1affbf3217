#!/usr/bin/env bash
# A throw-away Redis Cluster for one test command: three primaries and three replicas on 127.0.0.1
# (redis-server --cluster-enabled yes, joined by redis-cli --cluster create --cluster-replicas 1),
# without persistence, with cluster-node-timeout 500 ms so that a replica takes over a killed
# primary within about a second. Each node also listens on its port + 10000 (the cluster bus), so
# the ports are picked below 55536 with both free.
#
#   tests/servers/redis_cluster.sh run -- <command...>
#
# runs <command...> with
#   SESSIONS_TEST_REDIS_URL          redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>
#   SESSIONS_TEST_REDIS_CLUSTER_CTL  a script taking
#       kill <port>     SIGKILL the node on <port>
#       restart <port>  start the node on <port> again (it rejoins, as a replica once its
#                       replica has taken over) and wait until the cluster is ok
#       wait-ok         wait until every live node says cluster_state:ok and every primary has
#                       a replica in sync
# and stops everything at the end (also when the command fails or the harness is killed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() {
  echo "usage: $0 run -- <command...>" >&2
  exit 2
}

# A port below 55536 that is free, and whose cluster bus port (+10000) is free too.
cluster_port() {
  python3 -c 'import random, socket
for _ in range(200):
    p = random.randint(20000, 55535)
    try:
        for q in (p, p + 10000):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", q))
            s.close()
    except OSError:
        continue
    print(p)
    break'
}

start_node() {
  local dir=$1 port=$2
  redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
    --cluster-node-timeout 500 --cluster-replica-validity-factor 0 --repl-diskless-sync-delay 0 \
    --save "" --appendonly no --dir "$dir" --logfile "$dir/redis-$port.log" --daemonize no \
    </dev/null >>"$dir/redis-$port.out" 2>&1 &
  echo $! >"$dir/redis-$port.pid"
  wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping
}

# Every live node says cluster_state:ok, and three primaries each have a replica online.
cluster_ok() {
  local dir=$1 port
  for port in $(<"$dir/ports"); do
    [[ -f $dir/redis-$port.pid ]] || continue
    redis-cli -h 127.0.0.1 -p "$port" cluster info | grep -q 'cluster_state:ok' || return 1
  done
  for port in $(<"$dir/ports"); do
    [[ -f $dir/redis-$port.pid ]] || continue
    redis-cli -h 127.0.0.1 -p "$port" cluster nodes | grep -q 'fail' && return 1
  done
  [[ $(redis-cli -h 127.0.0.1 -p "$(live_port "$dir")" cluster nodes | grep -c ' slave ') -ge 3 ]] || return 1
  for port in $(<"$dir/ports"); do
    [[ -f $dir/redis-$port.pid ]] || continue
    if redis-cli -h 127.0.0.1 -p "$port" role | head -1 | grep -q slave; then
      redis-cli -h 127.0.0.1 -p "$port" info replication | grep -q master_link_status:up || return 1
    fi
  done
}

live_port() {
  local dir=$1 port
  for port in $(<"$dir/ports"); do
    if [[ -f $dir/redis-$port.pid ]]; then echo "$port"; return 0; fi
  done
  return 1
}

ctl() {
  local dir=$1 action=${2:-}
  case $action in
    kill)
      kill -KILL "$(<"$dir/redis-${3:?port}.pid")"
      rm -f "$dir/redis-$3.pid"
      ;;
    restart) start_node "$dir" "${3:?port}" && wait_until 20 cluster_ok "$dir" ;;
    wait-ok) wait_until 20 cluster_ok "$dir" ;;
    *) echo "usage: SESSIONS_TEST_REDIS_CLUSTER_CTL kill <port> | restart <port> | wait-ok" >&2; return 2 ;;
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
  command -v redis-server >/dev/null || { echo "redis_cluster.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  command -v redis-cli >/dev/null || { echo "redis_cluster.sh: redis-cli not found (apt-get install redis-tools)" >&2; exit 1; }

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sessions-cluster.XXXXXX")
  trap "finish '$dir'" EXIT
  start_watchdog "$dir" $$

  local ports=() port
  while [[ ${#ports[@]} -lt 6 ]]; do
    port=$(cluster_port)
    if start_node "$dir" "$port"; then ports+=("$port"); else stop_pid "$dir/redis-$port.pid"; fi
  done
  echo "${ports[*]}" >"$dir/ports"
  local nodes=()
  for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.out" 2>&1 ||
    { echo "redis_cluster.sh: redis-cli --cluster create failed:" >&2; cat "$dir/create.out" >&2; exit 1; }
  if ! wait_until 30 cluster_ok "$dir"; then
    echo "redis_cluster.sh: the cluster did not become ok; its state:" >&2
    redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster nodes >&2 || true
    exit 1
  fi

  printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$here/redis_cluster.sh" "$dir" >"$dir/ctl"
  chmod +x "$dir/ctl"
  export SESSIONS_TEST_REDIS_URL="redis+cluster://${nodes[0]},${nodes[1]},${nodes[2]}"
  export SESSIONS_TEST_REDIS_CLUSTER_CTL="$dir/ctl"
  run_command "$@"
}

main "$@"
