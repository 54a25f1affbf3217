# Shared by tests/servers/*.sh (sourced, not run): temporary directories, free ports, waiting for a
# server, stopping it, and a watchdog that removes everything if the harness itself is killed
# (ctest kills a test that times out with SIGKILL, which runs no trap).

# A free TCP port on 127.0.0.1 (the kernel's pick for port 0). Another process could take it before
# the server binds it; the callers retry with a new port when the server fails to start.
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_until <seconds> <command...>: run the command every 50 ms until it succeeds; 1 on timeout.
wait_until() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.05
  done
}

# alive <pid>: the process exists and has not exited (a zombie, which nobody reaps when the harness
# that started it was killed, counts as exited).
alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
  [[ $state != Z ]]
}

# stop_pid <pidfile>: SIGTERM (SIGCONT first, in case it was paused), wait up to 10 s, then SIGKILL.
stop_pid() {
  local pidfile=$1 pid
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  rm -f "$pidfile"
  alive "$pid" || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 200; i++)); do
    alive "$pid" || return 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# signal_pid <pidfile> <signal>
signal_pid() {
  local pidfile=$1 signal=$2
  [[ -f $pidfile ]] || { echo "no server running ($pidfile missing)" >&2; return 1; }
  kill "-$signal" "$(<"$pidfile")"
}

# stop_pids <pidfile...>: all at once (a server may take a second to exit), then wait for all.
stop_pids() {
  local pidfile jobs=()
  for pidfile in "$@"; do
    stop_pid "$pidfile" &
    jobs+=($!)
  done
  wait "${jobs[@]}"  # only these: the harness has a watchdog child that must not be waited for
}

# stop_all <dir>: every server whose pid file is in <dir>.
stop_all() {
  local dir=$1 pidfiles=() pidfile
  for pidfile in "$dir"/*.pid; do
    [[ -e $pidfile ]] && pidfiles+=("$pidfile")
  done
  if [[ ${#pidfiles[@]} -gt 0 ]]; then stop_pids "${pidfiles[@]}"; fi
}

# start_watchdog <dir> <pid>: when process <pid> is gone, stop the servers of <dir> and remove it.
start_watchdog() {
  local dir=$1 owner=$2
  (
    trap '' HUP INT
    while alive "$owner" && [[ -d $dir ]]; do sleep 1; done
    if [[ -d $dir ]]; then
      stop_all "$dir"
      rm -rf "$dir"
    fi
  ) </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/watchdog"
}

# finish <dir>: the normal end of a harness (its EXIT trap).
finish() {
  local dir=$1
  [[ -d $dir ]] || return 0
  stop_all "$dir"
  if [[ -f $dir/watchdog ]]; then kill "$(<"$dir/watchdog")" 2>/dev/null || true; fi
  rm -rf "$dir"
}

# run_command <command...>: runs it and exits with its exit code.
run_command() {
  local rc=0
  "$@" || rc=$?
  exit "$rc"
}
