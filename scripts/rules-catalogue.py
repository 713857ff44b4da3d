#!/usr/bin/env python3
"""Write doc/rules-catalogue.md from rules/ad/*.xml and rules/openldap/*.xml.

Usage: scripts/rules-catalogue.py [REPO_ROOT]   (prints the Markdown on stdout)

Standard library only. The levels of a not-evaluated rule are not in the
schema (levels live on checks); they are read from the sentence
"Niveau(x) ANSSI concerné(s) : …" of its French description.
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = "{urn:vigie:directory-rules:1}"
SEV_ORDER = ["critical", "high", "medium", "low", "info"]
NE_LEVELS = re.compile(r"Niveaux? ANSSI concernés? : ([0-9][0-9 et]*)")


LIMITS = r"""## What the rule language cannot express yet

Rules of the v1 table written as *not evaluated*, or evaluated only in part, and the fact (or set)
that would let them be written as data. Names are proposals.

| rule(s) | missing | proposed fact or set (exact meaning) |
|---|---|---|
| AD-KRB-003, AD-KRB-003-B | a join between an account's delegation targets and the DCs | `delegates_to_dc` on accounts: TRUE when a value of `msDS-AllowedToDelegateTo` has service class `krbtgt`, or a host part equal (case-insensitive) to the `dNSHostName`, or `sAMAccountName` without `$`, of an entry of `dcs` |
| AD-CFG-005 | the NTFRS/DFSR SYSVOL objects are in no set | `sysvol_ntfrs` on `domain`: TRUE when the NTFRS replica set `CN=Domain System Volume (SYSVOL share),CN=File Replication Service,CN=System` exists and the DFSR migration of SYSVOL has not reached the *Eliminated* state |
| AD-CFG-006 | `displaySpecifier` objects are in no set; a per-value test is needed | set `display_specifiers` with fact `menu_outside_sysvol`: TRUE when a value of `adminContextMenu` or `contextMenu` holds a UNC path not under `\\<domain>\SYSVOL\` |
| AD-PKI-001 | template publication, CA in NTAuth, enrolment rights | on `pki_templates`: `published` (its `cn` is in `certificateTemplates` of a `pki_enrollment` entry), `published_ntauth` (one publishing CA's certificate is in NTAuth), `enroll_unprivileged` (SD grants Enroll 0e10c968-78fb-11d2-90d4-00c04f79dc55 or GenericAll to Authenticated Users, Everyone, Domain Users or Domain Computers) |
| AD-RODC-001-D/E/F | DNs of groups are localised; their SIDs are needed | `never_reveal_rids`, `reveal_on_demand_rids` on `dcs` and `member_rids` on `groups`: the RIDs (well-known SIDs as `S-1-5-32-…`) of the referenced objects, multi-valued |
| AD-ACC-006 | `sid_history_privileged` exists only on accounts | the same fact on `groups` |
| AD-PRIV-001 | no arithmetic: the threshold is max(50, 3 × domains); ANSSI counts level 1 by distinct `sAMAccountName` and level 2 by account | `privileged_threshold` on `domain` (= max(50, 3 × `domain_count`)) and `privileged_count_by_name`; today both checks use `privileged_count > 50` |
| AD-PRIV-002, AD-KRB-005, AD-PRIV-007 | ANSSI tolerances and effective policy need PSOs (privileged read) | `effective_min_pwd_length`, `effective_max_pwd_age_days` on accounts (PSO or domain policy); `max_pwd_age_days` on `domain` would also replace the raw 100-ns comparison of AD-PRIV-007 |
| AD-PRIV-015 | silo enforcement is on the silo object | `silo_enforced` on accounts: TRUE when the silo named by `msDS-AssignedAuthNPolicySilo` has `msDS-AuthNPolicySiloEnforced` TRUE |
| AD-PKI-002 | ROCA and RSA exponent; value spellings | `key_exponent`, `roca_vulnerable` on `pki_cas`; the doc should fix the spellings of `key_type` (assumed `RSA`, `DSA`) and `signature_hash` (assumed `MD2`, `MD4`, `MD5`, `SHA1`…) and say which certificate of a multi-valued `cACertificate` the facts describe |
| AD-DC-002 | cross-check with `server`/`nTDSDSA` objects | `has_ntds_settings` on `dcs`: TRUE when a `server` object references the computer (`serverReference`) and has an `nTDSDSA`/`nTDSDSARO` child |
| AD-CFG-004 | the `config` set holds both `CN=ActiveDirectoryUpdate` objects (domain and forest) | a `dn` pseudo-attribute in the language, or the doc naming only the domain one; the rule reads `distinguishedName` meanwhile |
| AD-CFG-009 | AdminSDHolder in no set; completeness of reads | `critical_objects_readable` on `domain` |
| AD-PRIV-016 | cycle detection | `in_member_cycle` on `groups` |
| AD-NET-001 | per-DC network probes | `ldap_signing_required`, `ldaps_channel_binding_required` on `server` (or per entry of `dcs`) |
| LDAP-003 | TLS protocol versions, key size, expiry | `tls_min_version`, `tls_key_bits`, `tls_cert_days_left` on `server` |
| AD-SD-* | security descriptors and control paths | an SD parser and a control-path graph (v2) |

Format notes: a rule carries at most one `<anssi>`, so a table entry mapping two control points
is written as two rules (`-B`, `-C` suffixes); `<not-evaluated>` has no `level` attribute, so the
levels of a not-evaluated rule are written in its description (its `severity` is the one of its
highest ANSSI level, or of the v1 table).
""".split("\n")


def rules_of(path):
    root = ET.parse(path).getroot()
    for r in root.findall(NS + "rule"):
        anssi = r.find(NS + "anssi")
        title = next(t.text for t in r.findall(NS + "title") if t.get("lang") == "fr")
        checks = r.findall(NS + "check")
        ne = r.find(NS + "not-evaluated")
        if checks:
            sevs = [c.get("severity") for c in checks]
            levels = sorted({int(c.get("level")) for c in checks if c.get("level")})
        else:
            sevs = [ne.get("severity")] if ne.get("severity") else []
            desc = next(t.text for t in r.findall(NS + "description") if t.get("lang") == "fr")
            m = NE_LEVELS.search(desc)
            levels = sorted({int(x) for x in re.findall(r"[0-9]", m.group(1))}) if m else []
        sevs = sorted(set(sevs), key=SEV_ORDER.index)
        yield {
            "id": r.get("id"),
            "category": r.get("category"),
            "anssi": anssi.get("id") if anssi is not None else "",
            "levels": levels,
            "severity": "/".join(sevs) if sevs else "—",
            "title": title,
            "evaluated": ne is None,
            "pingcastle": [p.get("id") for p in r.findall(NS + "pingcastle")],
        }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    out = ["# Catalogue des règles d'annuaire / Directory rule catalogue", "",
           "Generated by `scripts/rules-catalogue.py` from `rules/ad/*.xml` and `rules/openldap/*.xml`;",
           "do not edit by hand. Format: [rules-language.md](rules-language.md). ANSSI ids link to the",
           "control points of CERTFR-2020-DUR-001 (`https://www.cert.ssi.gouv.fr/uploads/ad_checklist.html#<id>`);",
           "levels are the ANSSI levels the rule's checks fail at. *Not evaluated* rules are listed so that",
           "coverage shows them; vigie never counts them as passed.", ""]
    coverage = {}
    for profile in ("ad", "openldap"):
        files = sorted(glob.glob(os.path.join(root, "rules", profile, "*.xml")))
        rows = [dict(r, file=os.path.basename(f)) for f in files for r in rules_of(f)]
        n_eval = sum(r["evaluated"] for r in rows)
        out += ["## Profile `%s` — %d rules: %d evaluated, %d not evaluated" %
                (profile, len(rows), n_eval, len(rows) - n_eval), "",
                "| ID | File | Severity | ANSSI (levels) | Titre | Evaluated |",
                "|---|---|---|---|---|---|"]
        for r in rows:
            anssi = "`%s` (%s)" % (r["anssi"], ", ".join(map(str, r["levels"]))) if r["anssi"] else "—"
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                r["id"], r["file"], r["severity"], anssi, r["title"].replace("|", "\\|"),
                "yes" if r["evaluated"] else "**not evaluated**"))
            if r["anssi"]:
                c = coverage.setdefault(r["anssi"], [set(), False])
                c[0].update(r["levels"])
                c[1] = c[1] or r["evaluated"]
        out.append("")
    if coverage:
        ev = sorted(k for k, v in coverage.items() if v[1])
        ne = sorted(k for k, v in coverage.items() if not v[1])
        out += ["## ANSSI control points: %d mapped, %d with an evaluated rule, %d only not evaluated" %
                (len(coverage), len(ev), len(ne)), "",
                "Evaluated: " + ", ".join("`%s`" % k for k in ev) + ".", "",
                "Not evaluated: " + ", ".join("`%s`" % k for k in ne) + ".", ""]
    out += LIMITS
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
