#!/usr/bin/env bash
# The README's first command: install what vigie needs, build it, and run
# the main job on the built-in demo: a lab of real servers in network
# namespaces (198.18.0.0/24, 2001:2::/64), which the demo starts and removes.
# Today vigie scans the lab (SYN and connect modes) and checks what it finds
# against the lab's ground truth; each later part of vigie (services,
# directory audit, report) makes this demo do more. Outputs go to
# demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root: it installs Debian packages and creates network namespaces" >&2
  exit 77
fi

bash scripts/install-deps.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build; fi
meson compile -C build
vigie=$PWD/build/vigie

export VIGIE_LAB_PREFIX=vigie-demo
lab() { bash tests/lab/lab.sh "$@"; }
trap 'lab down' EXIT

echo
echo "=== the lab: real daemons in namespaces, and the ground truth ==="
lab up
truth=$(lab truth)

out=$PWD/demo-output
mkdir -p "$out"
ports=$(awk '!/^#/ && NF >= 4 { print $2 }' <<<"$truth" | sort -n -u | paste -sd, -)
ns="$VIGIE_LAB_PREFIX-scan"

echo
echo "=== vigie $("$vigie" --version | cut -d' ' -f2): what a scan of the lab will reach ==="
ip netns exec "$ns" "$vigie" targets --count -p "$ports" 198.18.0.0/24 2001:2::/120

echo
echo "=== vigie scan, SYN mode (stateless, raw sockets), IPv4 and IPv6 ==="
ip netns exec "$ns" "$vigie" scan --syn --rate 5000 -p "$ports" \
  -o "$out/scan.xml" -oX "$out/scan-nmap.xml" --jsonl \
  198.18.0.0/24 2001:2::10 2001:2::20 >"$out/scan.jsonl"
head -n 12 "$out/scan.jsonl"
echo "... ($(wc -l <"$out/scan.jsonl") results; all in $out/scan.xml and, for nmap tools, $out/scan-nmap.xml)"

echo
echo "=== vigie scan, connect() mode (no raw sockets needed) ==="
ip netns exec "$ns" "$vigie" scan --connect --rate 5000 -p "$ports" --jsonl \
  198.18.0.10 198.18.0.20 >"$out/connect.jsonl"

# Every (address, port, state) of the ground truth must be what vigie found.
missing=0
while read -r addr port state _service; do
  case "$addr" in '#'* | '') continue ;; esac
  for f in scan connect; do
    case "$f:$addr" in connect:2001:*) continue ;; esac
    grep -q "\"ip\":\"$addr\",\"port\":$port,\"proto\":\"tcp\",\"state\":\"$state\"" "$out/$f.jsonl" \
      || { echo "demo: $f mode: $addr $port $state not found" >&2; missing=1; }
  done
done <<<"$truth"
if [ "$missing" -eq 0 ]; then
  echo "Both modes found every open, closed and filtered port of the ground truth."
else
  echo "demo: some ground-truth ports were not found (see above)" >&2
  exit 1
fi
echo
echo "=== done: the lab comes down now ==="
