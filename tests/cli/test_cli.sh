#!/usr/bin/env bash
# The vigie command line: help, version, usage errors and exit codes (TAP).
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# expect NAME EXIT-CODE STDERR-PATTERN -- ARGS...: run vigie, check both.
expect() {
  local name=$1 code=$2 pattern=$3
  shift 4
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$code" ] && { [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/err"; }; then
    ok "$name"
  else
    not_ok "$name"
    echo "# exit $rc (wanted $code); stderr:"; sed 's/^/#   /' "$tmp/err"
  fi
}

echo "1..95"
expect "--help exits 0" 0 "" -- --help
grep -q "^Usage: vigie" "$tmp/out" && ok "--help prints usage on stdout" || not_ok "--help prints usage on stdout"
grep -q "targets" "$tmp/out" && ok "--help lists the targets command" || not_ok "--help lists the targets command"
expect "-h exits 0" 0 "" -- -h
expect "--version exits 0" 0 "" -- --version
grep -qE "^vigie [0-9]+\.[0-9]+\.[0-9]+$" "$tmp/out" && ok "--version prints the version" || not_ok "--version prints the version"
expect "unknown option exits 2" 2 'unknown option --frobnicate' -- --frobnicate
expect "unknown short option exits 2" 2 'unknown option -Z' -- -Z
expect "unknown command exits 2" 2 'unknown command "frobnicate"' -- frobnicate
expect "no command exits 2" 2 'no command given' --
expect "unknown option of a command exits 2" 2 'unknown option --nope' -- targets --nope 198.18.0.1
expect "option without its value exits 2" 2 'needs a value' -- targets -p
expect "help targets" 0 "" -- help targets
grep -q "Usage: vigie targets" "$tmp/out" && ok "help targets prints the command usage" || not_ok "help targets prints the command usage"
expect "targets --help" 0 "" -- targets --help
expect "bad CIDR exits 2 naming the token" 2 '"198.18.0.0/33"' -- targets 198.18.0.0/33
expect "bad port exits 2 naming the token" 2 '"70000"' -- targets -p 22,70000 198.18.0.1
expect "missing -iL file exits 2 naming it" 2 "$tmp/none.txt" -- targets -iL "$tmp/none.txt"
expect "everything excluded exits 2" 2 'no target left' -- targets --exclude 198.18.0.0/24 198.18.0.0/25
expect "listing a /30" 0 "" -- targets 198.18.0.0/30
[ "$(cat "$tmp/out")" = "$(printf '198.18.0.0\n198.18.0.1\n198.18.0.2\n198.18.0.3')" ] \
  && ok "a /30 lists four addresses in order" || not_ok "a /30 lists four addresses in order"
expect "counting with ports" 0 "" -- targets --count -p 22,80,443 198.18.0.0/24 2001:2::/120
grep -q "^probes: 1536$" "$tmp/out" && ok "probes = (256 + 256) x 3" || { not_ok "probes = (256 + 256) x 3"; sed 's/^/#   /' "$tmp/out"; }
expect "-o writes the list atomically" 0 "" -- targets -o "$tmp/list.txt" 198.18.0.1-3
[ "$(wc -l <"$tmp/list.txt")" -eq 3 ] && [ -z "$(ls -A "$tmp" | grep vigie-tmp)" ] \
  && ok "-o file is whole and no temporary file is left" || not_ok "-o file is whole and no temporary file is left"
expect "-q keeps errors" 2 'unknown command' -- -q frobnicate
# vigie scan refuses bad settings before it sends anything.
expect "scan of 0.0.0.0/0 is refused" 2 'allow-internet' -- scan --connect -p 80 0.0.0.0/0
expect "scan of ::/0 is refused" 2 'allow-internet' -- scan --connect -p 80 ::/0
expect "scan --shard 0/4 is refused" 2 '"0/4"' -- scan --shard 0/4 198.18.0.1
expect "scan --shard 5/4 is refused" 2 '"5/4"' -- scan --shard 5/4 198.18.0.1
expect "scan --rate abc is refused" 2 '"abc"' -- scan --rate abc 198.18.0.1
expect "scan --seed -1 is refused" 2 '"-1"' -- scan --seed -1 198.18.0.1
expect "scan --source-ip not-an-address is refused" 2 'source-ip' -- scan --source-ip 198.18.0.0/24 198.18.0.1
expect "scan --resume of a missing file names it" 2 "$tmp/nope.xml" -- scan --resume "$tmp/nope.xml"
expect "scan with no target" 2 'nothing to scan' -- scan --connect -p 80
# The service stage's options and vigie services refuse bad input before
# any connection.
expect "scan --service-timeout 0 is refused" 2 '"0"' -- scan --service-timeout 0 198.18.0.1
expect "scan --service-parallel abc is refused" 2 '"abc"' -- scan --service-parallel abc 198.18.0.1
expect "help services" 0 "" -- help services
grep -q "Usage: vigie services" "$tmp/out" && ok "help services prints the command usage" || not_ok "help services prints the command usage"
expect "services with nothing to look at" 2 'nothing to look at' -- services
expect "services HOST without a port" 2 'expected HOST:PORT' -- services 198.18.0.1
expect "services IPv6 without brackets" 2 'expected HOST:PORT' -- services 2001:2::1:80
expect "services port 0" 2 '198.18.0.1:0' -- services 198.18.0.1:0
expect "services --from a missing file names it" 2 "$tmp/none.xml" -- services --from "$tmp/none.xml"
printf '<probes xmlns="urn:vigie:service-probes:1" version="1">\n<probe name="a">\n<match service="x">(</match>\n</probe>\n</probes>\n' >"$tmp/bad-probes.xml"
expect "a bad probes file is refused with its line" 2 "bad-probes.xml:3" -- services --probes "$tmp/bad-probes.xml" 127.0.0.1:9
printf '# a list\n198.18.0.1\n' >"$tmp/list.txt"
expect "services -iL names the file and line" 2 "list.txt:2" -- services -iL "$tmp/list.txt"
# vigie ldap refuses bad settings before it connects, and never takes a password from argv.
rules="${VIGIE_TEST_DATA:-$(dirname "$0")/../data}/ldap-collect"
expect "ldap without --url" 2 'no server given' -- ldap -o "$tmp/d.xml"
expect "ldap without -o" 2 'no output file' -- ldap --url ldap://127.0.0.1:1
expect "ldap --password is refused" 2 'password on the command line' -- ldap --url ldap://127.0.0.1:1 --password hunter2 -o "$tmp/d.xml"
expect "ldap --profile must be known" 2 '"nds"' -- ldap --url ldap://127.0.0.1:1 --profile nds -o "$tmp/d.xml"
expect "ldap --sasl takes GSSAPI only" 2 'only GSSAPI' -- ldap --url ldap://127.0.0.1:1 --sasl PLAIN -o "$tmp/d.xml"
expect "ldap --starttls on ldaps:// is refused" 2 'starttls' -- ldap --url ldaps://127.0.0.1:1 --starttls -o "$tmp/d.xml"
expect "ldap ldapi:// is refused" 2 'ldap:// or ldaps://' -- ldap --url ldapi:///run/slapd.sock --rules "$rules" -o "$tmp/d.xml"
VIGIE_LDAP_PASSWORD= expect "ldap --bind without a password and no terminal" 2 'needs a password' -- ldap --url ldap://127.0.0.1:1 --bind cn=x --rules "$rules" -o "$tmp/d.xml" </dev/null
expect "ldap to a closed loopback port exits 69" 69 "Can't contact LDAP server" -- ldap --url ldap://127.0.0.1:1 --rules "$rules" --timeout 5 -o "$tmp/d.xml"
[ ! -e "$tmp/d.xml" ] && ok "ldap writes no result when it cannot connect" || not_ok "ldap writes no result when it cannot connect"
expect "ldap --insecure-skip-tls-verify warns loudly" 69 'VERIFICATION IS OFF' -- ldap --url ldaps://127.0.0.1:1 --insecure-skip-tls-verify --rules "$rules" --timeout 5 -o "$tmp/d.xml"
expect "help ldap" 0 "" -- help ldap
grep -q "Usage: vigie ldap" "$tmp/out" && ok "help ldap prints the command usage" || not_ok "help ldap prints the command usage"
# vigie rules: validate names the file and line; list reads a rule directory.
data=${VIGIE_TEST_DATA:?VIGIE_TEST_DATA must point to tests/data}
expect "rules validate of good files" 0 "" -- rules validate "$data/rules/good/ad-sample.xml" "$data/rules/good/openldap-sample.xml"
[ "$(grep -c ': OK$' "$tmp/out")" -eq 2 ] && ok "rules validate prints OK per file" || not_ok "rules validate prints OK per file"
expect "rules validate of a bad predicate names file, line and column" 2 \
  "predicate.xml:17: rule B-TST-001: where=\"enabled and\": column 12" -- rules validate "$data/rules/bad/predicate.xml"
expect "rules validate goes on after a bad file" 2 "bad-ratio.xml:13: " -- \
  rules validate "$data/rules/bad/bad-ratio.xml" "$data/rules/good/ad-sample.xml"
grep -q 'ad-sample.xml: OK' "$tmp/out" && ok "the good file after a bad one is still OK" || not_ok "the good file after a bad one is still OK"
expect "rules validate catches an ID used in two files" 2 "already defined in" -- \
  rules validate "$data/rules/good/ad-sample.xml" "$data/rules/good/ad-sample.xml"
expect "rules validate without a file" 2 "needs at least one FILE" -- rules validate
expect "rules without an action" 2 "no action given" -- rules
expect "rules with an unknown action" 2 'unknown action "show"' -- rules show
# Every shipped rule file validates (schema, predicates, names, unique IDs).
rules=${VIGIE_RULES_DIR:?VIGIE_RULES_DIR must point to rules/}
expect "every shipped directory rule file validates" 0 "" -- rules validate "$rules"/ad/*.xml "$rules"/openldap/*.xml
[ "$(grep -c ': OK$' "$tmp/out")" -eq "$(ls "$rules"/ad/*.xml "$rules"/openldap/*.xml | wc -l)" ] &&
  ok "each shipped rule file reported OK" || not_ok "each shipped rule file reported OK"
expect "rules list of a directory" 0 "" -- rules list --rules "$data/rules/good" --profile openldap --lang fr
grep -q '^T-OL-PWD-001 *openldap *critical *- *Mots de passe en clair$' "$tmp/out" && ! grep -q '^T-KRB' "$tmp/out" \
  && ok "rules list shows only the openldap rule, in French" || { not_ok "rules list shows only the openldap rule, in French"; sed 's/^/#   /' "$tmp/out"; }
expect "rules list --profile of an unknown profile" 2 '"samba": ad or openldap' -- rules list --profile samba
# DNS options; none of these sends a query (-n, or a server list refused first).
expect "targets -n lists a name as given" 0 "" -- targets -n host.example.org 198.18.0.1
[ "$(cat "$tmp/out")" = "$(printf '198.18.0.1\nhost.example.org')" ] \
  && ok "-n: the name follows the addresses, unresolved" || not_ok "-n: the name follows the addresses, unresolved"
expect "targets -n --count counts a name as one address" 0 "" -- targets -n --count -p 22 198.18.0.0/30 host.example.org
grep -q "^probes: 5$" "$tmp/out" && ok "-n: probes = (4 + 1 name) x 1" || { not_ok "-n: probes = (4 + 1 name) x 1"; sed 's/^/#   /' "$tmp/out"; }
expect "scan -n with a host name is refused" 2 'given with -n' -- scan -n --connect -p 80 host.example.org
expect "--dns-servers with a name is refused" 2 '"ns.example.org"' -- targets --dns-servers ns.example.org host.example.org
# Exposure rules: validate tells the kinds apart by namespace; list --kind;
# --exposure-rules must name a folder and a broken file stops the command
# before it sends anything; a port-only rule gives a finding on a port with
# no facts (nothing listens on 127.0.0.1:9: only loopback is touched).
xdata="$data/exposure"
expect "rules validate of an exposure and a directory file" 0 "" -- rules validate "$xdata/good/sample.xml" "$data/rules/good/ad-sample.xml"
[ "$(grep -c ': OK$' "$tmp/out")" -eq 2 ] && ok "rules validate prints OK for both kinds" || not_ok "rules validate prints OK for both kinds"
expect "rules validate of a bad exposure predicate names file, line and column" 2 \
  'predicate-syntax.xml:10: rule EXP-BAD-001: where="service = ": column 11' -- rules validate "$xdata/bad/predicate-syntax.xml"
expect "rules validate of a file of no known namespace" 2 'bad-probes.xml:1: not a rule file' -- \
  rules validate "$xdata/good/sample.xml" "$tmp/bad-probes.xml"
grep -q 'sample.xml: OK$' "$tmp/out" && ok "rules validate goes on after the foreign file" || not_ok "rules validate goes on after the foreign file"
expect "rules list --kind exposure" 0 "" -- rules list --kind exposure --rules "$xdata/good" --lang fr
grep -q '^EXP-TRDP-001 *remote-admin *critical *service *Bureau à distance sans NLA$' "$tmp/out" && ! grep -q '^T-' "$tmp/out" \
  && ok "rules list shows the exposure rules only, in French" || { not_ok "rules list shows the exposure rules only, in French"; sed 's/^/#   /' "$tmp/out"; }
expect "rules list --kind of an unknown kind" 2 '"web": exposure or directory' -- rules list --kind web
expect "services --exposure-rules of a missing folder" 2 'no-such-folder' -- services --exposure-rules "$tmp/no-such-folder" 127.0.0.1:9
expect "services --exposure-rules with a broken file names its line" 2 'bad-category.xml:3: ' -- \
  services --exposure-rules "$xdata/bad" 127.0.0.1:9
expect "services with a port-only exposure rule" 0 'exposure: 1 finding (0 critical, 0 high, 0 medium, 0 low, 1 info) from 1 rules' -- \
  services --exposure-rules "$xdata/port9" --service-timeout 2 -o "$tmp/p9.xml" 127.0.0.1:9
grep -q '<finding rule="EXP-TDISCARD-001" severity="info" confidence="banner"/>' "$tmp/p9.xml" \
  && ok "the finding is in the scan XML" || not_ok "the finding is in the scan XML"
mkdir -p "$tmp/rules-no-exposure" && cp "$VIGIE_RULES_DIR"/*.xsd "$VIGIE_RULES_DIR"/*.xml "$VIGIE_RULES_DIR"/ports.tsv "$tmp/rules-no-exposure/"
VIGIE_RULES_DIR="$tmp/rules-no-exposure" expect "services without a default exposure folder" 0 'exposure: 0 findings' -- \
  services --service-timeout 2 127.0.0.1:9
expect "--dns-servers with an empty item is refused" 2 'expected addresses separated by commas' -- targets --dns-servers 127.0.0.1,,127.0.0.2 host.example.org
expect "scan --help documents the DNS options" 0 "" -- scan --help
grep -q -- "--no-ptr" "$tmp/out" && grep -q -- "--dns-servers" "$tmp/out" && grep -q -- "--skip-unresolved" "$tmp/out" \
  && ok "scan --help lists --no-ptr, --dns-servers, --skip-unresolved" || not_ok "scan --help lists --no-ptr, --dns-servers, --skip-unresolved"
[ "$failed" -eq 0 ]
