#!/usr/bin/env bash
# A throw-away Redis server for one test command.
#
#   tests/servers/redis.sh run -- <command...>
#
# Starts redis-server on 127.0.0.1 and a free port (also on a unix socket), in a temporary directory,
# without persistence (--save "" --appendonly no), with one ACL user for the AUTH tests, then runs
# <command...> with
#   SESSIONS_TEST_REDIS_URL        redis://127.0.0.1:<port>/0
#   SESSIONS_TEST_REDIS_UNIX_URL   unix://<dir>/redis.sock?db=0
#   SESSIONS_TEST_REDIS_ACL_USER   sessions_test:<password>  (an ACL user allowed everything)
#   SESSIONS_TEST_REDIS_CTL        a script taking stop | start | pause | resume (SIGSTOP/SIGCONT)
#                                  that acts on this server; start uses the same port again
# and stops the server at the end (also when the command fails or the harness is killed). The exit
# code is the command's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

readonly ACL_PASSWORD="sessions-test-password"

usage() {
  echo "usage: $0 run -- <command...>" >&2
  exit 2
}

# start_server <dir>: starts redis-server with the settings in <dir>; 1 if it does not answer.
start_server() {
  local dir=$1 port
  port=$(<"$dir/port")
  redis-server --bind 127.0.0.1 --port "$port" --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
    --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log" --daemonize no \
    --user sessions_test on ">$ACL_PASSWORD" "~*" "&*" "+@all" \
    </dev/null >>"$dir/redis.out" 2>&1 &
  echo $! >"$dir/redis.pid"
  if ! wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping; then
    stop_pid "$dir/redis.pid"
    return 1
  fi
}

ctl() {
  local dir=$1 action=${2:-}
  case $action in
    stop) stop_pid "$dir/redis.pid" ;;
    start)
      if [[ -f $dir/redis.pid ]] && alive "$(<"$dir/redis.pid")"; then return 0; fi
      start_server "$dir" || { echo "redis.sh: the server did not restart; see $dir/redis.log" >&2; return 1; }
      ;;
    pause) signal_pid "$dir/redis.pid" STOP ;;
    resume) signal_pid "$dir/redis.pid" CONT ;;
    *) echo "usage: SESSIONS_TEST_REDIS_CTL stop|start|pause|resume" >&2; return 2 ;;
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
  command -v redis-server >/dev/null || { echo "redis.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  command -v redis-cli >/dev/null || { echo "redis.sh: redis-cli not found (apt-get install redis-tools)" >&2; exit 1; }

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sessions-redis.XXXXXX")
  trap "finish '$dir'" EXIT
  start_watchdog "$dir" $$

  local attempt started=0
  for attempt in 1 2 3 4 5; do
    free_port >"$dir/port"
    if start_server "$dir"; then
      started=1
      break
    fi
  done
  if [[ $started -ne 1 ]]; then
    echo "redis.sh: redis-server did not start; its log:" >&2
    cat "$dir/redis.log" "$dir/redis.out" >&2 2>/dev/null || true
    exit 1
  fi

  printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$here/redis.sh" "$dir" >"$dir/ctl"
  chmod +x "$dir/ctl"

  export SESSIONS_TEST_REDIS_URL="redis://127.0.0.1:$(<"$dir/port")/0"
  export SESSIONS_TEST_REDIS_UNIX_URL="unix://$dir/redis.sock?db=0"
  export SESSIONS_TEST_REDIS_ACL_USER="sessions_test:$ACL_PASSWORD"
  export SESSIONS_TEST_REDIS_CTL="$dir/ctl"
  run_command "$@"
}

main "$@"
