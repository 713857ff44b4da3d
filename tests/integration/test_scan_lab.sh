#!/usr/bin/env bash
# Integration test of `vigie scan` against the lab's real daemons: in SYN and
# connect() modes, over IPv4 and IPv6, the states found must equal the lab's
# ground truth (open, closed, filtered), silent addresses must give nothing,
# the nmap XML must validate against nmap's DTD, and a scan interrupted
# half-way then resumed must give the same result set as an uninterrupted one.
# Every probe stays inside the lab's namespaces. TAP; exit 77 when not root.
set -uo pipefail

LAB="$(cd "$(dirname "$0")/../lab" && pwd)/lab.sh"
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
export VIGIE_LAB_PREFIX="vigie-scantest-$$"
unset VIGIE_LAB_STATE
NS="$VIGIE_LAB_PREFIX-scan"
WORK=$(mktemp -d /tmp/vigie-test-scan.XXXXXX)
# The lab's hosts, plus addresses where nothing lives (silent: no result).
TARGETS4="198.18.0.10 198.18.0.20 198.18.0.30-198.18.0.33"
TARGETS6="2001:2::10 2001:2::20 2001:2::30-2001:2::33"
DTD=/usr/share/nmap/nmap.dtd

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, raw sockets)"
  exit 77
fi

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cleanup() { bash "$LAB" down >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

echo "1..23"
if ! bash "$LAB" up >"$WORK/truth.raw" 2>"$WORK/lab.err"; then
  not_ok "lab up"; sed 's/^/# /' "$WORK/lab.err"; exit 1
fi
ok "lab up"
ports=$(awk 'NF >= 3 { print $2 }' "$WORK/truth.raw" | sort -n -u | paste -sd, -)
# The lab lists the ports it sets up on each host; every other scanned port
# of a live host has nothing listening and no filter: closed (RST).
awk -v ports="$ports" 'NF >= 3 { state[$1 " " $2] = $3; host[$1] = 1 }
  END { n = split(ports, p, ","); for (h in host) for (i = 1; i <= n; i++) {
          k = h " " p[i]; print k, (k in state ? state[k] : "closed") } }' \
  "$WORK/truth.raw" | sort >"$WORK/truth"

# scan NAME ARGS...: run vigie in the scan namespace, JSON lines to NAME.jsonl,
# and (address port state) sorted to NAME.found.
scan() {
  local name=$1; shift
  ip netns exec "$NS" "$bin" scan -q --jsonl --rate 2000 --wait 1 --retries 1 --timeout 1 \
    -p "$ports" "$@" >"$WORK/$name.jsonl" 2>"$WORK/$name.err"
  local rc=$?
  python3 - "$WORK/$name.jsonl" >"$WORK/$name.found" <<'PY'
import json, sys
rows = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.add(f"{r['ip']} {r['port']} {r['state']}")
print("\n".join(sorted(rows)))
PY
  return $rc
}

# same_as_truth NAME FAMILY-PATTERN: the found set equals the truth of that family.
same_as_truth() {
  grep -E "$2" "$WORK/truth" | sort >"$WORK/$1.want"
  if diff -u "$WORK/$1.want" "$WORK/$1.found" >"$WORK/$1.diff"; then return 0; fi
  sed 's/^/# /' "$WORK/$1.diff"; sed 's/^/# /' "$WORK/$1.err"
  return 1
}

# shellcheck disable=SC2086
check "SYN scan of IPv4 exits 0" scan syn4 --syn -oX "$WORK/syn4.xml" $TARGETS4
check "SYN IPv4 states equal the ground truth" same_as_truth syn4 '^198\.'
# shellcheck disable=SC2086
check "SYN scan of IPv6 exits 0" scan syn6 --syn $TARGETS6
check "SYN IPv6 states equal the ground truth" same_as_truth syn6 '^2001:'
# shellcheck disable=SC2086
check "connect scan of IPv4 exits 0" scan con4 --connect -o "$WORK/con4.xml" $TARGETS4
check "connect IPv4 states equal the ground truth" same_as_truth con4 '^198\.'
# shellcheck disable=SC2086
check "connect scan of IPv6 exits 0" scan con6 --connect $TARGETS6
check "connect IPv6 states equal the ground truth" same_as_truth con6 '^2001:'

check "nmap XML validates against nmap's DTD" xmllint --noout --dtdvalid "$DTD" "$WORK/syn4.xml"
check "nmap's stylesheet turns the nmap XML into HTML" \
  xsltproc -o "$WORK/syn4.html" /usr/share/nmap/nmap.xsl "$WORK/syn4.xml"
check "ndiff reads the nmap XML (no difference with itself)" ndiff "$WORK/syn4.xml" "$WORK/syn4.xml"
check "scan XML validates against rules/scan.xsd" \
  xmllint --noout --schema "$VIGIE_RULES_DIR/scan.xsd" --output /dev/null "$WORK/con4.xml" 2>/dev/null

# Interrupted then resumed: same set as one uninterrupted scan (the connect
# scans above). The rate is low so that SIGINT lands half-way.
# resume_check MODE UNINTERRUPTED...: a scan in MODE interrupted half-way by
# SIGINT, then resumed, gives the same result set as the uninterrupted scans.
# The rate is low so that the signal lands half-way.
resume_check() {
  local mode=$1 w="$WORK/resume-$1"
  shift
  mkdir -p "$w"
  # shellcheck disable=SC2086
  ip netns exec "$NS" "$bin" scan -q --jsonl "--$mode" --rate 15 --retries 1 --timeout 1 --wait 1 \
    -p "$ports" -o "$w/part.xml" --resume-file "$w/resume.xml" $TARGETS4 $TARGETS6 \
    >"$w/part.jsonl" 2>"$w/part.err" &
  local pid=$! rc   # ip netns exec execs vigie: this is vigie's PID
  sleep 3
  kill -INT "$pid" 2>/dev/null
  wait "$pid"; rc=$?
  check "$mode: interrupted scan exits 3 (incomplete)" test "$rc" -eq 3
  check "$mode: interrupted scan saved a resume file" test -s "$w/resume.xml"
  local partial total
  partial=$(grep -c . "$w/part.jsonl")
  total=$(cat "$@" | grep -c .)
  check "$mode: the interruption came half-way ($partial of $total results before it)" \
    test "$partial" -gt 0 -a "$partial" -lt "$total"
  check "$mode: resumed scan exits 0" scan "resumed-$mode" --resume "$w/resume.xml" -o "$w/resumed.xml"
  # The resumed run's JSON lines hold only what it found itself; its XML holds all.
  python3 - "$w/resumed.xml" >"$w/resumed.all" <<'PY'
import sys, xml.etree.ElementTree as ET
rows = set()
for host in ET.parse(sys.argv[1]).getroot().iter("{urn:vigie:scan:1}host"):
    for port in host.iter("{urn:vigie:scan:1}port"):
        rows.add(f"{host.get('addr')} {port.get('number')} {port.get('state')}")
print("\n".join(sorted(rows)))
PY
  sort "$@" | grep . >"$w/uninterrupted"
  check "$mode: resumed result set equals the uninterrupted one" diff -u "$w/uninterrupted" "$w/resumed.all"
}
resume_check connect "$WORK/con4.found" "$WORK/con6.found"
resume_check syn "$WORK/syn4.found" "$WORK/syn6.found"
[ "$failed" -eq 0 ]
