#!/usr/bin/env bash
# tests/lab/lab.sh — a lab of real Debian daemons inside network namespaces, for
# vigie's integration tests (scanner side: service probes, TLS, banners; port states).
#
# usage: lab.sh up | down | status | truth | facts
#
#   up      build the namespaces, start every daemon, wait until each one really listens,
#           then print the ground truth (one line per address and port:
#           "address<TAB>port<TAB>state<TAB>service") and write it to $STATE/truth.tsv.
#           Progress and errors go to stderr, so `lab.sh up > truth` is clean.
#           On a lab that is already up (or half up) `up` REFUSES with exit 1: run `down`
#           first. Refusing is safer than a silent restart under a test that uses the lab.
#           If anything fails, `up` tears down what it started and exits non-zero.
#   down    stop every process the lab started (recorded PIDs) and every process still
#           inside our namespaces, delete our namespaces and the state dir. Idempotent:
#           with nothing up it exits 0.
#   status  say what is up; exit 0 when fully up, 1 when half up, 3 when down.
#   truth   print $STATE/truth.tsv (exit 1 when the lab is not up).
#   facts   print $STATE/facts.tsv: the service facts vigie's service modules must find,
#           one "address<TAB>port<TAB>module<TAB>name=value" a line (exit 1 when not up).
#
# Environment (nothing else is read):
#   VIGIE_LAB_PREFIX  namespace name prefix (default vigie-lab); two labs with two
#                     prefixes can coexist, `down` only ever touches its own prefix.
#   VIGIE_LAB_STATE   state dir (default /run/vigie-lab/$PREFIX): configs, keys,
#                     databases, logs, PIDs, truth.tsv. Removed by `down`.
#
# Topology — no link and no route to the root namespace or anything else, so no packet
# the lab sends can leave its namespaces. Every interface is created inside a namespace
# (never in the root one), so interface names are per-namespace and cannot collide
# between two labs.
#
#   PREFIX-scan   br0   198.18.0.1/24   2001:2::1/64    the scanner's side
#       ├── veth-web ── eth0 in PREFIX-web   198.18.0.10  2001:2::10
#       │      ftp 21, ssh 22, smtp 25 (postfix), http 80, https 443 (nginx),
#       │      weak TLS 4443 and strong TLS 5443 (nginx, see make_tls_certs),
#       │      telnet 23 (inetutils telnetd under inetutils-inetd), mysql 3306 (mariadbd),
#       │      vnc 5900 (tigervnc Xvnc), redis 6379 (redis-server)
#       │      closed 8080 (nothing listens), filtered 8443 (nftables drop)
#       └── veth-data ─ eth0 in PREFIX-data  198.18.0.20  2001:2::20
#              ssh 22, dicom 104 (storescp, IPv4 only: dcmtk 3.6.7 has no IPv6 listener),
#              smb 139/445 (smbd), ldap 389 (slapd), rdp 3389 (xrdp), postgresql 5432
#              closed 3306, filtered 1433
#
# Names: /etc/netns/PREFIX-scan/hosts (which `ip netns exec PREFIX-scan` mounts over
# /etc/hosts) gives web.lab.vigie.test and data.lab.vigie.test their two addresses, so
# that a scan by name checks certificates against the host's lab name. `down` removes it.
set -euo pipefail

readonly PREFIX="${VIGIE_LAB_PREFIX:-vigie-lab}"
readonly STATE="${VIGIE_LAB_STATE:-/run/vigie-lab/$PREFIX}"
readonly NS_SCAN="$PREFIX-scan" NS_WEB="$PREFIX-web" NS_DATA="$PREFIX-data"
readonly ALL_NS=("$NS_SCAN" "$NS_WEB" "$NS_DATA")
readonly MARKER="$STATE/.vigie-lab-state"   # proves the dir is ours before `down` removes it
readonly NETNS_ETC="/etc/netns/$NS_SCAN"     # the scan namespace's hosts file lives here
readonly HOSTS_MARK="# vigie lab $PREFIX"     # first line of that hosts file: proves it is ours

# Addresses: only the benchmarking ranges (RFC 2544 198.18.0.0/15, RFC 5180 2001:2::/48).
readonly SCAN4=198.18.0.1  SCAN6=2001:2::1
readonly WEB4=198.18.0.10  WEB6=2001:2::10
readonly DATA4=198.18.0.20 DATA6=2001:2::20
readonly LAB_DOMAIN=lab.vigie.test
readonly LDAP_SUFFIX="dc=lab,dc=vigie,dc=test"
readonly DICOM_AET=LAB-PACS

# Bounded waits.
readonly LISTEN_WAIT=30     # seconds for every daemon to listen, once they are all started
readonly STOP_WAIT=100      # tenths of a second for a polite stop before SIGTERM to all

log() { printf 'lab[%s]: %s\n' "$PREFIX" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# fail LOG MESSAGE: a daemon failed; `up` tears down (and removes the state dir), so
# show the end of its log on stderr first.
FAIL_LOG=
fail() { FAIL_LOG=$1; shift; die "$* (log: $FAIL_LOG)"; }

# ---------------------------------------------------------------- process helpers

# shellcheck source=tests/lab/procs.sh
source "$(dirname "${BASH_SOURCE[0]}")/procs.sh"

# record_pid NAME PID: remember a process we started, with its start time.
record_pid() {
  local start
  start=$(proc_field "$2" 22) || fail "$STATE/log/$1.log" "$1 (pid $2) died at once"
  printf '%s %s\n' "$2" "$start" >"$STATE/pids/$1"
}

# start_bg NAME NS CMD...: start a foreground daemon inside NS, logs to $STATE/log/NAME.log.
# `ip netns exec` and `setsid` both exec (setsid forks only for a process group leader,
# which a background job of a script is not), so $! is the daemon's PID. setsid gives
# each daemon its own session: smbd, for one, signals its whole process group when it
# stops, which would otherwise hit this script and whoever called it.
start_bg() {
  local name=$1 ns=$2; shift 2
  ip netns exec "$ns" setsid "$@" </dev/null >>"$STATE/log/$name.log" 2>&1 &
  record_pid "$name" "$!"
}

ns_exists() { [[ -e /run/netns/$1 ]]; }

# ---------------------------------------------------------------- network

net_up() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ip netns add "$ns" || die "cannot create network namespace $ns"
    ip -n "$ns" link set lo up
  done
  # The bridge lives in the scan namespace; each host's veth peer is created directly
  # in its namespace (no interface ever appears in the root namespace).
  ip -n "$NS_SCAN" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$NS_SCAN" addr add "$SCAN4/24" dev br0
  ip -n "$NS_SCAN" addr add "$SCAN6/64" dev br0 nodad
  ip -n "$NS_SCAN" link set br0 up
  net_host "$NS_WEB" veth-web "$WEB4" "$WEB6"
  net_host "$NS_DATA" veth-data "$DATA4" "$DATA6"
}

# net_host NS VETH ADDR4 ADDR6: one host on the bridge; no default route on purpose.
net_host() {
  local ns=$1 veth=$2 a4=$3 a6=$4
  ip -n "$NS_SCAN" link add "$veth" type veth peer name eth0 netns "$ns"
  ip -n "$NS_SCAN" link set "$veth" master br0
  ip -n "$NS_SCAN" link set "$veth" up
  ip -n "$ns" addr add "$a4/24" dev eth0
  ip -n "$ns" addr add "$a6/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

# net_names: the lab's host names, for programs run with `ip netns exec $NS_SCAN`.
net_names() {
  install -d -m 755 "$NETNS_ETC"
  cat >"$NETNS_ETC/hosts" <<EOF
$HOSTS_MARK (tests/lab/lab.sh; removed by 'lab.sh down')
127.0.0.1 localhost
::1 localhost
$WEB4 web.$LAB_DOMAIN
$WEB6 web.$LAB_DOMAIN
$DATA4 data.$LAB_DOMAIN
$DATA6 data.$LAB_DOMAIN
EOF
}

# nft_filter NS NAME PORT: drop TCP to PORT inside the host, so the port is "filtered"
# (no answer at all), as opposed to "closed" (nothing listens: the kernel sends a RST).
nft_filter() {
  local ns=$1 name=$2 port=$3 conf="$STATE/$2/nftables.conf"
  cat >"$conf" <<EOF
# vigie lab: filtered port $port on $name (inet = IPv4 and IPv6)
table inet vigie_lab {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport $port drop
  }
}
EOF
  ip netns exec "$ns" nft -f "$conf" || die "nftables rules for $name failed ($conf)"
}

# ---------------------------------------------------------------- daemons

start_nginx() {
  local d="$STATE/web/nginx"
  mkdir -p "$d/www" "$d/tmp"
  chown www-data: "$d/tmp"     # workers write request bodies there
  # RSA 2048 self-signed certificate naming the lab host and both of its addresses.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
    -keyout "$d/server.key" -out "$d/server.crt" \
    -subj "/O=Vigie lab/CN=web.$LAB_DOMAIN" \
    -addext "subjectAltName=DNS:web.$LAB_DOMAIN,IP:$WEB4,IP:$WEB6" \
    >>"$STATE/log/openssl.log" 2>&1 || fail "$STATE/log/openssl.log" "openssl certificate failed"
  chmod 600 "$d/server.key"
  make_tls_certs "$d"
  cat >"$d/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Vigie lab web server</title></head>
<body><h1>Vigie lab web server</h1><p>Test page of the vigie integration lab.</p></body></html>
EOF
  cat >"$d/nginx.conf" <<EOF
# vigie lab nginx: foreground (daemon off) so the PID we record is the master's.
daemon off;
user www-data;
worker_processes 1;
pid $d/nginx.pid;
error_log $STATE/log/nginx.log;
events { worker_connections 128; }
http {
  access_log $STATE/log/nginx-access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  types { text/html html; }
  default_type text/html;
  server {
    listen 80;
    listen [::]:80;
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name web.$LAB_DOMAIN;
    ssl_certificate $d/server.crt;
    ssl_certificate_key $d/server.key;
    root $d/www;
    index index.html;
  }
  # The weak TLS server: every old version and suite OpenSSL still has, on an expired,
  # self-signed, SHA-1 signed RSA 1024 certificate (what the exposure rules must flag).
  server {
    listen 4443 ssl;
    listen [::]:4443 ssl;
    server_name web.$LAB_DOMAIN;
    ssl_certificate $d/weak/weak.crt;
    ssl_certificate_key $d/weak/weak.key;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    ssl_ciphers ALL:@SECLEVEL=0;
    root $d/www;
    index index.html;
  }
  # The strong TLS server: TLS 1.2 and 1.3 only, ECDHE with AEAD suites, a P-256 key
  # certified by the lab's throwaway CA for the host's lab name and addresses, valid now
  # (what the exposure rules must leave alone, given the lab CA as trust store).
  server {
    listen 5443 ssl;
    listen [::]:5443 ssl;
    server_name web.$LAB_DOMAIN;
    ssl_certificate $d/strong/strong.crt;
    ssl_certificate_key $d/strong/strong.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    root $d/www;
    index index.html;
  }
}
EOF
  # -e: nginx opens its error log before reading the config; keep it out of /var/log.
  start_bg nginx "$NS_WEB" nginx -e "$STATE/log/nginx.log" -p "$d" -c "$d/nginx.conf"
}

# make_tls_certs DIR: the certificates of the weak (4443) and strong (5443) TLS servers.
#   DIR/weak/weak.crt      RSA 1024, SHA-1, self-signed, valid 2020-01-01 to 2021-01-01
#                          (openssl ca sets past dates, which openssl req cannot)
#   DIR/strong/ca.crt      the lab's throwaway CA (P-256, 30 days): give it as trust store
#   DIR/strong/strong.crt  P-256, SHA-256, issued by that CA, valid from now for 45 days,
#                          SAN web.lab.vigie.test and the web host's two addresses
make_tls_certs() {
  local w="$1/weak" c="$1/strong" log="$STATE/log/openssl.log"
  mkdir -p "$w/new" "$c"
  : >"$w/index.txt"
  echo 01 >"$w/serial"
  cat >"$w/ca.cnf" <<EOF
# vigie lab: openssl ca settings for the weak certificate (SHA-1, dates in the past)
[ca]
default_ca = weak
[weak]
dir = $w
database = $w/index.txt
new_certs_dir = $w/new
serial = $w/serial
default_md = sha1
policy = any
unique_subject = no
[any]
commonName = supplied
[leaf]
basicConstraints = CA:false
subjectAltName = DNS:web.$LAB_DOMAIN
EOF
  {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$w/weak.key" &&
      openssl req -new -key "$w/weak.key" -subj "/CN=web.$LAB_DOMAIN" -out "$w/weak.csr" &&
      openssl ca -batch -config "$w/ca.cnf" -selfsign -keyfile "$w/weak.key" -in "$w/weak.csr" \
        -out "$w/weak.crt" -extensions leaf -startdate 20200101000000Z -enddate 20210101000000Z -notext &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 60 \
        -keyout "$c/ca.key" -out "$c/ca.crt" -subj "/O=Vigie lab/CN=Vigie lab throwaway CA" &&
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$c/strong.key" -subj "/O=Vigie lab/CN=web.$LAB_DOMAIN" -out "$c/strong.csr" &&
      printf 'basicConstraints=CA:false\nsubjectAltName=DNS:web.%s,IP:%s,IP:%s\n' \
        "$LAB_DOMAIN" "$WEB4" "$WEB6" >"$c/strong.ext" &&
      openssl x509 -req -in "$c/strong.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
        -days 45 -sha256 -extfile "$c/strong.ext" -out "$c/strong.crt"
  } >>"$log" 2>&1 || fail "$log" "openssl: the weak or strong TLS certificate failed"
  chmod 600 "$w/weak.key" "$c/strong.key" "$c/ca.key"
}

# start_sshd HOST NS: one sshd per host, host keys generated into the state dir.
start_sshd() {
  local host=$1 ns=$2 d="$STATE/$1/ssh"
  mkdir -p "$d"
  # sshd insists on its privilege separation directory (empty, root-owned).
  [[ -d /run/sshd ]] || install -d -m 755 /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C "$host.$LAB_DOMAIN" -f "$d/ssh_host_ed25519_key"
  ssh-keygen -q -t rsa -b 2048 -N '' -C "$host.$LAB_DOMAIN" -f "$d/ssh_host_rsa_key"
  cat >"$d/sshd_config" <<EOF
# vigie lab sshd ($host): keys, PID file and log in the state dir; nobody may log in.
# No ListenAddress: with AddressFamily any, sshd listens on every IPv4 and IPv6 address.
Port 22
AddressFamily any
HostKey $d/ssh_host_ed25519_key
HostKey $d/ssh_host_rsa_key
PidFile $d/sshd.pid
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
UseDNS no
EOF
  # sshd re-executes itself, hence the absolute path; -D keeps it in the foreground.
  start_bg "sshd-$host" "$ns" /usr/sbin/sshd -D -f "$d/sshd_config" -E "$STATE/log/sshd-$host.log"
}

start_postfix() {
  local d="$STATE/web/postfix"
  mkdir -p "$d/etc" "$d/spool"
  install -d -o postfix -g postfix -m 755 "$d/lib"   # the master locks files there as postfix
  cat >"$d/etc/main.cf" <<EOF
# vigie lab postfix: own config, queue and data directories; never delivers anything.
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/lib
myhostname = web.$LAB_DOMAIN
mydomain = $LAB_DOMAIN
myorigin = \$myhostname
mydestination =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
alias_maps =
alias_database =
# Nothing leaves: every transport is the error transport.
default_transport = error:vigie lab does not deliver mail
relay_transport = error:vigie lab does not deliver mail
local_transport = error:vigie lab does not deliver mail
# Log to a file (no syslog needed); postfix only writes under the allowed prefixes.
maillog_file_prefixes = $STATE/log
maillog_file = $STATE/log/postfix.log
EOF
  # Debian's master.cf, with every service out of the chroot (the queue is not in
  # /var/spool/postfix, so the chroot would lack its files).
  cp /etc/postfix/master.cf "$d/etc/master.cf"
  postconf -c "$d/etc" -F '*/*/chroot = n'
  # `postfix start` checks the queue, creates its directories, starts the master and
  # waits for it to initialise; the master then daemonises, so read its PID file.
  ip netns exec "$NS_WEB" setsid postfix -c "$d/etc" start </dev/null >>"$STATE/log/postfix.log" 2>&1 \
    || fail "$STATE/log/postfix.log" "postfix did not start"
  local pid
  pid=$(tr -dc 0-9 <"$d/spool/pid/master.pid" 2>/dev/null) || true
  [[ -n $pid ]] || fail "$STATE/log/postfix.log" "postfix left no master PID file"
  record_pid postfix "$pid"
}

start_vsftpd() {
  local d="$STATE/web/vsftpd"
  # Both must be root-owned and not writable by the ftp user, or vsftpd refuses them.
  install -d -m 755 "$d" "$d/empty" "$d/ftp-root"
  echo "Vigie lab anonymous FTP" >"$d/ftp-root/README"
  cat >"$d/vsftpd.conf" <<EOF
# vigie lab vsftpd: one IPv6 socket that also accepts IPv4 (listen_ipv6 on a
# dual-stack socket); background=NO keeps it in the foreground.
listen=NO
listen_ipv6=YES
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$d/ftp-root
local_enable=NO
write_enable=NO
ftpd_banner=Vigie lab FTP server
secure_chroot_dir=$d/empty
xferlog_enable=YES
vsftpd_log_file=$STATE/log/vsftpd-xfer.log
EOF
  start_bg vsftpd "$NS_WEB" vsftpd "$d/vsftpd.conf"
}

start_slapd() {
  local d="$STATE/data/slapd"
  mkdir -p "$d/db"
  cat >"$d/slapd.conf" <<EOF
# vigie lab slapd: slapd.conf style, one mdb database. Runs as root: the lab is
# throw-away and this keeps file ownership simple.
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 67108864
suffix "$LDAP_SUFFIX"
rootdn "cn=admin,$LDAP_SUFFIX"
rootpw vigie-lab-admin
directory $d/db
index objectClass eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOF
  cat >"$d/entries.ldif" <<EOF
dn: $LDAP_SUFFIX
objectClass: top
objectClass: dcObject
objectClass: organization
o: Vigie lab
dc: lab

dn: ou=people,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: people

dn: ou=groups,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,$LDAP_SUFFIX
objectClass: inetOrgPerson
objectClass: posixAccount
uid: alice
cn: Alice Martin
sn: Martin
mail: alice@$LAB_DOMAIN
uidNumber: 10001
gidNumber: 10000
homeDirectory: /home/alice
userPassword: alice-lab

dn: uid=bob,ou=people,$LDAP_SUFFIX
objectClass: inetOrgPerson
objectClass: posixAccount
uid: bob
cn: Bob Durand
sn: Durand
uidNumber: 10002
gidNumber: 10000
homeDirectory: /home/bob

dn: uid=svc-backup,ou=people,$LDAP_SUFFIX
objectClass: inetOrgPerson
objectClass: posixAccount
uid: svc-backup
cn: Backup service
sn: Service
uidNumber: 10100
gidNumber: 10000
homeDirectory: /var/backups

dn: cn=staff,ou=groups,$LDAP_SUFFIX
objectClass: posixGroup
cn: staff
gidNumber: 10000
memberUid: alice
memberUid: bob

dn: cn=admins,ou=groups,$LDAP_SUFFIX
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,$LDAP_SUFFIX
EOF
  slapadd -q -f "$d/slapd.conf" -l "$d/entries.ldif" >>"$STATE/log/slapd.log" 2>&1 \
    || fail "$STATE/log/slapd.log" "slapadd failed"
  # -d 0: stay in the foreground (a debug level means no detach) and log nothing.
  # ldap:/// listens on every IPv4 and IPv6 address of the namespace.
  start_bg slapd "$NS_DATA" slapd -d 0 -h "ldap:///" -f "$d/slapd.conf"
}

start_postgres() {
  local bindir d="$STATE/data/postgres"
  bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -x $bindir/postgres ]] || die "no PostgreSQL server found under /usr/lib/postgresql"
  # initdb refuses root: the data and socket dirs belong to postgres.
  install -d -o postgres -g postgres -m 700 "$d/data"
  install -d -o postgres -g postgres -m 755 "$d/run"
  echo vigie-lab >"$d/pwfile"
  chown postgres: "$d/pwfile"
  (cd "$d" && runuser -u postgres -- "$bindir/initdb" -D "$d/data" -U postgres \
      -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$d/pwfile" --no-sync) >>"$STATE/log/postgres.log" 2>&1 \
    || fail "$STATE/log/postgres.log" "initdb failed"
  # The scanner's side must be able to reach the server (password required).
  cat >>"$d/data/pg_hba.conf" <<EOF
# vigie lab
host all all 198.18.0.0/15 scram-sha-256
host all all 2001:2::/48 scram-sha-256
EOF
  # setpriv execs (runuser would fork and wait), so the recorded PID is the postmaster's.
  # A private IPC namespace (unshare --ipc) holds its SysV shared memory segment, so even
  # a postmaster killed by SIGKILL leaves no segment behind; dynamic shared memory goes to
  # files under the data dir, so nothing lingers in /dev/shm either.
  start_bg postgres "$NS_DATA" unshare --ipc setpriv --reuid=postgres --regid=postgres --init-groups -- \
    "$bindir/postgres" -D "$d/data" -c listen_addresses='*' -c port=5432 \
    -c unix_socket_directories="$d/run" -c shared_buffers=16MB -c max_connections=20 \
    -c dynamic_shared_memory_type=mmap -c logging_collector=off
}

start_smbd() {
  local d="$STATE/data/samba"
  mkdir -p "$d/private" "$d/lock" "$d/state" "$d/cache" "$d/run" "$d/ncalrpc" "$d/bind-dns"
  install -d -m 755 "$d/share"
  echo "Vigie lab share" >"$d/share/README.txt"
  cat >"$d/smb.conf" <<EOF
# vigie lab smbd: standalone, every path in the state dir, one read-only guest share.
[global]
  server role = standalone server
  workgroup = VIGIELAB
  netbios name = LAB-DATA
  server string = Vigie lab file server
  disable netbios = yes
  smb ports = 445 139
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/run
  ncalrpc dir = $d/ncalrpc
  binddns dir = $d/bind-dns
  passdb backend = tdbsam:$d/private/passdb.tdb
  logging = file
  log file = $STATE/log/smbd.log
  max log size = 0
  map to guest = bad user
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  usershare path =
[lab]
  path = $d/share
  comment = Vigie lab share
  read only = yes
  guest ok = yes
EOF
  # -l: smbd logs before it reads smb.conf; keep even that first log out of /var/log.
  start_bg smbd "$NS_DATA" smbd --foreground --no-process-group -l "$STATE/log" -s "$d/smb.conf"
}

start_storescp() {
  local d="$STATE/data/dicom"
  mkdir -p "$d"
  start_bg storescp "$NS_DATA" storescp --aetitle "$DICOM_AET" --output-directory "$d" 104
}

# ---------------------------------------------------------------- service module daemons
# More real daemons for the service modules (scanner/svc_*.c); each listens on IPv4 and
# IPv6 in its namespace, logs and keeps its data in the state dir.

start_redis() {
  local d="$STATE/web/redis"
  mkdir -p "$d"
  # No password and protected mode off: the exposure the redis module must report.
  start_bg redis "$NS_WEB" redis-server --port 6379 --bind '* -::*' --protected-mode no \
    --daemonize no --dir "$d" --save '' --appendonly no --logfile "$STATE/log/redis.log"
}

start_mariadb() {
  local d="$STATE/web/mariadb"
  install -d -o mysql -g mysql -m 750 "$d" "$d/data" "$d/run"
  # An account for the IPv4 side only: a client from there gets the server's greeting,
  # one from the IPv6 side the "Host ... is not allowed to connect" error packet, which
  # the mysql module must recognise as well.
  echo "CREATE USER IF NOT EXISTS 'vigie'@'198.18.0.%' IDENTIFIED BY 'vigie-lab';" >"$d/init.sql"
  mariadb-install-db --no-defaults --user=mysql --datadir="$d/data" --skip-test-db \
    --auth-root-authentication-method=socket >>"$STATE/log/mariadb.log" 2>&1 \
    || fail "$STATE/log/mariadb.log" "mariadb-install-db failed"
  start_bg mariadb "$NS_WEB" mariadbd --no-defaults --user=mysql --datadir="$d/data" \
    --socket="$d/run/mysqld.sock" --pid-file="$d/run/mysqld.pid" --port=3306 \
    --bind-address=0.0.0.0,:: --init-file="$d/init.sql" --skip-name-resolve \
    --log-error="$STATE/log/mariadb.log"
}

start_telnetd() {
  local d="$STATE/web/telnet"
  mkdir -p "$d"
  # The login program is a stand-in that asks and refuses: the lab never lets anyone in.
  cat >"$d/login" <<'EOF2'
#!/bin/sh
printf 'Vigie lab telnet\r\nlogin: '
read -r _ || true
exit 1
EOF2
  chmod 755 "$d/login"
  # One dual-stack IPv6 socket takes IPv4 too; -d keeps inetd in the foreground.
  echo "telnet stream tcp6 nowait root /usr/sbin/telnetd telnetd -E $d/login" >"$d/inetd.conf"
  start_bg telnetd "$NS_WEB" /usr/sbin/inetutils-inetd -d -p "$d/inetd.pid" "$d/inetd.conf"
}

start_vnc() {
  local d="$STATE/web/vnc" display
  mkdir -p "$d"
  # An X display number of our own: the lock files in /tmp are shared with the host.
  for display in $(seq 90 199); do [[ -e /tmp/.X$display-lock ]] || break; done
  # No authentication: the exposure the vnc module must report (vnc.auth none).
  start_bg vnc "$NS_WEB" Xvnc ":$display" -rfbport 5900 -SecurityTypes None -geometry 640x480 \
    -depth 24 -nolisten tcp -localhost 0 -desktop "vigie-lab"
}

start_xrdp() {
  local d="$STATE/data/xrdp"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 -keyout "$d/key.pem" -out "$d/cert.pem" \
    -subj "/O=Vigie lab/CN=data.$LAB_DOMAIN" >>"$STATE/log/openssl.log" 2>&1 \
    || fail "$STATE/log/openssl.log" "openssl certificate for xrdp failed"
  # TLS accepted (security_layer negotiate), so NLA is not required: the finding to report.
  cat >"$d/xrdp.ini" <<EOF2
[Globals]
ini_version=1
fork=false
port=tcp6://:3389
security_layer=negotiate
crypt_level=high
certificate=$d/cert.pem
key_file=$d/key.pem
ssl_protocols=TLSv1.2, TLSv1.3
[Logging]
LogFile=$STATE/log/xrdp.log
LogLevel=INFO
EnableSyslog=false
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
EOF2
  start_bg xrdp "$NS_DATA" /usr/sbin/xrdp --nodaemon --config "$d/xrdp.ini"
}

# ---------------------------------------------------------------- waiting

# listening NS FAMILY PORT: something listens on TCP PORT in NS for FAMILY (4 or 6).
# A dual-stack IPv6 socket (vsftpd) counts for IPv4 as well.
listening() {
  local out
  out=$(ip netns exec "$1" ss -Htln "sport = :$3") || return 1
  if [[ $2 == 4 ]]; then
    grep -Eq '^LISTEN +[0-9]+ +[0-9]+ +(0\.0\.0\.0|\*|\[::\]|198\.18\.[0-9.]+):' <<<"$out"
  else
    grep -Eq '^LISTEN +[0-9]+ +[0-9]+ +(\*|\[[0-9a-f:]+\]):' <<<"$out"
  fi
}

# wait_listen NAME NS PORT/FAMILIES...: bounded poll (shared deadline) until NAME listens
# on every PORT for every family (e.g. 80/46, 104/4); fail at once if NAME died.
wait_listen() {
  local name=$1 ns=$2 spec port fams fam pid start; shift 2
  read -r pid start <"$STATE/pids/$name"
  for spec in "$@"; do
    port=${spec%/*} fams=${spec#*/}
    for ((fam = 0; fam < ${#fams}; fam++)); do
      until listening "$ns" "${fams:fam:1}" "$port"; do
        pid_alive "$pid" "$start" ||
          fail "$STATE/log/$name.log" "$name exited before listening on port $port"
        ((${EPOCHREALTIME/[.,]/} < LISTEN_DEADLINE)) ||
          fail "$STATE/log/$name.log" "$name does not listen on IPv${fams:fam:1} port $port after $LISTEN_WAIT s"
        sleep 0.1
      done
    done
  done
}

# ---------------------------------------------------------------- ground truth

# One line per address and port: state as a scanner must find it from the scan namespace.
write_truth() {
  local host a4 a6 port state service
  {
    while read -r host port state service; do
      case $host in web) a4=$WEB4 a6=$WEB6 ;; data) a4=$DATA4 a6=$DATA6 ;; esac
      printf '%s\t%s\t%s\t%s\n' "$a4" "$port" "$state" "$service"
      # storescp (dcmtk 3.6.7) binds IPv4 only: on IPv6 nothing listens, the port is closed.
      [[ $service == dicom ]] && state=closed
      printf '%s\t%s\t%s\t%s\n' "$a6" "$port" "$state" "$service"
    done <<'EOF'
web 21 open ftp
web 22 open ssh
web 25 open smtp
web 80 open http
web 443 open https
web 4443 open https-4443
web 5443 open https-5443
web 8080 closed http-proxy
web 8443 filtered https-alt
web 23 open telnet
web 3306 open mysql
web 5900 open vnc
web 6379 open redis
data 22 open ssh
data 104 open dicom
data 139 open netbios-ssn
data 389 open ldap
data 445 open microsoft-ds
data 1433 filtered ms-sql-s
data 3306 closed mysql
data 3389 open ms-wbt-server
data 5432 open postgresql
EOF
  } >"$STATE/truth.tsv"
}

# What the service modules (scanner/svc_*.c) must find on each open port: facts that
# hold for these daemons as configured here, whatever their Debian point release.
# Hosts: web and data (both families), web4/data4 (IPv4 only), web6 (IPv6 only).
write_facts() {
  local host a4 a6 port module fact
  {
    while read -r host port module fact; do
      case $host in
        web) a4=$WEB4 a6=$WEB6 ;; data) a4=$DATA4 a6=$DATA6 ;;
        web4) a4=$WEB4 a6= ;; web6) a4= a6=$WEB6 ;; data4) a4=$DATA4 a6= ;;
      esac
      if [[ -n $a4 ]]; then printf '%s\t%s\t%s\t%s\n' "$a4" "$port" "$module" "$fact"; fi
      if [[ -n $a6 ]]; then printf '%s\t%s\t%s\t%s\n' "$a6" "$port" "$module" "$fact"; fi
    done <<'EOF'
web 21 ftp service=ftp
web 21 ftp confidence=confirmed
web 21 ftp ftp.features=EPSV
web 22 ssh service=ssh
web 22 ssh product=OpenSSH
web 22 ssh ssh.hostkey=ssh-ed25519
web 23 telnet service=telnet
web 23 telnet telnet.login_prompt=true
web 25 smtp service=smtp
web 25 smtp product=Postfix
web 25 smtp confidence=confirmed
web 80 http service=http
web 80 http product=nginx
web 80 http http.title=Vigie lab web server
web 3306 mysql service=mysql
web4 3306 mysql product=MariaDB
web4 3306 mysql mysql.protocol=10
web6 3306 mysql mysql.error_code=1130
web 5900 vnc service=vnc
web 5900 vnc vnc.auth=none
web 6379 redis service=redis
web 6379 redis redis.auth_required=false
data 22 ssh service=ssh
data 22 ssh product=OpenSSH
data4 104 dicom service=dicom
data4 104 dicom dicom.association=accepted
data4 104 dicom product=DCMTK
data 389 ldap service=ldap
data 389 ldap ldap.anonymous_rootdse=true
data 389 ldap ldap.naming_contexts=dc=lab,dc=vigie,dc=test
data 139 smb service=smb
data 139 smb product=Samba
data 445 smb service=smb
data 445 smb smb.dialect=3.1.1
data 445 smb smb.signing=enabled
data 445 smb product=Samba
data 445 smb smb.os_version=6.1.0
data 445 smb smb.netbios_name=LAB-DATA
data 445 smb smb.v1=false
data 445 smb smb.v1_answer=no-dialect
data 139 smb smb.v1=false
data 3389 rdp service=rdp
data 3389 rdp rdp.protocols=ssl
data 3389 rdp rdp.nla_required=false
data 3389 rdp rdp.neg_flags=0x01
data 3389 rdp product=xrdp
data 5432 postgresql service=postgresql
data 5432 postgresql postgresql.ssl=false
data 5432 postgresql postgresql.auth=sasl
EOF
    # The TLS servers, as the service stage's deep TLS inspection (module "tls": no
    # svc_probe module, tests/integration/test_exposure_lab.sh checks these with vigie
    # scan). The name and trust facts hold for a scan by the name web.lab.vigie.test
    # with the lab CA ($STATE/web/nginx/strong/ca.crt) as trust store (SSL_CERT_FILE).
    while read -r host port module fact; do
      case $host in web) a4=$WEB4 a6=$WEB6 ;; esac
      printf '%s\t%s\t%s\t%s\n' "$a4" "$port" "$module" "$fact"
      printf '%s\t%s\t%s\t%s\n' "$a6" "$port" "$module" "$fact"
    done <<'EOF'
web 4443 tls tls=true
web 4443 tls tls.v1_0=accepted
web 4443 tls tls.v1_1=accepted
web 4443 tls tls.v1_2=accepted
web 4443 tls tls.v1_3=refused
web 4443 tls tls.weak.anon=accepted
web 4443 tls tls.weak.cbc_tls1_0=accepted
web 4443 tls cert.subject=CN=web.lab.vigie.test
web 4443 tls cert.not_after=2021-01-01T00:00:00Z
web 4443 tls cert.expired=true
web 4443 tls cert.self_signed=true
web 4443 tls cert.key_type=rsa
web 4443 tls cert.key_bits=1024
web 4443 tls cert.sig_alg=sha1WithRSAEncryption
web 4443 tls cert.trusted=false
web 4443 tls cert.name_mismatch=false
web 5443 tls tls=true
web 5443 tls tls.v1_0=refused
web 5443 tls tls.v1_1=refused
web 5443 tls tls.v1_2=accepted
web 5443 tls tls.v1_3=accepted
web 5443 tls tls.versions=TLSv1.2
web 5443 tls tls.versions=TLSv1.3
web 5443 tls tls.weak.null=refused
web 5443 tls tls.weak.anon=refused
web 5443 tls tls.weak.cbc_tls1_0=refused
web 5443 tls cert.key_type=ec
web 5443 tls cert.key_bits=256
web 5443 tls cert.sig_alg=ecdsa-with-SHA256
web 5443 tls cert.san=web.lab.vigie.test
web 5443 tls cert.self_signed=false
web 5443 tls cert.expired=false
web 5443 tls cert.trusted=true
web 5443 tls cert.name_mismatch=false
EOF
  } >"$STATE/facts.tsv"
}

# ---------------------------------------------------------------- commands

UP_DONE=0
on_up_exit() {
  local rc=$?
  if ((UP_DONE == 0)); then
    if [[ -n $FAIL_LOG && -s $FAIL_LOG ]]; then
      log "last lines of $FAIL_LOG:"
      tail -n 15 "$FAIL_LOG" | sed 's/^/    /' >&2
    fi
    log "up failed (exit $rc): tearing down what was started"
    lab_down || log "teardown after the failure did not finish cleanly"
    exit $((rc == 0 ? 1 : rc))
  fi
}

lab_up() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ns_exists "$ns" && die "lab '$PREFIX' is already up (namespace $ns exists): run 'lab.sh down' first"
  done
  [[ -e $MARKER ]] && die "lab '$PREFIX' is already up (state in $STATE): run 'lab.sh down' first"
  if [[ -e $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    die "state dir $STATE exists, is not empty and is not a lab's: refusing to use it"
  fi
  local tool
  for tool in ip nft ss openssl ssh-keygen nginx vsftpd slapd slapadd smbd storescp postconf \
    runuser setpriv setsid unshare redis-server mariadbd mariadb-install-db Xvnc; do
    command -v "$tool" >/dev/null || die "missing '$tool': run scripts/install-deps.sh"
  done
  [[ -x /usr/sbin/sshd && -x /usr/sbin/postfix ]] || die "missing sshd or postfix: run scripts/install-deps.sh"
  [[ -x /usr/sbin/xrdp && -x /usr/sbin/telnetd && -x /usr/sbin/inetutils-inetd ]] ||
    die "missing xrdp or telnetd: run scripts/install-deps.sh"

  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  local t0=$SECONDS
  install -d -m 755 "$STATE"
  : >"$MARKER"
  install -d -m 755 "$STATE/pids" "$STATE/log" "$STATE/web" "$STATE/data"
  # Daemons (postgres especially) must be able to stat their working directory.
  cd "$STATE"

  log "network namespaces $NS_SCAN, $NS_WEB, $NS_DATA"
  net_up
  net_names
  nft_filter "$NS_WEB" web 8443
  nft_filter "$NS_DATA" data 1433

  log "starting daemons (logs in $STATE/log)"
  start_nginx
  start_sshd web "$NS_WEB"
  start_vsftpd
  start_postfix
  start_slapd
  start_smbd
  start_storescp
  start_sshd data "$NS_DATA"
  start_postgres
  start_redis
  start_mariadb
  start_telnetd
  start_vnc
  start_xrdp

  LISTEN_DEADLINE=$((${EPOCHREALTIME/[.,]/} + LISTEN_WAIT * 1000000))   # microseconds
  wait_listen nginx "$NS_WEB" 80/46 443/46 4443/46 5443/46
  wait_listen sshd-web "$NS_WEB" 22/46
  wait_listen vsftpd "$NS_WEB" 21/46
  wait_listen postfix "$NS_WEB" 25/46
  wait_listen slapd "$NS_DATA" 389/46
  wait_listen smbd "$NS_DATA" 445/46 139/46
  wait_listen storescp "$NS_DATA" 104/4
  wait_listen sshd-data "$NS_DATA" 22/46
  wait_listen postgres "$NS_DATA" 5432/46
  wait_listen redis "$NS_WEB" 6379/46
  wait_listen mariadb "$NS_WEB" 3306/46
  wait_listen telnetd "$NS_WEB" 23/46
  wait_listen vnc "$NS_WEB" 5900/46
  wait_listen xrdp "$NS_DATA" 3389/46

  write_truth
  write_facts
  UP_DONE=1
  trap - EXIT INT TERM
  log "up in $((SECONDS - t0)) s; ground truth in $STATE/truth.tsv"
  cat "$STATE/truth.tsv"
}

lab_down() {
  local f name pid start sig pids=()
  cd /   # `up` may call us from inside the state dir we are about to remove
  # 1. The daemons we started, each with the signal that stops it cleanly (postgres:
  #    SIGINT = fast shutdown, which also frees its SysV shared memory segment).
  if [[ -d $STATE/pids ]]; then
    for f in "$STATE"/pids/*; do
      [[ -f $f ]] || continue
      name=${f##*/}
      read -r pid start <"$f" || continue
      pid_alive "$pid" "$start" || continue
      sig=TERM; [[ $name == postgres ]] && sig=INT
      kill -s "$sig" "$pid" 2>/dev/null || true
      pids+=("$pid")
    done
  fi
  if ((${#pids[@]})) && ! wait_gone "$STOP_WAIT" "${pids[@]}"; then
    log "some daemons ignored the stop signal; killing them"
  fi
  # 2-3. Whatever still lives in our namespaces (forked children, helpers) and any recorded
  #    daemon that survived, then the namespaces themselves.
  ns_teardown 50 "${pids[@]}"
  # The scan namespace's hosts file, only when it carries our first line.
  if [[ -f $NETNS_ETC/hosts ]] && [[ $(head -n 1 "$NETNS_ETC/hosts") == "$HOSTS_MARK "* ]]; then
    rm -f -- "$NETNS_ETC/hosts"
    rmdir -- "$NETNS_ETC" 2>/dev/null || true
    rmdir /etc/netns 2>/dev/null || true
  fi
  # 4. The state dir, only when it carries our marker (VIGIE_LAB_STATE could point anywhere).
  if [[ -e $MARKER ]]; then
    rm -rf --one-file-system -- "$STATE"
    # the default parent, when no other lab uses it
    [[ -n ${VIGIE_LAB_STATE:-} ]] || rmdir /run/vigie-lab 2>/dev/null || true
  elif [[ -d $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    log "warning: $STATE has no lab marker; left in place"
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
  if ((up == 0)); then echo "lab $PREFIX: down"; return 3; fi
  if ((down == 0)) && [[ -f $STATE/truth.tsv ]]; then echo "lab $PREFIX: up"; return 0; fi
  echo "lab $PREFIX: half up (run 'lab.sh down')"; return 1
}

lab_truth() {
  [[ -f $STATE/truth.tsv ]] || die "lab '$PREFIX' is not up (no $STATE/truth.tsv)"
  cat "$STATE/truth.tsv"
}

lab_facts() {
  [[ -f $STATE/facts.tsv ]] || die "lab '$PREFIX' is not up (no $STATE/facts.tsv)"
  cat "$STATE/facts.tsv"
}

main() {
  local cmd=${1:-}
  case $cmd in up | down | status | truth | facts) ;; *)
    echo "usage: ${0##*/} up|down|status|truth|facts" >&2; exit 2 ;;
  esac
  if [[ $(id -u) -ne 0 ]]; then
    echo "lab: needs root (network namespaces, ports below 1024, daemons); skipping" >&2
    exit 77
  fi
  [[ $PREFIX =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$ ]] ||
    die "VIGIE_LAB_PREFIX must be 1-40 characters of A-Z a-z 0-9 . _ - (got '$PREFIX')"
  [[ $STATE == /* && $STATE != / ]] || die "VIGIE_LAB_STATE must be an absolute path other than /"
  case $cmd in
    up) lab_up ;;
    down) lab_down ;;
    status) lab_status ;;
    truth) lab_truth ;;
    facts) lab_facts ;;
  esac
}

main "$@"
