#!/usr/bin/env bash
# Integration test of the SYN engine's two IPv4 send paths. Targets behind a
# gateway whose MAC the kernel knows get prebuilt Ethernet frames on an
# AF_PACKET socket; anything in doubt (the gateway's MAC unknown, a route
# splitting the targets) falls back to raw IP sockets. Both must give the
# same, exact results. Two namespaces of our own, linked only to each other:
#
#   NS-scan  veth0 198.19.254.1/30 ── veth0 198.19.254.2/30  NS-target
#            route 198.18.250.0/24 via .2                   local 198.18.250.0/24 dev lo,
#                                                            a listener on 0.0.0.0:8081
# TAP; exit 77 when not root.
set -uo pipefail

bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
P="vigie-routed-$$"
NS_S="$P-scan" NS_T="$P-target"
NET=198.18.250.0/24
WORK=$(mktemp -d /tmp/vigie-test-routed.XXXXXX)

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, raw sockets)"
  exit 77
fi

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cleanup() {
  local ns
  for ns in "$NS_S" "$NS_T"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

setup() {
  ip netns add "$NS_S" && ip netns add "$NS_T" || return 1
  ip link add veth0 netns "$NS_S" type veth peer name veth0 netns "$NS_T" || return 1
  ip -n "$NS_S" addr add 198.19.254.1/30 dev veth0
  ip -n "$NS_T" addr add 198.19.254.2/30 dev veth0
  ip -n "$NS_S" link set lo up && ip -n "$NS_S" link set veth0 up
  ip -n "$NS_T" link set lo up && ip -n "$NS_T" link set veth0 up
  ip -n "$NS_S" route add "$NET" via 198.19.254.2 || return 1
  ip -n "$NS_T" route add local "$NET" dev lo || return 1
  # A SYN scan never reaches the listener (the kernel answers); it accepts
  # and closes whatever completes, so a full accept queue can never make the
  # kernel drop SYNs (open ports would then look filtered).
  ip netns exec "$NS_T" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8081)); s.listen(4096)
while True:
    s.accept()[0].close()' &
  disown
  for _ in $(seq 50); do
    ip netns exec "$NS_T" ss -ltn 2>/dev/null | grep -q ':8081 ' && return 0
    sleep 0.1
  done
  return 1
}

# scan NAME: a SYN scan (discovery only) of the /24 on 8081 (open) and 8082 (closed), its
# verbose log in NAME.log and (address port state) sorted in NAME.found.
scan() {
  ip netns exec "$NS_S" "$bin" scan -v --syn --no-services -p 8081,8082 --rate 20000 --wait 1 --retries 1 \
    --jsonl "$NET" >"$WORK/$1.jsonl" 2>"$WORK/$1.log"
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line); print(r["ip"], r["port"], r["state"])' "$WORK/$1.jsonl" |
    sort >"$WORK/$1.found"
}

same_as_truth() { cmp -s "$WORK/truth" "$WORK/$1.found"; }
log_says() { grep -q -- "$2" "$WORK/$1.log"; }

echo "1..9"
if ! setup 2>"$WORK/setup.err"; then
  not_ok "namespaces up"; sed 's/^/# /' "$WORK/setup.err"; exit 1
fi
ok "namespaces up"
python3 -c '
for i in range(256):
    print(f"198.18.250.{i} 8081 open"); print(f"198.18.250.{i} 8082 closed")' | sort >"$WORK/truth"

# 1. The gateway's MAC known (a permanent entry): Ethernet frames.
mac=$(ip -n "$NS_T" -br link show veth0 | awk '{ print $3 }')
ip -n "$NS_S" neigh replace 198.19.254.2 lladdr "$mac" dev veth0 nud permanent
scan frames
check "gateway's MAC known: probes go as Ethernet frames" log_says frames "Ethernet frames (AF_PACKET)"
check "Ethernet frames: results equal the truth (512 pairs)" same_as_truth frames

# 2. The MAC unknown: raw IP sockets, and the kernel resolves the gateway.
ip -n "$NS_S" neigh flush dev veth0
ip -n "$NS_S" neigh del 198.19.254.2 dev veth0 2>/dev/null
scan unknown
check "gateway's MAC unknown: raw sockets, reason logged" log_says unknown "gateway's MAC not known"
check "raw sockets: results equal the truth" same_as_truth unknown

# 3. A route that splits the targets: raw sockets, whatever the MAC.
ip -n "$NS_S" neigh replace 198.19.254.2 lladdr "$mac" dev veth0 nud permanent
ip -n "$NS_S" route add 198.18.250.128/25 via 198.19.254.2
scan split
check "a route splits the targets: raw sockets, reason logged" log_says split "overlapping routes"
check "split routes: results equal the truth" same_as_truth split
ip -n "$NS_S" route del 198.18.250.128/25

# 4. A policy rule could send targets anywhere: raw sockets.
ip -n "$NS_S" rule add to 198.18.250.0/25 lookup main pref 100
scan rule
check "a policy rule: raw sockets, reason logged" log_says rule "policy routing rules"
check "policy rule: results equal the truth" same_as_truth rule

if ((failed > 0)); then
  for f in "$WORK"/*.log; do echo "# --- $f"; sed 's/^/# /' "$f" | tail -5; done
fi
exit $((failed > 0))
