#!/usr/bin/env python3
"""bench/listener.py — many TCP listening sockets in one small process, for the bench targets.

usage: listener.py SPEC READY_FILE
  SPEC        one "ADDRESS PORT" per line (0.0.0.0 = every address of the namespace)
  READY_FILE  created once every socket listens (bench/lab.sh waits for it)

A SYN scan never completes a handshake: the kernel sends the SYN-ACK from the listening
socket's SYN queue (or a SYN cookie) and the scanner's RST ends it; this process is not
involved. It only matters for connect scans: a completed connection waits in the accept
queue until accept(), and a full accept queue makes the kernel drop new SYNs (the port
would then look filtered). So completed connections are accepted and, like a server
waiting for a request, kept open (whatever arrives is discarded) until the client closes
or resets them; then they are closed (the target closes second: no TIME_WAIT on it). At
most MAX_HELD are kept: beyond that the oldest is reset (SO_LINGER 0), so memory stays flat
however many connect scans run. Stops on SIGTERM or SIGINT.
"""
import collections
import os
import resource
import selectors
import signal
import socket
import struct
import sys

BACKLOG = 65535   # capped by net.core.somaxconn, which bench/lab.sh raises in the namespace
MAX_HELD = 8192   # accepted connections kept open at once
LINGER0 = struct.pack("ii", 1, 0)


def main(spec_path, ready_path):
    with open(spec_path) as f:
        pairs = [(a, int(p)) for a, p in (line.split() for line in f if line.strip())]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = len(pairs) + MAX_HELD + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(want, soft), hard), hard))
    sel = selectors.DefaultSelector()
    for addr, port in pairs:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(BACKLOG)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    with open(ready_path, "w") as f:
        f.write(f"{os.getpid()} {len(pairs)}\n")
    held = collections.OrderedDict()   # accepted connections, oldest first

    def drop(c, reset):
        del held[c]
        sel.unregister(c)
        if reset:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
        c.close()

    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "conn":
                try:
                    data = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:                  # reset by the client
                    data = b""
                if not data:
                    drop(s, False)
                continue
            while True:
                try:
                    c, _ = s.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionAbortedError:   # the peer is already gone
                    continue
                except OSError:                  # EMFILE and the like: retry on the next event
                    break
                if len(held) >= MAX_HELD:
                    drop(next(iter(held)), True)
                c.setblocking(False)
                held[c] = None
                sel.register(c, selectors.EVENT_READ, "conn")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
