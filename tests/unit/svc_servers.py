#!/usr/bin/env python3
"""Real TCP servers on 127.0.0.1 for the service engine's unit test.

Prints one line "name port" per server, then "ready", and serves until its
standard input closes (the test's end). Each server is a socketserver, a real
TCP listener: the engine's connections are real ones, nothing is mocked.
"""
import os
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time


class Silent(socketserver.BaseRequestHandler):
    """Accepts and says nothing, until the client leaves."""
    def handle(self):
        self.request.settimeout(30)
        try:
            while self.request.recv(4096):
                pass
        except OSError:
            pass


class Junk(socketserver.BaseRequestHandler):
    """1 MB of hostile bytes at once: NULs, escapes, markup, bad UTF-8."""
    def handle(self):
        chunk = b"\x00\x1b[31m<script>&amp;\xff\xfe\xc3(]]>\r\n" * 1024
        try:
            for _ in range(1024 * 1024 // len(chunk) + 1):
                self.request.sendall(chunk)
        except OSError:
            pass


class Close(socketserver.BaseRequestHandler):
    """Closes at once."""
    def handle(self):
        pass


class Trickle(socketserver.BaseRequestHandler):
    """An FTP-like banner, one byte every 20 ms."""
    def handle(self):
        try:
            for b in b"220 trickle.test FTP server ready\r\n":
                self.request.sendall(bytes([b]))
                time.sleep(0.02)
            time.sleep(5)
        except OSError:
            pass


class PingPong(socketserver.StreamRequestHandler):
    """A client-first protocol: PING gets PONG and a version."""
    def handle(self):
        try:
            line = self.rfile.readline(100)
            self.wfile.write(b"PONG pingpongd 1.2\r\n" if line == b"PING\r\n" else b"ERR\r\n")
        except OSError:
            pass


class Hello(socketserver.StreamRequestHandler):
    """A server-first protocol: a greeting, then QUIT is answered BYE."""
    def handle(self):
        try:
            self.wfile.write(b"HELLO hellod 3.1\r\n")
            if self.rfile.readline(100) == b"QUIT\r\n":
                self.wfile.write(b"BYE\r\n")
        except OSError:
            pass


class Http(socketserver.StreamRequestHandler):
    """A tiny HTTP server (served over TLS below)."""
    def handle(self):
        try:
            if hasattr(self.request, "do_handshake"):
                self.request.do_handshake()
            while self.rfile.readline(1000) not in (b"\r\n", b""):
                pass
            self.wfile.write(b"HTTP/1.0 200 OK\r\nServer: tinyhttpd/2.0\r\n"
                             b"Content-Length: 2\r\n\r\nok")
        except OSError:
            pass


class Twice(socketserver.StreamRequestHandler):
    """ASK and AGAIN (the second on a new connection) each get "CONN n",
    n counting this server's connections; the "mute" variant says nothing
    to AGAIN, the "once" one closes its listener once it has answered."""
    lock = threading.Lock()

    def handle(self):
        with Twice.lock:
            self.server.count = getattr(self.server, "count", 0) + 1
            n = self.server.count
        try:
            line = self.rfile.readline(100)
            if line == b"AGAIN\r\n" and self.server.kind == "mute":
                self.request.settimeout(30)
                while self.request.recv(100):
                    pass
            elif line in (b"ASK\r\n", b"AGAIN\r\n"):
                if self.server.kind == "once":
                    self.server.socket.close()  # before the answer: no reconnect can win
                self.wfile.write(b"CONN %d\r\n" % n)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class TlsServer(Server):
    context = None

    def get_request(self):
        sock, addr = super().get_request()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


def tls_context(tmp):
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=vigie-test", "-keyout", key, "-out", crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    return ctx


def main():
    servers = {"silent": Silent, "junk": Junk, "close": Close, "trickle": Trickle,
               "pingpong": PingPong, "hello": Hello}
    running = []
    for name, handler in servers.items():
        srv = Server(("127.0.0.1", 0), handler)
        running.append((name, srv))
    for kind in ("twice", "mute", "once"):
        srv = Server(("127.0.0.1", 0), Twice)
        srv.kind = kind
        running.append((kind, srv))
    with tempfile.TemporaryDirectory() as tmp:
        TlsServer.context = tls_context(tmp)
        running.append(("tls-http", TlsServer(("127.0.0.1", 0), Http)))
        for name, srv in running:
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            print(name, srv.server_address[1])
        print("ready", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
