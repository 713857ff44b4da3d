#!/usr/bin/env bash
# `vigie report` end to end, on results real scans and audits produced
# (tests/data/report/lab-*.xml, from the lab's daemons, Samba AD DC and
# slapd) and on hostile ones (tests/data/report/hostile/): every output
# written, report.xml valid against rules/report.xsd, the HTML, CSV and JSON
# safe (tests/report/check_outputs.py), trend against a previous report,
# waivers, --fail-on, the regional roll-up, bad input refused with a message
# naming the file, and the report folder bundled and verified. TAP.
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
rules_dir=${VIGIE_RULES_DIR:?VIGIE_RULES_DIR must point to rules/}
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data/report" && pwd)
check="$here/../report/check_outputs.py"

out=$(mktemp -d /tmp/vigie-report.XXXXXX)
trap 'rm -rf "$out"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # check NAME CMD...: ok when CMD succeeds; its output shown when not
  local name=$1; shift
  if "$@" >"$out/last" 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/#   /' "$out/last" | tail -15; fi
}
valid() { xmllint --noout --schema "$rules_dir/report.xsd" "$1"; }
# run RC NAME ARGS...: vigie exits with RC
run() {
  local want=$1 name=$2; shift 2
  "$bin" "$@" >"$out/stdout" 2>"$out/stderr"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else
    not_ok "$name (exit $rc, expected $want)"; sed 's/^/#   /' "$out/stderr" | tail -10; fi
}
has() { grep -q -- "$2" "$1"; }

scan=$data/lab-scan.xml ad=$data/lab-directory-ad.xml ol=$data/lab-directory-openldap.xml
day=86400 t0=1795000000 # 2026-11-18

# ------------------------------------------------------ the lab's results
SOURCE_DATE_EPOCH=$t0 run 0 "report of the lab's scan, AD and OpenLDAP audits" report \
  --scan "$scan" --directory "$ad" --directory "$ol" \
  --establishment "Centre hospitalier de démonstration" --finess 750000001 -o "$out/r1"
for f in report.xml report.html findings.csv findings.json scan.nmap.xml; do
  check "r1 has $f" test -s "$out/r1/$f"
done
check "r1 report.xml valid against report.xsd" valid "$out/r1/report.xml"
check "r1 outputs safe (check_outputs.py)" python3 "$check" "$out/r1"
check "scan.nmap.xml is nmap XML with the exposure findings" \
  sh -c "grep -q '<nmaprun' '$out/r1/scan.nmap.xml' && grep -q 'vigie-exposure' '$out/r1/scan.nmap.xml'"
check "report names EXP-RDP and an AD rule" \
  sh -c "grep -q 'EXP-RDP-' '$out/r1/report.xml' && grep -q 'AD-PRIV-' '$out/r1/report.xml'"
check "HTML is French by default" has "$out/r1/report.html" 'lang="fr"'
check "HTML says the levels are estimates" has "$out/r1/report.html" 'SILENE'
check "the same inputs and date give the same report.xml" sh -c "
  SOURCE_DATE_EPOCH=$t0 '$bin' report -q --scan '$scan' --directory '$ad' --directory '$ol' \
    --establishment 'Centre hospitalier de démonstration' --finess 750000001 -o '$out/r1b' &&
  grep -v -e '<report ' -e 'uuid' '$out/r1/report.xml' >'$out/a' &&
  grep -v -e '<report ' -e 'uuid' '$out/r1b/report.xml' >'$out/b' && cmp '$out/a' '$out/b'"
check "CSV options: ';' and BOM" sh -c "
  SOURCE_DATE_EPOCH=$t0 '$bin' report -q --scan '$scan' --csv-semicolon --csv-bom -o '$out/csv' &&
  head -c 3 '$out/csv/findings.csv' | od -An -tx1 | grep -q 'ef bb bf' &&
  sed -n 1p '$out/csv/findings.csv' | grep -q 'Date;Title;'"
SOURCE_DATE_EPOCH=$t0 run 0 "English report" report --lang en --scan "$scan" -o "$out/en"
check "English HTML" has "$out/en/report.html" 'lang="en"'

# -------------------------------------------------- trend: 50 days later
# The second scan lacks one finding of the first: it must be "fixed".
python3 - "$scan" "$out/scan2.xml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
# drop every EXP-TELNET finding (the lab's telnetd "was switched off")
text2 = re.sub(r'<finding rule="EXP-TELNET-[0-9]+"[^>]*/>\n?', "", text)
assert text2 != text, "fixture has no EXP-TELNET finding"
text2 = text2.replace('<run mode="syn" start="2026', '<run mode="syn" start="2027', 1)
open(sys.argv[2], "w", encoding="utf-8").write(text2)
PY
SOURCE_DATE_EPOCH=$((t0 + 50 * day)) run 0 "second report, 50 days later, with --previous" \
  report --scan "$out/scan2.xml" --directory "$ad" --previous "$out/r1/report.xml" -o "$out/r2"
check "r2 report.xml valid" valid "$out/r2/report.xml"
check "r2 has fixed findings (EXP-TELNET)" python3 - "$out/r2/report.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"r": "urn:vigie:report:1"}
root = ET.parse(sys.argv[1]).getroot()
trends = [f.get("trend") for f in root.iter("{urn:vigie:report:1}finding")]
fixed = [f.get("rule") for f in root.iter("{urn:vigie:report:1}finding") if f.get("trend") == "fixed"]
assert fixed and all(r.startswith("EXP-TELNET") for r in fixed), fixed
assert "persisting" in trends, set(trends)
PY
check "r2 lists the previous audit" has "$out/r2/report.xml" "previous"

# --------------------------------------------------------------- waivers
cat >"$out/waivers.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<waivers xmlns="urn:vigie:waivers:1">
  <waiver rule="EXP-TELNET-001" asset="*" expires="2099-12-31" author="RSSI">
    <reason>Équipement biomédical : telnet requis par le fabricant, isolé par VLAN.</reason>
  </waiver>
  <waiver rule="EXP-FTP-001" asset="*" expires="2020-01-01" author="RSSI">
    <reason>Expired waiver.</reason>
  </waiver>
</waivers>
XML
SOURCE_DATE_EPOCH=$t0 run 0 "report with waivers" report --scan "$scan" --waivers "$out/waivers.xml" \
  -o "$out/w"
check "waived finding marked risk_accepted in findings.json" python3 - "$out/w/findings.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
tel = [f for f in doc["findings"] if f.get("vuln_id_from_tool", "").startswith("EXP-TELNET")]
ftp = [f for f in doc["findings"] if f.get("vuln_id_from_tool") == "EXP-FTP-001"]
assert tel and all(f.get("risk_accepted") is True for f in tel), tel
assert ftp and all(not f.get("risk_accepted") for f in ftp), ftp
PY
check "HTML lists the waiver's reason" has "$out/w/report.html" "fabricant"
printf '<waivers xmlns="urn:vigie:waivers:1"><waiver rule="NOPE-1" asset="*" expires="2099-01-01" author="x"><reason>r</reason></waiver></waivers>\n' >"$out/badw.xml"
run 2 "a waiver for an unknown rule is refused" report --scan "$scan" --waivers "$out/badw.xml" -o "$out/x"
check "the message names the waiver file" has "$out/stderr" "badw.xml"

# ------------------------------------------------------------ --fail-on
SOURCE_DATE_EPOCH=$t0 run 1 "--fail-on high with high findings" report --scan "$scan" --fail-on high -o "$out/f"
SOURCE_DATE_EPOCH=$t0 run 1 "--fail-on critical with OpenLDAP's critical failures" report --directory "$ol" --fail-on critical -o "$out/f2"
check "--fail-on still writes the report" test -s "$out/f2/report.html"

# ------------------------------------------------------------- bad input
run 2 "no input" report -o "$out/x"
run 2 "missing scan file" report --scan "$out/nope.xml" -o "$out/x"
check "the message names the missing file" has "$out/stderr" "nope.xml"
run 2 "FINESS of 8 digits" report --scan "$scan" --finess 12345678 -o "$out/x"
check "the message names the FINESS" has "$out/stderr" "12345678"
printf '<?xml version="1.0"?>\n<!DOCTYPE scan [<!ENTITY x "y">]>\n<scan/>\n' >"$out/doctype.xml"
run 2 "a scan file with a DOCTYPE" report --scan "$out/doctype.xml" -o "$out/x"
run 2 "a directory result given as a scan" report --scan "$ad" -o "$out/x"
check "the message names the file" has "$out/stderr" "lab-directory-ad.xml"
head -c 20000 "$scan" >"$out/truncated.xml"
run 2 "a truncated scan file" report --scan "$out/truncated.xml" -o "$out/x"
run 2 "a truncated previous report" report --scan "$scan" --previous "$out/truncated.xml" -o "$out/x"

# -------------------------------------------------------- hostile inputs
if [ -d "$data/hostile" ]; then
  args=()
  for f in "$data"/hostile/*scan*.xml; do args+=(--scan "$f"); done
  for f in "$data"/hostile/*directory*.xml; do args+=(--directory "$f"); done
  SOURCE_DATE_EPOCH=$t0 run 0 "report of hostile inputs" report "${args[@]}" \
    --establishment '<script>alert("é")</script>' -o "$out/h"
  check "hostile: report.xml valid" valid "$out/h/report.xml"
  check "hostile: outputs safe (check_outputs.py)" python3 "$check" "$out/h"
else
  not_ok "hostile fixtures missing: tests/data/report/hostile"
fi

# --------------------------------------------------------------- roll-up
SOURCE_DATE_EPOCH=$t0 "$bin" report -q --directory "$ol" --establishment "CH Petit" \
  --finess 750000002 -o "$out/r3" 2>/dev/null
run 0 "regional roll-up of three reports" report --merge -o "$out/region" "$out/r1" "$out/r2" "$out/r3"
check "region.html and region.csv written" test -s "$out/region/region.html" -a -s "$out/region/region.csv"
check "region.csv: a header and three rows" sh -c "[ \$(grep -c . '$out/region/region.csv') -ge 4 ]"
check "region.html names the establishments" sh -c "grep -q 'CH Petit' '$out/region/region.html' && grep -q '750000001' '$out/region/region.html'"
run 2 "roll-up of a folder with no report.xml" report --merge -o "$out/region2" "$out"

# ------------------------------------------------------ bundle the report
if "$bin" keygen -o "$out/key.pem" >"$out/keygen" 2>&1; then
  run 0 "bundle the report folder" bundle --key "$out/key.pem" "$out/r1"
  run 0 "verify the bundle" verify "$out/r1"
  check "openssl alone verifies the signature" \
    openssl pkeyutl -verify -pubin -inkey "$out/r1/pubkey.pem" -rawin -in "$out/r1/MANIFEST" \
    -sigfile "$out/r1/MANIFEST.sig"
  check "sha256sum -c MANIFEST" sh -c "cd '$out/r1' && sha256sum --quiet -c MANIFEST"
  printf ' ' >>"$out/r1/report.html"
  run 4 "a changed report.html fails verification" verify "$out/r1"
  check "verify names report.html" sh -c "cat '$out/stdout' '$out/stderr' | grep -q 'report.html'"
else
  not_ok "vigie keygen"; sed 's/^/#   /' "$out/keygen"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
