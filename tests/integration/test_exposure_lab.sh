#!/usr/bin/env bash
# tests/integration/test_exposure_lab.sh — the exposure rules (rules/exposure/*.xml) end to
# end against the lab's real daemons: brings a lab up under its own prefix, runs `vigie scan`
# with the service stage (and --intrusive, for the anonymous FTP login) from the scanner's
# namespace over the lab's two hosts by name (web.lab.vigie.test, data.lab.vigie.test, from
# the lab's hosts file), with the lab's throwaway CA as the only trust store, then checks:
#   - the deep TLS facts `lab.sh facts` lists for the weak (4443) and strong (5443) servers;
#   - for each daemon, the findings (rule IDs) that must be raised and those that must not
#     (the weak TLS port raises TLS 1.0/1.1, expired, self-signed, RSA < 2048, SHA-1; the
#     strong one none of the TLS and certificate rules; xrdp RDP without NLA; Redis without
#     authentication; Telnet in clear; VNC without authentication; DICOM accepting an
#     unknown peer; anonymous LDAP rootDSE; HTTP without redirect...);
#   - every finding names a rule of the catalogue with that rule's severity, and the scan
#     XML still validates against rules/scan.xsd, the nmap XML against nmap's DTD.
# Every probe stays inside the lab's namespaces. TAP; exit 77 (skip) when not root or
# without network namespaces.
set -uo pipefail

LAB="$(cd "$(dirname "$0")/../lab" && pwd)/lab.sh"
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
rules=${VIGIE_RULES_DIR:-$(cd "$(dirname "$0")/../../rules" && pwd)}
export VIGIE_LAB_PREFIX="vigie-exptest-$$"
unset VIGIE_LAB_STATE
STATE="/run/vigie-lab/$VIGIE_LAB_PREFIX"
NS="$VIGIE_LAB_PREFIX-scan"
DTD=/usr/share/nmap/nmap.dtd
PORTS=21,22,23,25,80,104,139,389,443,445,3306,3389,4443,5432,5443,5900,6379
WEB4=198.18.0.10 WEB6=2001:2::10 DATA4=198.18.0.20 DATA6=2001:2::20

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, daemons on ports below 1024)"
  exit 77
fi
if ! unshare --net true 2>/dev/null; then
  echo "1..0 # SKIP this machine cannot create network namespaces"
  exit 77
fi
WORK=$(mktemp -d /tmp/vigie-test-exposure.XXXXXX)

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cleanup() { bash "$LAB" down >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ expectations
# HOST PORT +RULE (must be raised) or -RULE (must not be). HOST: web, data (both
# families), web4, data4 (IPv4 only: MariaDB refuses the IPv6 side before its greeting,
# storescp listens on IPv4 only).
cat >"$WORK/want" <<'EOF'
web 21 +EXP-FTP-001 +EXP-FTP-002 +EXP-CLEAR-001 -EXP-EOL-005 -EXP-EOL-006
web 22 +EXP-SSH-001 -EXP-SSH-002 -EXP-SSH-003 -EXP-SSH-004 -EXP-SSH-005 -EXP-SSH-006 -EXP-EOL-001
web 23 +EXP-TELNET-001 +EXP-CLEAR-002
web 25 +EXP-CLEAR-005 -EXP-CLEAR-006
web 80 +EXP-HTTP-001 +EXP-WEB-001 -EXP-WEB-002 -EXP-EOL-003 -EXP-TLS-001 -EXP-CERT-003
web 443 +EXP-CERT-003 -EXP-HTTP-001 -EXP-WEB-003 -EXP-TLS-001 -EXP-TLS-002 -EXP-TLS-003 -EXP-CERT-001 -EXP-CERT-005 -EXP-CERT-006 -EXP-CERT-008
web 4443 +EXP-TLS-001 +EXP-TLS-002 +EXP-TLS-007 +EXP-TLS-010 +EXP-CERT-001 +EXP-CERT-003 +EXP-CERT-006 +EXP-CERT-008
web 4443 -EXP-TLS-003 -EXP-TLS-005 -EXP-CERT-002 -EXP-CERT-004 -EXP-CERT-005 -EXP-CERT-007 -EXP-CERT-009 -EXP-CERT-010 -EXP-HTTP-001
web 5443 -EXP-TLS-001 -EXP-TLS-002 -EXP-TLS-003 -EXP-TLS-004 -EXP-TLS-005 -EXP-TLS-006 -EXP-TLS-007 -EXP-TLS-008 -EXP-TLS-009 -EXP-TLS-010
web 5443 -EXP-CERT-001 -EXP-CERT-002 -EXP-CERT-003 -EXP-CERT-004 -EXP-CERT-005 -EXP-CERT-006 -EXP-CERT-007 -EXP-CERT-008 -EXP-CERT-009 -EXP-CERT-010 -EXP-HTTP-001
web 3306 +EXP-MYSQL-001 -EXP-EOL-008 -EXP-EOL-012
web4 3306 +EXP-MYSQL-002
web 5900 +EXP-VNC-001 +EXP-VNC-002 -EXP-VNC-003
web 6379 +EXP-REDIS-001 +EXP-REDIS-002
data 22 +EXP-SSH-001 -EXP-SSH-002 -EXP-SSH-004
data4 104 +EXP-DICOM-001 +EXP-DICOM-002 +EXP-DICOM-003
data 389 +EXP-LDAP-001 +EXP-LDAP-004 +EXP-CLEAR-007 -EXP-LDAP-002 -EXP-LDAP-003 -EXP-LDAP-005
data 445 +EXP-SMB-001 +EXP-SMB-003 -EXP-SMB-002
data 139 +EXP-SMB-001 -EXP-SMB-002
data 3389 +EXP-RDP-001 +EXP-RDP-002
data 5432 +EXP-PGSQL-001 +EXP-PGSQL-002 -EXP-PGSQL-003 -EXP-PGSQL-004 -EXP-EOL-007
EOF
# One test per (address, port, line): expand the hosts to addresses.
while read -r host port rest; do
  case $host in
    web) addrs="$WEB4 $WEB6" ;; data) addrs="$DATA4 $DATA6" ;;
    web4) addrs=$WEB4 ;; data4) addrs=$DATA4 ;;
    *) echo "bad host $host in the expectations" >&2; exit 1 ;;
  esac
  for a in $addrs; do echo "$a $port $rest"; done
done <"$WORK/want" >"$WORK/want.expanded"

echo "1..$((10 + $(wc -l <"$WORK/want.expanded")))"

# ------------------------------------------------------------------ the lab and the scan
if ! bash "$LAB" up >"$WORK/truth" 2>"$WORK/lab.err"; then
  not_ok "lab up"; sed 's/^/# /' "$WORK/lab.err"; exit 1
fi
ok "lab up"
bash "$LAB" facts | awk -F '\t' '$3 == "tls"' >"$WORK/tls-facts.tsv"

# vigie rules validate prints "FILE: OK" per file: shown as TAP comments.
validate_rules() {
  local out rc
  out=$("$bin" rules validate "$rules"/exposure/*.xml 2>&1); rc=$?
  printf '%s\n' "$out" | sed 's/^/# /'
  return "$rc"
}
check "the exposure rules validate (vigie rules validate)" validate_rules

# The lab CA is the only trust store (OpenSSL reads SSL_CERT_FILE): the strong server's
# chain verifies, the weak and the 443 self-signed ones do not.
ip netns exec "$NS" env SSL_CERT_FILE="$STATE/web/nginx/strong/ca.crt" \
  "$bin" scan -q --jsonl --connect --intrusive --rate 2000 --wait 1 --retries 1 --timeout 1 \
  --exposure-rules "$rules/exposure" -p "$PORTS" -o "$WORK/scan.xml" -oX "$WORK/nmap.xml" \
  web.lab.vigie.test data.lab.vigie.test \
  >"$WORK/scan.jsonl" 2>"$WORK/scan.err"
rc=$?
if ((rc == 0)); then ok "vigie scan with services over the lab exits 0"
else not_ok "vigie scan with services over the lab exits 0 (exit $rc)"; sed 's/^/# /' "$WORK/scan.err"; fi

# found: "address port RULE severity confidence" per finding, and "address port fact=value"
# per fact, from the JSON lines (findings in the port's object or in its service).
python3 - "$WORK/scan.jsonl" "$WORK/findings" "$WORK/facts" <<'PY'
import json, sys
fi = open(sys.argv[2], "w")
fa = open(sys.argv[3], "w")
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("state") != "open":
        continue
    s = r.get("service") or {}
    for f in (r.get("findings") or []) + (s.get("findings") or []):
        print(r["ip"], r["port"], f.get("rule"), f.get("severity"), f.get("confidence"), file=fi)
    for k, vs in (s.get("facts") or {}).items():
        for v in vs:
            print(r["ip"], r["port"], f"{k}={v}", file=fa)
PY
echo "# $(wc -l <"$WORK/findings") findings raised"

# The TLS servers' facts, as lab.sh facts lists them.
tls_facts_found() {
  local addr port module fact bad=0
  while IFS=$'\t' read -r addr port module fact; do
    grep -qxF "$addr $port $fact" "$WORK/facts" || { echo "# $addr:$port: $fact not found"; bad=1; }
  done <"$WORK/tls-facts.tsv"
  return "$bad"
}
check "weak (4443) and strong (5443) TLS servers: every fact of lab.sh facts found" tls_facts_found

# Each expectation line, for each of its addresses.
while read -r addr port rest; do
  bad=
  for want in $rest; do
    rule=${want:1}
    if grep -qE "^$addr $port $rule " "$WORK/findings"; then raised=1; else raised=0; fi
    case $want in
      +*) ((raised)) || bad+=" missing $rule" ;;
      -*) ((raised)) && bad+=" unexpected $rule" ;;
    esac
  done
  if [[ -z $bad ]]; then ok "$addr port $port: $rest"
  else
    not_ok "$addr port $port: $rest"
    echo "#  $bad"
    echo "#   raised: $(awk -v a="$addr" -v p="$port" '$1 == a && $2 == p { printf "%s ", $3 }' "$WORK/findings")"
  fi
done <"$WORK/want.expanded"

# Every finding names a catalogue rule, with that rule's severity; rules marked
# confidence="banner" say so on their findings.
catalogue_agrees() {
  python3 - "$rules/exposure" "$WORK/findings" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
ns = "{urn:vigie:exposure-rules:1}"
cat = {}
for f in glob.glob(os.path.join(sys.argv[1], "*.xml")):
    for r in ET.parse(f).getroot().iter(ns + "rule"):
        cat[r.get("id")] = (r.get("severity"), r.get("confidence"))
bad = 0
for line in open(sys.argv[2]):
    addr, port, rule, sev, conf = line.split()
    if rule not in cat:
        print(f"# {addr}:{port}: {rule} is in no rule file"); bad += 1
    elif sev != cat[rule][0]:
        print(f"# {addr}:{port}: {rule} severity {sev}, the rule says {cat[rule][0]}"); bad += 1
    elif cat[rule][1] == "banner" and conf != "banner":
        print(f"# {addr}:{port}: {rule} confidence {conf}, the rule says banner"); bad += 1
sys.exit(1 if bad else 0)
PY
}
check "every finding is a catalogue rule with its severity and confidence" catalogue_agrees
# Every open port of the lab raises something (at least its service's exposure).
every_open_port_has_findings() {
  python3 - "$WORK/scan.jsonl" "$WORK/findings" <<'PY'
import json, sys
opened = {(r["ip"], str(r["port"])) for r in map(json.loads, open(sys.argv[1])) if r.get("state") == "open"}
raised = {tuple(l.split()[:2]) for l in open(sys.argv[2])}
missing = sorted(opened - raised)
for a, p in missing:
    print(f"# {a}:{p}: open, no finding")
sys.exit(1 if missing or len(opened) < 30 else 0)
PY
}
check "every open lab port raises at least one finding" every_open_port_has_findings
check "scan XML with findings validates against rules/scan.xsd" \
  xmllint --noout --schema "$rules/scan.xsd" --output /dev/null "$WORK/scan.xml" 2>/dev/null
check "scan XML carries the findings (<finding rule=...>)" \
  grep -q '<finding rule="EXP-REDIS-002"' "$WORK/scan.xml"
check "nmap XML validates against nmap's DTD" xmllint --noout --dtdvalid "$DTD" "$WORK/nmap.xml"

check "lab.sh down" bash "$LAB" down
((failed == 0))
