#!/usr/bin/env bash
# tests/lab/slapd_audit.sh — two OpenLDAP servers on 127.0.0.1 for the directory auditor's
# tests (LDAP-001..LDAP-007): one with seeded weaknesses, one clean look-alike.
#
# usage: slapd_audit.sh up|down|status|truth [--state DIR]
#
#   up      make a throw-away CA and certificates, build both databases (slapadd), start
#           both slapd, wait until they listen, check each seeded weakness, then write
#           $STATE/truth.tsv and $STATE/env. Refuses (exit 1) when already up or half up.
#           On failure it tears down what it started.
#   down    stop both slapd (recorded PIDs, start time checked) and remove the state dir.
#           Idempotent.
#   status  exit 0 up, 1 half up, 3 down.
#   truth   print $STATE/truth.tsv.
#
# Environment (or --state):
#   VIGIE_LAB_STATE       state dir (default /run/vigie-lab/slapd-audit)
#   VIGIE_SLAPD_PORT_BASE first of four TCP ports (default 46380): weak ldap BASE+1,
#                         weak ldaps BASE+2, clean ldap BASE+3, clean ldaps BASE+4.
#
# Instances (nothing listens outside 127.0.0.1):
#   weak   dc=weak,dc=vigie,dc=test. Everything readable by anyone (userPassword included),
#          simple binds accepted in cleartext, weak hashes ({CLEARTEXT}, no prefix, {MD5},
#          {SMD5}, {SHA}, {CRYPT} DES, {SSHA}), no ppolicy, cn=config and cn=Monitor
#          readable anonymously, rootpw in cleartext in the config.
#          TLS IS offered (StartTLS and ldaps) but weakly: a self-signed RSA-1024 certificate
#          signed with SHA-1 for the wrong name (CN=weak.invalid), not issued by the lab CA,
#          so it never verifies. That is LDAP-003's "weak TLS" case.
#   clean  dc=clean,dc=vigie,dc=test. Anonymous gets the rootDSE and the schema only;
#          a simple bind needs SSF >= 128 (cleartext binds get confidentialityRequired);
#          StartTLS and ldaps with a certificate from the lab CA (RSA 2048, SHA-256, SAN
#          IP:127.0.0.1 and DNS:localhost), TLS 1.2 minimum; {CRYPT}$6$ and {ARGON2}
#          hashes, unreadable except by their owner; ppolicy overlay with a default policy
#          (pwdMinLength 12, pwdMaxFailure 5, pwdLockout TRUE); cn=config and cn=Monitor
#          readable by the rootdn only.
# Both: an audit account uid=vigie-audit,ou=system,SUFFIX with ordinary read rights, 320
# people and 30 groups; server size limit 100 (an unpaged client gets sizeLimitExceeded,
# a paged one reads everything: size.prtotal=unlimited).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_ARG=
CMD=
while (($#)); do
  case $1 in
    --state) [[ $# -ge 2 ]] || { echo "slapd_audit: --state needs a directory" >&2; exit 2; }
             STATE_ARG=$2; shift 2 ;;
    --state=*) STATE_ARG=${1#--state=}; shift ;;
    up | down | status | truth) [[ -z $CMD ]] || { echo "slapd_audit: one command only" >&2; exit 2; }
             CMD=$1; shift ;;
    *) echo "usage: ${0##*/} up|down|status|truth [--state DIR]" >&2; exit 2 ;;
  esac
done
[[ -n $CMD ]] || { echo "usage: ${0##*/} up|down|status|truth [--state DIR]" >&2; exit 2; }

STATE=${STATE_ARG:-${VIGIE_LAB_STATE:-/run/vigie-lab/slapd-audit}}
readonly STATE
readonly MARKER="$STATE/.vigie-slapd-audit-state"
readonly BASE=${VIGIE_SLAPD_PORT_BASE:-46380}
readonly WEAK_PORT=$((BASE + 1)) WEAK_TLS_PORT=$((BASE + 2))
readonly CLEAN_PORT=$((BASE + 3)) CLEAN_TLS_PORT=$((BASE + 4))
readonly WEAK_SUFFIX="dc=weak,dc=vigie,dc=test" CLEAN_SUFFIX="dc=clean,dc=vigie,dc=test"
readonly LISTEN_WAIT=20 STOP_WAIT=100
readonly INSTANCES=(weak clean)

log() { printf 'slapd_audit: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
FAIL_LOG=
fail() { FAIL_LOG=$1; shift; die "$* (log: $FAIL_LOG)"; }

# procs.sh wants these; this lab has no namespace.
# shellcheck disable=SC2034
ALL_NS=()
ns_exists() { return 1; }
# shellcheck source=tests/lab/procs.sh
source "$HERE/procs.sh"

suffix_of() { if [[ $1 == weak ]]; then echo "$WEAK_SUFFIX"; else echo "$CLEAN_SUFFIX"; fi; }
port_of() { if [[ $1 == weak ]]; then echo "$WEAK_PORT"; else echo "$CLEAN_PORT"; fi; }
tls_port_of() { if [[ $1 == weak ]]; then echo "$WEAK_TLS_PORT"; else echo "$CLEAN_TLS_PORT"; fi; }

# ---------------------------------------------------------------- certificates

make_certs() {
  local t="$STATE/tls" ol="$STATE/log/openssl.log"
  install -d -m 755 "$t"
  # The lab CA: clients verify the clean instance with $t/ca.crt.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 -keyout "$t/ca.key" -out "$t/ca.crt" \
    -subj "/O=Vigie lab/CN=Vigie lab slapd CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >>"$ol" 2>&1 || fail "$ol" "CA certificate failed"
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$t/clean.key" -out "$t/clean.csr" \
    -subj "/O=Vigie lab/CN=localhost" >>"$ol" 2>&1 || fail "$ol" "clean CSR failed"
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth" \
    "basicConstraints=CA:FALSE" >"$t/clean.ext"
  openssl x509 -req -in "$t/clean.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$t/clean.ext" -out "$t/clean.crt" >>"$ol" 2>&1 \
    || fail "$ol" "clean certificate failed"
  # The weak instance's certificate: self-signed, RSA 1024, SHA-1, wrong name.
  openssl req -x509 -newkey rsa:1024 -nodes -days 30 -sha1 -keyout "$t/weak.key" \
    -out "$t/weak.crt" -subj "/O=Vigie lab/CN=weak.invalid" >>"$ol" 2>&1 \
    || fail "$ol" "weak certificate failed"
  chmod 600 "$t"/*.key
}

# ---------------------------------------------------------------- configuration

write_conf() {
  local inst=$1 d="$STATE/$1" suffix t="$STATE/tls"
  suffix=$(suffix_of "$inst")
  install -d -m 700 "$d" "$d/db"
  {
    cat <<EOF
# vigie directory-audit lab, instance "$inst" (generated by tests/lab/slapd_audit.sh)
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload argon2
# Unpaged searches stop at 100 entries (sizeLimitExceeded); paged ones may read everything.
sizelimit size.soft=100 size.hard=100 size.prtotal=unlimited
EOF
    if [[ $inst == weak ]]; then
      cat <<EOF
# Weak TLS: self-signed RSA-1024/SHA-1 certificate for the wrong name, TLS 1.0 allowed.
TLSCertificateFile $t/weak.crt
TLSCertificateKeyFile $t/weak.key
TLSProtocolMin 3.1
TLSCipherSuite NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+SHA1
# No security/require: simple binds in cleartext are accepted.
EOF
    else
      cat <<EOF
moduleload ppolicy
TLSCACertificateFile $t/ca.crt
TLSCertificateFile $t/clean.crt
TLSCertificateKeyFile $t/clean.key
TLSProtocolMin 3.3
# With GnuTLS (Debian's libldap) TLSProtocolMin alone does not stop TLS 1.0/1.1: the
# priority string does.
TLSCipherSuite NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2
# A simple bind needs a protected connection (TLS): cleartext ones get
# confidentialityRequired (13).
security simple_bind=128
EOF
    fi
    # The config database (cn=config) and the monitor (cn=Monitor).
    echo "database config"
    if [[ $inst == weak ]]; then
      echo "access to * by * read"
    else
      echo "access to * by dn.exact=\"cn=admin,$suffix\" read by * none"
    fi
    echo "database monitor"
    if [[ $inst == weak ]]; then
      echo "access to * by * read"
    else
      echo "access to * by dn.exact=\"cn=admin,$suffix\" read by * none"
    fi
    cat <<EOF
database mdb
maxsize 268435456
suffix "$suffix"
rootdn "cn=admin,$suffix"
rootpw $ROOTPW_CONF
directory $d/db
index objectClass eq
index uid,cn eq
EOF
    if [[ $inst == weak ]]; then
      cat <<EOF
# Everyone reads everything, password hashes included.
access to * by * read
EOF
    else
      cat <<EOF
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$suffix"
ppolicy_use_lockout
ppolicy_hash_cleartext
password-hash {CRYPT}
password-crypt-salt-format "\$6\$%.16s"
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read
access to attrs=userPassword by self =xw by anonymous auth by * none
access to attrs=pwdHistory,pwdFailureTime,pwdAccountLockedTime,pwdGraceUseTime by * none
access to * by users read by * none
EOF
    fi
  } >"$d/slapd.conf"
}

build_db() {
  local inst=$1 d="$STATE/$1" suffix
  suffix=$(suffix_of "$inst")
  /usr/bin/python3 "$HERE/slapd_gen.py" "$inst" "$suffix" "$d" "$AUDIT_PW" \
    >>"$STATE/log/$inst-gen.log" 2>&1 || fail "$STATE/log/$inst-gen.log" "entry generation failed ($inst)"
  slapadd -q -f "$d/slapd.conf" -l "$d/entries.ldif" >>"$STATE/log/$inst.log" 2>&1 \
    || fail "$STATE/log/$inst.log" "slapadd failed ($inst)"
}

start_slapd() {
  local inst=$1 d="$STATE/$1" port tls_port
  port=$(port_of "$inst") tls_port=$(tls_port_of "$inst")
  # -d 0: foreground, nothing logged on stderr; setsid: own session.
  setsid slapd -d 0 -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$tls_port/" -f "$d/slapd.conf" \
    </dev/null >>"$STATE/log/$inst.log" 2>&1 &
  local pid=$! start
  start=$(proc_field "$pid" 22) || fail "$STATE/log/$inst.log" "slapd $inst died at once"
  printf '%s %s\n' "$pid" "$start" >"$STATE/pids/$inst"
}

port_busy() { [[ -n $(ss -Htln "sport = :$1") ]]; }

wait_listen() {
  local inst=$1 pid start port deadline
  read -r pid start <"$STATE/pids/$inst"
  deadline=$((SECONDS + LISTEN_WAIT))
  for port in "$(port_of "$inst")" "$(tls_port_of "$inst")"; do
    until ss -Htln "sport = :$port" | grep -q '127\.0\.0\.1:'; do
      pid_alive "$pid" "$start" || fail "$STATE/log/$inst.log" "slapd $inst exited before listening on $port"
      ((SECONDS < deadline)) || fail "$STATE/log/$inst.log" "slapd $inst does not listen on $port after $LISTEN_WAIT s"
      sleep 0.1
    done
  done
}

# ---------------------------------------------------------------- self-check

# expect DESCRIPTION CMD...: CMD must succeed, else `up` fails.
expect() { local what=$1; shift; "$@" >/dev/null 2>&1 || die "self-check failed: $what"; }
# expect_rc RC DESCRIPTION CMD...: CMD must exit with RC.
expect_rc() {
  local want=$1 what=$2 rc=0; shift 2
  "$@" >/dev/null 2>&1 || rc=$?
  ((rc == want)) || die "self-check failed: $what (exit $rc, expected $want)"
}

self_check() {
  local w="ldap://127.0.0.1:$WEAK_PORT" c="ldap://127.0.0.1:$CLEAN_PORT" n
  local wa="uid=vigie-audit,ou=system,$WEAK_SUFFIX" ca="uid=vigie-audit,ou=system,$CLEAN_SUFFIX"
  export LDAPTLS_CACERT="$STATE/tls/ca.crt" LDAPTLS_REQCERT=demand
  # weak: anonymous subtree search returns entries (sizeLimitExceeded after 100: rc 4).
  n=$(ldapsearch -x -LLL -H "$w" -b "$WEAK_SUFFIX" -z 5 '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:' || true)
  ((n > 0)) || die "self-check failed: weak anonymous search returned no entry"
  expect_rc 4 "weak: unpaged search hits the size limit" ldapsearch -x -LLL -H "$w" -D "$wa" -y "$STATE/audit.pw" -b "$WEAK_SUFFIX" dn
  n=$(ldapsearch -x -LLL -H "$w" -D "$wa" -y "$STATE/audit.pw" -E pr=50/noprompt -b "$WEAK_SUFFIX" dn | grep -c '^dn:')
  ((n > 300)) || die "self-check failed: weak paged search read only $n entries"
  expect_rc 49 "weak: cleartext bogus bind answers invalidCredentials" ldapwhoami -x -H "$w" -D "cn=nobody,$WEAK_SUFFIX" -w bogus
  expect "weak: anonymous read of userPassword" bash -c "ldapsearch -x -LLL -H '$w' -b 'uid=pw-md5,ou=people,$WEAK_SUFFIX' userPassword | grep -q '^userPassword'"
  expect "weak: anonymous read of cn=config" bash -c "ldapsearch -x -LLL -H '$w' -b cn=config -s base | grep -q '^dn: cn=config'"
  expect "weak: anonymous read of cn=Monitor" bash -c "ldapsearch -x -LLL -H '$w' -b cn=Monitor -s base | grep -q '^dn: cn=Monitor'"
  expect_rc 0 "weak: audit account binds in cleartext" ldapwhoami -x -H "$w" -D "$wa" -y "$STATE/audit.pw"
  # The weak certificate must NOT verify against the lab CA; it must work without checks.
  expect "weak: ldaps with no verification" env LDAPTLS_REQCERT=never ldapwhoami -x -H "ldaps://127.0.0.1:$WEAK_TLS_PORT" -D "$wa" -y "$STATE/audit.pw"
  expect_rc 255 "weak: ldaps certificate does not verify" ldapwhoami -x -H "ldaps://127.0.0.1:$WEAK_TLS_PORT" -D "$wa" -y "$STATE/audit.pw"
  # clean
  n=$(ldapsearch -x -LLL -H "$c" -b "$CLEAN_SUFFIX" '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:' || true)
  ((n == 0)) || die "self-check failed: clean anonymous search returned $n entries"
  expect_rc 13 "clean: cleartext bogus bind answers confidentialityRequired" ldapwhoami -x -H "$c" -D "cn=nobody,$CLEAN_SUFFIX" -w bogus
  expect_rc 13 "clean: cleartext audit bind refused" ldapwhoami -x -H "$c" -D "$ca" -y "$STATE/audit.pw"
  expect "clean: StartTLS bind, verified certificate" ldapwhoami -x -ZZ -H "$c" -D "$ca" -y "$STATE/audit.pw"
  expect "clean: ldaps bind, verified certificate" ldapwhoami -x -H "ldaps://127.0.0.1:$CLEAN_TLS_PORT" -D "$ca" -y "$STATE/audit.pw"
  expect_rc 4 "clean: unpaged search hits the size limit" ldapsearch -x -LLL -ZZ -H "$c" -D "$ca" -y "$STATE/audit.pw" -b "$CLEAN_SUFFIX" dn
  n=$(ldapsearch -x -LLL -ZZ -H "$c" -D "$ca" -y "$STATE/audit.pw" -E pr=50/noprompt -b "$CLEAN_SUFFIX" dn | grep -c '^dn:')
  ((n > 300)) || die "self-check failed: clean paged search read only $n entries"
  n=$(ldapsearch -x -LLL -ZZ -H "$c" -D "$ca" -y "$STATE/audit.pw" -E pr=500/noprompt -b "$CLEAN_SUFFIX" userPassword | grep -c '^userPassword' || true)
  ((n == 0)) || die "self-check failed: clean audit account reads $n userPassword values"
  expect "clean: audit account reads the password policy" bash -c "ldapsearch -x -LLL -ZZ -H '$c' -D '$ca' -y '$STATE/audit.pw' -b 'cn=default,ou=policies,$CLEAN_SUFFIX' -s base pwdMinLength | grep -q '^pwdMinLength: 12'"
  expect "clean: rootDSE lists the ppolicy control" bash -c "ldapsearch -x -LLL -H '$c' -b '' -s base supportedControl | grep -q '1.3.6.1.4.1.42.2.27.8.5.1'"
  n=$(ldapsearch -x -LLL -H "$c" -b cn=config -s base 2>/dev/null | grep -c '^dn:' || true)
  ((n == 0)) || die "self-check failed: clean cn=config readable anonymously"
  n=$(ldapsearch -x -LLL -H "$c" -b cn=Monitor -s base 2>/dev/null | grep -c '^dn:' || true)
  ((n == 0)) || die "self-check failed: clean cn=Monitor readable anonymously"
  unset LDAPTLS_CACERT LDAPTLS_REQCERT
}

# ---------------------------------------------------------------- truth and env

write_truth() {
  local dn scheme _pw
  {
    printf '# instance\trule_id\texpected\tdn_at_fault\n'
    printf 'weak\tLDAP-001\tfail\t%s\n' "$WEAK_SUFFIX"
    printf 'weak\tLDAP-002\tfail\t-\n'
    printf 'weak\tLDAP-003\tfail\t-\n'
    # LDAP-004: every entry whose userPassword an anonymous reader gets.
    while IFS=$'\t' read -r dn scheme _pw; do
      [[ -n $dn ]] && printf 'weak\tLDAP-004\tfail\t%s\n' "$dn"
    done <"$STATE/weak/passwords.tsv"
    # LDAP-005: the weak schemes ({SSHA} included, at medium severity).
    while IFS=$'\t' read -r dn scheme _pw; do
      case $scheme in CLEAR | CLEARTEXT | MD5 | SMD5 | SHA | SSHA | CRYPT-DES)
        printf 'weak\tLDAP-005\tfail\t%s\n' "$dn" ;; esac
    done <"$STATE/weak/passwords.tsv"
    printf 'weak\tLDAP-006\tfail\t-\n'
    printf 'weak\tLDAP-007\tfail\tcn=config\n'
    printf 'weak\tLDAP-007\tfail\tcn=Monitor\n'
    local r
    for r in 1 2 3 4 5 6 7; do printf 'clean\tLDAP-00%s\tpass\t-\n' "$r"; done
  } >"$STATE/truth.tsv"
  {
    printf '# instance\trule_id\tdn (look-alikes that must not be flagged)\n'
    while IFS=$'\t' read -r dn scheme _pw; do
      case $scheme in CRYPT-SHA512 | ARGON2) printf 'weak\tLDAP-005\t%s\n' "$dn" ;; esac
    done <"$STATE/weak/passwords.tsv"
  } >"$STATE/clean.tsv"
}

write_env() {
  cat >"$STATE/env" <<EOF
# vigie slapd audit lab — source this file (generated by tests/lab/slapd_audit.sh up)
SLAPD_LAB_STATE='$STATE'
SLAPD_CA_FILE='$STATE/tls/ca.crt'
SLAPD_AUDIT_PASSWORD_FILE='$STATE/audit.pw'
SLAPD_ADMIN_PASSWORD_FILE='$STATE/admin.pw'
SLAPD_WEAK_URL='ldap://127.0.0.1:$WEAK_PORT'
SLAPD_WEAK_LDAPS_URL='ldaps://127.0.0.1:$WEAK_TLS_PORT'
SLAPD_WEAK_SUFFIX='$WEAK_SUFFIX'
SLAPD_WEAK_AUDIT_DN='uid=vigie-audit,ou=system,$WEAK_SUFFIX'
SLAPD_WEAK_ADMIN_DN='cn=admin,$WEAK_SUFFIX'
SLAPD_WEAK_CERT='$STATE/tls/weak.crt'
SLAPD_WEAK_EXPORT='$STATE/weak/export.ldif'
SLAPD_CLEAN_URL='ldap://127.0.0.1:$CLEAN_PORT'
SLAPD_CLEAN_LDAPS_URL='ldaps://127.0.0.1:$CLEAN_TLS_PORT'
SLAPD_CLEAN_SUFFIX='$CLEAN_SUFFIX'
SLAPD_CLEAN_AUDIT_DN='uid=vigie-audit,ou=system,$CLEAN_SUFFIX'
SLAPD_CLEAN_ADMIN_DN='cn=admin,$CLEAN_SUFFIX'
SLAPD_CLEAN_EXPORT='$STATE/clean/export.ldif'
SLAPD_SIZE_LIMIT=100
SLAPD_TRUTH='$STATE/truth.tsv'
SLAPD_CLEAN_TSV='$STATE/clean.tsv'
EOF
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
  local tool inst port
  for tool in slapd slapadd slapcat slappasswd ldapsearch ldapwhoami openssl ss setsid /usr/bin/python3; do
    command -v "$tool" >/dev/null || die "missing '$tool': run scripts/install-deps.sh"
  done
  [[ -e $MARKER ]] && die "already up (state in $STATE): run '${0##*/} down' first"
  if [[ -e $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    die "state dir $STATE exists, is not empty and is not this lab's: refusing to use it"
  fi
  for port in "$WEAK_PORT" "$WEAK_TLS_PORT" "$CLEAN_PORT" "$CLEAN_TLS_PORT"; do
    port_busy "$port" && die "TCP port $port is already in use (set VIGIE_SLAPD_PORT_BASE)"
  done

  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  local t0=$SECONDS
  install -d -m 755 "$STATE"
  : >"$MARKER"
  install -d -m 755 "$STATE/pids" "$STATE/log"
  cd "$STATE"

  # Credentials: fresh for every `up`, in files (never on a command line of the tests).
  AUDIT_PW="vigie-audit-$(openssl rand -hex 8)"
  printf '%s' "$AUDIT_PW" >"$STATE/audit.pw"
  ADMIN_PW="vigie-admin-$(openssl rand -hex 8)"
  printf '%s' "$ADMIN_PW" >"$STATE/admin.pw"
  chmod 600 "$STATE/audit.pw" "$STATE/admin.pw"

  log "certificates"
  make_certs
  for inst in "${INSTANCES[@]}"; do
    # weak: the rootpw in cleartext in the config (readable through cn=config);
    # clean: a SHA-512 crypt hash.
    if [[ $inst == weak ]]; then ROOTPW_CONF=$ADMIN_PW
    else ROOTPW_CONF="{CRYPT}$(openssl passwd -6 "$ADMIN_PW")"; fi
    log "$inst: configuration and database"
    write_conf "$inst"
    build_db "$inst"
    # An LDIF export, for LDAP-005 checks on an export (the clean instance hides hashes).
    slapcat -f "$STATE/$inst/slapd.conf" -l "$STATE/$inst/export.ldif" >>"$STATE/log/$inst.log" 2>&1 \
      || fail "$STATE/log/$inst.log" "slapcat failed ($inst)"
    start_slapd "$inst"
  done
  for inst in "${INSTANCES[@]}"; do wait_listen "$inst"; done
  log "self-check of the seeded weaknesses"
  self_check
  write_truth
  write_env
  UP_DONE=1
  trap - EXIT INT TERM
  log "up in $((SECONDS - t0)) s: weak ldap://127.0.0.1:$WEAK_PORT ldaps://127.0.0.1:$WEAK_TLS_PORT," \
    "clean ldap://127.0.0.1:$CLEAN_PORT ldaps://127.0.0.1:$CLEAN_TLS_PORT; CA $STATE/tls/ca.crt;" \
    "env in $STATE/env, truth in $STATE/truth.tsv"
  echo "$STATE/env"
}

lab_down() {
  local f pid start pids=()
  cd /
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
    log "slapd ignored SIGTERM; sending SIGKILL"
    kill -s KILL "${pids[@]}" 2>/dev/null || true
    wait_gone 50 "${pids[@]}" || die "slapd survives SIGKILL: ${pids[*]}"
  fi
  if [[ -e $MARKER ]]; then
    rm -rf --one-file-system -- "$STATE"
    [[ -n $STATE_ARG || -n ${VIGIE_LAB_STATE:-} ]] || rmdir /run/vigie-lab 2>/dev/null || true
  elif [[ -d $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    log "warning: $STATE has no lab marker; left in place"
  fi
  return 0
}

lab_status() {
  local inst pid start up=0 down=0
  for inst in "${INSTANCES[@]}"; do
    if [[ -f $STATE/pids/$inst ]] && read -r pid start <"$STATE/pids/$inst" && pid_alive "$pid" "$start"; then
      echo "slapd $inst: running (pid $pid, ldap://127.0.0.1:$(port_of "$inst"), ldaps://127.0.0.1:$(tls_port_of "$inst"))"
      ((++up))
    else
      echo "slapd $inst: not running"; ((++down))
    fi
  done
  if ((up == 0)) && [[ ! -e $MARKER ]]; then echo "slapd audit lab: down"; return 3; fi
  if ((down == 0)) && [[ -f $STATE/truth.tsv ]]; then echo "slapd audit lab: up (env: $STATE/env)"; return 0; fi
  echo "slapd audit lab: half up (run '${0##*/} down')"; return 1
}

if [[ $(id -u) -ne 0 ]]; then
  echo "slapd_audit: needs root (slapd runs as root, state under /run); skipping" >&2
  exit 77
fi
[[ $STATE == /* && $STATE != / ]] || die "the state dir must be an absolute path other than /"
if ! [[ $BASE =~ ^[0-9]+$ ]] || ((BASE < 1024 || BASE > 65530)); then
  die "VIGIE_SLAPD_PORT_BASE must be 1024..65530"
fi
case $CMD in
  up) lab_up ;;
  down) lab_down ;;
  status) lab_status ;;
  truth) [[ -f $STATE/truth.tsv ]] || die "not up (no $STATE/truth.tsv)"; cat "$STATE/truth.tsv" ;;
esac
