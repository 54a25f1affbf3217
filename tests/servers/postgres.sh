#!/usr/bin/env bash
# A throw-away PostgreSQL server for one command:
#
#   tests/servers/postgres.sh run -- <command> [args...]
#
# initdb into a fresh temporary directory (as the `postgres` user when run as root: PostgreSQL
# refuses to run as root), start the server on 127.0.0.1 and a free port with trust
# authentication, create the database sessions_test, then run the command with
#
#   SESSIONS_TEST_POSTGRES_URL   postgresql://postgres@127.0.0.1:<port>/sessions_test
#   SESSIONS_TEST_POSTGRES_CTL   a script: `stop` / `start` the server (same data, same port),
#                                `freeze` / `thaw` it (SIGSTOP/SIGCONT of its processes, to test
#                                timeouts), `log` (print the server log)
#
# With SESSIONS_TEST_POSTGRES_STANDBY=1, also a streaming standby of it (pg_basebackup -R) on a
# second port, and
#
#   SESSIONS_TEST_POSTGRES_FAILOVER_URL  postgresql://postgres@127.0.0.1:<primary>,127.0.0.1:<standby>/
#                                        sessions_test?target_session_attrs=read-write
#   SESSIONS_TEST_POSTGRES_STANDBY_PORT  the standby's port
#   the control script's `kill-primary` (an immediate stop: no shutdown checkpoint, as a crash)
#   and `promote` (the standby becomes the primary, as a failover manager would make it)
#
# and finally stop the server and delete the directory, whatever happened. The exit code is the
# command's. Environment: SESSIONS_PG_BIN (the server binaries; default: the newest
# /usr/lib/postgresql/*/bin), SESSIONS_TEST_POSTGRES_LOG_STATEMENT (e.g. `all`: log every statement
# to the server log, to count round trips).
set -euo pipefail

die() {
  printf 'postgres.sh: %s\n' "$*" >&2
  exit 2
}

[[ $# -ge 3 && $1 == run && $2 == -- ]] || die "usage: $0 run -- <command> [args...]"
shift 2

BIN=${SESSIONS_PG_BIN:-}
if [[ -z $BIN ]]; then
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x $candidate/initdb ]]; then
      BIN=$candidate
      break
    fi
  done
fi
[[ -n $BIN && -x $BIN/initdb && -x $BIN/pg_ctl ]] ||
  die "no PostgreSQL server binaries (apt-get install postgresql, or set SESSIONS_PG_BIN)"

# PostgreSQL refuses to run as root: as root, every server command runs as `postgres`.
AS_PG=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user"
  AS_PG=(runuser -u postgres --)
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/sessions-pg-XXXXXX")
DATA=$DIR/data
LOG=$DIR/server.log
CTL=$DIR/ctl.sh
chmod 755 "$DIR"
if [[ ${#AS_PG[@]} -gt 0 ]]; then chown postgres: "$DIR"; fi

STANDBY=$DIR/standby

# Stops the server (whatever state it is in) and removes everything.
teardown() {
  if [[ -f $STANDBY/postmaster.pid ]]; then
    "${AS_PG[@]}" "$BIN/pg_ctl" -D "$STANDBY" -m immediate -w -t 20 stop >/dev/null 2>&1
  fi
  if [[ -f $DATA/postmaster.pid ]]; then
    [[ -x $CTL ]] && "$CTL" thaw >/dev/null 2>&1
    "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 20 stop >/dev/null 2>&1
  fi
  rm -rf "$DIR"
}

cleanup() {
  local rc=$?
  if [[ -n ${WATCHDOG:-} ]]; then kill "$WATCHDOG" 2>/dev/null || true; fi
  teardown || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ctest kills a test that runs past its timeout with SIGKILL, which runs no trap: a watchdog tears
# the server down when this script is gone. (Its output goes nowhere, so that ctest does not wait
# for it.)
(
  trap '' HUP INT TERM
  while kill -0 $$ 2>/dev/null && [[ -d $DIR ]]; do sleep 1; done
  if [[ -d $DIR ]]; then teardown; fi
) </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

"${AS_PG[@]}" "$BIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; die "initdb failed"; }

{
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$DIR'"
  echo "max_connections = 100"
  # A test server: speed over durability.
  echo "fsync = off"
  echo "synchronous_commit = off"
  echo "full_page_writes = off"
  echo "log_line_prefix = '%m [%p] '"
  if [[ -n ${SESSIONS_TEST_POSTGRES_LOG_STATEMENT:-} ]]; then
    echo "log_statement = '${SESSIONS_TEST_POSTGRES_LOG_STATEMENT}'"
  fi
} >>"$DATA/postgresql.conf"

# The control script the tests call (paths baked in).
cat >"$CTL" <<EOF
#!/usr/bin/env bash
set -euo pipefail
pids() {
  local main
  main=\$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 0
  echo "\$main"
  pgrep -P "\$main" || true
}
case \${1:-} in
  stop) ${AS_PG[*]} "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null ;;
  start) ${AS_PG[*]} "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-p \$(cat "$DIR/port")" -w -t 30 start >/dev/null ;;
  freeze) for p in \$(pids); do kill -STOP "\$p"; done ;;
  thaw) for p in \$(pids); do kill -CONT "\$p"; done ;;
  log) cat "$LOG" ;;
  kill-primary) ${AS_PG[*]} "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null ;;
  promote) ${AS_PG[*]} "$BIN/pg_ctl" -D "$STANDBY" -w -t 30 promote >/dev/null ;;
  *) echo "usage: \$0 stop|start|freeze|thaw|log|kill-primary|promote" >&2; exit 2 ;;
esac
EOF
chmod 755 "$CTL"

# The port was free a moment ago; if another process took it meanwhile, try another one.
started=0
for attempt in 1 2 3 4 5; do
  PORT=$(free_port)
  echo "$PORT" >"$DIR/port"
  if "$CTL" start; then
    started=1
    break
  fi
  grep -q "could not bind\|Address already in use" "$LOG" 2>/dev/null || break
done
[[ $started -eq 1 ]] || { cat "$LOG" >&2; die "the server did not start"; }
"${AS_PG[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
  -c 'CREATE DATABASE sessions_test' >/dev/null || { cat "$LOG" >&2; die "cannot create the database"; }

if [[ ${SESSIONS_TEST_POSTGRES_STANDBY:-0} == 1 ]]; then
  "${AS_PG[@]}" "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$STANDBY" -R -X stream -c fast \
    >"$DIR/basebackup.log" 2>&1 || { cat "$DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
  STANDBY_PORT=$(free_port)
  "${AS_PG[@]}" "$BIN/pg_ctl" -D "$STANDBY" -l "$DIR/standby.log" -o "-p $STANDBY_PORT" -w -t 30 start >/dev/null ||
    { cat "$DIR/standby.log" >&2; die "the standby did not start"; }
  export SESSIONS_TEST_POSTGRES_STANDBY_PORT="$STANDBY_PORT"
  export SESSIONS_TEST_POSTGRES_FAILOVER_URL="postgresql://postgres@127.0.0.1:$PORT,127.0.0.1:$STANDBY_PORT/sessions_test?target_session_attrs=read-write"
fi

export SESSIONS_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/sessions_test"
export SESSIONS_TEST_POSTGRES_CTL="$CTL"

rc=0
"$@" || rc=$?
exit "$rc"
