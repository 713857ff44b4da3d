#!/usr/bin/env bash
# The README's first command: install what vigie needs, build it, and run
# the main job on the built-in demo: a lab of real servers in network
# namespaces (198.18.0.0/24, 2001:2::/64), which the demo starts and removes.
# Today vigie expands the lab's targets and ports; each later part of vigie
# (scan, directory audit, report) makes this demo do more.
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

echo
echo "=== vigie: what a scan of the lab will reach ==="
ports=$(awk '!/^#/ && NF >= 4 { print $2 }' <<<"$truth" | sort -n -u | paste -sd, -)
"$vigie" --version
ip netns exec "$VIGIE_LAB_PREFIX-scan" "$vigie" targets --count -p "$ports" 198.18.0.0/24 2001:2::/120
echo
echo "The lab hosts, with the --top-ports 20 list, reserved ranges excluded:"
"$vigie" targets --count --top-ports 20 198.18.0.10 198.18.0.20 2001:2::10 2001:2::20
"$vigie" targets 198.18.0.8/29 --exclude 198.18.0.8-9

# Every (address, port) of the ground truth must be in what vigie expands.
listed=$("$vigie" targets 198.18.0.0/24 2001:2::/120)
missing=0
while read -r addr port _state _service; do
  case "$addr" in '#'* | '') continue ;; esac
  grep -qxF "$addr" <<<"$listed" || { echo "demo: $addr missing from vigie's expansion" >&2; missing=1; }
done <<<"$truth"
[ "$missing" -eq 0 ] && echo "Every lab address is in vigie's target expansion."

echo
echo "=== done: the lab comes down now ==="
