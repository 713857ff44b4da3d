#!/usr/bin/env python3
"""Check a report output folder made from hostile inputs:
    check_outputs.py DIR
report.html: only our own element names, no <script>, no on* or style
attribute, hrefs only http(s), the CSP hash matches the <style>, clean
UTF-8 with no control character; report.xml: well-formed, no DOCTYPE, and
valid against rules/report.xsd when it exists; findings.csv: no cell that
a spreadsheet would run as a formula; findings.json: parses and uses only
DefectDojo generic-import keys. Prints each problem; exits 1 if any."""
import base64
import csv
import hashlib
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.dom.minidom

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p", "b",
            "ul", "ol", "li", "table", "tr", "th", "td", "span", "div", "section", "details",
            "summary", "a", "br", "svg", "rect", "text", "footer"}
FINDING_KEYS = {"title", "severity", "description", "date", "cwe", "cve", "vulnerability_ids",
                "cvssv3", "cvssv3_score", "mitigation", "impact", "references", "active",
                "verified", "false_p", "risk_accepted", "is_mitigated", "component_name",
                "component_version", "service", "unique_id_from_tool", "vuln_id_from_tool", "tags",
                "endpoints"}
TOP_KEYS = {"name", "type", "version", "description", "findings"}
SEVERITIES = {"Info", "Low", "Medium", "High", "Critical"}

problems = []


def problem(where, what):
    problems.append("%s: %s" % (where, what))


def read(d, name):
    path = os.path.join(d, name)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        problem(name, "cannot read: %s" % e.strerror)
        return None


def clean_text(name, data):
    """Valid UTF-8 and no control byte but TAB, LF, CR."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problem(name, "invalid UTF-8 at byte %d" % e.start)
        return None
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if bad:
        problem(name, "control character U+%04X at %d" % (ord(bad.group()), bad.start()))
    return text


class PageChecker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_style = False
        self.styles = []
        self.csp = None

    def handle_starttag(self, tag, attrs):
        if tag not in OUR_TAGS:
            problem("report.html", "element <%s> is not ours" % tag)
        for name, value in attrs:
            if name.startswith("on"):
                problem("report.html", "event attribute %s on <%s>" % (name, tag))
            if name == "style":
                problem("report.html", "style attribute on <%s>" % tag)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                if name != "href" or not re.match(r"https?://", value or ""):
                    problem("report.html", "%s=%r on <%s>" % (name, (value or "")[:80], tag))
            if tag == "meta" and name == "http-equiv" and value.lower() == "content-security-policy":
                self.csp = dict(attrs).get("content")
        if tag == "style":
            self.in_style = True
            self.styles.append("")

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.styles[-1] += data

    def handle_pi(self, data):
        problem("report.html", "processing instruction <?%s>" % data[:60])


def check_html(d):
    data = read(d, "report.html")
    if data is None:
        return
    text = clean_text("report.html", data)
    if text is None:
        return
    p = PageChecker()
    p.feed(text)
    p.close()
    if len(p.styles) != 1:
        problem("report.html", "%d <style> elements, want one" % len(p.styles))
    if not p.csp:
        problem("report.html", "no Content-Security-Policy meta")
    elif p.styles:
        digest = base64.b64encode(hashlib.sha256(p.styles[0].encode()).digest()).decode()
        if "style-src 'sha256-%s'" % digest not in p.csp:
            problem("report.html", "CSP style hash does not match the <style> content")
        if "default-src 'none'" not in p.csp:
            problem("report.html", "CSP lacks default-src 'none'")


def check_xml(d):
    data = read(d, "report.xml")
    if data is None:
        return
    if b"<!DOCTYPE" in data[:4096]:
        problem("report.xml", "holds a DOCTYPE")
        return
    try:
        xml.dom.minidom.parseString(data)
    except Exception as e:  # expat's ExpatError names line and column
        problem("report.xml", "not well-formed: %s" % e)
        return
    xsd = os.path.join(ROOT, "rules", "report.xsd")
    if os.path.exists(xsd) and shutil.which("xmllint"):
        r = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", xsd,
                            os.path.join(d, "report.xml")], capture_output=True, text=True)
        if r.returncode != 0:
            problem("report.xml", "does not validate against rules/report.xsd: %s"
                    % r.stderr.strip()[-500:])


def check_csv(d):
    data = read(d, "findings.csv")
    if data is None:
        return
    text = clean_text("findings.csv", data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    if text is None:
        return
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=sep), 1):
        for k, cell in enumerate(row, 1):
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                problem("findings.csv", "row %d cell %d starts with %r: %r"
                        % (n, k, cell[:1], cell[:40]))


def check_json(d):
    data = read(d, "findings.json")
    if data is None:
        return
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        problem("findings.json", "does not parse: %s" % e)
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        problem("findings.json", "not an object with a findings array")
        return
    for key in sorted(set(doc) - TOP_KEYS):
        problem("findings.json", "top-level key %r is not allowed by DefectDojo" % key)
    for i, f in enumerate(doc["findings"]):
        if not isinstance(f, dict):
            problem("findings.json", "finding %d is not an object" % i)
            continue
        for key in sorted(set(f) - FINDING_KEYS):
            problem("findings.json", "finding %d: key %r is not allowed by DefectDojo" % (i, key))
        for key in ("title", "severity", "description"):
            if not f.get(key):
                problem("findings.json", "finding %d: %s missing" % (i, key))
        if f.get("severity") not in SEVERITIES:
            problem("findings.json", "finding %d: severity %r" % (i, f.get("severity")))


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: check_outputs.py DIR")
    for check in (check_html, check_xml, check_csv, check_json):
        check(sys.argv[1])
    for p in problems:
        print("check_outputs: %s" % p)
    if problems:
        sys.exit(1)
    print("check_outputs: %s: report.html, report.xml, findings.csv, findings.json are safe"
          % sys.argv[1])


if __name__ == "__main__":
    main()
