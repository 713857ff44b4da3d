#!/usr/bin/env bash
# tests/integration/test_svc_modules.sh — the service modules (scanner/svc_*.c) against
# the lab's real daemons: brings a lab up under its own prefix, runs svc_probe (one module,
# a blocking socket with timeouts) from the scanner's namespace on every address and port
# of `lab.sh facts`, and checks that each expected fact is among what the module found and
# that it ended DONE. TAP; exit 77 (skip) when not root or without network namespaces.
# usage: test_svc_modules.sh [SVC_PROBE]   (default: $VIGIE_SVC_PROBE)
set -uo pipefail

LAB="$(cd "$(dirname "$0")/../lab" && pwd)/lab.sh"
PROBE=${1:-${VIGIE_SVC_PROBE:-}}
export VIGIE_LAB_PREFIX="vigie-svctest-$$"
unset VIGIE_LAB_STATE
NS="$VIGIE_LAB_PREFIX-scan"
WORK=$(mktemp -d /tmp/vigie-test-svc.XXXXXX)

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, daemons on ports below 1024)"; exit 77
fi
if ! unshare --net true 2>/dev/null; then
  echo "1..0 # SKIP this machine cannot create network namespaces"; exit 77
fi
if [[ ! -x $PROBE ]]; then
  echo "1..1"; echo "not ok 1 - svc_probe not found (argument or VIGIE_SVC_PROBE)"; exit 1
fi

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
cleanup() { bash "$LAB" down >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

if ! bash "$LAB" up >/dev/null 2>"$WORK/lab.err"; then
  echo "1..1"; echo "not ok 1 - lab up"; sed 's/^/# /' "$WORK/lab.err"; exit 1
fi
# Module "tls" lines are the deep TLS inspection's facts (no svc_probe module):
# test_exposure_lab.sh checks those through vigie scan.
bash "$LAB" facts | awk -F '\t' '$3 != "tls"' >"$WORK/facts.tsv"
# One probe per address, port and module; then one test per expected fact, plus one per
# probe for its verdict, plus the intrusive FTP login.
cut -f1-3 "$WORK/facts.tsv" | sort -u >"$WORK/probes.tsv"
echo "1..$(($(wc -l <"$WORK/facts.tsv") + $(wc -l <"$WORK/probes.tsv") + 2))"

# probe ADDR PORT MODULE [options]: svc_probe's output in $WORK/ADDR-PORT-MODULE.out
probe() {
  local out="$WORK/$1-$2-$3${4:+-i}.out"
  timeout 30 ip netns exec "$NS" "$PROBE" "$3" "$1" "$2" --timeout 5 "${@:4}" >"$out" 2>&1
}

while IFS=$'\t' read -r addr port module; do
  probe "$addr" "$port" "$module" &
done <"$WORK/probes.tsv"
wait

while IFS=$'\t' read -r addr port module; do
  out="$WORK/$addr-$port-$module.out"
  if grep -qx 'verdict=done' "$out"; then ok "$module on $addr port $port: done"
  else not_ok "$module on $addr port $port: done"; sed 's/^/#   /' "$out" | head -20; fi
done <"$WORK/probes.tsv"

while IFS=$'\t' read -r addr port module fact; do
  if grep -qxF "$fact" "$WORK/$addr-$port-$module.out"; then ok "$module on $addr port $port: $fact"
  else not_ok "$module on $addr port $port: $fact"; fi
done <"$WORK/facts.tsv"

# Only with --intrusive does the FTP module try an anonymous login (vsftpd allows it).
probe 198.18.0.10 21 ftp --intrusive
if grep -qx 'ftp.anonymous=true' "$WORK/198.18.0.10-21-ftp-i.out"; then ok "ftp --intrusive: ftp.anonymous=true"
else not_ok "ftp --intrusive: ftp.anonymous=true"; sed 's/^/#   /' "$WORK/198.18.0.10-21-ftp-i.out"; fi
if ! grep -q '^ftp.anonymous=' "$WORK/198.18.0.10-21-ftp.out"; then ok "ftp without --intrusive: no login tried"
else not_ok "ftp without --intrusive: no login tried"; fi

((failed == 0))
