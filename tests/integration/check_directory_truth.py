#!/usr/bin/env python3
"""Compare a `vigie ldap` result (directory XML) with a lab's ground truth.

usage: check_directory_truth.py RESULT.xml TRUTH.tsv [--clean CLEAN.tsv]
       [--instance NAME] [--ambiguous AMBIGUOUS.tsv]

TRUTH lines: [instance] rule_id expected(fail|pass) dn_at_fault|-
CLEAN lines: [instance] rule_id dn  (an object that must not be at fault for that rule)

A truth row names a rule of the reference table; the catalogue may split one
row into the rule and its variants (AD-ACC-005 and AD-ACC-005-B): the row
holds when the family does. A DN the truth expects is looked for among the
faults of the family, except for rules whose faults are the server itself
(their checks read the server's probe facts, not entries). Prints TAP lines
without a plan: "ok"/"not ok" per row group, and exits 1 on any failure.
"""
import sys
import xml.etree.ElementTree as ET

NS = "{urn:vigie:directory:1}"


def load_results(path):
    """rule id -> (outcome, set of lower-cased fault DNs, set of check objects)."""
    root = ET.parse(path).getroot()
    results = {}
    for res in root.iter(NS + "result"):
        faults, objects = set(), set()
        for check in res.iter(NS + "check"):
            objects.add(check.get("objects"))
            for fault in check.iter(NS + "fault"):
                faults.add(fault.get("dn").lower())
        results[res.get("id")] = (res.get("outcome"), faults, objects)
    return results


def family(results, rule):
    return [r for r in results if r == rule or (r.startswith(rule + "-") and len(r) == len(rule) + 2)]


def read_rows(path, width):
    rows = []
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) >= width:
            rows.append(cols)
    return rows


def main(argv):
    args = {"--clean": None, "--instance": None, "--ambiguous": None}
    pos = []
    i = 1
    while i < len(argv):
        if argv[i] in args:
            args[argv[i]] = argv[i + 1]
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    results = load_results(pos[0])
    ambiguous = set()
    if args["--ambiguous"]:
        ambiguous = {cols[0] for cols in read_rows(args["--ambiguous"], 1)}
    expect = {}  # rule -> {"fail": set(dns), "pass": bool}
    for cols in read_rows(pos[1], 3):
        if args["--instance"]:
            if len(cols) < 4 or cols[0] != args["--instance"]:
                continue
            cols = cols[1:]
        rule, state, dn = cols[0], cols[1], cols[2] if len(cols) > 2 else "-"
        if rule in ambiguous:
            continue
        e = expect.setdefault(rule, {"fail": set(), "pass": False})
        if state == "fail":
            if dn != "-":
                e["fail"].add(dn.lower())
            else:
                e["fail"].add("")
        else:
            e["pass"] = True
    n = failed = 0
    failing_rules = 0
    for rule in sorted(expect):
        fam = family(results, rule)
        n += 1
        e = expect[rule]
        outcomes = {r: results[r][0] for r in fam}
        if not fam:
            failed += 1
            print(f"not ok {n} - {rule}: no such rule in the result")
            continue
        faults = set().union(*(results[r][1] for r in fam))
        on_server = all(results[r][2] <= {"server", "rootdse"} for r in fam)
        if e["fail"]:
            failing_rules += 1
            missing = [] if on_server else sorted(d for d in e["fail"] if d and d not in faults)
            good = any(o == "fail" for o in outcomes.values()) and not missing
            what = f"fails on {len([d for d in e['fail'] if d])} seeded object(s)"
        else:
            missing = []
            good = all(o != "fail" for o in outcomes.values())
            what = "does not fail"
        if good:
            print(f"ok {n} - {rule} {what}")
        else:
            failed += 1
            print(f"not ok {n} - {rule} {what}: outcomes {outcomes}")
            for d in missing[:10]:
                print(f"#   not at fault: {d}")
    if args["--clean"]:
        clean = read_rows(args["--clean"], 2)
        if args["--instance"]:
            clean = [c[1:] for c in clean if len(c) >= 3 and c[0] == args["--instance"]]
        wrong = []
        for rule, dn in ((c[0], c[1].lower()) for c in clean):
            if rule in ambiguous:
                continue
            for r in family(results, rule):
                if dn in results[r][1]:
                    wrong.append(f"{r}: {dn}")
        n += 1
        if wrong:
            failed += 1
            print(f"not ok {n} - no clean look-alike is at fault ({len(wrong)} are)")
            for w in wrong[:20]:
                print(f"#   {w}")
        else:
            print(f"ok {n} - none of the {len(clean)} clean look-alikes is at fault")
    print(f"# {failing_rules} rules seeded to fail, {n} checks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
