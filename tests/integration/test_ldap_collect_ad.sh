#!/usr/bin/env bash
# The directory collector against a real Samba AD DC: the lab of
# tests/lab/samba_ad.sh, brought up here with a state directory and a
# network namespace of this test's own, seeded, then torn down (TAP).
# Checks: AD profile detection, every AD set read, the probes of a server
# that demands TLS for simple binds, the facts against the lab's truth
# (dormant accounts, privileged accounts outside Protected Users, privileged
# count), primaryGroupID and BUILTIN memberships, and range retrieval on a
# group of 3100 members, and a SASL GSSAPI bind with a Kerberos ticket (when
# kinit and the SASL GSSAPI module are installed). Needs root and Samba
# (skips with 77 otherwise).
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
dump=${LDAPA_DUMP:?LDAPA_DUMP must point to the ldapa_dump helper}
rules=${VIGIE_TEST_DATA:?VIGIE_TEST_DATA must point to tests/data}/ldap-collect
lab=$(cd "$(dirname "$0")/../lab" && pwd)/samba_ad.sh
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (network namespace, Samba AD DC)"; exit 77; }
command -v samba >/dev/null || [ -x /usr/sbin/samba ] || { echo "1..0 # SKIP samba is not installed"; exit 77; }

export VIGIE_LAB_STATE=$(mktemp -d /tmp/vigie-ad-collect.XXXXXX)/lab
export VIGIE_AD_NETNS=vigie-adc-$$
out=$(dirname "$VIGIE_LAB_STATE")
cleanup() { bash "$lab" down >/dev/null 2>&1; rm -rf "$out" "/etc/netns/$VIGIE_AD_NETNS"; }
trap cleanup EXIT
if ! bash "$lab" up >"$out/up.log" 2>&1 || ! bash "$lab" seed >"$out/seed.log" 2>&1; then
  # Root and Samba are here: a lab that does not come up is a failure, not a skip.
  echo "1..1"
  echo "not ok 1 - the Samba AD lab comes up and is seeded"
  tail -20 "$out/up.log" "$out/seed.log" 2>/dev/null | sed 's/^/#   /'
  exit 1
fi
# shellcheck source=/dev/null
. "$VIGIE_LAB_STATE/env"
pw=$(cat "$AD_AUDIT_PASSWORD_FILE")
range_ou="OU=Range,OU=Vigie Lab,$AD_BASE_DN"
big="CN=big-group,$range_ou"
python3 - "$range_ou" "$big" >"$out/big.ldif" <<'PY'
import sys
ou, big = sys.argv[1], sys.argv[2]
print(f"dn: {ou}\nobjectClass: organizationalUnit\n")
for i in range(3100):
    print(f"dn: CN=c{i:05d},{ou}\nobjectClass: contact\n")
print(f"dn: {big}\nobjectClass: group\nsAMAccountName: big-group")
for i in range(3100):
    print(f"member: CN=c{i:05d},{ou}")
print()
PY
$AD_EXEC ldbadd -H "$AD_SAM_LDB" "$out/big.ldif" >"$out/big.log" 2>&1

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else not_ok "$name"; sed 's/^/#   /' "$out/last" | head -20; fi
}
echo "1..27"
$AD_EXEC env VIGIE_LDAP_PASSWORD="$pw" DUMP_STARTTLS=1 DUMP_CA="$AD_CA_FILE" \
  "$dump" "$AD_URL" "$AD_AUDIT_DN" >"$out/dump" 2>"$out/last"
head -40 "$out/dump" >>"$out/last"
check "collection over StartTLS as an ordinary user succeeds" grep -q "^status: 0 ok" "$out/dump"
check "the rootDSE says Active Directory" grep -q "^profile: ad$" "$out/dump"
for s in domain users computers accounts groups gpos ntds_dsa config dns_zones; do
  check "set $s read completely" grep -qE "^set $s complete [1-9]" "$out/dump"
done
check "one DC" grep -q "^set dcs complete 1$" "$out/dump"
server() { sed -n '/^set server /,/^set rootdse /p' "$out/dump" | grep -q "^    $1: $2\$"; }
check "probe: a cleartext simple bind is refused first (8)" server cleartext_bind_result 8
check "probe: LDAPS verified against the lab CA" server tls_verified TRUE
# Facts, from the accounts set, against the lab's truth table.
sed -n '/^set accounts /,/^set dcs /p' "$out/dump" >"$out/accounts"
with_fact() { awk -v f="$1" '/^  dn: /{dn=substr($0,7)} $0 == "    " f {print dn}' "$out/accounts" | sort; }
truth() { grep "^$1	" "$AD_TRUTH" | cut -f3 | sort; }
check "dormant accounts are exactly the lab's AD-ACC-001 list" \
  diff <(with_fact "dormant: TRUE") <(truth AD-ACC-001)
check "privileged accounts outside Protected Users are the lab's AD-PRIV-008 list" \
  diff <(comm -12 <(with_fact "privileged: TRUE") <(with_fact "protected_user: FALSE")) <(truth AD-PRIV-008)
want=$(sed -n 's/^# AD-PRIV-001 .*: \([0-9]*\)$/\1/p' "$AD_TRUTH")
check "domain privileged_count is the lab's ($want)" grep -q "^    privileged_count: $want$" "$out/dump"
member_of() { awk -v u="$1" -v g="$2" '/^  dn: /{p = index($0, "dn: CN=" u ",") > 0} p && /^    privileged_groups:/ && index($0, g) {f=1} END {exit !f}' "$out/accounts"; }
check "primaryGroupID 512 makes adm-pgid a Domain Admin" member_of adm-pgid "Domain Admins"
check "BUILTIN Print Operators (550) counts as privileged" member_of op-print "Print Operators"
check "the DC is not counted as privileged" \
  bash -c "! grep -qx 'CN=DC1,OU=Domain Controllers,$AD_BASE_DN' <(awk '/^  dn: /{dn=substr(\$0,7)} /^    privileged: TRUE/{print dn}' '$out/accounts')"
check "members_total of a 3100-member group" \
  bash -c "awk '/^  dn: CN=big-group,/{p=1} p && /members_total/ {print; exit}' '$out/dump' | grep -q ' 3100$'"
$AD_EXEC env VIGIE_LDAP_PASSWORD="$pw" DUMP_STARTTLS=1 DUMP_CA="$AD_CA_FILE" \
  "$dump" range "$AD_URL" "$AD_AUDIT_DN" "$big" "member;range=0-999" >"$out/last" 2>&1
check "range retrieval: member;range=0-999 then 1000-* reads all 3100 values" grep -q "^values 3100$" "$out/last"
$AD_EXEC env VIGIE_LDAP_PASSWORD="$pw" "$bin" ldap --url "$AD_URL" --bind "$AD_AUDIT_DN" \
  --rules "$rules" -o "$out/clear.xml" >"$out/last" 2>&1 </dev/null
rc=$?
check "vigie ldap: a cleartext bind refused by the DC exits 77" test "$rc" -eq 77
printf '%s\n' "$pw" >"$out/pw"; chmod 600 "$out/pw"
$AD_EXEC "$bin" ldap --url "$AD_URL" --starttls --bind "$AD_AUDIT_DN" --password-file "$out/pw" \
  --ca-file "$AD_CA_FILE" --rules "$rules" -o "$out/ad.xml" >"$out/last" 2>&1
rc=$?
check "vigie ldap: a full AD audit exits 0 and writes its result" test "$rc" -eq 0 -a -s "$out/ad.xml"
check "vigie ldap: an attribute only a rule on accounts reads is collected" \
  grep -q "fault dn=\"CN=user-admincount," "$out/ad.xml"
# SASL GSSAPI: the DC's name resolves in the namespace only (hosts file of
# the namespace), the ticket comes from kinit with the lab's KDC.
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
if command -v kinit >/dev/null && ls /usr/lib/*/sasl2/libgssapiv2.so >/dev/null 2>&1; then
  mkdir -p "/etc/netns/$VIGIE_AD_NETNS"
  printf '127.0.0.1 dc1.%s dc1 localhost\n' "$AD_DNS_DOMAIN" >"/etc/netns/$VIGIE_AD_NETNS/hosts"
  printf '[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n rdns = false\n[realms]\n %s = {\n  kdc = 127.0.0.1\n }\n' \
    "$AD_REALM" "$AD_REALM" >"$out/krb5.conf"
  krb=(env KRB5_CONFIG="$out/krb5.conf" KRB5CCNAME="$out/ccache")
  $AD_EXEC "${krb[@]}" kinit "vigie-audit@$AD_REALM" <"$AD_AUDIT_PASSWORD_FILE" >"$out/kinit.log" 2>&1
  $AD_EXEC "${krb[@]}" "$bin" ldap --url "ldap://dc1.$AD_DNS_DOMAIN" --sasl GSSAPI --ca-file "$AD_CA_FILE" \
    --rules "$rules" -o "$out/gss.xml" >"$out/last" 2>&1
  rc=$?
  cat "$out/kinit.log" >>"$out/last"
  check "vigie ldap --sasl GSSAPI with a Kerberos ticket exits 0" test "$rc" -eq 0 -a -s "$out/gss.xml"
  $AD_EXEC env KRB5_CONFIG="$out/krb5.conf" KRB5CCNAME="$out/no-ccache" "$bin" ldap \
    --url "ldap://dc1.$AD_DNS_DOMAIN" --sasl GSSAPI --rules "$rules" -o "$out/gss2.xml" >"$out/last" 2>&1
  rc=$?
  check "vigie ldap --sasl GSSAPI without a ticket exits 77" test "$rc" -eq 77
else
  skip "vigie ldap --sasl GSSAPI with a Kerberos ticket" "kinit or the SASL GSSAPI module is not installed"
  skip "vigie ldap --sasl GSSAPI without a ticket" "kinit or the SASL GSSAPI module is not installed"
fi
[ "$failed" -eq 0 ]
