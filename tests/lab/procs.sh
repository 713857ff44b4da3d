# tests/lab/procs.sh — process helpers shared by the test lab (tests/lab/lab.sh) and the
# bench lab (bench/lab.sh), sourced by both. Each caller defines ALL_NS (its namespaces)
# and ns_exists.

# proc_field PID N: field N of /proc/PID/stat (the comm field may hold spaces, so cut
# after its closing parenthesis). Fails when the process is gone.
proc_field() {
  local stat rest f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }
  read -r -a f <<<"$rest"
  printf '%s\n' "${f[$(($2 - 3))]}"
}

# pid_alive PID [STARTTIME]: running (zombies count as dead: in containers whose PID 1
# does not reap, a stopped daemon stays a zombie) and, when given, the same process as the
# one recorded (same start time), so a recycled PID is never taken for ours.
pid_alive() {
  local st start
  st=$(proc_field "$1" 3) || return 1
  [[ $st != Z && $st != X ]] || return 1
  if [[ -n ${2:-} ]]; then
    start=$(proc_field "$1" 22) || return 1
    [[ $start == "$2" ]] || return 1
  fi
}

# every_ns_pid: the PIDs of all processes inside our namespaces.
every_ns_pid() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then ip netns pids "$ns" 2>/dev/null || true; fi
  done
}

# wait_gone TENTHS PID...: poll until none of the PIDs is alive; fail when time is up.
wait_gone() {
  local n=$1 p left; shift
  while ((n-- > 0)); do
    left=0
    for p in "$@"; do pid_alive "$p" && { left=1; break; }; done
    ((left)) || return 0
    sleep 0.1
  done
  return 1
}

# ns_pids_and PID...: every process in our namespaces plus those of the given PIDs
# still alive (a recorded daemon may have left its namespace's process list).
ns_pids_and() {
  local p
  every_ns_pid
  for p in "$@"; do pid_alive "$p" && echo "$p"; done
  return 0
}

# ns_teardown TENTHS PID...: end whatever still runs in our namespaces and the given
# survivors (SIGTERM, a bounded wait, then SIGKILL), then delete the namespaces, only
# ours, by exact name. Callers define log, die, ALL_NS and ns_exists.
ns_teardown() {
  local tenths=$1 ns left=()
  shift
  mapfile -t left < <(ns_pids_and "$@")
  if ((${#left[@]})); then
    kill -s TERM "${left[@]}" 2>/dev/null || true
    if ! wait_gone "$tenths" "${left[@]}"; then
      log "processes left in the namespaces after SIGTERM; sending SIGKILL"
      mapfile -t left < <(ns_pids_and "$@")
      if ((${#left[@]})); then kill -s KILL "${left[@]}" 2>/dev/null || true; fi
      wait_gone "$tenths" "${left[@]}" || die "processes survive SIGKILL: ${left[*]}"
    fi
  fi
  mapfile -t left < <(every_ns_pid)
  ((${#left[@]} == 0)) || die "processes still inside our namespaces: ${left[*]}"
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then ip netns del "$ns" || die "cannot delete namespace $ns"; fi
  done
}
