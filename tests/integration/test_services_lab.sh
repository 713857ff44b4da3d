#!/usr/bin/env bash
# Integration test of the service stage against the lab's real daemons:
# `vigie scan` (connect and SYN modes, IPv4 and IPv6) must name the service,
# and the product where the daemon shows one, of every open lab port: nginx
# over HTTP and HTTPS (TLS found, HTTP inside), OpenSSH, Postfix, vsftpd,
# slapd, PostgreSQL, smbd and storescp. Its scan XML must validate against
# rules/scan.xsd and read back the same facts (`vigie services --from`), its
# nmap XML against nmap's DTD, and its JSON lines carry one service object
# per open port. Every probe stays inside the lab's namespaces. TAP; exit 77
# when not root.
set -uo pipefail

LAB="$(cd "$(dirname "$0")/../lab" && pwd)/lab.sh"
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
export VIGIE_LAB_PREFIX="vigie-svctest-$$"
unset VIGIE_LAB_STATE
NS="$VIGIE_LAB_PREFIX-scan"
WORK=$(mktemp -d /tmp/vigie-test-services.XXXXXX)
DTD=/usr/share/nmap/nmap.dtd
PORTS=21,22,25,80,104,139,389,443,445,1433,3306,5432,8080,8443

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, raw sockets)"
  exit 77
fi

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cleanup() { bash "$LAB" down >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

# What each lab daemon must be found as: address port service product tls.
# "-" means the daemon shows no product before a login (smbd's negotiate
# answer names none), so only the service is checked.
cat >"$WORK/want" <<'EOF2'
198.18.0.10 21 ftp vsftpd false
198.18.0.10 22 ssh OpenSSH false
198.18.0.10 25 smtp Postfix false
198.18.0.10 80 http nginx false
198.18.0.10 443 http nginx true
198.18.0.20 22 ssh OpenSSH false
198.18.0.20 104 dicom DCMTK false
198.18.0.20 139 smb - false
198.18.0.20 389 ldap OpenLDAP false
198.18.0.20 445 smb - false
198.18.0.20 5432 postgresql PostgreSQL false
2001:2::10 21 ftp vsftpd false
2001:2::10 22 ssh OpenSSH false
2001:2::10 25 smtp Postfix false
2001:2::10 80 http nginx false
2001:2::10 443 http nginx true
2001:2::20 22 ssh OpenSSH false
2001:2::20 139 smb - false
2001:2::20 389 ldap OpenLDAP false
2001:2::20 445 smb - false
2001:2::20 5432 postgresql PostgreSQL false
EOF2

echo "1..20"
if ! bash "$LAB" up >"$WORK/truth.raw" 2>"$WORK/lab.err"; then
  not_ok "lab up"; sed 's/^/# /' "$WORK/lab.err"; exit 1
fi
ok "lab up"

# found NAME: (address port service product tls) per open port of NAME.jsonl.
found() {
  python3 - "$WORK/$1.jsonl" >"$WORK/$1.found" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["state"] != "open":
        continue
    s = r.get("service") or {}
    rows.append(f"{r['ip']} {r['port']} {s.get('name')} {s.get('product')} {str(s.get('tls')).lower()}")
print("\n".join(sorted(rows)))
PY
}

# matches NAME FAMILY: every wanted port of FAMILY found with its service,
# its product (as a prefix: "Postfix" for "Postfix smtpd") and TLS state.
matches() {
  python3 - "$WORK/want" "$WORK/$1.found" "$2" <<'PY'
import sys
want = [l.split() for l in open(sys.argv[1]) if l.startswith(sys.argv[3])]
got = {tuple(l.split()[:2]): l.strip().split(None, 2)[2] for l in open(sys.argv[2]) if l.strip()}
bad = 0
for addr, port, service, product, tls in want:
    line = got.get((addr, port))
    if line is None:
        print(f"# {addr}:{port}: not found open"); bad += 1; continue
    name, rest = line.split(" ", 1)
    prod, t = rest.rsplit(" ", 1)
    if name != service or t != tls or (product != "-" and not prod.startswith(product)):
        print(f"# {addr}:{port}: got {line!r}, want {service} {product} tls={tls}"); bad += 1
sys.exit(1 if bad else 0)
PY
}

# scan NAME ARGS...: vigie scan in the scan namespace, JSON lines kept.
scan() {
  local name=$1; shift
  ip netns exec "$NS" "$bin" scan -q --jsonl --rate 2000 --wait 1 --retries 1 --timeout 1 \
    -p "$PORTS" "$@" >"$WORK/$name.jsonl" 2>"$WORK/$name.err"
  local rc=$?
  found "$name"
  [ "$rc" -eq 0 ] || sed 's/^/# /' "$WORK/$name.err"
  return $rc
}

check "connect scan with services, IPv4, exits 0" \
  scan con4 --connect -o "$WORK/con4.xml" -oX "$WORK/con4-nmap.xml" 198.18.0.10 198.18.0.20
check "connect IPv4: every lab daemon identified" matches con4 198.
check "connect scan with services, IPv6, exits 0" scan con6 --connect 2001:2::10 2001:2::20
check "connect IPv6: every lab daemon identified" matches con6 2001:
check "SYN scan with services, both families, exits 0" \
  scan syn --syn -o "$WORK/syn.xml" 198.18.0.10 198.18.0.20 2001:2::10 2001:2::20
check "SYN: every lab daemon identified" matches syn ""
check "JSON lines: one line per scanned port, no duplicate" \
  test "$(cut -d, -f1,2 "$WORK/syn.jsonl" | sort | uniq -d | wc -l)" -eq 0
check "scan XML validates against rules/scan.xsd" \
  xmllint --noout --schema "$VIGIE_RULES_DIR/scan.xsd" --output /dev/null "$WORK/con4.xml" 2>/dev/null
every_open_named() {
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{urn:vigie:scan:1}"
bad = 0
for host in ET.parse(sys.argv[1]).getroot().iter(ns + "host"):
    for port in host.iter(ns + "port"):
        s = port.find(ns + "service")
        if port.get("state") == "open" and (s is None or not s.get("name")):
            print(f"# {host.get('addr')}:{port.get('number')} has no service"); bad += 1
sys.exit(1 if bad else 0)
PY
}
check "scan XML holds a named <service> for every open port" every_open_named "$WORK/con4.xml"
check "nmap XML validates against nmap's DTD" xmllint --noout --dtdvalid "$DTD" "$WORK/con4-nmap.xml"
check "nmap XML marks HTTPS as tunnel=ssl, probed" \
  grep -q 'portid="443".*<service name="http" product="nginx"[^>]*tunnel="ssl" method="probed" conf="10"' \
  "$WORK/con4-nmap.xml"
check "ndiff reads the nmap XML" ndiff "$WORK/con4-nmap.xml" "$WORK/con4-nmap.xml"
check "HTTPS got the deep TLS inspection (versions, certificate) on a worker" \
  grep -q 'portid="443".*tls.versions' <(python3 - "$WORK/con4.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{urn:vigie:scan:1}"
for host in ET.parse(sys.argv[1]).getroot().iter(ns + "host"):
    for port in host.iter(ns + "port"):
        names = [f.get("name") for f in port.iter(ns + "fact")]
        print(f'portid="{port.get("number")}" ' + " ".join(n for n in names if n.startswith(("tls.", "cert."))))
PY
)
check "banners keep their raw bytes in base64 (CR LF)" \
  grep -q '<fact name="banner" base64="MjIwIFZpZ2llIGxhYiBGVFAgc2VydmVyDQo=">' "$WORK/con4.xml"

# vigie services on the scan's own XML finds the same services again.
ip netns exec "$NS" "$bin" services -q --jsonl --from "$WORK/con4.xml" -o "$WORK/again.xml" \
  >"$WORK/again.jsonl" 2>"$WORK/again.err"
check "services --from exits 0" test $? -eq 0
found again
same_found() { diff -u "$WORK/con4.found" "$WORK/again.found" | sed 's/^/# /'; cmp -s "$WORK/con4.found" "$WORK/again.found"; }
check "services --from: same services as the scan" same_found
check "services XML validates against rules/scan.xsd" \
  xmllint --noout --schema "$VIGIE_RULES_DIR/scan.xsd" --output /dev/null "$WORK/again.xml" 2>/dev/null
# A given list: a name-less IPv6 literal and an IPv4 port, HTTPS among them.
ip netns exec "$NS" "$bin" services -q --jsonl '[2001:2::10]:443' 198.18.0.20:5432 \
  >"$WORK/list.jsonl" 2>"$WORK/list.err"
check "services HOST:PORT list exits 0" test $? -eq 0
found list
check "services HOST:PORT list: HTTPS and PostgreSQL identified" \
  test "$(cat "$WORK/list.found")" = "$(printf '198.18.0.20 5432 postgresql PostgreSQL false\n2001:2::10 443 http nginx true')"
[ "$failed" -eq 0 ]
