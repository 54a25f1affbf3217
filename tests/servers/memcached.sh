#!/usr/bin/env bash
# Throw-away memcached servers for one test command.
#
#   tests/servers/memcached.sh run -- <command...>
#
# Starts SESSIONS_TEST_MEMCACHED_COUNT memcached servers (default two, so that consistent hashing
# over several servers is exercised; the test of one server failing under load asks for three) on
# 127.0.0.1 and free ports, in a temporary directory, then runs <command...> with
#   SESSIONS_TEST_MEMCACHED_SERVERS   127.0.0.1:<port1>,127.0.0.1:<port2>[,...]
#   SESSIONS_TEST_MEMCACHED_CTL       a script taking stop | start | pause | resume [<n>] (every
#                                     server when no number is given); start uses the same ports
# and stops the servers at the end (also when the command fails or the harness is killed). The exit
# code is the command's. As root, memcached runs as the user nobody (it refuses to run as root).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

readonly COUNT=${SESSIONS_TEST_MEMCACHED_COUNT:-2}
[[ $COUNT =~ ^[1-9][0-9]?$ ]] || { echo "memcached.sh: SESSIONS_TEST_MEMCACHED_COUNT must be 1 to 99" >&2; exit 2; }

usage() {
  echo "usage: $0 run -- <command...>" >&2
  exit 2
}

answers() {
  # A memcached "version" over bash's /dev/tcp: the server is up when it answers.
  local port=$1 reply
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'version\r\n' >&3
  read -r -t 2 reply <&3 || { exec 3<&-; return 1; }
  exec 3<&-
  [[ $reply == VERSION* ]]
}

# start_server <dir> <n>
start_server() {
  local dir=$1 n=$2 port user=()
  port=$(<"$dir/port$n")
  if [[ $(id -u) -eq 0 ]]; then user=(-u nobody); fi
  memcached -l 127.0.0.1 -p "$port" -U 0 -m 64 -c 256 -t 2 "${user[@]}" \
    </dev/null >>"$dir/memcached$n.log" 2>&1 &
  echo $! >"$dir/memcached$n.pid"
  if ! wait_until 10 answers "$port"; then
    stop_pid "$dir/memcached$n.pid"
    return 1
  fi
}

ctl() {
  local dir=$1 action=${2:-} which=${3:-} n numbers=()
  if [[ -n $which ]]; then numbers=("$which"); else numbers=($(seq 1 "$COUNT")); fi
  for n in "${numbers[@]}"; do
    [[ -f $dir/port$n ]] || { echo "memcached.sh: no server $n" >&2; return 2; }
  done
  if [[ $action == stop ]]; then
    local pidfiles=()
    for n in "${numbers[@]}"; do pidfiles+=("$dir/memcached$n.pid"); done
    stop_pids "${pidfiles[@]}"
    return
  fi
  for n in "${numbers[@]}"; do
    case $action in
      start)
        if [[ -f $dir/memcached$n.pid ]] && alive "$(<"$dir/memcached$n.pid")"; then continue; fi
        start_server "$dir" "$n" || { echo "memcached.sh: server $n did not restart" >&2; return 1; }
        ;;
      pause) signal_pid "$dir/memcached$n.pid" STOP ;;
      resume) signal_pid "$dir/memcached$n.pid" CONT ;;
      *) echo "usage: SESSIONS_TEST_MEMCACHED_CTL stop|start|pause|resume [<n>]" >&2; return 2 ;;
    esac
  done
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
  command -v memcached >/dev/null || { echo "memcached.sh: memcached not found (apt-get install memcached)" >&2; exit 1; }

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sessions-memcached.XXXXXX")
  chmod 755 "$dir"
  trap "finish '$dir'" EXIT
  start_watchdog "$dir" $$

  local n attempt started servers=""
  for ((n = 1; n <= COUNT; n++)); do
    started=0
    for attempt in 1 2 3 4 5; do
      free_port >"$dir/port$n"
      if start_server "$dir" "$n"; then
        started=1
        break
      fi
    done
    if [[ $started -ne 1 ]]; then
      echo "memcached.sh: memcached did not start; its log:" >&2
      cat "$dir/memcached$n.log" >&2 || true
      exit 1
    fi
    servers+="${servers:+,}127.0.0.1:$(<"$dir/port$n")"
  done

  printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$here/memcached.sh" "$dir" >"$dir/ctl"
  chmod +x "$dir/ctl"

  export SESSIONS_TEST_MEMCACHED_SERVERS="$servers"
  export SESSIONS_TEST_MEMCACHED_CTL="$dir/ctl"
  run_command "$@"
}

main "$@"
