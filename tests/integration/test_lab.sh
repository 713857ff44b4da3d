#!/usr/bin/env bash
# tests/integration/test_lab.sh — integration test of the lab of real servers
# (tests/lab/lab.sh): brings a lab up under its own prefix, talks to every daemon with
# its real protocol from the scanner's namespace, checks that the ground truth matches
# what the network answers, then brings the lab down and checks nothing is left.
# TAP output; exit 77 (skip) when not root or when network namespaces are impossible.
set -uo pipefail

LAB="$(cd "$(dirname "$0")/../lab" && pwd)/lab.sh"
export VIGIE_LAB_PREFIX="vigie-labtest-$$"
unset VIGIE_LAB_STATE                      # the default, /run/vigie-lab/$PREFIX
STATE="/run/vigie-lab/$VIGIE_LAB_PREFIX"
NS_SCAN="$VIGIE_LAB_PREFIX-scan"
WEB4=198.18.0.10 WEB6=2001:2::10 DATA4=198.18.0.20 DATA6=2001:2::20
SUFFIX="dc=lab,dc=vigie,dc=test"
WORK=$(mktemp -d /tmp/vigie-test-lab.XXXXXX)

# The ground truth the lab must print (address port state service).
EXPECTED_TRUTH="\
198.18.0.10 21 open ftp
2001:2::10 21 open ftp
198.18.0.10 22 open ssh
2001:2::10 22 open ssh
198.18.0.10 25 open smtp
2001:2::10 25 open smtp
198.18.0.10 80 open http
2001:2::10 80 open http
198.18.0.10 443 open https
2001:2::10 443 open https
198.18.0.10 4443 open https-4443
2001:2::10 4443 open https-4443
198.18.0.10 5443 open https-5443
2001:2::10 5443 open https-5443
198.18.0.10 8080 closed http-proxy
2001:2::10 8080 closed http-proxy
198.18.0.10 8443 filtered https-alt
2001:2::10 8443 filtered https-alt
198.18.0.10 23 open telnet
2001:2::10 23 open telnet
198.18.0.10 3306 open mysql
2001:2::10 3306 open mysql
198.18.0.10 5900 open vnc
2001:2::10 5900 open vnc
198.18.0.10 6379 open redis
2001:2::10 6379 open redis
198.18.0.20 22 open ssh
2001:2::20 22 open ssh
198.18.0.20 104 open dicom
2001:2::20 104 closed dicom
198.18.0.20 139 open netbios-ssn
2001:2::20 139 open netbios-ssn
198.18.0.20 389 open ldap
2001:2::20 389 open ldap
198.18.0.20 445 open microsoft-ds
2001:2::20 445 open microsoft-ds
198.18.0.20 1433 filtered ms-sql-s
2001:2::20 1433 filtered ms-sql-s
198.18.0.20 3306 closed mysql
2001:2::20 3306 closed mysql
198.18.0.20 3389 open ms-wbt-server
2001:2::20 3389 open ms-wbt-server
198.18.0.20 5432 open postgresql
2001:2::20 5432 open postgresql"
N_TRUTH=$(wc -l <<<"$EXPECTED_TRUTH")
PLAN=$((46 + N_TRUTH))

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, daemons on ports below 1024)"
  exit 77
fi
if ! unshare --net true 2>/dev/null; then
  echo "1..0 # SKIP this machine cannot create network namespaces"
  exit 77
fi

# ------------------------------------------------------------------ TAP helpers
n=0 failed=0
ok() {   # ok NAME CMD...: one test; the command's output is shown as diagnostics on failure
  local name=$1 out; shift
  n=$((n + 1))
  if out=$("$@" 2>&1); then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    failed=$((failed + 1))
    if [[ -n $out ]]; then printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; fi
  fi
}
skip_rest() {   # every test left is reported as failed (the plan stays honest)
  while ((n < PLAN)); do
    n=$((n + 1)); failed=$((failed + 1))
    echo "not ok $n - $1"
  done
}

# in_scan CMD...: run from the scanner's namespace, bounded in time.
in_scan() { timeout 10 ip netns exec "$NS_SCAN" "$@"; }

# Daemon processes (not zombies) of the kinds the lab starts, as "pid comm" lines. Those
# inside another lab's named network namespace (a concurrent lab of another prefix, whose
# daemons come and go while this test runs) are left out: they are none of ours.
foreign_netns() {
  local f
  for f in /run/netns/*; do
    [[ -e $f && ${f##*/} != "$VIGIE_LAB_PREFIX"-* ]] && stat -L -c %i "$f" 2>/dev/null
  done
  return 0
}
daemon_procs() {
  local skip pid comm ino
  skip=" $(foreign_netns | tr '\n' ' ') "
  ps -e -o pid=,stat=,comm= | awk '$2 !~ /^Z/ && $3 ~ /^(nginx|sshd|slapd|postgres|smbd|smbd-notifyd|cleanupd|samba-dcerpcd|vsftpd|storescp|master|qmgr|pickup|postlogd|redis-server|mariadbd|inetutils-inetd|telnetd|Xvnc|xrdp)$/ {print $1, $3}' |
    while read -r pid comm; do
      ino=$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) || continue
      [[ $skip == *" $ino "* ]] || echo "$pid $comm"
    done | LC_ALL=C sort
}

lab_is_down=0
cleanup() {
  if ((lab_is_down == 0)); then bash "$LAB" down >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ protocol checks
# banner ADDR PORT PATTERN: the first line the server sends matches PATTERN.
banner() {
  local line
  # shellcheck disable=SC2016 # expanded by the inner bash, inside the scan namespace
  line=$(in_scan bash -c 'exec 3<>"/dev/tcp/$1/$2" && IFS= read -r -t 5 line <&3 && printf "%s\n" "$line"' _ "$1" "$2") ||
    { echo "no banner from $1 port $2"; return 1; }
  echo "$line"
  [[ $line =~ $3 ]]
}

http_title() {   # http_title URL [curl options]: the page has the lab's <title>
  local url=$1; shift
  in_scan curl -sS -g --noproxy '*' --max-time 5 "$@" "$url" | grep -F '<title>Vigie lab web server</title>'
}

# tls_weak ADDR: the 4443 server speaks TLS 1.0 and shows the expired self-signed
# RSA 1024 SHA-1 certificate.
tls_weak() {
  local out
  out=$(in_scan openssl s_client -connect "$1:4443" -tls1 -cipher 'ALL:@SECLEVEL=0' </dev/null 2>&1) ||
    { echo "$out" | tail -n 5; return 1; }
  grep -E 'Protocol *: TLSv1$' <<<"$out" || return 1
  # s_client prints the server's certificate in PEM: x509 reads the first one.
  openssl x509 -noout -text <<<"$out" |
    grep -oE 'Public-Key: \(1024 bit\)|Signature Algorithm: sha1WithRSAEncryption|Not After : Jan  1 00:00:00 2021 GMT' |
    sort -u | wc -l | grep -qx 3
}
# tls_strong: HTTPS on 5443 by the host's lab name verifies against the lab CA alone.
tls_strong() {
  local fam
  for fam in -4 -6; do
    http_title "https://web.lab.vigie.test:5443/" "$fam" --cacert "$STATE/web/nginx/strong/ca.crt" || return 1
  done
}
tls_strong_refuses_old() {
  ! in_scan openssl s_client -connect "$WEB4:5443" -tls1_1 -cipher 'ALL:@SECLEVEL=0' </dev/null >/dev/null 2>&1
}

ldap_naming() {   # ldap_naming URI: the root DSE names our suffix
  LDAPNOINIT=1 in_scan ldapsearch -x -H "$1" -s base -b "" namingContexts | grep -Fx "namingContexts: $SUFFIX"
}

ldap_people() {   # anonymous subtree search finds the lab's users
  LDAPNOINIT=1 in_scan ldapsearch -x -LLL -H "ldap://$DATA4" -b "ou=people,$SUFFIX" "(uid=alice)" cn |
    grep -Fx "cn: Alice Martin"
}

pg_login() {   # password (SCRAM) login and a query
  PGPASSWORD=vigie-lab PGCONNECT_TIMEOUT=5 in_scan psql -h "$1" -U postgres -d postgres -Atc 'select 6*7' |
    grep -Fx 42
}

# smb2_negotiate ADDR PORT: a raw SMB2 NEGOTIATE, answered with STATUS_SUCCESS.
smb2_negotiate() {
  in_scan python3 - "$1" "$2" <<'EOF'
import socket, struct, sys
addr, port = sys.argv[1], int(sys.argv[2])
dialects = [0x0202, 0x0210, 0x0300, 0x0302]
hdr = b'\xfeSMB' + struct.pack('<HHIHHIIQIIQ16s', 64, 0, 0, 0, 1, 0, 0, 0, 0xfeff, 0, 0, b'\0' * 16)
neg = struct.pack('<HHHHI16sQ', 36, len(dialects), 1, 0, 0, b'vigie-lab-test\0\0', 0)
msg = hdr + neg + b''.join(struct.pack('<H', d) for d in dialects)
s = socket.create_connection((addr, port), timeout=5)
s.sendall(struct.pack('>I', len(msg)) + msg)
def recvn(n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit('connection closed by the server')
        b += c
    return b
r = recvn(struct.unpack('>I', recvn(4))[0] & 0xffffff)
if r[:4] != b'\xfeSMB':
    sys.exit('not an SMB2 answer: %r' % r[:8])
status, cmd = struct.unpack('<IH', r[8:14])
size, _, dialect = struct.unpack('<HHH', r[64:70])
if status != 0 or cmd != 0 or size != 65:
    sys.exit('bad NEGOTIATE answer: status %#x command %d' % (status, cmd))
print('SMB2 NEGOTIATE ok, dialect %#06x' % dialect)
EOF
}

redis_ping() {   # redis_ping ADDR: an unauthenticated PING is answered
  local line
  # shellcheck disable=SC2016 # expanded by the inner bash, inside the scan namespace
  line=$(in_scan bash -c 'exec 3<>"/dev/tcp/$1/6379" && printf "PING\r\n" >&3 && IFS= read -r -t 5 line <&3 && printf "%s\n" "$line"' _ "$1") ||
    { echo "no answer from $1 port 6379"; return 1; }
  echo "$line"
  [[ $line == $'+PONG\r' ]]
}

# probe ADDR PORT STATE: what a TCP connect from the scan namespace says matches STATE.
# open: connects; closed: refused at once (RST); filtered: no answer (times out).
probe() {
  local out rc t0 ms
  t0=${EPOCHREALTIME/[.,]/}
  out=$(in_scan nc -vz -w 2 "$1" "$2" 2>&1); rc=$?
  ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
  echo "$out (rc $rc, $ms ms)"
  case $3 in
    open) ((rc == 0)) ;;
    closed) ((rc != 0 && ms < 1500)) && [[ $out == *refused* ]] ;;
    filtered) ((rc != 0 && ms >= 1900)) && [[ $out != *refused* ]] ;;
    *) return 1 ;;
  esac
}

# ------------------------------------------------------------------ lab checks
up_again_refuses() { ! bash "$LAB" up && bash "$LAB" status; }

probe_result() { cat "$WORK/probe.$1"; return "$(cat "$WORK/probe.$1.rc")"; }

no_namespace_left() { ! ip netns list | grep -E "^$VIGIE_LAB_PREFIX-(scan|web|data)( |\$)"; }

no_recorded_pid_alive() {   # zombies count as dead (this machine's PID 1 may not reap)
  local f pid st bad=0
  for f in "$WORK"/pids/*; do
    read -r pid _ <"$f"
    st=$(cut -d')' -f2- "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f2)
    if [[ -n $st && $st != Z ]]; then echo "still alive: ${f##*/} pid $pid ($st)"; bad=1; fi
  done
  return "$bad"
}

no_new_daemon() {   # daemon processes now that were not there before the test
  ! LC_ALL=C comm -13 <(printf '%s\n' "$before") <(daemon_procs) | grep .
}

status_is_down() { local rc=0; bash "$LAB" status || rc=$?; ((rc == 3)); }

# ------------------------------------------------------------------ the test
echo "1..$PLAN"
before=$(daemon_procs)

t0=$SECONDS
up_out=$(bash "$LAB" up 2>"$WORK/up.err"); up_rc=$?
up_secs=$((SECONDS - t0))
echo "# lab up: exit $up_rc in $up_secs s"
if ((up_rc == 77)); then
  # lab.sh skips only when not root, which we checked; report it as a failure
  ok "lab.sh up (said skip: $(tail -n 1 "$WORK/up.err"))" false
else
  ok "lab.sh up" bash -c "exit $up_rc"
fi
if ((up_rc != 0)); then
  sed 's/^/# /' "$WORK/up.err"
  skip_rest "lab is not up"
  exit 1
fi
cp -r "$STATE/pids" "$WORK/pids"           # to check after `down` that all are gone
ok "up prints the ground truth of truth.tsv" diff <(printf '%s\n' "$up_out") "$STATE/truth.tsv"
ok "status says up" bash "$LAB" status
ok "up again refuses and leaves the lab alone" up_again_refuses

ok "HTTP IPv4 page title" http_title "http://$WEB4/"
ok "HTTP IPv6 page title" http_title "http://[$WEB6]/"
ok "HTTPS IPv4 page title (-k)" http_title "https://$WEB4/" -k
ok "HTTPS IPv6 page title (-k)" http_title "https://[$WEB6]/" -k
ok "HTTPS certificate valid for the IPv4 address (SAN)" http_title "https://$WEB4/" --cacert "$STATE/web/nginx/server.crt"
ok "HTTPS certificate valid for the IPv6 address (SAN)" http_title "https://[$WEB6]/" --cacert "$STATE/web/nginx/server.crt"
ok "weak TLS 4443 IPv4 accepts TLS 1.0 with an RSA 1024 SHA-1 certificate" tls_weak "$WEB4"
ok "weak TLS 4443 IPv6 accepts TLS 1.0 with an RSA 1024 SHA-1 certificate" tls_weak "[$WEB6]"
ok "strong TLS 5443 by name: the lab CA verifies it (IPv4 and IPv6)" tls_strong
ok "strong TLS 5443 refuses TLS 1.1" tls_strong_refuses_old
ok "SSH banner web IPv4" banner "$WEB4" 22 '^SSH-2\.0-'
ok "SSH banner web IPv6" banner "$WEB6" 22 '^SSH-2\.0-'
ok "SSH banner data IPv4" banner "$DATA4" 22 '^SSH-2\.0-'
ok "SSH banner data IPv6" banner "$DATA6" 22 '^SSH-2\.0-'
ok "SMTP 220 banner IPv4 (Postfix)" banner "$WEB4" 25 '^220 .*ESMTP Postfix'
ok "SMTP 220 banner IPv6 (Postfix)" banner "$WEB6" 25 '^220 .*ESMTP Postfix'
ok "FTP 220 banner IPv4" banner "$WEB4" 21 '^220 Vigie lab FTP'
ok "FTP 220 banner IPv6" banner "$WEB6" 21 '^220 Vigie lab FTP'
ok "LDAP IPv4 root DSE names $SUFFIX" ldap_naming "ldap://$DATA4"
ok "LDAP IPv6 root DSE names $SUFFIX" ldap_naming "ldap://[$DATA6]"
ok "LDAP anonymous search finds uid=alice" ldap_people
ok "PostgreSQL IPv4 pg_isready" in_scan pg_isready -h "$DATA4" -p 5432 -t 5
ok "PostgreSQL IPv6 pg_isready" in_scan pg_isready -h "$DATA6" -p 5432 -t 5
ok "PostgreSQL IPv4 SCRAM login and query" pg_login "$DATA4"
ok "PostgreSQL IPv6 SCRAM login and query" pg_login "$DATA6"
ok "SMB2 NEGOTIATE IPv4 port 445" smb2_negotiate "$DATA4" 445
ok "SMB2 NEGOTIATE IPv6 port 445" smb2_negotiate "$DATA6" 445
ok "SMB2 NEGOTIATE IPv4 port 139" smb2_negotiate "$DATA4" 139
ok "VNC RFB banner IPv4 (Xvnc)" banner "$WEB4" 5900 '^RFB 003\.008$'
ok "VNC RFB banner IPv6 (Xvnc)" banner "$WEB6" 5900 '^RFB 003\.008$'
ok "Redis PING IPv4 answers +PONG" redis_ping "$WEB4"
ok "Redis PING IPv6 answers +PONG" redis_ping "$WEB6"
ok "DICOM C-ECHO to LAB-PACS (echoscu)" in_scan echoscu -to 5 -ta 5 -td 5 -aec LAB-PACS "$DATA4" 104
ok "lab.sh truth lists exactly the expected ports and states" \
  diff <(sort <<<"$EXPECTED_TRUTH") <(bash "$LAB" truth | tr '\t' ' ' | sort)

# Every ground-truth line against the network; probes run in parallel (filtered ones
# each wait their 2 s), results reported in order.
# (The expected lines are probed: the test just above checked they are the truth's.)
i=0
while read -r addr port state service; do
  i=$((i + 1))
  (probe "$addr" "$port" "$state" >"$WORK/probe.$i" 2>&1; echo $? >"$WORK/probe.$i.rc") &
done <<<"$EXPECTED_TRUTH"
wait
i=0
while read -r addr port state service; do
  i=$((i + 1))
  ok "network agrees: $addr $port $state $service" probe_result "$i"
done <<<"$EXPECTED_TRUTH"

t0=$SECONDS
ok "lab.sh down" bash "$LAB" down
lab_is_down=1
echo "# lab down in $((SECONDS - t0)) s"
ok "no namespace of ours is left" no_namespace_left
ok "the scan namespace's hosts file is removed" test ! -e "/etc/netns/$NS_SCAN/hosts"
ok "no recorded PID is alive" no_recorded_pid_alive
ok "no new daemon process is running" no_new_daemon
ok "state dir removed" test ! -e "$STATE"
ok "down again is a no-op that exits 0" bash "$LAB" down
ok "status says down (exit 3)" status_is_down

if ((n != PLAN)); then
  echo "# plan mismatch: ran $n tests, planned $PLAN"
  skip_rest "test count mismatch"
  exit 1
fi
((failed == 0))
