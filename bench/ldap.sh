#!/usr/bin/env bash
# bench/ldap.sh — the directory audit against a big Samba AD DC (bench/ldap_lab.sh: 100,000
# users, 10,000 computers, 1,000 groups), side by side with
#   - ldapsearch -E pr=1000: the same searches (set, base, scope, filter, attributes) that
#     vigie made, replayed from vigie's own -vv log, output to /dev/null: the cost of the
#     transfer alone;
#   - ldapdomaindump (python3-ldapdomaindump), which dumps users, computers, groups,
#     trusts and policy over ldaps.
# Every tool binds as the same ordinary account, over TLS (the DC refuses cleartext binds).
# Prints wall time, CPU time and peak RSS for each, and the ratio to ldapsearch.
#
# usage: bash bench/ldap.sh [--use-lab] [--keep-lab] [--repeat N] [--out DIR]
#   --use-lab    the lab is already up (bench/ldap_lab.sh up); otherwise this script starts it
#                (about 6 minutes) and takes it down at the end unless --keep-lab.
# Environment: VIGIE (binary, default build/vigie), BENCH_STATE, BENCH_AD_NETNS as ldap_lab.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
VIGIE_BIN=${VIGIE:-$ROOT/build/vigie}
use_lab=0 keep_lab=0 repeat=1 out=""
while (($#)); do
  case $1 in
    --use-lab) use_lab=1 ;;
    --keep-lab) keep_lab=1 ;;
    --repeat) repeat=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: ${0##*/} [--use-lab] [--keep-lab] [--repeat N] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "bench/ldap.sh: must run as root (network namespace)" >&2; exit 77; }
[[ -x $VIGIE_BIN ]] || { echo "bench/ldap.sh: no vigie binary at $VIGIE_BIN" >&2; exit 2; }
command -v ldapdomaindump >/dev/null || { echo "bench/ldap.sh: ldapdomaindump missing: bash scripts/install-deps.sh --bench" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/vigie-bench-ldap.XXXXXX)}
mkdir -p "$out"
log() { echo "bench-ldap: $*" >&2; }

started=0
finish() { if ((started && !keep_lab)); then bash "$HERE/ldap_lab.sh" down >/dev/null 2>&1 || true; fi; }
trap finish EXIT
if ((!use_lab)); then
  log "starting the lab (bench/ldap_lab.sh up, about 6 minutes)"
  started=1
  bash "$HERE/ldap_lab.sh" up >"$out/lab.log" 2>&1 || { tail -20 "$out/lab.log" >&2; exit 1; }
fi
# shellcheck source=/dev/null
. <(bash "$HERE/ldap_lab.sh" env)
pw=$(cat "$AD_AUDIT_PASSWORD_FILE")

# timed NAME CMD...: run CMD in the lab's namespace under GNU time; appends "name wall cpu rss".
timed() {
  local name=$1; shift
  $AD_EXEC /usr/bin/time -o "$out/$name.time" -f '%e %U %S %M' "$@" >"$out/$name.out" 2>"$out/$name.err" || {
    log "$name failed: $(tail -3 "$out/$name.err" | tr '\n' ' ')"; return 1; }
  read -r wall user sys rss <"$out/$name.time"
  printf '%s\t%s\t%.2f\t%.1f\n' "$name" "$wall" "$(echo "$user $sys" | awk '{ print $1 + $2 }')" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" >>"$out/results.tsv"
}

: >"$out/results.tsv"
for ((r = 1; r <= repeat; r++)); do
  log "round $r of $repeat: vigie ldap"
  timed vigie env VIGIE_LDAP_PASSWORD="$pw" "$VIGIE_BIN" ldap -vv --url "$AD_URL" --starttls \
    --ca-file "$AD_CA_FILE" --bind "$AD_AUDIT_DN" -o "$out/directory.xml"
  # The same searches, from vigie's log: "search SET SCOPE "BASE" "FILTER" ATTR...".
  python3 - "$out/vigie.err" >"$out/replay.sh" <<'PY'
import re, shlex, sys
print("set -e")
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r'debug: search (\S+) (base|one|sub) "(.*?)" "(.*?)"((?: \S+)*)$', line.rstrip("\n"))
    if not m:
        continue
    _, scope, base, flt, attrs = m.groups()
    cmd = ['ldapsearch', '-x', '-ZZ', '-LLL', '-o', 'ldif-wrap=no', '-E', 'pr=1000/noprompt',
           '-H', '"$AD_URL"', '-D', '"$AD_AUDIT_DN"', '-y', '"$AD_AUDIT_PASSWORD_FILE"',
           '-s', scope, '-b', shlex.quote(base), shlex.quote(flt)] + [shlex.quote(a) for a in attrs.split()]
    print(" ".join(cmd) + " >/dev/null")
PY
  searches=$(grep -c '^ldapsearch' "$out/replay.sh" || true)
  ((searches > 0)) || { log "vigie's -vv log named no search"; exit 1; }
  log "round $r: ldapsearch -E pr=1000, the same $searches searches"
  timed ldapsearch env LDAPTLS_CACERT="$AD_CA_FILE" AD_URL="$AD_URL" AD_AUDIT_DN="$AD_AUDIT_DN" \
    AD_AUDIT_PASSWORD_FILE="$AD_AUDIT_PASSWORD_FILE" bash "$out/replay.sh"
  log "round $r: ldapdomaindump"
  rm -rf "$out/ldd"
  timed ldapdomaindump env LDAPTLS_CACERT="$AD_CA_FILE" ldapdomaindump -at SIMPLE \
    -u "$AD_DOMAIN\\vigie-audit" -p "$pw" -o "$out/ldd" "$AD_LDAPS_URL"
done

{
  echo "directory: $BENCH_LDAP_USERS users, $BENCH_LDAP_COMPUTERS computers, $BENCH_LDAP_GROUPS groups (Samba $(samba --version 2>/dev/null | awk '{ print $2 }'))"
  echo
  echo "| tool | wall s | CPU s | peak RSS MiB | wall / ldapsearch |"
  echo "|------|--------|-------|--------------|-------------------|"
  awk -F'\t' '$1 == "ldapsearch" { base[++n] = $2 } { row[NR] = $0; name[NR] = $1; wall[NR] = $2 }
    END { r = 0; for (i = 1; i <= NR; i++) { if (name[i] == "vigie") r++;
            split(row[i], f, "\t"); printf "| %s | %s | %s | %s | %.2f |\n", f[1], f[2], f[3], f[4], f[2] / base[r] } }' \
    "$out/results.tsv"
  grep -h -E "level|coverage|rules:" "$out/vigie.out" "$out/vigie.err" | sed 's/^/    vigie: /' || true
} | tee "$out/table.txt"
log "results in $out"
