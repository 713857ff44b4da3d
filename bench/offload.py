#!/usr/bin/env python3
"""bench/offload.py — show or turn off TSO, GSO and GRO on one interface (ethtool -K, which
Debian does not install by default), in the current network namespace.

usage: offload.py IFNAME show|off

Why the bench turns them off on the scanner's veths: libpcap (1.10) sizes each slot of its
capture ring for a whole snapshot length (64 KiB) when the interface has any of these
offloads on, and for the MTU (1518 bytes) when it has none. masscan asks for a 2 MB buffer in
immediate mode, so with the veth's defaults (TSO and GSO on) its ring holds 31 packets and it
loses about half of the SYN-ACKs of a dense scan; with them off the ring holds ~1,300.
"""
import array
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
# legacy ethtool commands: (get, set)
FEATURES = {"tso": (0x1E, 0x1F), "gso": (0x23, 0x24), "gro": (0x2B, 0x2C)}


def ethtool(sock, ifname, cmd, data=0):
    val = array.array("B", struct.pack("II", cmd, data))
    ifr = struct.pack("16sP", ifname.encode(), val.buffer_info()[0])
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifr)
    return struct.unpack("II", val.tobytes())[1]


def main(argv):
    if len(argv) != 2 or argv[1] not in ("show", "off"):
        sys.exit(__doc__)
    ifname, mode = argv
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for name, (get, set_) in FEATURES.items():
        if mode == "off" and ethtool(s, ifname, get):
            ethtool(s, ifname, set_, 0)
        print(f"{ifname} {name} {'on' if ethtool(s, ifname, get) else 'off'}")


if __name__ == "__main__":
    main(sys.argv[1:])
