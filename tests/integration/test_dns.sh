#!/usr/bin/env bash
# Integration test of name resolution against a real DNS server (dnsmasq)
# that the test starts in a namespace of its own; the machine's resolver and
# the internet are never asked. Two namespaces, linked only to each other:
#
#   NS-scan  veth0 198.18.1.1/24 2001:2:1::1/64 ── veth0 NS-dns
#            vigie runs here; its /etc/resolv.conf   198.18.1.53, 2001:2:1::53  dnsmasq,
#            is /etc/netns/NS-scan/resolv.conf         authoritative for lab.vigie.test
#            (nameserver 198.18.1.53)                  and the reverse zones, query log
#                                                    198.18.1.10-13, 2001:2:1::10  targets,
#                                                      a listener on port 8080
#                                                    198.18.1.54  UDP/TCP 53 dropped (nft)
#                                                    198.18.1.55  nothing listens
#
# Checks: every A and AAAA resolved (CNAME, several A), exclusions applied
# after resolution, PTR names in the outputs, NXDOMAIN listed with exit 2 or
# skipped, a dead or refusing resolver named within a bounded time (< 15 s),
# -n sends no query at all. TAP; exit 77 when not root or dnsmasq is missing.
set -uo pipefail

bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
rules=${VIGIE_RULES_DIR:-$(dirname "$0")/../../rules}
P="vigie-dns-$$"
NS_S="$P-scan" NS_D="$P-dns"
DNS4=198.18.1.53 DNS6=2001:2:1::53 DEAD=198.18.1.54 REFUSING=198.18.1.55
ZONE=lab.vigie.test

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces)"
  exit 77
fi
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
if [[ ! -x $DNSMASQ ]]; then
  echo "1..0 # SKIP dnsmasq is not installed (Debian package dnsmasq-base; scripts/install-deps.sh)"
  exit 77
fi
WORK=$(mktemp -d /tmp/vigie-test-dns.XXXXXX)
QLOG=$WORK/queries.log

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
show() { sed 's/^/#   /' "$@"; }

cleanup() {
  local ns
  for ns in "$NS_S" "$NS_D"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "/etc/netns/$NS_S" "$WORK"
}
trap cleanup EXIT
# VIGIE_DNS_DEBUG=DIR keeps a copy of the outputs and the query log in DIR.
[[ -n ${VIGIE_DNS_DEBUG:-} ]] && trap 'cp -r "$WORK" "$VIGIE_DNS_DEBUG"; cleanup' EXIT

# ------------------------------------------------------------------ set-up

write_dnsmasq_conf() {
  {
    echo "no-resolv"            # no upstream: nothing is forwarded anywhere
    echo "no-hosts"
    echo "bind-interfaces"
    echo "listen-address=$DNS4"
    echo "listen-address=$DNS6"
    echo "log-queries"
    echo "log-facility=$QLOG"
    echo "user=root"
    echo "group=root"
    echo "pid-file="
    # Answer for these zones from the records below only: unknown is NXDOMAIN.
    echo "local=/$ZONE/"
    echo "local=/1.18.198.in-addr.arpa/"
    echo "local=/1.0.0.0.2.0.0.0.1.0.0.2.ip6.arpa/"
    # host-record gives A, AAAA and the matching PTR.
    echo "host-record=web.$ZONE,198.18.1.10,2001:2:1::10"
    echo "host-record=multi.$ZONE,198.18.1.12"
    echo "host-record=multi.$ZONE,198.18.1.13"
    echo "host-record=db.$ZONE,198.18.1.11"
    echo "cname=www.$ZONE,web.$ZONE"
    echo "host-record=doc.$ZONE,192.0.2.1,2001:db8::1"  # documentation ranges: reserved
    for i in $(seq 1 40); do echo "host-record=n$i.$ZONE,198.18.1.$((100 + i))"; done
  } >"$WORK/dnsmasq.conf"
}

setup() {
  ip netns add "$NS_S" && ip netns add "$NS_D" || return 1
  ip link add veth0 netns "$NS_S" type veth peer name veth0 netns "$NS_D" || return 1
  ip -n "$NS_S" addr add 198.18.1.1/24 dev veth0
  ip -n "$NS_S" addr add 2001:2:1::1/64 dev veth0 nodad
  ip -n "$NS_D" addr add "$DNS4/24" dev veth0
  ip -n "$NS_D" addr add "$DNS6/64" dev veth0 nodad
  for a in 10 11 12 13 54 55; do ip -n "$NS_D" addr add "198.18.1.$a/32" dev veth0; done
  for i in $(seq 1 40); do ip -n "$NS_D" addr add "198.18.1.$((100 + i))/32" dev veth0; done
  ip -n "$NS_D" addr add 2001:2:1::10/128 dev veth0 nodad
  for ns in "$NS_S" "$NS_D"; do
    ip -n "$ns" link set lo up && ip -n "$ns" link set veth0 up || return 1
  done
  # The dead resolver: its packets vanish, so only a timeout can end a query.
  ip netns exec "$NS_D" nft -f - <<EOF || return 1
table inet vigie_dns_test {
  chain input {
    type filter hook input priority 0;
    ip daddr $DEAD udp dport 53 drop
    ip daddr $DEAD tcp dport 53 drop
  }
}
EOF
  # ip netns exec bind-mounts this over /etc/resolv.conf in the namespace.
  mkdir -p "/etc/netns/$NS_S" && echo "nameserver $DNS4" >"/etc/netns/$NS_S/resolv.conf"
  write_dnsmasq_conf
  ip netns exec "$NS_D" "$DNSMASQ" -k -C "$WORK/dnsmasq.conf" 2>"$WORK/dnsmasq.err" &
  disown
  ip netns exec "$NS_D" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 8080)); s.listen(128); time.sleep(3600)' &
  disown
  for _ in $(seq 50); do
    ip netns exec "$NS_D" ss -lun 2>/dev/null | grep -q "$DNS4:53 " &&
      ip netns exec "$NS_D" ss -ltn 2>/dev/null | grep -q ':8080 ' && return 0
    sleep 0.1
  done
  show "$WORK/dnsmasq.err"
  return 1
}

# vigie in the scan namespace: run NAME-OF-OUTPUT ARGS...; exit code in $rc,
# seconds taken in $secs.
run() {
  local out=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  ip netns exec "$NS_S" "$bin" "$@" >"$WORK/$out.out" 2>"$WORK/$out.err"
  rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# below A B: whether the number A is less than B (bash has no decimals).
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
export -f below

queries() { grep -c 'query\[' "$QLOG" 2>/dev/null || echo 0; }

if ! setup; then
  echo "1..1"
  echo "not ok 1 - set up the namespaces and dnsmasq"
  exit 1
fi

echo "1..35"
ok "namespaces and dnsmasq are up"
S=(--dns-servers "$DNS4" --include-reserved)

# --------------------------------------------------------------- forward

run fwd targets "${S[@]}" "web.$ZONE" "www.$ZONE" "multi.$ZONE" 198.18.1.11
check "targets with names exits 0" test "$rc" -eq 0
check "A and AAAA of web, through the CNAME www, and both A of multi are listed" \
  bash -c "grep -qx 198.18.1.10 '$WORK/fwd.out' && grep -qx 2001:2:1::10 '$WORK/fwd.out' &&
           grep -qx 198.18.1.12 '$WORK/fwd.out' && grep -qx 198.18.1.13 '$WORK/fwd.out' &&
           grep -qx 198.18.1.11 '$WORK/fwd.out'"
check "each address is listed once" test "$(grep -vc '^#' "$WORK/fwd.out")" -eq 5
check "each name is a comment with its addresses" \
  grep -qx "# www.$ZONE: 198.18.1.10 2001:2:1::10" "$WORK/fwd.out"
[[ $failed -eq 0 ]] || show "$WORK/fwd.out" "$WORK/fwd.err"
check "the A and AAAA queries reached our server" \
  bash -c "grep -q 'query\\[A\\] www.$ZONE' '$QLOG' && grep -q 'query\\[AAAA\\] www.$ZONE' '$QLOG'"

run default targets --include-reserved "db.$ZONE"
check "without --dns-servers, the namespace's resolv.conf server answers" \
  bash -c "[ $rc -eq 0 ] && grep -qx 198.18.1.11 '$WORK/default.out'"

names=()
for i in $(seq 1 40); do names+=("n$i.$ZONE"); done
run many targets "${S[@]}" "${names[@]}"
check "40 names resolved at once, every address listed, in $secs s" \
  bash -c "[ $rc -eq 0 ] && [ \$(grep -vc '^#' '$WORK/many.out') -eq 40 ] && below '$secs' 3"

# ------------------------------------------------------------- exclusions

run excl targets "${S[@]}" --exclude 198.18.1.13,2001:2:1::/64 "multi.$ZONE" "web.$ZONE"
check "an excluded address a name points to is not listed" \
  bash -c "[ $rc -eq 0 ] && ! grep -qx 198.18.1.13 '$WORK/excl.out' && grep -qx 198.18.1.12 '$WORK/excl.out' &&
           ! grep -qx 2001:2:1::10 '$WORK/excl.out'"
check "the listing says which addresses were excluded" \
  grep -qx "# multi.$ZONE: 198.18.1.12 (excluded: 198.18.1.13)" "$WORK/excl.out"
run reserved targets --dns-servers "$DNS4" "doc.$ZONE"
check "the reserved-range exclusion applies to resolved addresses too" \
  bash -c "[ $rc -eq 2 ] && grep -q 'no target left' '$WORK/reserved.err'"

# ------------------------------------------------------------------ scan

before=$(queries)
run scan scan --connect -p 8080 --rate 0 --wait 0.2 "${S[@]}" --exclude 198.18.1.13 \
  -o "$WORK/scan.xml" -oX "$WORK/nmap.xml" --jsonl "www.$ZONE" "multi.$ZONE"
check "scan by name exits 0" test "$rc" -eq 0
[[ $rc -eq 0 ]] || show "$WORK/scan.err"
check "the three resolved, not excluded addresses were scanned, the excluded one never" \
  bash -c "grep -q '\"ip\":\"198.18.1.10\"' '$WORK/scan.out' && grep -q '\"ip\":\"2001:2:1::10\"' '$WORK/scan.out' &&
           grep -q '\"ip\":\"198.18.1.12\"' '$WORK/scan.out' && ! grep -q '198.18.1.13' '$WORK/scan.out' &&
           ! grep -q 'addr=\"198.18.1.13\"' '$WORK/scan.xml' '$WORK/nmap.xml'"
check "JSON lines carry the target name" \
  grep -q "\"ip\":\"198.18.1.12\",\"hostnames\":\\[\"multi.$ZONE\"\\]" "$WORK/scan.out"
check "PTR queries were sent for the live hosts (IPv4 and ip6.arpa)" \
  bash -c "grep -q 'query\\[PTR\\] 10.1.18.198.in-addr.arpa' '$QLOG' &&
           grep -q 'query\\[PTR\\] 0.1.0.0.0.0.0.0.*ip6.arpa' '$QLOG'"
check "scan XML validates against rules/scan.xsd" \
  bash -c "xmllint --noout --schema '$rules/scan.xsd' '$WORK/scan.xml' 2>&1 | sed 's/^/# /'; exit \${PIPESTATUS[0]}"
check "scan XML: target and PTR names of 198.18.1.10" \
  bash -c "grep -q '<hostname name=\"www.$ZONE\" source=\"target\"/>' '$WORK/scan.xml' &&
           grep -q '<hostname name=\"web.$ZONE\" source=\"ptr\"/>' '$WORK/scan.xml'"
check "scan XML: the IPv6 host has its PTR name" \
  bash -c "awk '/addr=\"2001:2:1::10\"/,/<\\/host>/' '$WORK/scan.xml' | grep -q 'name=\"web.$ZONE\" source=\"ptr\"'"
check "nmap XML validates against nmap.dtd" \
  bash -c "[ ! -f /usr/share/nmap/nmap.dtd ] || xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd '$WORK/nmap.xml'"
check "nmap XML: hostname of type user and of type PTR" \
  bash -c "grep -q '<hostname name=\"www.$ZONE\" type=\"user\"/>' '$WORK/nmap.xml' &&
           grep -q '<hostname name=\"multi.$ZONE\" type=\"PTR\"/>' '$WORK/nmap.xml'"
run noptr scan --connect -p 8080 --rate 0 --wait 0.2 "${S[@]}" --no-ptr -o "$WORK/noptr.xml" "web.$ZONE"
check "--no-ptr: target names kept, no PTR name" \
  bash -c "[ $rc -eq 0 ] && grep -q 'source=\"target\"' '$WORK/noptr.xml' && ! grep -q 'source=\"ptr\"' '$WORK/noptr.xml'"

# An interrupted scan by name keeps the name in its resume file; the resumed
# scan resolves it again and ends with the PTR names.
ip netns exec "$NS_S" "$bin" scan -q --connect --rate 20 --wait 0.2 -p 8060-8100 "${S[@]}" \
  --resume-file "$WORK/resume.xml" "web.$ZONE" >/dev/null 2>"$WORK/part.err" &
pid=$!   # ip netns exec execs vigie: this is vigie's PID
sleep 1.5
kill -INT "$pid" 2>/dev/null
wait "$pid"; rc=$?
check "interrupted scan by name exits 3 and its resume file names the host" \
  bash -c "[ $rc -eq 3 ] && grep -q '<hostname name=\"web.$ZONE\" source=\"target\"/>' '$WORK/resume.xml'"
run resumed scan --resume "$WORK/resume.xml" -o "$WORK/resumed.xml"
check "the resumed scan ends with the target and PTR names, valid XML" \
  bash -c "[ $rc -eq 0 ] && grep -q 'name=\"web.$ZONE\" source=\"target\"' '$WORK/resumed.xml' &&
           grep -q 'name=\"web.$ZONE\" source=\"ptr\"' '$WORK/resumed.xml' &&
           xmllint --noout --schema '$rules/scan.xsd' '$WORK/resumed.xml' 2>/dev/null"
[[ $rc -eq 0 ]] || show "$WORK/resumed.err"

# -------------------------------------------------------------- failures

run nx targets "${S[@]}" "nx1.$ZONE" "web.$ZONE" "nx2.$ZONE"
check "NXDOMAIN exits 2" test "$rc" -eq 2
check "NXDOMAIN lists every failing name and no other" \
  bash -c "grep -q 'nx1.$ZONE' '$WORK/nx.err' && grep -q 'nx2.$ZONE' '$WORK/nx.err' &&
           grep -q '2 of 3 target names do not exist' '$WORK/nx.err' && [ ! -s '$WORK/nx.out' ]"
show "$WORK/nx.err"
run nxscan scan --connect -p 8080 "${S[@]}" -o "$WORK/nx.xml" "nx1.$ZONE"
check "scan of an NXDOMAIN name exits 2 and writes nothing" \
  bash -c "[ $rc -eq 2 ] && [ ! -e '$WORK/nx.xml' ]"
run skip targets "${S[@]}" --skip-unresolved "nx1.$ZONE" "web.$ZONE"
check "--skip-unresolved warns and goes on" \
  bash -c "[ $rc -eq 0 ] && grep -q 'warning.*nx1.$ZONE' '$WORK/skip.err' && grep -qx 198.18.1.10 '$WORK/skip.out'"

run dead targets --dns-servers "$DEAD" --include-reserved "web.$ZONE" "db.$ZONE"
check "a dead resolver is an error naming the server and the name, exit 69" \
  bash -c "[ $rc -eq 69 ] && grep -q '$DEAD did not answer' '$WORK/dead.err' && grep -q 'web.$ZONE' '$WORK/dead.err'"
show "$WORK/dead.err"
echo "# dead resolver: $secs s"
check "a dead resolver gives up in less than 15 s ($secs s; 2 tries of 5 s)" \
  bash -c "below '$secs' 15 && ! below '$secs' 9"
run refused targets --dns-servers "$REFUSING" --include-reserved "web.$ZONE"
check "a resolver where nothing listens is an error at once, exit 69 ($secs s)" \
  bash -c "[ $rc -eq 69 ] && grep -q '$REFUSING refused' '$WORK/refused.err' && below '$secs' 5"
show "$WORK/refused.err"

# ---------------------------------------------------------------------- -n

before=$(queries)
run nodns scan -n --connect -p 8080 --rate 0 --wait 0.2 "${S[@]}" -o "$WORK/nodns.xml" 198.18.1.10
check "-n: scan of an address works" bash -c "[ $rc -eq 0 ] && grep -q 'port number=\"8080\"' '$WORK/nodns.xml'"
check "-n: no DNS query at all reached the server" test "$(queries)" -eq "$before"
run nodnsname scan -n --connect -p 8080 "${S[@]}" "web.$ZONE"
check "-n with a host name is refused (exit 2), with no query" \
  bash -c "[ $rc -eq 2 ] && grep -q 'given with -n' '$WORK/nodnsname.err' && [ $(queries) -eq $before ]"
run ptrctl scan --connect -p 8080 --rate 0 --wait 0.2 "${S[@]}" -o "$WORK/ptrctl.xml" 198.18.1.10
check "without -n the same scan does query (the check above can fail)" \
  bash -c "[ $rc -eq 0 ] && [ $(queries) -gt $before ] && grep -q 'source=\"ptr\"' '$WORK/ptrctl.xml'"

bad=$(grep -l -E 'runtime error|Sanitizer' "$WORK"/*.err 2>/dev/null)
check "no sanitizer report in any run${bad:+ (see $bad)}" test -z "$bad"
[ -z "$bad" ] || show $bad

[ "$failed" -eq 0 ]
