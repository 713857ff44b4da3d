#!/usr/bin/env bash
# The README's first command: install what vigie needs, build it, and run
# the main job on the built-in demo: a lab of real servers in network
# namespaces (198.18.0.0/24, 2001:2::/64), which the demo starts and removes.
# vigie scans the lab (SYN and connect modes, then the service stage: banners,
# protocol exchanges, TLS) and checks what it finds against the lab's ground
# truth; then it audits two directories with seeded weaknesses, a weak
# OpenLDAP and a Samba AD DC, both on loopback, and places each on the
# ANSSI-style scale. Then vigie report merges the scan and both audits into
# one scored report (HTML in French, XML, CSV, JSON, nmap XML), and vigie
# bundle signs it as a proof bundle that vigie verify checks.
# Outputs go to demo-output/; the report is demo-output/report/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root: it installs Debian packages and creates network namespaces" >&2
  exit 77
fi

bash scripts/install-deps.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build; fi
meson compile -C build
vigie=$PWD/build/vigie

export VIGIE_LAB_PREFIX=vigie-demo
lab() { bash tests/lab/lab.sh "$@"; }
slapd_state=$(mktemp -d /tmp/vigie-demo-slapd.XXXXXX)
ad_state=$(mktemp -d /tmp/vigie-demo-ad.XXXXXX)/lab
ad_down() { VIGIE_LAB_STATE="$ad_state" VIGIE_AD_NETNS=vigie-demo-ad bash tests/lab/samba_ad.sh down >/dev/null 2>&1 || true; }
slapd_down() { VIGIE_LAB_STATE="$slapd_state" bash tests/lab/slapd_audit.sh down >/dev/null 2>&1 || true; }
trap 'lab down; slapd_down; ad_down' EXIT

echo
echo "=== the lab: real daemons in namespaces, and the ground truth ==="
lab up
truth=$(lab truth)

out=$PWD/demo-output
mkdir -p "$out"
ports=$(awk '!/^#/ && NF >= 4 { print $2 }' <<<"$truth" | sort -n -u | paste -sd, -)
ns="$VIGIE_LAB_PREFIX-scan"

echo
echo "=== vigie $("$vigie" --version | cut -d' ' -f2): what a scan of the lab will reach ==="
ip netns exec "$ns" "$vigie" targets --count -p "$ports" 198.18.0.0/24 2001:2::/120

echo
echo "=== vigie scan, SYN mode (stateless, raw sockets), IPv4 and IPv6 ==="
ip netns exec "$ns" "$vigie" scan --syn --rate 5000 -p "$ports" \
  -o "$out/scan.xml" -oX "$out/scan-nmap.xml" --jsonl \
  198.18.0.0/24 2001:2::10 2001:2::20 >"$out/scan.jsonl"
head -n 12 "$out/scan.jsonl"
echo "... ($(wc -l <"$out/scan.jsonl") results; all in $out/scan.xml and, for nmap tools, $out/scan-nmap.xml)"

echo
echo "=== vigie scan, connect() mode (no raw sockets needed) ==="
ip netns exec "$ns" "$vigie" scan --connect --rate 5000 -p "$ports" --jsonl \
  198.18.0.10 198.18.0.20 >"$out/connect.jsonl"

# Every (address, port, state) of the ground truth must be what vigie found.
missing=0
while read -r addr port state _service; do
  case "$addr" in '#'* | '') continue ;; esac
  for f in scan connect; do
    case "$f:$addr" in connect:2001:*) continue ;; esac
    grep -q "\"ip\":\"$addr\",\"port\":$port,\"proto\":\"tcp\",\"state\":\"$state\"" "$out/$f.jsonl" \
      || { echo "demo: $f mode: $addr $port $state not found" >&2; missing=1; }
  done
done <<<"$truth"
if [ "$missing" -eq 0 ]; then
  echo "Both modes found every open, closed and filtered port of the ground truth."
else
  echo "demo: some ground-truth ports were not found (see above)" >&2
  exit 1
fi

echo
echo "=== what runs on the open ports (the service stage of the SYN scan) ==="
python3 - "$out/scan.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    s = r.get("service")
    if r["state"] != "open" or not s or ":" in r["ip"]:
        continue
    facts = s.get("facts", {})
    extra = [f"{k}={','.join(v)}" for k, v in facts.items()
             if k in ("tls.versions", "cert.self_signed", "rdp.nla_required", "smb.v1", "smb.signing",
                      "dicom.association", "redis.auth_required", "vnc.auth", "ldap.anonymous_rootdse")]
    print(f'{r["ip"]:>14} {r["port"]:>5}  {s.get("name", "?"):<11} {s.get("product", ""):<22} {s.get("version", ""):<12} {" ".join(extra)}')
PY

echo
echo "=== vigie ldap: a weak OpenLDAP (anonymous reads, cleartext and weak hashes, no password policy) ==="
VIGIE_LAB_STATE="$slapd_state" VIGIE_SLAPD_PORT_BASE=44380 bash tests/lab/slapd_audit.sh up >/dev/null
# shellcheck source=/dev/null
. "$slapd_state/env"
"$vigie" ldap --url "$SLAPD_WEAK_URL" --bind "$SLAPD_WEAK_AUDIT_DN" --password-file "$SLAPD_AUDIT_PASSWORD_FILE" \
  --ca-file "$SLAPD_CA_FILE" -o "$out/directory-openldap.xml" 2>&1 | grep -v "cleartext" || true
slapd_down

echo
echo "=== vigie ldap: a Samba AD DC seeded with weaknesses (Kerberoastable admins, delegation, dormant accounts...) ==="
VIGIE_LAB_STATE="$ad_state" VIGIE_AD_NETNS=vigie-demo-ad bash tests/lab/samba_ad.sh up >/dev/null
VIGIE_LAB_STATE="$ad_state" VIGIE_AD_NETNS=vigie-demo-ad bash tests/lab/samba_ad.sh seed >/dev/null
# shellcheck source=/dev/null
. "$ad_state/env"
$AD_EXEC "$vigie" ldap --url "$AD_URL" --starttls --ca-file "$AD_CA_FILE" --bind "$AD_AUDIT_DN" \
  --password-file "$AD_AUDIT_PASSWORD_FILE" -o "$out/directory-ad.xml"
echo "Every rule result, with the objects at fault: $out/directory-ad.xml"

echo
echo "=== vigie report: the scan and both audits in one scored report ==="
key="$out/signing.key"
[ -f "$key" ] || "$vigie" keygen -o "$key"
fingerprint=$(openssl pkey -pubin -in "$key.pub" -outform DER | sha256sum | cut -d' ' -f1)
rm -rf "$out/report"
"$vigie" report --scan "$out/scan.xml" --directory "$out/directory-ad.xml" \
  --directory "$out/directory-openldap.xml" --key-fingerprint "$fingerprint" \
  --establishment "Centre hospitalier de démonstration" --finess 750000001 -o "$out/report"

echo
echo "=== vigie bundle: the report signed as a proof bundle, then verified offline ==="
"$vigie" bundle --key "$key" "$out/report"
"$vigie" verify "$out/report"
echo
echo "The report: $out/report/report.html (open it in a browser; print it to PDF if needed)"
echo "The proof bundle: $out/report/ (MANIFEST, MANIFEST.sig, pubkey.pem)"
echo
echo "=== done: the labs come down now ==="
