#!/usr/bin/env bash
# bench/ldap_lab.sh — a big Samba AD directory for the LDAP collection benchmark
# (vigie ldap vs `ldapsearch -E pr=1000` vs ldapdomaindump).
#
# usage: ldap_lab.sh up|down|status|env
#
#   up      start a Samba AD DC of its own (tests/lab/samba_ad.sh up, in namespace
#           $BENCH_AD_NETNS, state under $BENCH_STATE/ad), then bulk-load BENCH_USERS users,
#           BENCH_COMPUTERS computers and BENCH_GROUPS groups with memberships
#           (bench/ldap_lab_gen.py) into its sam.ldb, time every step, count what LDAP
#           returns, and write $BENCH_STATE/env. On failure, tears down.
#   down    tests/lab/samba_ad.sh down for our namespace, then remove $BENCH_STATE.
#   status  exit 0 up, 1 half up, 3 down.
#   env     print $BENCH_STATE/env.
#
# Environment:
#   BENCH_STATE       state dir (default /run/vigie-bench/ldap)
#   BENCH_AD_NETNS    namespace (default vigie-ldapbench)
#   BENCH_USERS, BENCH_COMPUTERS, BENCH_GROUPS   sizes (default 100000, 10000, 1000)
#
# How the load is fast: one `ldbadd` on the local sam.ldb (system session, through Samba's
# full DSDB module stack, so every object is a proper AD object: SID, GUID, security
# descriptor, replication metadata, memberOf back links) per chunk of 1,000 objects, with
# the ldb option `batch_mode` (no sub-transaction per record). Measured on Samba 4.17:
#   - plain ldbadd: ~8 ms per object at 5,000 objects in the DB, ~15 ms at 15,000 (the
#     cost grows with the DB: hours for 111,000);
#   - batch_mode, one transaction: ~1.3 ms per object for a 1,000-object transaction but
#     ~7 ms for 4,000 (the cost grows with the adds made in the same transaction);
#   - batch_mode, 1,000-object transactions (bench/ldap_lab_gen.py chunks): see
#     $BENCH_STATE/times.
# The price of batch_mode: a failed record aborts its chunk without rollback of the
# others (fine for a throw-away directory: `up` then fails and tears down).
# No passwords are set (Samba would derive Kerberos keys for each).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
readonly STATE=${BENCH_STATE:-/run/vigie-bench/ldap}
readonly NS=${BENCH_AD_NETNS:-vigie-ldapbench}
readonly USERS=${BENCH_USERS:-100000} COMPUTERS=${BENCH_COMPUTERS:-10000} GROUPS_N=${BENCH_GROUPS:-1000}
readonly MARKER="$STATE/.vigie-ldap-bench-state"
readonly AD="$ROOT/tests/lab/samba_ad.sh"

log() { printf 'ldap_lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
ad() { VIGIE_AD_NETNS=$NS VIGIE_LAB_STATE=$STATE/ad "$AD" "$@"; }
now_ms() { echo $((${EPOCHREALTIME/[.,]/} / 1000)); }

UP_DONE=0
on_up_exit() {
  local rc=$?
  if ((UP_DONE == 0)); then
    log "up failed (exit $rc): tearing down"
    lab_down || true
    exit $((rc == 0 ? 1 : rc))
  fi
}

lab_up() {
  local t0 t1 n
  [[ -e $MARKER ]] && die "already up (state in $STATE): run '${0##*/} down' first"
  if [[ -e $STATE ]] && [[ -n $(ls -A "$STATE") ]]; then
    die "state dir $STATE exists, is not empty and is not this lab's: refusing to use it"
  fi
  for n in "$USERS" "$COMPUTERS" "$GROUPS_N"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "sizes must be positive integers"; done
  ((GROUPS_N >= 10)) || die "BENCH_GROUPS must be at least 10"
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  install -d -m 755 "$STATE"
  : >"$MARKER"
  t0=$(now_ms)
  ad up >/dev/null
  echo "ad_up_ms $(($(now_ms) - t0))" >"$STATE/times"
  # shellcheck disable=SC1091
  source "$STATE/ad/env"

  t1=$(now_ms)
  install -d -m 700 "$STATE/ldif"
  /usr/bin/python3 "$HERE/ldap_lab_gen.py" "$AD_BASE_DN" "$AD_DNS_DOMAIN" "$USERS" "$COMPUTERS" \
    "$GROUPS_N" "$STATE/ldif" || die "LDIF generation failed"
  echo "generate_ms $(($(now_ms) - t1))" >>"$STATE/times"

  log "loading $USERS users, $COMPUTERS computers, $GROUPS_N groups (ldbadd, batch_mode, $(find "$STATE/ldif" -name 'add-*.ldif' | wc -l) chunks)"
  t1=$(now_ms)
  local f
  for f in "$STATE"/ldif/add-*.ldif; do
    ldbadd --nosync -o batch_mode:1 --configfile="$AD_SMB_CONF" -H "$AD_SAM_LDB" "$f" >>"$STATE/load.log" 2>&1 \
      || { tail -n 5 "$STATE/load.log" >&2; die "bulk load failed at $f (log $STATE/load.log)"; }
  done
  echo "load_objects_ms $(($(now_ms) - t1))" >>"$STATE/times"
  ldbmodify --nosync -o batch_mode:1 --configfile="$AD_SMB_CONF" -H "$AD_SAM_LDB" "$STATE/ldif/nest.ldif" >>"$STATE/load.log" 2>&1 \
    || { tail -n 5 "$STATE/load.log" >&2; die "group nesting failed (log $STATE/load.log)"; }
  echo "load_ms $(($(now_ms) - t1))" >>"$STATE/times"
  rm -rf "$STATE/ldif"   # ~40 MB at the default sizes; the generator remakes it

  # What a client sees: users and computers, read with paging (1,000 per page).
  t1=$(now_ms)
  n=$($AD_EXEC env LDAPTLS_CACERT="$AD_CA_FILE" ldapsearch -x -LLL -ZZ -H "$AD_URL" -D "$AD_AUDIT_DN" \
    -y "$AD_AUDIT_PASSWORD_FILE" -E pr=1000/noprompt -b "OU=Bench,$AD_BASE_DN" \
    '(|(objectClass=user)(objectClass=group))' dn | grep -c '^dn: ')
  echo "count_ms $(($(now_ms) - t1))" >>"$STATE/times"
  # The big group: Samba returns all its values to a plain read (it does not force range
  # retrieval as Windows does above 1,500), and answers a ranged read with ranges.
  local big="CN=g0001,OU=Groups,OU=Bench,$AD_BASE_DN" plain ranged
  plain=$($AD_EXEC env LDAPTLS_CACERT="$AD_CA_FILE" ldapsearch -x -LLL -o ldif-wrap=no -ZZ -H "$AD_URL" \
    -D "$AD_AUDIT_DN" -y "$AD_AUDIT_PASSWORD_FILE" -b "$big" -s base member | grep -c '^member:' || true)
  ranged=$($AD_EXEC env LDAPTLS_CACERT="$AD_CA_FILE" ldapsearch -x -LLL -o ldif-wrap=no -ZZ -H "$AD_URL" \
    -D "$AD_AUDIT_DN" -y "$AD_AUDIT_PASSWORD_FILE" -b "$big" -s base 'member;range=0-*' \
    | sed -n 's/^\(member;range=[0-9*-]*\):.*/\1/p' | sort -u | tr '\n' ' ')
  echo "big_group plain_values=$plain ranged_attrs=$ranged" >>"$STATE/times"
  ((n == USERS + COMPUTERS + GROUPS_N)) || die "LDAP returns $n objects under OU=Bench, expected $((USERS + COMPUTERS + GROUPS_N))"
  {
    echo "# vigie LDAP benchmark directory — source this file (bench/ldap_lab.sh up)"
    cat "$STATE/ad/env"
    echo "BENCH_LDAP_STATE='$STATE'"
    echo "BENCH_LDAP_USERS=$USERS"
    echo "BENCH_LDAP_COMPUTERS=$COMPUTERS"
    echo "BENCH_LDAP_GROUPS=$GROUPS_N"
    echo "BENCH_LDAP_BASE='OU=Bench,$AD_BASE_DN'"
    echo "BENCH_LDAP_BIG_GROUP='CN=g0001,OU=Groups,OU=Bench,$AD_BASE_DN'   # members: $plain"
    echo "BENCH_LDAP_BIG_GROUP_RANGES='$ranged'   # answer to a member;range=0-* read"
  } >"$STATE/env"
  echo "up_ms $(($(now_ms) - t0))" >>"$STATE/times"
  UP_DONE=1
  trap - EXIT INT TERM
  log "up in $(($(now_ms) - t0)) ms ($(tr '\n' ' ' <"$STATE/times")); env in $STATE/env"
  echo "$STATE/env"
}

lab_down() {
  cd /
  if [[ -d $STATE/ad ]] || [[ -e /run/netns/$NS ]]; then ad down; fi
  if [[ -e $MARKER ]]; then
    rm -rf --one-file-system -- "$STATE"
    [[ -n ${BENCH_STATE:-} ]] || rmdir /run/vigie-bench 2>/dev/null || true
  fi
  return 0
}

lab_status() {
  local out rc=0
  if [[ ! -e $MARKER ]]; then echo "ldap bench lab: down"; return 3; fi
  out=$(ad status) || rc=$?
  echo "$out"
  # The bench directory is not "seeded" in samba_ad.sh's sense (rc 1 when samba runs but
  # no seed): up = samba running + our env file.
  if ((rc == 0 || rc == 1)) && [[ -f $STATE/env ]] && grep -q '^samba: running' <<<"$out"; then
    echo "ldap bench lab: up (env: $STATE/env)"; return 0
  fi
  echo "ldap bench lab: half up (run '${0##*/} down')"; return 1
}

if [[ $(id -u) -ne 0 ]]; then
  echo "ldap_lab: needs root (network namespace, samba); skipping" >&2
  exit 77
fi
[[ $STATE == /* && $STATE != / ]] || die "BENCH_STATE must be an absolute path other than /"
case ${1:-} in
  up) lab_up ;;
  down) lab_down ;;
  status) lab_status ;;
  env) [[ -f $STATE/env ]] || die "not up"; cat "$STATE/env" ;;
  *) echo "usage: ${0##*/} up|down|status|env" >&2; exit 2 ;;
esac
