#!/usr/bin/env python3
"""A time-stamping authority for tests, on 127.0.0.1 only: answers each
POST of an RFC 3161 request by running `openssl ts -reply` with the test's
TSA key and config. Prints the port it listens on, then serves until killed.

usage: tsa_server.py CONFIG WORKDIR
"""
import http.server
import os
import subprocess
import sys
import tempfile


class TsaHandler(http.server.BaseHTTPRequestHandler):
    config = ""
    workdir = ""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        if length <= 0 or length > 65536:
            self.send_error(400, "bad request length")
            return
        body = self.rfile.read(length)
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            query = os.path.join(tmp, "q.tsq")
            reply = os.path.join(tmp, "r.tsr")
            with open(query, "wb") as f:
                f.write(body)
            run = subprocess.run(["openssl", "ts", "-reply", "-config", self.config,
                                  "-queryfile", query, "-out", reply],
                                 capture_output=True, check=False)
            if run.returncode != 0:
                self.send_error(500, "openssl ts -reply failed")
                return
            with open(reply, "rb") as f:
                data = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


def main():
    TsaHandler.config, TsaHandler.workdir = sys.argv[1], sys.argv[2]
    server = http.server.HTTPServer(("127.0.0.1", 0), TsaHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
