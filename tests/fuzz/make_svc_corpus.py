#!/usr/bin/env python3
"""Seeds the svc fuzz corpus (tests/fuzz/corpus/svc/<module>/) from the
service module cases (tests/data/svc/cases.tsv): each conversation becomes
one input in fuzz_svc.c's format, whole and, for variety, fed 3 bytes a
call. Run from anywhere; rewrites the seeds it names."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "svc")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus", "svc")

for line in open(os.path.join(DATA, "cases.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    group, case, module, port, flags, verdict, *files = line.split()
    answers = [open(os.path.join(DATA, f), "rb").read() for f in files]
    bits = 0x10 if flags == "i" else 0x20 if flags.startswith("h=") else 0
    os.makedirs(os.path.join(OUT, module), exist_ok=True)
    for chunk in (0, 3):
        data = module.encode() + b"\0" + bytes([bits | chunk]) + b"VSEP".join(answers)
        with open(os.path.join(OUT, module, "%s-%d" % (case, chunk)), "wb") as f:
            f.write(data)
