#!/usr/bin/env bash
# findings.csv, findings.json and the roll-up written from a hostile model
# (tests/report/tables_driver.c), read back by Python's json and csv modules the way
# DefectDojo and a spreadsheet user would: strict JSON with only DefectDojo's
# allowed keys, CSV with a constant column count under both separators, no
# cell a spreadsheet would run as a formula, and every hostile string back
# intact but for the defusing apostrophe, U+FFFD for invalid UTF-8 and the
# dropped controls; and Chromium, when installed, applies the roll-up's
# style under its CSP. TAP. Needs python3 (skips with 77 without it).
set -u
driver=${1:?usage: test_report_tables.sh TABLES_DRIVER}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/vigie-report-tables.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if ! "$driver" "$tmp" >"$tmp/driver.log" 2>&1; then
  echo "1..1"; echo "not ok 1 - the driver writes the tables"; sed 's/^/#   /' "$tmp/driver.log"
  exit 1
fi
exec python3 - "$tmp" <<'EOF'
import base64, csv, hashlib, io, json, os, re, shutil, subprocess, sys

d = sys.argv[1]
results = []
def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))

hostile = [bytes.fromhex(l.strip()) for l in open(f"{d}/hostile.hex") if l.strip()]
def clean(b):
    """What a table cell keeps of raw bytes: invalid UTF-8 replaced (maximal
    subparts, as Python does), controls other than LF dropped."""
    s = b.decode("utf-8", "replace")
    return "".join(c for c in s if c == "\n" or not (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F))
expected = [clean(h) for h in hostile]

# ---- findings.json, as DefectDojo's generic JSON parser checks it
raw = open(f"{d}/findings.json", "rb").read()
try:
    doc = json.loads(raw.decode("utf-8", "strict"))
    check("findings.json is strict UTF-8 JSON", True)
except Exception as e:
    doc = {"findings": []}
    check("findings.json is strict UTF-8 JSON", False, str(e))
check("findings.json top-level keys", set(doc) == {"name", "type", "version", "description", "findings"},
      sorted(doc))
allowed = {"title", "severity", "description", "date", "mitigation", "impact", "references",
           "active", "verified", "false_p", "risk_accepted", "is_mitigated", "component_name",
           "component_version", "service", "unique_id_from_tool", "vuln_id_from_tool",
           "endpoints", "tags", "vulnerability_ids"}
dd_allowed = allowed | {"cwe", "cve", "cvssv3", "cvssv4", "mitigated", "line", "file_path"}
bad = [sorted(set(f) - dd_allowed) for f in doc["findings"] if set(f) - dd_allowed]
check("each finding holds only DefectDojo's allowed keys", not bad, bad)
bad = [f for f in doc["findings"] if not {"title", "severity", "description"} <= set(f)]
check("each finding has title, severity, description", not bad)
sev = {f.get("severity") for f in doc["findings"]}
check("severities are DefectDojo's", sev <= {"Info", "Low", "Medium", "High", "Critical"}, sev)
check("three findings", len(doc["findings"]) == 3, len(doc["findings"]))
check("no '</' in findings.json", b"</" not in raw)
check("no raw control byte in findings.json", not re.search(rb"[\x00-\x09\x0b-\x1f]", raw))
text = "\x00".join(v for f in doc["findings"] for v in f.values() if isinstance(v, str))
check("hostile title back from JSON", any(f["title"] == expected[0] for f in doc["findings"]))
check("invalid UTF-8 and controls in JSON: U+FFFD and escapes",
      hostile[7].decode("utf-8", "replace") in text and hostile[8].decode("utf-8", "replace") in text)
# JSON keeps controls (escaped as \uXXXX), so compare with the raw text
check("hostile description kept in JSON", any(f["description"].startswith(
                                            hostile[6].decode("utf-8", "replace") + "\n\n")
                                            for f in doc["findings"]))
check("JSON description capped", all(len(f["description"].encode()) < 70000 for f in doc["findings"]))
fixed = [f for f in doc["findings"] if f["is_mitigated"]]
check("fixed finding: is_mitigated, not active", len(fixed) == 1 and not fixed[0]["active"])
waived = [f for f in doc["findings"] if f["risk_accepted"]]
check("waived finding: risk_accepted and active", len(waived) == 1 and waived[0]["active"])
eps = [e for f in doc["findings"] for e in f.get("endpoints", [])]
check("endpoints are host:port, IPv6 bracketed, none from a hostile server URI",
      sorted(eps) == ["198.18.0.10:3389", "[2001:2::5]:3389"], eps)
check("vulnerability_ids only CVE ids",
      all(all(re.fullmatch(r"CVE-\d{4}-\d{4,}", v) for v in f.get("vulnerability_ids", []))
          for f in doc["findings"]))

# ---- findings.csv with both separators, as Python's csv (and Excel) reads it
def read_csv(path, sep, bom):
    data = open(path, "rb").read()
    if bom:
        check(f"{path.split('/')[-1]} starts with a BOM", data.startswith(b"\xef\xbb\xbf"))
        data = data[3:]
    check(f"{path.split('/')[-1]} rows end with CRLF", data.endswith(b"\r\n"))
    return list(csv.reader(io.StringIO(data.decode("utf-8", "strict"), newline=""), delimiter=sep))

for name, sep, bom in (("findings.csv", ",", False), ("findings-fr.csv", ";", True)):
    rows = read_csv(f"{d}/{name}", sep, bom)
    widths = {len(r) for r in rows}
    check(f"{name}: 4 rows of 29 columns", len(rows) == 4 and widths == {29}, (len(rows), widths))
    cells = [c for r in rows for c in r]
    check(f"{name}: no cell starts with = + - @ TAB CR",
          not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")])
    check(f"{name}: no cell over 32,000 bytes", max(len(c.encode()) for c in cells) <= 32001)
    back = {c[1:] if c.startswith("'") else c for c in cells}
    # whole cells: title, product, version, waiver reason, service, server
    missing = [expected[i] for i in (0, 1, 2, 4, 5, 12) if expected[i] not in back]
    check(f"{name}: hostile cells round-trip (modulo ' and U+FFFD)", not missing, missing)
    # inside descriptions and the Objects cell (11 is the establishment: roll-up only)
    alltext = "\x00".join(back)
    missing = [h for i, h in enumerate(expected) if i != 11 and h not in alltext]
    check(f"{name}: hostile values kept inside cells", not missing, missing)
    header = rows[0]
    check(f"{name}: DefectDojo columns first", header[:13] == ["Date", "Title", "CweId", "Url",
          "Severity", "Description", "Mitigation", "Impact", "References", "Active", "Verified",
          "FalsePositive", "Duplicate"], header[:13])
    rec = [dict(zip(header, r)) for r in rows[1:]]
    check(f"{name}: severities", {r["Severity"] for r in rec} <= {"Info", "Low", "Medium", "High", "Critical"})
    check(f"{name}: CweId is an integer (DefectDojo reads it with int())", all(r["CweId"].isdigit() for r in rec))
    check(f"{name}: fixed is Active=False, waived is Active=True Waived=True",
          sorted((r["Active"], r["Waived"]) for r in rec) == [("False", "False"), ("True", "False"), ("True", "True")])
    desc = [r["Description"] for r in rec if r["Description"].startswith(expected[6] + "\n\n")]
    check(f"{name}: description with newlines kept in one cell", len(desc) == 2)
    cut = [r for r in rec if r["Description"].endswith("… (tronqué)")]
    check(f"{name}: the 1 MB evidence is cut with a marker", len(cut) == 1)

# ---- roll-up
rows = read_csv(f"{d}/rollup.csv", ";", True)
check("rollup.csv: header, 2 establishments, total; constant width",
      len(rows) == 4 and len({len(r) for r in rows}) == 1, [len(r) for r in rows])
html = open(f"{d}/rollup.html", encoding="utf-8").read()
m = re.search(r"<style>(.*?)</style>", html, re.S)
h = "sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() if m else ""
check("rollup.html: CSP names the style's hash", m and f"style-src '{h}'" in html)
check("rollup.html: no script, data escaped",
      "<script" not in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html)

# A real browser applies the style under the CSP; a copy with a wrong hash
# shows the check would see a violation.
def csp_violations(path):
    prof = f"{d}/chromium-profile"
    p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--enable-logging=stderr", "--v=1", f"--user-data-dir={prof}",
                        "--dump-dom", "file://" + path],
                       capture_output=True, text=True, timeout=90)
    shutil.rmtree(prof, ignore_errors=True)
    return p.stderr.count("violates the following Content Security Policy")
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if chromium:
    bad = f"{d}/rollup-bad-hash.html"
    open(bad, "w", encoding="utf-8").write(re.sub(r"sha256-[A-Za-z0-9+/=]+", "sha256-AAAA", html))
    check("rollup.html: Chromium applies the style with no CSP violation", csp_violations(f"{d}/rollup.html") == 0)
    check("rollup.html: Chromium reports a violation for a wrong hash", csp_violations(bad) > 0)
else:
    check("rollup.html: Chromium and the CSP # SKIP chromium is not installed", True)

print(f"1..{len(results)}")
failed = 0
for i, (name, ok, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        failed += 1
        print(f"#   {str(detail)[:300]}")
sys.exit(1 if failed else 0)
EOF
