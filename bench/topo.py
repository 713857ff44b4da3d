#!/usr/bin/env python3
"""bench/topo.py — the bench's target layout and ground truth, computed from one seed.

Used by bench/lab.sh (to build the targets) and by bench/score.py (to score a run); the
same seed always gives the same layout, so a truth file can be re-created at any time.

usage: topo.py listeners-dense               one "0.0.0.0 PORT" per line (16 lines)
       topo.py listeners-sparse [--seed S]   one "ADDR PORT" per open pair of the sparse /20
       topo.py nft-sparse [--seed S]         the nftables ruleset of the sparse target
       topo.py truth dense|sparse [--seed S] "ADDR PORT STATE HOST" for every pair of the
                                             scenario; HOST is up (alive) or down (dead)

Layout
  dense   198.18.0.0/16: every address answers on the 16 ports (65,536 x 16 = 1,048,576 open).
  sparse  198.19.16.0/20 (4,096 addresses): an address is alive when fmix32(index ^ seed)
          % 8 == 0 (about 512 alive). Each (alive address, port) pair is, by a second hash,
          filtered 2/16 (nftables drop), open 7/16 (a listener bound to that address and port)
          or closed 7/16 (nothing listens: the kernel answers RST). Every packet to a dead
          address is dropped by nftables (no RST, no ICMP): its 16 ports are "filtered".
"""
import ipaddress
import sys

PORTS = (21, 22, 23, 25, 53, 80, 110, 139, 143, 443, 445, 3306, 3389, 5432, 8080, 8443)
DENSE_NET = ipaddress.ip_network("198.18.0.0/16")
SPARSE_NET = ipaddress.ip_network("198.19.16.0/20")
DEFAULT_SEED = 1


def fmix32(h):
    """MurmurHash3's 32-bit finaliser: a cheap, well-mixing bijection of 32-bit integers."""
    h &= 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def alive(index, seed):
    return fmix32(index ^ (seed * 0x9E3779B9)) % 8 == 0


def pair_state(index, port, seed):
    """State of one port of an alive sparse address."""
    r = fmix32((index * 65537 + port) ^ (seed * 0x7FEB352D) ^ 0x5BD1E995) % 16
    if r < 2:
        return "filtered"
    if r < 9:
        return "open"
    return "closed"


def sparse_pairs(seed):
    """(address, port, state, alive) for every pair of the sparse /20, in address order."""
    base = int(SPARSE_NET.network_address)
    for i in range(SPARSE_NET.num_addresses):
        addr = str(ipaddress.IPv4Address(base + i))
        up = alive(i, seed)
        for port in PORTS:
            yield addr, port, (pair_state(i, port, seed) if up else "filtered"), up


def main(argv):
    args = list(argv)
    seed = DEFAULT_SEED
    if "--seed" in args:
        k = args.index("--seed")
        seed = int(args[k + 1])
        del args[k:k + 2]
    if not args:
        sys.exit(__doc__)
    out = sys.stdout
    cmd = args[0]
    if cmd == "listeners-dense":
        for port in PORTS:
            out.write(f"0.0.0.0 {port}\n")
    elif cmd == "listeners-sparse":
        for addr, port, state, _ in sparse_pairs(seed):
            if state == "open":
                out.write(f"{addr} {port}\n")
    elif cmd == "nft-sparse":
        alive_addrs = sorted({a for a, _, _, up in sparse_pairs(seed) if up},
                             key=ipaddress.IPv4Address)
        filtered = [(a, p) for a, p, s, up in sparse_pairs(seed) if up and s == "filtered"]
        out.write("# vigie bench, sparse target: dead addresses and filtered ports "
                  f"(seed {seed})\n")
        out.write("table ip vigie_bench {\n")
        out.write("  set alive { type ipv4_addr; elements = { "
                  + ", ".join(alive_addrs) + " } }\n")
        out.write("  set filtered { type ipv4_addr . inet_service; elements = { "
                  + ", ".join(f"{a} . {p}" for a, p in filtered) + " } }\n")
        out.write("  chain input {\n")
        out.write("    type filter hook input priority filter; policy accept;\n")
        out.write(f"    ip daddr {SPARSE_NET} ip daddr != @alive drop\n")
        out.write("    ip daddr . tcp dport @filtered drop\n")
        out.write("  }\n}\n")
    elif cmd == "truth":
        if len(args) != 2 or args[1] not in ("dense", "sparse"):
            sys.exit("usage: topo.py truth dense|sparse [--seed S]")
        if args[1] == "dense":
            base = int(DENSE_NET.network_address)
            for i in range(DENSE_NET.num_addresses):
                addr = str(ipaddress.IPv4Address(base + i))
                out.write("".join(f"{addr} {port} open up\n" for port in PORTS))
        else:
            for addr, port, state, up in sparse_pairs(seed):
                out.write(f"{addr} {port} {state} {'up' if up else 'down'}\n")
    else:
        sys.exit(f"topo.py: unknown command {cmd!r}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
