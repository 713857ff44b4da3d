#!/usr/bin/env bash
# The directory collector and `vigie ldap` against a slapd this test starts
# on 127.0.0.1 (high ports, files in a temporary directory; nothing else is
# contacted). TAP. Checks: paging past a server size limit, a size limit
# that cuts a read (set partial, exit 3), the server probes, password
# schemes, bad credentials, TLS verification failure, an unreachable port, a
# server that stops answering (timeout), and slapd killed in the middle of a
# search (clear error, exit 76, no result file), a probe connection cut
# short (server set partial, exit 3).
# Needs slapd, ldapadd, ldapsearch, openssl and python3 (skips with 77 without them);
# root is not needed.
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
dump=${LDAPA_DUMP:?LDAPA_DUMP must point to the ldapa_dump helper}
rules=${VIGIE_TEST_DATA:?VIGIE_TEST_DATA must point to tests/data}/ldap-collect
PATH=$PATH:/usr/sbin
for tool in slapd ldapadd ldapsearch openssl python3; do
  command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
done
[ -d /usr/lib/ldap ] || { echo "1..0 # SKIP no slapd modules in /usr/lib/ldap"; exit 77; }

tmp=$(mktemp -d /tmp/vigie-ldap-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  [ -f "$tmp/slapd.pid" ] && kill "$(cat "$tmp/slapd.pid")" 2>/dev/null
  sleep 0.2
  rm -rf "$tmp"
}
trap cleanup EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check NAME COMMAND...: ok when COMMAND succeeds; shows the last output if not.
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else not_ok "$name"; sed 's/^/#   /' "$tmp/last" | head -20; fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------ the server
P1=$(free_port) P2=$(free_port) PX=$(free_port) PDEAD=$(free_port)
base="dc=vigie,dc=test"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/server.key" -out "$tmp/server.crt" \
  -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" -out "$tmp/other.crt" \
  -days 2 -subj /CN=other 2>/dev/null
mkdir -p "$tmp/db"
cat >"$tmp/slapd.conf" <<EOC
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload back_monitor
moduleload ppolicy
pidfile $tmp/slapd.pid
TLSCertificateFile $tmp/server.crt
TLSCertificateKeyFile $tmp/server.key
# An AD-like cap: 500 entries per answer, paging reads on.
sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited
database config
rootdn cn=admin,cn=config
access to * by * read
database mdb
suffix "$base"
rootdn "cn=admin,$base"
rootpw secret
directory $tmp/db
# A reader whose paged reads stop at 500 entries as well.
limits dn.exact="cn=limited,$base" size.soft=500 size.hard=500 size.prtotal=500
overlay ppolicy
access to * by * read
database monitor
access to * by * read
EOC
start_slapd() {
  slapd -h "ldap://127.0.0.1:$P1/ ldaps://127.0.0.1:$P2/" -f "$tmp/slapd.conf" 2>"$tmp/slapd.log"
  for _ in $(seq 50); do [ -s "$tmp/slapd.pid" ] && ldapsearch -x -H "ldap://127.0.0.1:$P1" -s base -b "" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
if ! start_slapd; then echo "1..0 # SKIP slapd did not start: $(head -c 300 "$tmp/slapd.log")"; exit 77; fi
python3 - "$base" >"$tmp/data.ldif" <<'PY'
import sys
b = sys.argv[1]
print(f"dn: {b}\nobjectClass: dcObject\nobjectClass: organization\no: vigie\ndc: vigie\n")
for ou in ("people", "policies"):
    print(f"dn: ou={ou},{b}\nobjectClass: organizationalUnit\nou: {ou}\n")
print(f"dn: cn=default,ou=policies,{b}\nobjectClass: pwdPolicy\nobjectClass: device\ncn: default\n"
      "pwdAttribute: userPassword\npwdMinLength: 4\n")
for who in ("limited", "auditor"):
    print(f"dn: cn={who},{b}\nobjectClass: person\ncn: {who}\nsn: {who}\nuserPassword: {who}-pw\n")
# 1200 people; password values of several schemes, 240 of each.
schemes = ["clear-text", "{SSHA}c2FsdGVkaGFzaA==", "{CRYPT}$6$salt$hash", "{CRYPT}abcdefghijklm", "{MD5}eA=="]
for i in range(1200):
    print(f"dn: uid=u{i},ou=people,{b}\nobjectClass: inetOrgPerson\nuid: u{i}\ncn: User {i}\nsn: U{i}\n"
          f"userPassword: {schemes[i % 5]}\n")
PY
ldapadd -x -H "ldap://127.0.0.1:$P1" -D "cn=admin,$base" -w secret -f "$tmp/data.ldif" >/dev/null \
  || { echo "1..0 # SKIP could not load the test directory"; exit 77; }
total=1206 # base, 2 OUs, the policy, 2 readers, 1200 people

echo "1..35"
url="ldap://127.0.0.1:$P1"
# ------------------------------------------------------------ collector
DUMP_LDAPS_PORT=$P2 DUMP_CA="$tmp/server.crt" "$dump" "$url" >"$tmp/dump" 2>"$tmp/last"
cat "$tmp/dump" >>"$tmp/last"
check "anonymous collection succeeds, profile openldap" grep -q "^profile: openldap" "$tmp/dump"
check "paging reads all $total entries past a 500-entry size limit" grep -q "^set entries complete $total$" "$tmp/dump"
check "the ppolicy entry is read" grep -q "^set ppolicies complete 1$" "$tmp/dump"
fact() { sed -n "/^set server /,/^set rootdse /p" "$tmp/dump" | grep -q "^    $1: $2\$"; }
check "probe: anonymous bind" fact anonymous_bind TRUE
check "probe: anonymous entries counted" fact anonymous_entries "$total"
check "probe: password values shown to anonymous" fact anonymous_password_values 1202
check "probe: cleartext bind answered 49" fact cleartext_bind_accepted TRUE
check "probe: StartTLS offered" fact starttls_supported TRUE
check "probe: LDAPS handshake" fact ldaps_open TRUE
check "probe: certificate verified with --ca-file" fact tls_verified TRUE
check "probe: ppolicy control" fact ppolicy_control TRUE
check "probe: cn=config readable" fact config_readable TRUE
check "probe: cn=Monitor readable" fact monitor_readable TRUE
schemes() { [ "$(grep -c "^    password_scheme: $1$" "$tmp/dump")" -eq "$2" ]; }
check "schemes: 242 CLEAR (people and the two readers)" schemes CLEAR 242
check "schemes: CRYPT-DES and CRYPT-SHA512 told apart" bash -c "$(declare -f schemes); tmp=$tmp; schemes CRYPT-DES 240 && schemes CRYPT-SHA512 240"
check "no password value is kept in the model" bash -c "! grep -q 'clear-text\|{SSHA}\|\\\$6\\\$' '$tmp/dump'"
DUMP_LDAPS_PORT=$P2 DUMP_CA="$tmp/other.crt" DUMP_SETS_ONLY=0 "$dump" "$url" >"$tmp/dump2" 2>"$tmp/last"
check "probe: certificate not verified against another CA" grep -q "^    tls_verified: FALSE$" "$tmp/dump2"

VIGIE_LDAP_PASSWORD=limited-pw DUMP_SETS_ONLY=1 "$dump" "$url" "cn=limited,$base" >"$tmp/dump" 2>"$tmp/last"
cat "$tmp/dump" >>"$tmp/last"
check "a paged read stopped by a size limit is partial, with the reason" \
  grep -q "^set entries partial 500 server size limit" "$tmp/dump"
check "a partial set is not an error of the collection" grep -q "^status: 0 ok" "$tmp/dump"

# ------------------------------------------------------------ vigie ldap
# run NAME EXIT STDERR-PATTERN ARGS...: vigie ldap, exit code and message.
run() {
  local name=$1 code=$2 pattern=$3; shift 3
  "$bin" ldap "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  cat "$tmp/out" "$tmp/err" >"$tmp/last"
  if [ "$rc" -eq "$code" ] && { [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/err"; }; then ok "$name"
  else not_ok "$name (exit $rc, wanted $code)"; sed 's/^/#   /' "$tmp/last" | head -20; fi
}
common=(--rules "$rules" --ldaps-port "$P2" --ca-file "$tmp/server.crt" --timeout 5)
printf 'auditor-pw\n' >"$tmp/pw"; chmod 600 "$tmp/pw"
run "vigie ldap: a full read exits 0" 0 "" --url "$url" --bind "cn=auditor,$base" \
  --password-file "$tmp/pw" --starttls "${common[@]}" -o "$tmp/full.xml"
check "vigie ldap: the result file is written" test -s "$tmp/full.xml"
check "vigie ldap: the summary gives the level" grep -q "estimated ANSSI level: [1-5]" "$tmp/out"
# The prompt: on a terminal (a pty from script(1)), echo off, the typed
# password binds. The input comes a second late: the prompt flushes type-ahead.
if command -v script >/dev/null; then
  (sleep 1; printf 'auditor-pw\n') | script -qec "env -u VIGIE_LDAP_PASSWORD '$bin' ldap --url '$url' \
    --bind 'cn=auditor,$base' --starttls --rules '$rules' --ldaps-port $P2 --ca-file '$tmp/server.crt' \
    -o '$tmp/prompt.xml'" /dev/null >"$tmp/last" 2>&1
  rc=$?
  check "vigie ldap: a password typed at the prompt binds (exit 0)" \
    bash -c "[ $rc -eq 0 ] && grep -q 'Password for cn=auditor' '$tmp/last' && [ -s '$tmp/prompt.xml' ]"
  check "vigie ldap: the typed password is not echoed" bash -c "! grep -q auditor-pw '$tmp/last'"
else
  n=$((n + 2)); echo "ok $((n - 1)) - prompt # SKIP script(1) missing"; echo "ok $n - no echo # SKIP script(1) missing"
fi
printf 'limited-pw\n' >"$tmp/pw"; chmod 600 "$tmp/pw"
run "vigie ldap: a set cut by a size limit exits 3, naming it" 3 "set entries read partially" \
  --url "$url" --bind "cn=limited,$base" --password-file "$tmp/pw" --starttls "${common[@]}" \
  -o "$tmp/partial.xml"
check "vigie ldap: the incomplete result is still written" test -s "$tmp/partial.xml"
printf 'wrong\n' >"$tmp/pw"; chmod 600 "$tmp/pw"
run "vigie ldap: bad credentials exit 77" 77 "Invalid credentials" --url "$url" \
  --bind "cn=auditor,$base" --password-file "$tmp/pw" --starttls "${common[@]}" -o "$tmp/bad.xml"
run "vigie ldap: an untrusted certificate exits 76 and says so" 76 "certificate did not verify" \
  --url "ldaps://127.0.0.1:$P2" --rules "$rules" --timeout 5 -o "$tmp/tls.xml"
run "vigie ldap: a closed port exits 69" 69 "Can't contact LDAP server" \
  --url "ldap://127.0.0.1:$PDEAD" --rules "$rules" --timeout 5 -o "$tmp/dead.xml"

cat >"$tmp/relay.py" <<'PY'
# relay LISTEN UPSTREAM LIMIT MARK INDEX MODE: connection number INDEX gets
# LIMIT bytes from the server, then MODE "hold" waits for the server to go
# (and creates MARK), "close" cuts the connection at once. MARK.ready says
# it listens.
import socket, sys, threading
listen, upstream, limit, mark = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
index, mode = int(sys.argv[5]), sys.argv[6]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen)); srv.listen(16)
open(mark + ".ready", "w").close()
def pump(a, b, cap):
    sent = 0
    try:
        while True:
            data = a.recv(65536)
            if not data: break
            if cap is not None and sent + len(data) > cap:
                b.sendall(data[:cap - sent]); open(mark, "w").close()
                if mode == "hold":
                    while a.recv(65536): pass   # until the server is gone
                break
            b.sendall(data); sent += len(data)
    except OSError: pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
count = 0
while True:
    c, _ = srv.accept()
    u = socket.create_connection(("127.0.0.1", upstream))
    cap = limit if count == index else None
    count += 1
    threading.Thread(target=pump, args=(c, u, None), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, cap), daemon=True).start()
PY
# A probe connection cut in the middle of its count: the server set is
# partial (its counts are lower bounds), the result is written, exit 3.
PY2=$(free_port)
python3 "$tmp/relay.py" "$PY2" "$P1" 2000 "$tmp/probe-cut" 1 close &
pids+=($!)
wait_file() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
wait_file "$tmp/probe-cut.ready"
run "vigie ldap: a probe cut short makes the server set partial (exit 3)" 3 "set server read partially" \
  --url "ldap://127.0.0.1:$PY2" --rules "$rules" --ldaps-port "$P2" --timeout 5 -o "$tmp/probecut.xml"
check "vigie ldap: the relay did cut the anonymous probe" test -e "$tmp/probe-cut"

# A server that stops answering: a timeout, not a hang.
pid=$(cat "$tmp/slapd.pid")
kill -STOP "$pid"
run "vigie ldap: a server that stops answering times out (exit 69)" 69 "" --url "$url" \
  --rules "$rules" --timeout 2 -o "$tmp/stopped.xml"
kill -CONT "$pid"

# slapd killed in the middle of the read: a relay passes the first 30 kB of
# the first connection (the audit connection: rootDSE, then the entries),
# then holds it; the test kills slapd, and the relay closes the client side
# when it sees the server gone.
python3 "$tmp/relay.py" "$PX" "$P1" 30000 "$tmp/held" 0 hold &
pids+=($!)
wait_file "$tmp/held.ready"
( for _ in $(seq 100); do [ -e "$tmp/held" ] && break; sleep 0.1; done; kill -9 "$(cat "$tmp/slapd.pid")" ) &
run "vigie ldap: slapd killed mid-search exits 76 naming the cut" 76 "search interrupted" \
  --url "ldap://127.0.0.1:$PX" --rules "$rules" --ldaps-port "$P2" --timeout 10 -o "$tmp/cut.xml"
check "vigie ldap: no result file after a cut connection" test ! -e "$tmp/cut.xml"
check "vigie ldap: no temporary file left either" bash -c "! ls -A '$tmp' | grep -q vigie-tmp"
[ "$failed" -eq 0 ]
