#!/usr/bin/env bash
# The whole directory audit, `vigie ldap` from connection to rule outcomes,
# against real servers with seeded weaknesses and their ground truth:
#  - the slapd lab (tests/lab/slapd_audit.sh): a weak and a clean OpenLDAP;
#    every OpenLDAP rule must fail on the weak one, on the seeded entries, and
#    pass on the clean one;
#  - the Samba AD lab (tests/lab/samba_ad.sh up + seed): every seeded AD
#    weakness must be found on its seeded objects (truth.tsv), no clean
#    look-alike may be at fault (clean.tsv), and the rules that must pass pass.
# Each result must validate against rules/directory.xsd. The labs run with
# state directories, ports and a namespace of this test's own. TAP; needs root
# for the Samba namespace (skips with 77 without root).
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
rules_dir=${VIGIE_RULES_DIR:?VIGIE_RULES_DIR must point to rules/}
here=$(cd "$(dirname "$0")" && pwd)
labs=$(cd "$here/../lab" && pwd)
compare="$here/check_directory_truth.py"

if [ "$(id -u)" -ne 0 ]; then
  echo "1..0 # SKIP needs root (the Samba AD DC runs in a network namespace)"
  exit 77
fi

out=$(mktemp -d /tmp/vigie-ldap-audit.XXXXXX)
slapd_state="$out/slapd"
export VIGIE_SLAPD_PORT_BASE=$((41000 + ($$ % 1000) * 8))
ad_state="$out/ad/lab"
ad_netns="vigie-ada-$$"
cleanup() {
  VIGIE_LAB_STATE="$slapd_state" bash "$labs/slapd_audit.sh" down >/dev/null 2>&1
  VIGIE_LAB_STATE="$ad_state" VIGIE_AD_NETNS="$ad_netns" bash "$labs/samba_ad.sh" down >/dev/null 2>&1
  rm -rf "$out" "/etc/netns/$ad_netns"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# compare_truth NAME ARGS...: the comparison's own TAP lines, renumbered.
compare_truth() {
  local name=$1 line; shift
  python3 "$compare" "$@" >"$out/cmp" 2>&1
  while IFS= read -r line; do
    case $line in
      "ok "*) ok "$name: ${line#ok * - }" ;;
      "not ok "*) not_ok "$name: ${line#not ok * - }" ;;
      *) echo "$line" ;;
    esac
  done <"$out/cmp"
}
valid_xml() { xmllint --noout --schema "$rules_dir/directory.xsd" "$1" 2>"$out/xsd.err"; }

# ------------------------------------------------------------ OpenLDAP
if ! VIGIE_LAB_STATE="$slapd_state" bash "$labs/slapd_audit.sh" up >"$out/slapd-up.log" 2>&1; then
  not_ok "slapd lab up"; sed 's/^/#   /' "$out/slapd-up.log" | tail -20
else
  ok "slapd lab up"
  # shellcheck source=/dev/null
  . "$slapd_state/env"
  "$bin" ldap --url "$SLAPD_WEAK_URL" --bind "$SLAPD_WEAK_AUDIT_DN" \
    --password-file "$SLAPD_AUDIT_PASSWORD_FILE" --ca-file "$SLAPD_CA_FILE" \
    -o "$out/weak.xml" >"$out/weak.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok "weak OpenLDAP audited (exit 0)" || { not_ok "weak OpenLDAP audited (exit $rc)"; sed 's/^/#   /' "$out/weak.log"; }
  valid_xml "$out/weak.xml" && ok "weak result validates" || not_ok "weak result validates"
  grep -q "estimated ANSSI level: not applicable" "$out/weak.log" &&
    ok "no ANSSI level claimed for OpenLDAP (the scale is AD's)" ||
    not_ok "no ANSSI level claimed for OpenLDAP (the scale is AD's)"
  compare_truth weak "$out/weak.xml" "$SLAPD_TRUTH" --instance weak --clean "$SLAPD_CLEAN_TSV"
  "$bin" ldap --url "$SLAPD_CLEAN_URL" --starttls --bind "$SLAPD_CLEAN_AUDIT_DN" \
    --password-file "$SLAPD_AUDIT_PASSWORD_FILE" --ca-file "$SLAPD_CA_FILE" \
    -o "$out/clean.xml" >"$out/clean.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok "clean OpenLDAP audited over StartTLS (exit 0)" || { not_ok "clean OpenLDAP audited (exit $rc)"; sed 's/^/#   /' "$out/clean.log"; }
  valid_xml "$out/clean.xml" && ok "clean result validates" || not_ok "clean result validates"
  compare_truth clean "$out/clean.xml" "$SLAPD_TRUTH" --instance clean --clean "$SLAPD_CLEAN_TSV"
  VIGIE_LAB_STATE="$slapd_state" bash "$labs/slapd_audit.sh" down >/dev/null 2>&1
fi

# ---------------------------------------------------------- Active Directory
export VIGIE_LAB_STATE="$ad_state" VIGIE_AD_NETNS="$ad_netns"
mkdir -p "$(dirname "$ad_state")"
if ! bash "$labs/samba_ad.sh" up >"$out/ad-up.log" 2>&1 ||
   ! bash "$labs/samba_ad.sh" seed >"$out/ad-seed.log" 2>&1; then
  not_ok "Samba AD lab up and seeded"
  tail -20 "$out/ad-up.log" "$out/ad-seed.log" 2>/dev/null | sed 's/^/#   /'
else
  ok "Samba AD lab up and seeded"
  # shellcheck source=/dev/null
  . "$ad_state/env"
  $AD_EXEC "$bin" ldap --url "$AD_URL" --starttls --ca-file "$AD_CA_FILE" --bind "$AD_AUDIT_DN" \
    --password-file "$AD_AUDIT_PASSWORD_FILE" -o "$out/ad.xml" >"$out/ad.log" 2>&1
  rc=$?
  # 3 would say a set was read only in part: then the rules on it are errors.
  [ $rc -eq 0 ] && ok "AD audited as an ordinary user (exit 0)" || { not_ok "AD audited (exit $rc)"; sed 's/^/#   /' "$out/ad.log"; }
  sed 's/^/#   /' "$out/ad.log" | grep -E "level|coverage|rules:"
  valid_xml "$out/ad.xml" && ok "AD result validates" || not_ok "AD result validates"
  compare_truth ad "$out/ad.xml" "$AD_TRUTH" --clean "$AD_CLEAN_TSV" --ambiguous "$AD_AMBIGUOUS_TSV"
  seeded=$(sed -n 's/^# \([0-9]*\) rules seeded to fail.*/\1/p' "$out/cmp")
  [ "${seeded:-0}" -ge 25 ] && ok "at least 25 AD rules seeded and checked ($seeded)" ||
    not_ok "at least 25 AD rules seeded and checked (${seeded:-0})"
fi

echo "1..$n"
exit $((failed > 0))
