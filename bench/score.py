#!/usr/bin/env python3
"""bench/score.py — score a scanner's output against the bench's ground truth, and print
the results table.

usage: score.py score --truth FILE [--ports P,P...] --format FMT OUTPUT...
         Prints one tab-separated line:
           open_truth open_tp open_fp closed_truth closed_tp closed_fp
           filtered_truth filtered_tp filtered_fp down_truth down_listed states
         where *_tp = reported with that state and true, *_fp = reported with that state
         but the truth says otherwise, and states = the states the output reported at all
         (letters o, c, f). "filtered" is scored on live hosts (a port nftables drops);
         the ports of dead hosts (down_truth) are filtered too, but a scanner may leave a
         dead host out: down_listed counts those it did report as filtered (never counted
         as a false positive). Several OUTPUT files are merged (zmap: one file per port).
       score.py table RESULTS.tsv
         Prints the results table (the columns run.sh writes, see HEADER below).

FMT: masscan-list (masscan -oL), zmap-csv (zmap -O csv -f saddr,sport), nmap-grep
(nmap -oG), vigie-jsonl ({"ip":…, "port":N, "state":"open|closed|filtered"} per line).
A pair reported twice counts once; open wins over closed, closed over filtered.
"""
import json
import math
import socket
import struct
import sys

RANK = {"open": 3, "closed": 2, "filtered": 1}


def key(addr, port):
    return struct.unpack("!I", socket.inet_aton(addr))[0] << 16 | int(port)


def put(found, addr, port, state):
    if state not in RANK:
        return
    k = key(addr, port)
    old = found.get(k)
    if old is None or RANK[state] > RANK[old]:
        found[k] = state


def parse_masscan_list(f, found):
    for line in f:
        p = line.split()
        if len(p) >= 4 and p[0] in ("open", "closed") and p[1] == "tcp":
            put(found, p[3], p[2], p[0])


def parse_zmap_csv(f, found):
    for line in f:
        p = line.strip().split(",")
        if len(p) >= 2 and p[0] != "saddr":
            put(found, p[0], p[1], "open")   # zmap's default filter: SYN-ACKs only


def parse_nmap_grep(f, found):
    # Host: 198.19.16.5 ()\tPorts: 21/open/tcp//ftp///, 22/closed/...\tIgnored State: filtered (3)
    # Ports collapsed into "Ignored State" are not listed; with 16 ports nmap lists them all,
    # so an "Ignored State" field is only counted as not reported.
    for line in f:
        if not line.startswith("Host: ") or "\tPorts: " not in line:
            continue
        addr = line.split()[1]
        ports = line.split("\tPorts: ", 1)[1].split("\t", 1)[0]
        for item in ports.split(", "):
            fields = item.split("/")
            if len(fields) >= 3 and fields[2] == "tcp":
                state = fields[1]
                if state == "open|filtered":          # no answer (UDP, FIN scans): not open
                    state = "filtered"
                put(found, addr, fields[0], state)


def parse_vigie_jsonl(f, found):
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and "ip" in r and "port" in r and "state" in r:
            try:
                put(found, str(r["ip"]), int(r["port"]), str(r["state"]))
            except (OSError, ValueError, TypeError):
                continue


PARSERS = {
    "masscan-list": parse_masscan_list,
    "zmap-csv": parse_zmap_csv,
    "nmap-grep": parse_nmap_grep,
    "vigie-jsonl": parse_vigie_jsonl,
}


def score(args):
    truth_path, ports, fmt, outputs = None, None, None, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--truth":
            truth_path = args[i + 1]; i += 2
        elif a == "--ports":
            ports = {int(p) for p in args[i + 1].split(",")}; i += 2
        elif a == "--format":
            fmt = args[i + 1]; i += 2
        else:
            outputs.append(a); i += 1
    if not truth_path or fmt not in PARSERS or not outputs:
        sys.exit(__doc__)
    truth, down = {}, set()
    with open(truth_path) as f:
        for line in f:
            addr, port, state, host = line.split()
            if ports is None or int(port) in ports:
                k = key(addr, port)
                truth[k] = state
                if host == "down":
                    down.add(k)
    found = {}
    for path in outputs:
        try:
            with open(path, errors="replace") as f:
                PARSERS[fmt](f, found)
        except FileNotFoundError:
            pass
    out = []
    for state in ("open", "closed", "filtered"):
        n_truth = sum(1 for k, s in truth.items() if s == state and k not in down)
        tp = fp = 0
        for k, s in found.items():
            if s == state and k in down:
                continue                      # a dead host's port: scored apart below
            if s == state:
                if truth.get(k) == state:
                    tp += 1
                else:
                    fp += 1
        out += [n_truth, tp, fp]
    out += [len(down), sum(1 for k, s in found.items() if k in down and s == "filtered")]
    states = "".join(c for c, s in (("o", "open"), ("c", "closed"), ("f", "filtered"))
                     if s in found.values()) or "-"
    print("\t".join(str(x) for x in out + [states]))


HEADER = ["scenario", "tool", "setting", "wall", "user", "sys", "rss_kib", "machine_cpu",
          "open_truth", "open_tp", "open_fp", "closed_truth", "closed_tp", "closed_fp",
          "filtered_truth", "filtered_tp", "filtered_fp", "down_truth", "down_listed", "states",
          "tgt_synack", "tgt_rst",
          "note"]


def frac(tp, truth):
    """"found/truth (pct %)", the percentage rounded down: 65535/65536 is 99.99 %, not 100."""
    tp, truth = int(tp), int(truth)
    if truth == 0:
        return f"{tp}/0"
    if tp >= truth:
        return f"{tp}/{truth} (100 %)"
    return f"{tp}/{truth} ({math.floor(10000 * tp / truth) / 100:.2f} %)"


def table(path):
    rows, search = [], []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] == "scenario" or len(p) < len(HEADER):
                continue
            r = dict(zip(HEADER, p))
            if "search" in r["note"].split(", "):
                search.append(r)
            else:
                rows.append(r)
    cols = ["scenario", "tool", "setting", "wall s", "CPU s", "peak RSS MiB",
            "open found/truth (recall)", "false pos.", "closed found/truth",
            "filtered found/truth", "dead hosts' ports listed", "target sent SYN-ACK/RST"]
    lines = []
    for r in rows:
        if r["note"].startswith("n/a"):
            lines.append([r["scenario"], r["tool"], r["setting"], r["note"]] + [""] * 8)
            continue
        cpu = float(r["user"]) + float(r["sys"])
        states = r["states"]
        if int(r["closed_truth"]):
            closed = frac(r["closed_tp"], r["closed_truth"]) if "c" in states else "not reported"
            if "c" in states and int(r["closed_fp"]):
                closed += f" +{r['closed_fp']} wrong"
            filt = frac(r["filtered_tp"], r["filtered_truth"]) if "f" in states else "not reported"
            if "f" in states and int(r["filtered_fp"]):
                filt += f" +{r['filtered_fp']} wrong"
            dead = (f"{r['down_listed']}/{r['down_truth']}" if "f" in states else "-")
        else:
            closed = filt = dead = "-"
        tool = r["tool"] + (" *" if "busy" in r["note"] else "")
        other = ", ".join(n for n in r["note"].split(", ") if n and n != "busy")
        if other:
            tool += f" [{other}]"
        lines.append([r["scenario"], tool, r["setting"], f"{float(r['wall']):.2f}", f"{cpu:.2f}",
                      f"{int(r['rss_kib']) / 1024:.1f}",
                      frac(r["open_tp"], r["open_truth"]), r["open_fp"], closed, filt, dead,
                      f"{r['tgt_synack']}/{r['tgt_rst']}"])
    widths = [max(len(c), *(len(l[i]) for l in lines)) if lines else len(c)
              for i, c in enumerate(cols)]
    def fmt(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(fmt(cols))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for l in lines:
        print(fmt(l))
    if search:
        print()
        print("zmap rate search (every rate tried: found/truth, wall time):")
        for r in search:
            print(f"  {r['scenario']} zmap {r['setting']}: {frac(r['open_tp'], r['open_truth'])}, "
                  f"{float(r['wall']):.2f} s" + (" *" if "busy" in r["note"] else ""))
    if any("busy" in r["note"] for r in rows + search):
        print("* the machine was busy (other processes used CPU) when this run started: "
              "its times are not comparable.")


def main(argv):
    if len(argv) >= 1 and argv[0] == "score":
        score(argv[1:])
    elif len(argv) == 2 and argv[0] == "table":
        table(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
