#!/usr/bin/env bash
# bench/lab.sh — the benchmark topology: one scanner namespace and two target namespaces
# that answer for a whole /16 (dense) and a /20 with few live hosts (sparse).
#
# usage: lab.sh up | down | status | env | truth dense|sparse
#
#   up      build the namespaces, start the listeners, check that the targets answer, and
#           write the ground truth files. Refuses (exit 1) when this prefix is already up,
#           even half up: run `down` first. On any failure `up` tears down what it started.
#   down    stop the listeners we started (recorded PIDs) and anything still running in our
#           namespaces, delete our namespaces and the state dir. Idempotent.
#   status  exit 0 when fully up, 1 when half up, 3 when down.
#   env     print the shell variables bench/run.sh reads (namespaces, interfaces, addresses,
#           MACs, truth files).
#   truth   print the ground truth of a scenario, one "address port state host" per line
#           (state open, closed or filtered; host up, or down for the sparse dead addresses).
#
# Environment (nothing else is read):
#   BENCH_PREFIX  namespace name prefix (default vigie-bench); `down` only touches its own.
#   BENCH_STATE   state dir (default /run/vigie-bench/$BENCH_PREFIX). Removed by `down`.
#   BENCH_SEED    seed of the sparse layout (default 1), see bench/topo.py.
#   BENCH_OFFLOADS  off (default) turns TSO/GSO/GRO off on the scanner's veths, so that
#                 libpcap sizes its capture ring by the MTU (see bench/offload.py: with
#                 the veth defaults masscan's ring holds 31 packets); `on` keeps them.
#
# Topology. Only 198.18.0.0/15 (RFC 2544, benchmarking) is used. Every interface is created
# inside a namespace (none in the root namespace) and the namespaces are linked only to each
# other: no route and no link lead anywhere else, so no packet can leave them, whatever a
# scanner sends on its veth.
#
#   PREFIX-scan  (the scanners run here; no default route)
#     veth-dense  198.19.255.1/30 ─── eth0 198.19.255.2/30  PREFIX-dense
#        route 198.18.0.0/16 via 198.19.255.2                 `local 198.18.0.0/16 dev lo`: every
#                                                             address answers; 16 listeners on
#                                                             0.0.0.0 (the 16 bench ports)
#     veth-sparse 198.19.255.5/30 ─── eth0 198.19.255.6/30  PREFIX-sparse
#        route 198.19.16.0/20 via 198.19.255.6                `local 198.19.16.0/20 dev lo`; ~1/8
#                                                             of the addresses alive; listeners
#                                                             bound per (address, port) for the
#                                                             open pairs; nftables drops the
#                                                             dead addresses and filtered pairs
#
# The scanner namespace's kernel owns the source addresses, so it answers the SYN-ACKs that
# raw-socket scanners provoke with a RST (expected; it is what a real scan host does).
# The targets raise somaxconn and tcp_max_syn_backlog and keep SYN cookies on, so a flood
# of SYNs is always answered (cookies once a SYN queue is full) instead of dropped.
set -euo pipefail

readonly PREFIX="${BENCH_PREFIX:-vigie-bench}"
readonly STATE="${BENCH_STATE:-/run/vigie-bench/$PREFIX}"
readonly SEED="${BENCH_SEED:-1}"
readonly OFFLOADS="${BENCH_OFFLOADS:-off}"
readonly NS_SCAN="$PREFIX-scan" NS_DENSE="$PREFIX-dense" NS_SPARSE="$PREFIX-sparse"
readonly ALL_NS=("$NS_SCAN" "$NS_DENSE" "$NS_SPARSE")
readonly MARKER="$STATE/.vigie-bench-state"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE

# Addresses and MACs (locally administered, fixed: each lives in its own namespace).
readonly DENSE_NET=198.18.0.0/16 SPARSE_NET=198.19.16.0/20
readonly IF_DENSE=veth-dense SRC_DENSE=198.19.255.1 GW_DENSE=198.19.255.2
readonly MAC_SRC_DENSE=02:76:69:00:01:01 MAC_GW_DENSE=02:76:69:00:01:02
readonly IF_SPARSE=veth-sparse SRC_SPARSE=198.19.255.5 GW_SPARSE=198.19.255.6
readonly MAC_SRC_SPARSE=02:76:69:00:02:01 MAC_GW_SPARSE=02:76:69:00:02:02

readonly READY_WAIT=30    # seconds for the listeners to listen
readonly STOP_WAIT=50     # tenths of a second for a polite stop

log() { printf 'bench-lab[%s]: %s\n' "$PREFIX" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- process helpers

# shellcheck source=tests/lab/procs.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lab/procs.sh"

# start_bg NAME NS CMD...: start CMD inside NS in its own session; record PID + start time.
# `ip netns exec` and `setsid` both exec, so $! is the command's own PID.
start_bg() {
  local name=$1 ns=$2 start; shift 2
  ip netns exec "$ns" setsid "$@" </dev/null >>"$STATE/log/$name.log" 2>&1 &
  start=$(proc_field "$!" 22) || die "$name died at once (log: $STATE/log/$name.log)"
  printf '%s %s\n' "$!" "$start" >"$STATE/pids/$name"
}

ns_exists() { [[ -e /run/netns/$1 ]]; }

# ---------------------------------------------------------------- network

# link_target NS IF SRC GW MAC_SRC MAC_GW: a veth pair from the scanner namespace straight
# into the target namespace (created there: the root namespace never sees it).
link_target() {
  local ns=$1 ifname=$2 src=$3 gw=$4 mac_src=$5 mac_gw=$6
  ip -n "$NS_SCAN" link add "$ifname" address "$mac_src" type veth \
    peer name eth0 address "$mac_gw" netns "$ns"
  ip -n "$NS_SCAN" addr add "$src/30" dev "$ifname"
  ip -n "$NS_SCAN" link set "$ifname" up
  ip -n "$ns" addr add "$gw/30" dev eth0
  ip -n "$ns" link set eth0 up
  # Static neighbours: no ARP at all between the two ends (masscan and zmap are told the
  # MAC with --router-mac / -G, the kernels learn it here).
  ip -n "$NS_SCAN" neigh replace "$gw" lladdr "$mac_gw" dev "$ifname" nud permanent
  ip -n "$ns" neigh replace "$src" lladdr "$mac_src" dev eth0 nud permanent
  if [[ $OFFLOADS == off ]]; then
    ip netns exec "$NS_SCAN" python3 "$HERE/offload.py" "$ifname" off >/dev/null \
      || die "cannot turn offloads off on $ifname"
  fi
}

# tune_target NS: answer every SYN, however many arrive at once.
tune_target() {
  ip netns exec "$1" sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
    net.ipv4.tcp_syncookies=1 >/dev/null
}

net_up() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ip netns add "$ns" || die "cannot create network namespace $ns"
    ip -n "$ns" link set lo up
    # IPv4 only: no router solicitations or neighbour discovery chatter on the veths.
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1 >/dev/null
  done
  link_target "$NS_DENSE" "$IF_DENSE" "$SRC_DENSE" "$GW_DENSE" "$MAC_SRC_DENSE" "$MAC_GW_DENSE"
  link_target "$NS_SPARSE" "$IF_SPARSE" "$SRC_SPARSE" "$GW_SPARSE" "$MAC_SRC_SPARSE" "$MAC_GW_SPARSE"
  ip -n "$NS_SCAN" route add "$DENSE_NET" via "$GW_DENSE" dev "$IF_DENSE"
  ip -n "$NS_SCAN" route add "$SPARSE_NET" via "$GW_SPARSE" dev "$IF_SPARSE"
  ip -n "$NS_DENSE" route add local "$DENSE_NET" dev lo table local
  ip -n "$NS_SPARSE" route add local "$SPARSE_NET" dev lo table local
  tune_target "$NS_DENSE"
  tune_target "$NS_SPARSE"
  python3 "$HERE/topo.py" nft-sparse --seed "$SEED" >"$STATE/sparse.nft"
  ip netns exec "$NS_SPARSE" nft -f "$STATE/sparse.nft" || die "nftables rules failed ($STATE/sparse.nft)"
}

# ---------------------------------------------------------------- listeners and checks

start_listeners() {
  python3 "$HERE/topo.py" listeners-dense >"$STATE/listen-dense.txt"
  python3 "$HERE/topo.py" listeners-sparse --seed "$SEED" >"$STATE/listen-sparse.txt"
  start_bg listener-dense "$NS_DENSE" python3 "$HERE/listener.py" \
    "$STATE/listen-dense.txt" "$STATE/ready-dense"
  start_bg listener-sparse "$NS_SPARSE" python3 "$HERE/listener.py" \
    "$STATE/listen-sparse.txt" "$STATE/ready-sparse"
}

wait_ready() {
  local name=$1 ns=$2 want deadline=$((SECONDS + READY_WAIT)) pid start got
  want=$(wc -l <"$STATE/listen-$name.txt")
  read -r pid start <"$STATE/pids/listener-$name"
  until [[ -s $STATE/ready-$name ]]; do
    pid_alive "$pid" "$start" || die "listener-$name died (log: $STATE/log/listener-$name.log)"
    ((SECONDS < deadline)) || die "listener-$name not ready after ${READY_WAIT}s"
    sleep 0.1
  done
  got=$(ip netns exec "$ns" ss -Hltn | wc -l)
  ((got == want)) || die "$ns has $got listening sockets, expected $want"
}

# expect STATE ADDR PORT: one connect() from the scanner namespace gives the expected state.
expect() {
  local want=$1 addr=$2 port=$3 got
  if ip netns exec "$NS_SCAN" timeout 2 bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null; then
    got=open
  else
    case $? in 124) got=filtered ;; *) got=closed ;; esac
  fi
  [[ $got == "$want" ]] || die "check failed: $addr:$port is $got from $NS_SCAN, expected $want"
}

check_targets() {
  local line
  expect open 198.18.0.1 80
  expect open 198.18.255.254 8443
  # One pair of each state of the sparse target (live hosts), and one dead host's port.
  local state host addr port
  for state in open/up closed/up filtered/up filtered/down; do
    host=${state#*/} state=${state%/*}
    line=$(awk -v s="$state" -v h="$host" '$3 == s && $4 == h { print; exit }' "$STATE/truth-sparse.txt")
    [[ -n $line ]] || die "no $state pair on a $host host in the sparse truth"
    read -r addr port _ <<<"$line"
    expect "$state" "$addr" "$port"
  done
}

write_env() {
  cat >"$STATE/env" <<EOF
NS_SCAN=$NS_SCAN
NS_DENSE=$NS_DENSE
NS_SPARSE=$NS_SPARSE
DENSE_NET=$DENSE_NET
SPARSE_NET=$SPARSE_NET
IF_DENSE=$IF_DENSE
SRC_DENSE=$SRC_DENSE
GW_DENSE=$GW_DENSE
MAC_SRC_DENSE=$MAC_SRC_DENSE
MAC_GW_DENSE=$MAC_GW_DENSE
IF_SPARSE=$IF_SPARSE
SRC_SPARSE=$SRC_SPARSE
GW_SPARSE=$GW_SPARSE
MAC_SRC_SPARSE=$MAC_SRC_SPARSE
MAC_GW_SPARSE=$MAC_GW_SPARSE
BENCH_SEED=$SEED
BENCH_OFFLOADS=$OFFLOADS
TRUTH_DENSE=$STATE/truth-dense.txt
TRUTH_SPARSE=$STATE/truth-sparse.txt
EOF
}

# ---------------------------------------------------------------- commands

UP_DONE=0
on_up_exit() {
  local rc=$?
  if ((UP_DONE == 0)); then
    log "up failed (exit $rc): tearing down what was started"
    lab_down || log "teardown after the failure did not finish cleanly"
    exit $((rc == 0 ? 1 : rc))
  fi
}

lab_up() {
  local ns tool
  for ns in "${ALL_NS[@]}"; do
    ns_exists "$ns" && die "bench lab '$PREFIX' is already up (namespace $ns exists): run 'lab.sh down' first"
  done
  [[ -e $MARKER ]] && die "bench lab '$PREFIX' is already up (state in $STATE): run 'lab.sh down' first"
  if [[ -e $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    die "state dir $STATE exists, is not empty and is not a bench lab's: refusing to use it"
  fi
  for tool in ip nft ss sysctl python3 setsid timeout; do
    command -v "$tool" >/dev/null || die "missing '$tool': run scripts/install-deps.sh"
  done
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  install -d -m 755 "$STATE" "$STATE/pids" "$STATE/log"
  : >"$MARKER"
  log "namespaces $NS_SCAN, $NS_DENSE, $NS_SPARSE (seed $SEED)"
  net_up
  start_listeners
  python3 "$HERE/topo.py" truth dense >"$STATE/truth-dense.txt"
  python3 "$HERE/topo.py" truth sparse --seed "$SEED" >"$STATE/truth-sparse.txt"
  wait_ready dense "$NS_DENSE"
  wait_ready sparse "$NS_SPARSE"
  check_targets
  write_env
  UP_DONE=1
  trap - EXIT INT TERM
  log "up; truth in $STATE/truth-{dense,sparse}.txt, variables in $STATE/env"
}

lab_down() {
  local f pid start pids=()
  cd /
  # 1. The processes we started (SIGTERM).
  if [[ -d $STATE/pids ]]; then
    for f in "$STATE"/pids/*; do
      [[ -f $f ]] || continue
      read -r pid start <"$f" || continue
      pid_alive "$pid" "$start" || continue
      kill -s TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    done
  fi
  if ((${#pids[@]})) && ! wait_gone "$STOP_WAIT" "${pids[@]}"; then
    log "some listeners ignored SIGTERM"
  fi
  # 2-3. Whatever still runs inside our namespaces (a scanner left by an interrupted run)
  #    and any recorded process that survived, then the namespaces themselves.
  ns_teardown "$STOP_WAIT" "${pids[@]}"
  # 4. The state dir, only when it carries our marker.
  if [[ -e $MARKER ]]; then
    rm -rf --one-file-system -- "$STATE"
    [[ -n ${BENCH_STATE:-} ]] || rmdir /run/vigie-bench 2>/dev/null || true
  elif [[ -d $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    log "warning: $STATE has no bench marker; left in place"
  fi
  return 0
}

lab_status() {
  local ns up=0 down=0 f name pid start
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then echo "namespace $ns: present"; ((++up)); else echo "namespace $ns: absent"; ((++down)); fi
  done
  if [[ -d $STATE/pids ]]; then
    for f in "$STATE"/pids/*; do
      [[ -f $f ]] || continue
      name=${f##*/}
      read -r pid start <"$f" || continue
      if pid_alive "$pid" "$start"; then echo "$name: running (pid $pid)"; ((++up))
      else echo "$name: not running (pid $pid)"; ((++down)); fi
    done
  fi
  if ((up == 0)); then echo "bench lab $PREFIX: down"; return 3; fi
  if ((down == 0)) && [[ -f $STATE/env ]]; then echo "bench lab $PREFIX: up"; return 0; fi
  echo "bench lab $PREFIX: half up (run 'lab.sh down')"; return 1
}

(($(id -u) == 0)) || { log "must run as root (network namespaces)"; exit 77; }
case $OFFLOADS in on | off) ;; *) die "BENCH_OFFLOADS must be on or off" ;; esac
case ${1:-} in
  up) lab_up ;;
  down) lab_down ;;
  status) lab_status ;;
  env) [[ -f $STATE/env ]] || die "bench lab '$PREFIX' is not up"; cat "$STATE/env" ;;
  truth)
    case ${2:-} in dense | sparse) ;; *) die "usage: lab.sh truth dense|sparse" ;; esac
    [[ -f $STATE/truth-$2.txt ]] || die "bench lab '$PREFIX' is not up"
    cat "$STATE/truth-$2.txt" ;;
  *) echo "usage: lab.sh up | down | status | env | truth dense|sparse" >&2; exit 2 ;;
esac
